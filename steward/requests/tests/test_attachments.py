"""Photos and documents on a request: what we take (decided from the bytes), who may add
them, and that a refused or failed attachment leaves no file behind."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.requests.attachment_files import clean_filename, download_name, size_in_words
from steward.requests.lifecycle import Status
from steward.requests.models import Attachment, Request
from steward.requests.services import request_attach, request_capture, request_change_status
from steward.timeline.models import TimelineEvent

from .attachment_samples import EXE, GIF, HEIC, HTML_AS_TEXT, JPEG, PDF, PNG, TEXT, WEBP, media, stored_files, upload
from .factories import World, make_world

__all__ = ["media"]


def captured(world: World) -> Request:
    return request_capture(
        customer=world.customer, need=world.need, channel="web", description="The carer did not come.", actor=None
    )


class TestWhatWeTake:
    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            (JPEG, "image/jpeg"),
            (PNG, "image/png"),
            (GIF, "image/gif"),
            (WEBP, "image/webp"),
            (HEIC, "image/heic"),
            (PDF, "application/pdf"),
            (TEXT, "text/plain"),
            (HTML_AS_TEXT, "text/plain"),
        ],
    )
    def test_the_type_comes_from_the_bytes(self, world: World, media: Path, content: bytes, content_type: str) -> None:
        r = captured(world)
        added = request_attach(request=r, upload=upload("file.bin", content), actor=None, customer=world.customer)
        assert added.content_type == content_type
        assert added.size == len(content)
        assert len(added.sha256) == 64
        assert len(stored_files(media)) == 1

    def test_a_pdf_called_jpg_is_kept_as_a_pdf_and_downloads_as_one(self, world: World, media: Path) -> None:
        r = captured(world)
        added = request_attach(
            request=r, upload=upload("photo.jpg", PDF, "image/jpeg"), actor=None, customer=world.customer
        )
        assert added.content_type == "application/pdf"
        assert added.filename == "photo.jpg"
        assert download_name(added.filename, added.content_type) == "photo.jpg.pdf"

    @pytest.mark.parametrize(
        ("name", "content"),
        [("setup.exe", EXE), ("holiday.jpg", EXE), ("binary.txt", b"\x00\x01\x02text"), ("latin1.txt", b"caf\xe9")],
    )
    def test_anything_else_is_refused_with_what_we_do_take(
        self, world: World, media: Path, name: str, content: bytes
    ) -> None:
        r = captured(world)
        events = TimelineEvent.objects.count()
        with pytest.raises(InvalidInput) as refused:
            request_attach(request=r, upload=upload(name, content), actor=None, customer=world.customer)
        assert refused.value.code == "attachment_type_refused"
        assert "PDF documents and plain text files" in refused.value.message
        assert not Attachment.objects.exists() and TimelineEvent.objects.count() == events
        assert stored_files(media) == []

    def test_too_large_is_refused_saying_the_limit(self, world: World, media: Path, settings) -> None:
        settings.STEWARD_ATTACHMENT_MAX_BYTES = 1024 * 1024
        r = captured(world)
        big = JPEG + b"\x00" * (1024 * 1024)
        with pytest.raises(InvalidInput) as refused:
            request_attach(request=r, upload=upload("big.jpg", big), actor=None, customer=world.customer)
        assert refused.value.code == "attachment_too_large"
        assert "the most we can take is 1 MB" in refused.value.message
        assert stored_files(media) == [] and not Attachment.objects.exists()

    def test_the_limit_itself_is_allowed(self, world: World, media: Path, settings) -> None:
        settings.STEWARD_ATTACHMENT_MAX_BYTES = 2048
        r = captured(world)
        exact = PDF + b" " * (2048 - len(PDF))
        added = request_attach(request=r, upload=upload("a.pdf", exact), actor=None, customer=world.customer)
        assert added.size == 2048

    def test_an_empty_file_is_refused(self, world: World, media: Path) -> None:
        r = captured(world)
        with pytest.raises(InvalidInput) as refused:
            request_attach(request=r, upload=upload("empty.txt", b""), actor=None, customer=world.customer)
        assert refused.value.code == "attachment_empty"


class TestNames:
    @pytest.mark.parametrize(
        ("given", "shown"),
        [
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\ann\\letter.pdf", "letter.pdf"),
            ("  .hidden.txt ", "hidden.txt"),
            ('bad<>:"|?*name.pdf', "bad_name.pdf"),
            ("tab\tand\nnewline.txt", "tab and newline.txt"),
            ("right\u202eto-left.pdf", "rightto-left.pdf"),
            ("", "attachment"),
            ("...", "attachment"),
            ("Café photo.JPG", "Café photo.JPG"),
        ],
    )
    def test_names_are_made_safe_to_show(self, given: str, shown: str) -> None:
        assert clean_filename(given) == shown

    def test_a_long_name_keeps_its_extension(self) -> None:
        cleaned = clean_filename("x" * 400 + ".pdf")
        assert len(cleaned) <= 150 and cleaned.endswith(".pdf")

    def test_sizes_read_as_a_person_says_them(self) -> None:
        assert size_in_words(500) == "500 bytes"
        assert size_in_words(35_000) == "34 KB"
        assert size_in_words(10 * 1024 * 1024) == "10 MB"
        assert size_in_words(int(2.5 * 1024 * 1024)) == "2.5 MB"


class TestWhoMayAdd:
    def test_the_customer_adds_to_their_own_request_with_a_timeline_entry(self, world: World, media: Path) -> None:
        r = captured(world)
        added = request_attach(
            request=r, upload=upload("boiler.jpg", JPEG), actor=None, customer=world.customer, body="Here it is."
        )
        assert added.added_by == Attachment.AddedBy.CUSTOMER and added.added_by_staff is None
        assert added.added_by_name == world.customer.full_name
        event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.ATTACHMENT_ADDED)
        assert event.request_id == r.pk and not event.is_internal
        assert event.data["attachment"] == added.pk
        assert "“boiler.jpg”" in event.summary
        assert added.message is not None and added.message.kind == TimelineEvent.Kind.MESSAGE_IN
        assert added.message.body == "Here it is."
        # The file follows the words it came with.
        story = list(
            TimelineEvent.objects.filter(request=r).order_by("occurred_at", "id").values_list("kind", flat=True)
        )
        assert story[-2:] == [TimelineEvent.Kind.MESSAGE_IN, TimelineEvent.Kind.ATTACHMENT_ADDED]

    def test_another_customers_request_reads_as_not_found(self, world: World, media: Path) -> None:
        r = captured(world)
        stranger = make_world("Elsewhere").customer
        with pytest.raises(NotFound):
            request_attach(request=r, upload=upload("a.jpg", JPEG), actor=None, customer=stranger)
        with pytest.raises(NotFound):
            request_attach(request=r, upload=upload("a.jpg", JPEG), actor=None, customer=None)
        assert stored_files(media) == [] and not Attachment.objects.exists()

    def test_staff_who_work_on_it_may_add(self, world: World, media: Path) -> None:
        r = captured(world)
        added = request_attach(request=r, upload=upload("letter.pdf", PDF), actor=world.alice)
        assert added.added_by == Attachment.AddedBy.STAFF and added.added_by_staff == world.alice
        event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.ATTACHMENT_ADDED)
        assert event.actor == world.alice and event.summary.startswith("Alice Able added a document (PDF)")

    def test_staff_of_another_organisation_and_inactive_staff_are_refused(self, world: World, media: Path) -> None:
        r = captured(world)
        other = make_world("Other")
        with pytest.raises(PermissionDenied):
            request_attach(request=r, upload=upload("a.pdf", PDF), actor=other.alice)
        world.bob.is_active = False
        world.bob.save(update_fields=["is_active"])
        with pytest.raises(PermissionDenied):
            request_attach(request=r, upload=upload("a.pdf", PDF), actor=world.bob)
        assert stored_files(media) == [] and not Attachment.objects.exists()

    def test_the_customer_may_add_soon_after_it_is_finished_but_not_later(
        self, world: World, media: Path, settings
    ) -> None:
        r = captured(world)
        request_change_status(request=r, status=Status.RESOLVED, actor=world.lead)
        request_change_status(request=r, status=Status.CLOSED, actor=world.lead)
        request_attach(request=r, upload=upload("late.pdf", PDF), actor=None, customer=world.customer)
        Request.objects.filter(pk=r.pk).update(closed_at=timezone.now() - timedelta(days=30))
        with pytest.raises(Conflict) as refused:
            request_attach(request=r, upload=upload("later.pdf", PDF), actor=None, customer=world.customer)
        assert refused.value.code == "request_closed_for_attachments"
        assert len(stored_files(media)) == 1


class TestNoOrphans:
    def test_a_failed_database_write_removes_the_stored_file(
        self, world: World, media: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        r = captured(world)
        events = TimelineEvent.objects.count()

        def broken(**kwargs: object) -> None:
            assert stored_files(media), "the file is stored before the event is written"
            raise RuntimeError("the database went away")

        monkeypatch.setattr("steward.requests.services.event_record", broken)
        with pytest.raises(RuntimeError):
            request_attach(request=r, upload=upload("boiler.jpg", JPEG), actor=None, customer=world.customer)
        assert stored_files(media) == []
        assert not Attachment.objects.exists() and TimelineEvent.objects.count() == events

    def test_a_refused_message_leaves_no_file(self, world: World, media: Path) -> None:
        r = captured(world)
        with pytest.raises(InvalidInput):
            request_attach(
                request=r, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer, body="x" * 30_000
            )
        assert stored_files(media) == [] and not Attachment.objects.exists()
