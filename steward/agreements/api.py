"""API: service agreements (who provides what to a customer, who commissioned it, and
the named coordinator who answers for it), and recording visits and calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_staff
from steward.consent.reads import ReadPurpose, read_for
from steward.consent.vocabulary import DataCategory
from steward.customers.selectors import customer_ensure_exists, customer_get
from steward.organisations.api import PersonRef, person
from steward.organisations.selectors import organisation_get, staff_get, team_get
from steward.pagination import Page, PageParams, page_of
from steward.timeline.api import TimelineEventOut, event_out

from . import selectors, services
from .models import ServiceAgreement

router = Router(tags=["agreements"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class AgreementIn(Strict):
    customer_id: int
    team_id: int = Field(description="The provider's team that delivers it; the provider is the team's organisation.")
    coordinator_id: int = Field(description="The named person at the provider who answers for the service.")
    service: str = Field(min_length=1, max_length=200, description="In plain words, e.g. 'Home care, 2 visits a day'.")
    commissioner_id: int | None = Field(default=None, description="The organisation that arranged and pays for it.")
    contact_interval_days: int = Field(
        default=7, description="For a vulnerable customer: an alert is raised after this many days without contact."
    )
    started_at: datetime | None = Field(default=None, description="Default: now. Cannot be in the future.")


class EndIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class CoordinatorIn(Strict):
    staff_id: int


class ContactIn(Strict):
    kind: Literal["visit", "call"]
    note: str = Field(default="", max_length=services.MAX_NOTE)
    occurred_at: datetime | None = Field(default=None, description="Default: now. Cannot be in the future.")


class OrganisationRef(Schema):
    id: int
    name: str


class AgreementOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    provider: OrganisationRef
    commissioner: OrganisationRef | None
    team_id: int
    team_name: str
    coordinator: PersonRef
    service: str
    contact_interval_days: int
    status: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str
    last_contact_at: datetime | None = Field(description="When anyone was last in touch with the customer.")


def agreement_out(agreement: ServiceAgreement) -> dict[str, Any]:
    commissioner = agreement.commissioner
    return {
        "id": agreement.pk,
        "customer_id": agreement.customer_id,
        "customer_name": agreement.customer.full_name,
        "provider": {"id": agreement.provider_id, "name": agreement.provider.name},
        "commissioner": {"id": commissioner.pk, "name": commissioner.name} if commissioner else None,
        "team_id": agreement.team_id,
        "team_name": agreement.team.name,
        "coordinator": person(agreement.coordinator),
        "service": agreement.service,
        "contact_interval_days": agreement.contact_interval_days,
        "status": agreement.status,
        "started_at": agreement.started_at,
        "ended_at": agreement.ended_at,
        "end_reason": agreement.end_reason,
        "last_contact_at": getattr(agreement, "last_contact_at", None),
    }


def _aware(moment: datetime | None) -> datetime | None:
    """A time without a zone is read in the organisation's time zone."""
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


def _fresh(actor: Any, agreement_id: int) -> dict[str, Any]:
    return agreement_out(selectors.agreement_get_for(actor=actor, agreement_id=agreement_id))


@router.post("/agreements", response={201: AgreementOut}, summary="Start a service for a customer")
def start(request: HttpRequest, payload: AgreementIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    agreement = services.agreement_start(
        customer=customer_get(customer_id=payload.customer_id),
        team=team_get(team_id=payload.team_id),
        coordinator=staff_get(staff_id=payload.coordinator_id),
        service=payload.service,
        commissioner=(
            organisation_get(organisation_id=payload.commissioner_id) if payload.commissioner_id is not None else None
        ),
        contact_interval_days=payload.contact_interval_days,
        started_at=_aware(payload.started_at),
        actor=actor,
    )
    return 201, _fresh(actor, agreement.pk)


@router.get(
    "/customers/{customer_id}/agreements",
    response=Page[AgreementOut],
    summary="A customer's services that your organisation provides or commissioned, newest first (needs a purpose)",
)
def for_customer(
    request: HttpRequest, customer_id: int, page: Query[PageParams], why: Query[ReadPurpose]
) -> dict[str, Any]:
    customer_ensure_exists(customer_id=customer_id)
    actor = acting_staff(request)
    read_for(actor=actor, customer_id=customer_id, why=why, categories=[DataCategory.CARE_PLAN], resource="agreements")
    result = page_of(selectors.agreements_for_customer(actor=actor, customer_id=customer_id), page)
    result["items"] = [agreement_out(a) for a in result["items"]]
    return result


@router.get("/agreements/{agreement_id}", response=AgreementOut, summary="One service (needs a purpose)")
def get_agreement(request: HttpRequest, agreement_id: int, why: Query[ReadPurpose]) -> dict[str, Any]:
    actor = acting_staff(request)
    found = selectors.agreement_get_for(actor=actor, agreement_id=agreement_id)
    read_for(
        actor=actor,
        customer_id=found.customer_id,
        why=why,
        categories=[DataCategory.CARE_PLAN],
        resource=f"agreement:{found.pk}",
    )
    return agreement_out(found)


@router.post("/agreements/{agreement_id}/end", response=AgreementOut, summary="The service stops (with a reason)")
def end(request: HttpRequest, agreement_id: int, payload: EndIn) -> dict[str, Any]:
    actor = acting_staff(request)
    found = selectors.agreement_get_for(actor=actor, agreement_id=agreement_id)
    services.agreement_end(agreement=found, actor=actor, reason=payload.reason)
    return _fresh(actor, agreement_id)


@router.post("/agreements/{agreement_id}/coordinator", response=AgreementOut, summary="Name another coordinator")
def set_coordinator(request: HttpRequest, agreement_id: int, payload: CoordinatorIn) -> dict[str, Any]:
    actor = acting_staff(request)
    found = selectors.agreement_get_for(actor=actor, agreement_id=agreement_id)
    services.agreement_set_coordinator(agreement=found, coordinator=staff_get(staff_id=payload.staff_id), actor=actor)
    return _fresh(actor, agreement_id)


@router.post(
    "/agreements/{agreement_id}/contacts",
    response={201: TimelineEventOut},
    summary="Record a visit or a call (what the continuity checks look for)",
)
def record_contact(request: HttpRequest, agreement_id: int, payload: ContactIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    found = selectors.agreement_get_for(actor=actor, agreement_id=agreement_id)
    event = services.contact_record(
        agreement=found, actor=actor, kind=payload.kind, note=payload.note, occurred_at=_aware(payload.occurred_at)
    )
    return 201, event_out(event)
