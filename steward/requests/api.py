"""API: capture a request, read it with its owner and escalation chain, work on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_staff
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
from .lifecycle import PLAIN_WORDS, Status
from .models import Channel, Request

router = Router(tags=["requests"])

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


__all__ = ["Channel", "router"]
