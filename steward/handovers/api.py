"""API: handover offers of one request, and the inboxes of people and teams."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_staff
from steward.consent.reads import ReadPurpose, read_for
from steward.consent.vocabulary import DataCategory
from steward.errors import InvalidInput
from steward.organisations.api import PersonRef, person
from steward.organisations.models import StaffMember
from steward.organisations.selectors import organisation_get, staff_get, team_get
from steward.pagination import Page, PageParams, page_of
from steward.requests.selectors import request_get_for
from steward.timeline.api import TimelineEventOut, event_out

from . import selectors, services
from .models import HandoverOffer

router = Router(tags=["handovers"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class OfferIn(Strict):
    to_staff_id: int | None = Field(default=None, description="Offer to a named person…")
    to_team_id: int | None = Field(default=None, description="…or to a team…")
    to_organisation_id: int | None = Field(default=None, description="…or to an organisation (exactly one).")
    reason: str = Field(min_length=1, max_length=500)
    note_for_receiver: str = Field(default="", max_length=20_000, description="What they need to know.")


class DeclineIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class WithdrawIn(Strict):
    reason: str = Field(default="", max_length=500)


class OfferOut(Schema):
    id: int
    request_id: int
    request_subject: str
    customer_name: str
    status: str
    target: str
    target_label: str
    to_organisation_id: int
    to_team_id: int | None
    to_staff: PersonRef | None
    sender: PersonRef
    offered_by: PersonRef
    reason: str
    note_for_receiver: str
    respond_by: datetime
    created_at: datetime
    responded_at: datetime | None
    responded_by: PersonRef | None
    response_reason: str


class OfferDetailOut(OfferOut):
    story: list[TimelineEventOut]


def offer_out(offer: HandoverOffer) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "request_id": offer.request_id,
        "request_subject": offer.request.subject,
        "customer_name": offer.request.customer.full_name,
        "status": offer.status,
        "target": offer.target,
        "target_label": offer.target_label,
        "to_organisation_id": offer.to_organisation_id,
        "to_team_id": offer.to_team_id,
        "to_staff": person(offer.to_staff) if offer.to_staff else None,
        "sender": person(offer.sender),
        "offered_by": person(offer.offered_by),
        "reason": offer.reason,
        "note_for_receiver": offer.note_for_receiver,
        "respond_by": offer.respond_by,
        "created_at": offer.created_at,
        "responded_at": offer.responded_at,
        "responded_by": person(offer.responded_by) if offer.responded_by else None,
        "response_reason": offer.response_reason,
    }


def _fresh(staff: StaffMember, offer_id: int) -> dict[str, Any]:
    return offer_out(selectors.handover_get_for(staff=staff, offer_id=offer_id))


def _page(qs: Any, page: PageParams) -> dict[str, Any]:
    result = page_of(qs, page)
    result["items"] = [offer_out(o) for o in result["items"]]
    return result


@router.post("/requests/{request_id}/handovers", response={201: OfferOut}, summary="Offer a request to someone else")
def offer(request: HttpRequest, request_id: int, payload: OfferIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    target = request_get_for(staff=actor, request_id=request_id)
    chosen = [v for v in (payload.to_staff_id, payload.to_team_id, payload.to_organisation_id) if v is not None]
    if len(chosen) != 1:
        raise InvalidInput(
            "Give exactly one of to_staff_id, to_team_id or to_organisation_id.", code="one_target_needed"
        )
    made = services.handover_offer(
        request=target,
        actor=actor,
        reason=payload.reason,
        note_for_receiver=payload.note_for_receiver,
        to_staff=staff_get(staff_id=payload.to_staff_id) if payload.to_staff_id is not None else None,
        to_team=team_get(team_id=payload.to_team_id) if payload.to_team_id is not None else None,
        to_organisation=(
            organisation_get(organisation_id=payload.to_organisation_id)
            if payload.to_organisation_id is not None
            else None
        ),
    )
    return 201, _fresh(actor, made.pk)


@router.get("/requests/{request_id}/handovers", response=list[OfferOut], summary="Every offer ever made of a request")
def request_offers(request: HttpRequest, request_id: int) -> list[dict[str, Any]]:
    target = request_get_for(staff=acting_staff(request), request_id=request_id)
    return [offer_out(o) for o in selectors.handovers_of_request(request_id=target.pk)]


@router.get("/handovers/inbox", response=Page[OfferOut], summary="Offers waiting for me, my team or my organisation")
def inbox(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return _page(selectors.handover_inbox(staff=acting_staff(request)), page)


@router.get("/handovers/sent", response=Page[OfferOut], summary="My offers still waiting for an answer")
def sent(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return _page(selectors.handovers_sent(staff=acting_staff(request)), page)


@router.get("/teams/{team_id}/handovers", response=Page[OfferOut], summary="Offers waiting for a team")
def team_inbox(request: HttpRequest, team_id: int, page: Query[PageParams]) -> dict[str, Any]:
    staff = acting_staff(request)
    return _page(selectors.handover_team_inbox(staff=staff, team=team_get(team_id=team_id)), page)


@router.get(
    "/handovers/{offer_id}",
    response=OfferDetailOut,
    summary="One offer, with the request's story so far (needs a purpose; while the offer waits, the receiving "
    "organisation may read it for service_provision)",
)
def get_offer(request: HttpRequest, offer_id: int, why: Query[ReadPurpose]) -> dict[str, Any]:
    actor = acting_staff(request)
    found = selectors.handover_get_for(staff=actor, offer_id=offer_id)
    read_for(
        actor=actor,
        customer_id=found.request.customer_id,
        why=why,
        categories=[DataCategory.MESSAGES],
        resource=f"handover:{found.pk}",
    )
    story = [event_out(e) for e in selectors.handover_story(offer=found)[:200]]
    return {**offer_out(found), "story": story}


@router.post("/handovers/{offer_id}/accept", response=OfferOut)
def accept(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    actor = acting_staff(request)
    services.handover_accept(offer=selectors.handover_get_for(staff=actor, offer_id=offer_id), actor=actor)
    return _fresh(actor, offer_id)


@router.post("/handovers/{offer_id}/decline", response=OfferOut)
def decline(request: HttpRequest, offer_id: int, payload: DeclineIn) -> dict[str, Any]:
    actor = acting_staff(request)
    found = selectors.handover_get_for(staff=actor, offer_id=offer_id)
    services.handover_decline(offer=found, actor=actor, reason=payload.reason)
    return _fresh(actor, offer_id)


@router.post("/handovers/{offer_id}/withdraw", response=OfferOut)
def withdraw(request: HttpRequest, offer_id: int, payload: WithdrawIn) -> dict[str, Any]:
    actor = acting_staff(request)
    found = selectors.handover_get_for(staff=actor, offer_id=offer_id)
    services.handover_withdraw(offer=found, actor=actor, reason=payload.reason)
    return _fresh(actor, offer_id)
