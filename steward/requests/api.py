"""API: capture a request, read it with its owner and escalation chain, work on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, UploadedFile
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_customer, acting_staff, customer_auth
from steward.consent.reads import ReadPurpose, read_for
from steward.consent.vocabulary import DataCategory
from steward.customers.selectors import customer_get
from steward.errors import InvalidInput
from steward.needs.selectors import need_get
from steward.organisations.api import PersonRef, person
from steward.organisations.models import StaffMember
from steward.organisations.selectors import escalation_chains, team_get
from steward.pagination import Page, PageParams, page_of
from steward.timeline.api import TimelineEventOut, event_out
from steward.timeline.selectors import event_on_request, timeline_for_request

from . import selectors, services
from .attachment_download import attachment_response
from .lifecycle import PLAIN_WORDS, Status
from .models import Attachment, Channel, Request

router = Router(tags=["requests"])
# The customer's own files, on the customer's side of the API (customer token).
customer_router = Router(tags=["the customer's side"], auth=customer_auth)

ChannelName = Literal["web", "phone", "email", "sms", "in_person"]
StatusName = Literal["open", "waiting_on_customer", "resolved", "closed"]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class CaptureIn(Strict):
    customer_id: int
    need_id: int
    channel: ChannelName
    description: str = Field(min_length=1, max_length=20_000, description="What the customer said, in their words.")
    subject: str = Field(default="", max_length=200, description="Defaults to the need's title.")


class MessageIn(Strict):
    direction: Literal["in", "out"] = Field(description="'in': the customer said it; 'out': we wrote to them.")
    body: str = Field(min_length=1, max_length=20_000)
    channel: ChannelName


class NoteIn(Strict):
    body: str = Field(min_length=1, max_length=20_000)
    corrects_event_id: int | None = Field(default=None, description="Make this a correction of an earlier event.")


class StatusIn(Strict):
    status: StatusName
    reason: str = Field(default="", max_length=500)


class RequestOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    organisation_id: int
    need_id: int
    need_title: str
    team_id: int
    team_name: str
    subject: str
    description: str
    channel: str
    status: str
    status_in_plain_words: str
    owner: PersonRef | None
    owner_since: datetime
    escalation_chain: list[PersonRef]
    created_at: datetime
    due_at: datetime | None
    first_response_due: datetime
    resolution_due: datetime
    first_responded_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_breached_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int


def _requests_out(requests: list[Request]) -> list[dict[str, Any]]:
    owners = {r.owner.pk: r.owner for r in requests if r.owner is not None}
    chains = escalation_chains(owners.values())
    return [_request_out(r, chains.get(r.owner_id or 0, [])) for r in requests]


def _request_out(r: Request, chain: list[StaffMember]) -> dict[str, Any]:
    return {
        "id": r.pk,
        "customer_id": r.customer_id,
        "customer_name": r.customer.full_name,
        "organisation_id": r.organisation_id,
        "need_id": r.need_id,
        "need_title": r.need.title,
        "team_id": r.team_id,
        "team_name": r.team.name,
        "subject": r.subject,
        "description": r.description,
        "channel": r.channel,
        "status": r.status,
        "status_in_plain_words": PLAIN_WORDS[Status(r.status)],
        "owner": person(r.owner) if r.owner else None,
        "owner_since": r.owner_since,
        "escalation_chain": [person(p) for p in chain],
        "created_at": r.created_at,
        "due_at": r.due_at,
        "first_response_due": r.first_response_due,
        "resolution_due": r.resolution_due,
        "first_responded_at": r.first_responded_at,
        "first_response_breached_at": r.first_response_breached_at,
        "resolution_breached_at": r.resolution_breached_at,
        "resolved_at": r.resolved_at,
        "closed_at": r.closed_at,
        "reopen_count": r.reopen_count,
    }


def _one(staff: StaffMember, request_id: int) -> dict[str, Any]:
    return _requests_out([selectors.request_get_for(staff=staff, request_id=request_id)])[0]


def _statuses(status: list[StatusName] | None) -> list[str] | None:
    return list(status) if status else None


@router.post("/requests", response={201: RequestOut}, summary="Capture a request for a customer (any door)")
def capture(request: HttpRequest, payload: CaptureIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    created = services.request_capture(
        customer=customer_get(customer_id=payload.customer_id),
        need=need_get(need_id=payload.need_id),
        channel=payload.channel,
        description=payload.description,
        subject=payload.subject,
        actor=actor,
    )
    # The capturer may work for another organisation: they still get to tell the
    # customer, by name, who now answers for it.
    return 201, _requests_out([selectors.request_as_captured(request_id=created.pk)])[0]


@router.get("/requests/mine", response=Page[RequestOut], summary="Requests I answer for, most urgent first")
def mine(
    request: HttpRequest, page: Query[PageParams], status: Query[list[StatusName] | None] = None
) -> dict[str, Any]:
    result = page_of(
        selectors.my_requests(staff=acting_staff(request), statuses=_statuses(status)), page, ids_first=True
    )
    result["items"] = _requests_out(result["items"])
    return result


@router.get("/teams/{team_id}/queue", response=Page[RequestOut], summary="A team's requests, most urgent first")
def team_queue(
    request: HttpRequest, team_id: int, page: Query[PageParams], status: Query[list[StatusName] | None] = None
) -> dict[str, Any]:
    team = team_get(team_id=team_id)
    qs = selectors.team_queue(staff=acting_staff(request), team=team, statuses=_statuses(status))
    result = page_of(qs, page, ids_first=True)
    result["items"] = _requests_out(result["items"])
    return result


def _read(staff: StaffMember, request_id: int, why: ReadPurpose) -> Request:
    """The request if the staff member may see it (404 otherwise), once they have said
    why they read it and a grant allows it (the read is logged)."""
    target = selectors.request_get_for(staff=staff, request_id=request_id)
    read_for(
        actor=staff,
        customer_id=target.customer_id,
        why=why,
        categories=[DataCategory.MESSAGES],
        resource=f"request:{target.pk}",
    )
    return target


@router.get("/requests/{request_id}", response=RequestOut, summary="One request (needs a purpose)")
def get_request(request: HttpRequest, request_id: int, why: Query[ReadPurpose]) -> dict[str, Any]:
    target = _read(acting_staff(request), request_id, why)
    return _requests_out([target])[0]


@router.post("/requests/{request_id}/messages", response={201: TimelineEventOut})
def add_message(request: HttpRequest, request_id: int, payload: MessageIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    target = selectors.request_get_for(staff=actor, request_id=request_id)
    event = services.request_add_message(
        request=target, actor=actor, direction=payload.direction, body=payload.body, channel=payload.channel
    )
    return 201, event_out(event)


@router.post("/requests/{request_id}/notes", response={201: TimelineEventOut})
def add_note(request: HttpRequest, request_id: int, payload: NoteIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    target = selectors.request_get_for(staff=actor, request_id=request_id)
    corrects = None
    if payload.corrects_event_id is not None:
        corrects = event_on_request(event_id=payload.corrects_event_id, request_id=target.pk)
        if corrects is None:
            raise InvalidInput(
                f"Event {payload.corrects_event_id} is not on request #{target.pk}.", code="correction_mismatch"
            )
    event = services.request_add_note(request=target, actor=actor, body=payload.body, corrects=corrects)
    return 201, event_out(event)


@router.post("/requests/{request_id}/status", response=RequestOut)
def change_status(request: HttpRequest, request_id: int, payload: StatusIn) -> dict[str, Any]:
    actor = acting_staff(request)
    target = selectors.request_get_for(staff=actor, request_id=request_id)
    services.request_change_status(request=target, status=payload.status, actor=actor, reason=payload.reason)
    return _one(actor, request_id)


@router.get(
    "/requests/{request_id}/timeline", response=Page[TimelineEventOut], summary="A request's story (needs a purpose)"
)
def request_timeline(
    request: HttpRequest, request_id: int, page: Query[PageParams], why: Query[ReadPurpose]
) -> dict[str, Any]:
    target = _read(acting_staff(request), request_id, why)
    result = page_of(timeline_for_request(request_id=target.pk), page)
    result["items"] = [event_out(e) for e in result["items"]]
    return result


# --- attachments ---------------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    request_id: int
    message_event_id: int | None = Field(description="The timeline entry of the message it came with, if any.")
    filename: str = Field(description="What the person called it, made safe to show.")
    content_type: str = Field(description="What the file is, detected from its bytes.")
    size: int = Field(description="In bytes.")
    sha256: str
    added_by: Literal["customer", "staff", "trusted_person"]
    added_by_name: str
    created_at: datetime
    download: str = Field(description="Where to fetch the file (staff: add ?purpose=).")


def attachment_out(a: Attachment, *, download: str) -> dict[str, Any]:
    return {
        "id": a.pk,
        "request_id": a.request_id,
        "message_event_id": a.message_id,
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
        "added_by": a.added_by,
        "added_by_name": a.added_by_name,
        "created_at": a.created_at,
        "download": download,
    }


def _staff_download(a: Attachment) -> str:
    return f"/api/v1/requests/{a.request_id}/attachments/{a.pk}"


ATTACH_HELP = (
    "Multipart form: `file` (a photo — JPEG, PNG, GIF, WebP, HEIC —, a PDF or a plain text file; what it is "
    "is read from its bytes; at most STEWARD_ATTACHMENT_MAX_BYTES, 10 MB by default) and optionally `message`."
)


@router.post(
    "/requests/{request_id}/attachments",
    response={201: AttachmentOut},
    summary="Add a photo or document to a request (those who work on it)",
    description=ATTACH_HELP + " With `message`, it goes to the customer as a message with the file.",
)
def add_attachment(
    request: HttpRequest, request_id: int, file: File[UploadedFile], message: Form[str] = ""
) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    target = selectors.request_get_for(staff=actor, request_id=request_id)
    added = services.request_attach(request=target, upload=file, actor=actor, body=message)
    return 201, attachment_out(added, download=_staff_download(added))


@router.get(
    "/requests/{request_id}/attachments",
    response=list[AttachmentOut],
    summary="The files on a request (needs a purpose)",
)
def list_attachments(request: HttpRequest, request_id: int, why: Query[ReadPurpose]) -> list[dict[str, Any]]:
    target = _read(acting_staff(request), request_id, why)
    held = selectors.attachments_of_request(request_id=target.pk)
    return [attachment_out(a, download=_staff_download(a)) for a in held]


@router.get(
    "/requests/{request_id}/attachments/{attachment_id}",
    summary="Download one file (needs a purpose; the read is logged)",
    description="Sent as a download (`Content-Disposition: attachment`) with the detected type and "
    "`X-Content-Type-Options: nosniff`.",
)
def download_attachment(
    request: HttpRequest, request_id: int, attachment_id: int, why: Query[ReadPurpose]
) -> HttpResponse:
    staff = acting_staff(request)
    target = selectors.request_get_for(staff=staff, request_id=request_id)
    found = selectors.attachment_on_request(request_id=target.pk, attachment_id=attachment_id)
    read_for(
        actor=staff,
        customer_id=target.customer_id,
        why=why,
        categories=[DataCategory.MESSAGES],
        resource=f"attachment:{found.pk}",
    )
    return attachment_response(found)


def _customer_download(a: Attachment) -> str:
    return f"/api/v1/customer/requests/{a.request_id}/attachments/{a.pk}"


@customer_router.get(
    "/customer/requests/{request_id}/attachments",
    response=list[AttachmentOut],
    summary="The files on one of my requests",
)
def my_attachments(request: HttpRequest, request_id: int) -> list[dict[str, Any]]:
    customer = acting_customer(request)
    mine = selectors.customer_request_get(customer=customer, request_id=request_id)
    return [
        attachment_out(a, download=_customer_download(a)) for a in selectors.attachments_of_request(request_id=mine.pk)
    ]


@customer_router.post(
    "/customer/requests/{request_id}/attachments",
    response={201: AttachmentOut},
    summary="Add a photo or document to one of my requests",
    description=ATTACH_HELP + " With `message`, it is a message from you with the file.",
)
def my_attachment_add(
    request: HttpRequest, request_id: int, file: File[UploadedFile], message: Form[str] = ""
) -> tuple[int, dict[str, Any]]:
    customer = acting_customer(request)
    mine = selectors.customer_request_get(customer=customer, request_id=request_id)
    added = services.request_attach(request=mine, upload=file, actor=None, customer=customer, body=message)
    return 201, attachment_out(added, download=_customer_download(added))


@customer_router.get(
    "/customer/requests/{request_id}/attachments/{attachment_id}",
    summary="Download one of my files",
)
def my_attachment_download(request: HttpRequest, request_id: int, attachment_id: int) -> HttpResponse:
    customer = acting_customer(request)
    mine = selectors.customer_request_get(customer=customer, request_id=request_id)
    return attachment_response(selectors.attachment_on_request(request_id=mine.pk, attachment_id=attachment_id))


__all__ = ["Channel", "customer_router", "router"]
