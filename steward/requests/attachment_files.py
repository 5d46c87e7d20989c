"""The files people attach to requests: which kinds we take (decided from the bytes, never
from the name or what the browser claims), how a name is made safe to show, and where the
bytes are kept.

Files are kept through Django's storage API in the ``attachments`` storage (by default the
private ``MEDIA_ROOT``, ``var/media``), under random names that say nothing about the
customer. Nothing there is ever served directly: downloads go through views that check
who is asking (see `requests.attachment_views` and the APIs).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.utils import timezone

from steward.errors import InvalidInput


@dataclass(frozen=True)
class FileKind:
    """A kind of file we accept: its content type, what a person calls it, and the
    extensions a download of it may carry."""

    content_type: str
    words: str
    extensions: tuple[str, ...]


JPEG = FileKind("image/jpeg", "photo (JPEG)", (".jpg", ".jpeg"))
PNG = FileKind("image/png", "picture (PNG)", (".png",))
GIF = FileKind("image/gif", "picture (GIF)", (".gif",))
WEBP = FileKind("image/webp", "picture (WebP)", (".webp",))
HEIC = FileKind("image/heic", "photo (HEIC)", (".heic", ".heif"))
PDF = FileKind("application/pdf", "document (PDF)", (".pdf",))
TEXT = FileKind("text/plain", "text file", (".txt",))

KINDS = {k.content_type: k for k in (JPEG, PNG, GIF, WEBP, HEIC, PDF, TEXT)}
# For the file pickers' `accept`: a hint to the browser only; the bytes decide.
ACCEPT = ",".join([*KINDS, ".heic", ".heif"])
ACCEPTED_IN_WORDS = "photos and pictures (JPEG, PNG, GIF, WebP, HEIC), PDF documents and plain text files"

# ISO base media file brands that mean HEIC/HEIF still images (not AVIF, not video).
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_HEIF_GENERIC = {b"mif1", b"msf1"}
# Text may hold tabs, line ends and form feeds; any other control character means the
# file is not plain text (or is something dressed up as it).
_TEXT_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
HEAD_BYTES = 64


def _is_heic(head: bytes) -> bool:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    if major in _HEIC_BRANDS:
        return True
    if major in _HEIF_GENERIC:
        # A generic HEIF brand is a HEIC photo only if HEVC is among the compatible brands.
        compatible = head[16 : min(box_size, len(head))]
        return any(compatible[i : i + 4] in _HEIC_BRANDS for i in range(0, len(compatible) - 3, 4))
    return False


def _is_text(content: bytes) -> bool:
    if not content:
        return False
    body = content.removeprefix(b"\xef\xbb\xbf")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _TEXT_CONTROL.search(body) is None


def sniff(file: IO[bytes]) -> FileKind:
    """What the file really is, from its first bytes (and, for text, all of them).
    Refuses anything we do not take, saying what we do take."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    kind: FileKind | None = None
    if head.startswith(b"\xff\xd8\xff"):
        kind = JPEG
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = PNG
    elif head.startswith((b"GIF87a", b"GIF89a")):
        kind = GIF
    elif head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        kind = WEBP
    elif _is_heic(head):
        kind = HEIC
    elif head.startswith(b"%PDF-"):
        kind = PDF
    else:
        file.seek(0)
        if _is_text(file.read()):
            kind = TEXT
    file.seek(0)
    if kind is None:
        raise InvalidInput(
            f"We cannot take this kind of file. We take {ACCEPTED_IN_WORDS}.", code="attachment_type_refused"
        )
    return kind


def max_bytes() -> int:
    return int(settings.STEWARD_ATTACHMENT_MAX_BYTES)


def size_in_words(size: int) -> str:
    """A size as a person reads it: 512 bytes, 34 KB, 2.5 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.0f} MB" if megabytes == int(megabytes) else f"{megabytes:.1f} MB"


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise InvalidInput(
            f"This file is {size_in_words(size)}; the most we can take is {size_in_words(limit)}. "
            "Try a smaller photo or a shorter document.",
            code="attachment_too_large",
        )
    if size == 0:
        raise InvalidInput("This file is empty.", code="attachment_empty")


def sha256_of(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(64 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_NAME = 150


def clean_filename(name: str) -> str:
    """The name a person gave the file, made safe to show and to offer back as a
    download name: no folders, no control or reserved characters, no leading dots, not
    too long (the extension kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    # Line ends and tabs become spaces; invisible and direction-changing characters go
    # (a right-to-left override can make "gpj.exe" read as "exe.jpg").
    name = "".join(
        " " if unicodedata.category(ch) == "Cc" else ch
        for ch in name
        if unicodedata.category(ch) not in {"Cf", "Cs", "Co", "Cn"}
    )
    name = _UNSAFE_IN_NAME.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_NAME].rstrip()
    return name or "attachment"


def download_name(filename: str, content_type: str) -> str:
    """The name a download is offered under: the person's name, with an extension that
    matches what the file really is (a PDF called ``scan.jpg`` downloads as
    ``scan.jpg.pdf``, so nothing opens it as the wrong kind)."""
    kind = KINDS.get(content_type)
    if kind is None or filename.lower().endswith(kind.extensions):
        return filename
    return filename + kind.extensions[0]


def attachment_storage() -> Storage:
    return storages["attachments"]


def new_storage_name() -> str:
    """A random name under ``attachments/<year>/<month>/``: nothing in it identifies the
    customer or repeats what they called the file."""
    now = timezone.now()
    return f"attachments/{now:%Y}/{now:%m}/{uuid.uuid4().hex}"
