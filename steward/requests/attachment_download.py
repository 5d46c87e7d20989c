"""Sending an attached file back to someone allowed to have it.

Every download is offered as a file to save (``Content-Disposition: attachment``), with
the type we detected and ``X-Content-Type-Options: nosniff``, so a browser never runs or
renders what a person uploaded in our pages' origin. Callers check who is asking first."""

from __future__ import annotations

from typing import cast

from django.http import FileResponse, HttpResponse

from steward.errors import NotFound

from .attachment_files import attachment_storage, download_name
from .models import Attachment


def attachment_response(attachment: Attachment) -> HttpResponse:
    storage = attachment_storage()
    if attachment.erased_at is not None or not attachment.storage_name:
        raise NotFound("That file has been deleted.", code="attachment_not_found")
    try:
        handle = storage.open(attachment.storage_name, "rb")
    except FileNotFoundError as exc:
        raise NotFound(
            "We cannot find that file any more. Ask the person looking after the request.",
            code="attachment_missing",
        ) from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(attachment.filename, attachment.content_type),
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    # A streamed response; the views' decorators are typed for HttpResponse, and Django
    # returns either alike.
    return cast(HttpResponse, response)
