"""API, the customer's side (``/api/v1/customer/...``): the customer's own grants, their
receipts and the log of every read of their data by staff (principle 6, I5).

Authenticated with a customer token (`manage.py issue_customer_token <customer_id>`),
never a staff token. Everything is the acting customer's own: another person's grant or
receipt number is simply not found. The endpoints are thin: selectors read, services
change (with their receipts and timeline entries), and a refused call changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Body, Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_customer, customer_auth
from steward.errors import NotFound
from steward.organisations.models import Organisation, Team
from steward.pagination import Page, PageParams, page_of

from . import selectors, services
from .models import AccessEvent, Grant, GrantReceipt
from .vocabulary import LawfulBasis
from .wording import access_sentence, basis_words, category_words, grant_status, purpose_words, why_not_revocable

router = Router(tags=["the customer's side"], auth=customer_auth)

RECEIPT_SCHEMA = "steward-consent-receipt/1"


# --- shapes -------------------------------------------------------------------------------


class Words(Schema):
    """A code with the words the customer reads and the W3C DPV concept it stands for."""

    code: str
    label: str
    dpv: str


class Ref(Schema):
    id: int
    name: str


class GrantOut(Schema):
    id: int
    status: Literal["active", "scheduled", "ended", "revoked"]
    purpose: Words
    categories: list[Words]
    lawful_basis: Words
    reason: str = Field(description="Why the organisation needs it (always given when not based on consent).")
    organisation: Ref
    team: Ref | None
    source: str
    source_label: str
    starts_at: datetime
    ends_at: datetime | None
    revoked_at: datetime | None
    can_revoke: bool
    cannot_revoke_because: str | None


class GrantIn(Schema):
    model_config = ConfigDict(extra="forbid")

    organisation_id: int
    team_id: int | None = Field(default=None, description="Narrow the permission to one team.")
    purpose: str = Field(description="A purpose code, e.g. care_delivery, billing, marketing.")
    categories: list[str] = Field(description="Data category codes, e.g. contact_details, care_plan.")
    ends_at: datetime | None = Field(default=None, description="When the permission lapses; empty: until revoked.")


class RevokeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=500, description="Optional: why, for your own records.")


class ReceiptOut(Schema):
    id: int
    at: datetime
    action: str
    by: str
    wording: str
    grant_id: int
    organisation: Ref
    purpose: Words
    download: str = Field(description="The receipt as a JSON document (ISO/IEC 27560 / Kantara fields).")


class ReceiptDocument(Schema):
    """A consent receipt: what happened to one grant, as the customer was shown it."""

    schema_version: str
    aligned_with: list[str]
    receipt_id: str
    timestamp: datetime
    language: str
    pii_principal: dict[str, Any]
    controller: dict[str, Any]
    event: dict[str, Any]
    purpose: Words
    pii_categories: list[Words]
    legal_basis: Words
    consent_type: str | None
    validity: dict[str, Any]
    termination: str
    notice: str
    record_id: int
    record_status_now: str


class AccessEntryOut(Schema):
    seq: int
    at: datetime
    outcome: str
    outcome_label: str
    actor_kind: Literal["staff", "trusted"] = Field(
        description="staff: a staff member of an organisation; trusted: someone you trust, acting for you."
    )
    staff_name: str = Field(description="Who read: the staff member, or the person you trust.")
    organisation: Ref | None
    purpose: Words | None = Field(description="Empty for someone you trust: they act for you, not for a purpose.")
    categories: list[Words]
    resource: str
    channel: str
    reason: str | None = Field(description="In an emergency (break-glass): the reason they gave.")
    sentence: str


# --- building the answers -------------------------------------------------------------------


def _ref(obj: Organisation | Team | None) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def grant_out(grant: Grant, *, now: datetime) -> dict[str, Any]:
    why_not = why_not_revocable(grant)
    return {
        "id": grant.pk,
        "status": grant_status(grant, at=now),
        "purpose": purpose_words(grant.purpose),
        "categories": [category_words(c) for c in grant.categories],
        "lawful_basis": basis_words(grant.lawful_basis),
        "reason": grant.reason,
        "organisation": _ref(grant.organisation),
        "team": _ref(grant.team),
        "source": grant.source,
        "source_label": grant.get_source_display(),
        "starts_at": grant.starts_at,
        "ends_at": grant.ends_at,
        "revoked_at": grant.revoked_at,
        "can_revoke": why_not is None,
        "cannot_revoke_because": why_not,
    }


def receipt_out(receipt: GrantReceipt) -> dict[str, Any]:
    return {
        "id": receipt.pk,
        "at": receipt.at,
        "action": receipt.action,
        "by": receipt.by,
        "wording": receipt.wording,
        "grant_id": receipt.grant_id,
        "organisation": _ref(receipt.grant.organisation),
        "purpose": purpose_words(receipt.grant.purpose),
        "download": f"/api/v1/customer/receipts/{receipt.pk}",
    }


def receipt_document(receipt: GrantReceipt, *, now: datetime) -> dict[str, Any]:
    """The receipt as a record another system can read: the fields of an ISO/IEC TS
    27560 consent record and a Kantara consent receipt that apply here, with DPV codes."""
    grant, customer = receipt.grant, receipt.customer
    why_not = why_not_revocable(grant)
    if grant.lawful_basis == LawfulBasis.CONSENT:
        termination = (
            "You can withdraw this permission at any time: "
            f"POST /api/v1/customer/grants/{grant.pk}/revoke, or ask {grant.organisation.name}."
        )
    else:
        termination = why_not or ""
    controller = _ref(grant.organisation) or {}
    controller["team"] = _ref(grant.team)
    return {
        "schema_version": RECEIPT_SCHEMA,
        "aligned_with": ["ISO/IEC TS 27560:2023", "Kantara Consent Receipt Specification v1.1", "W3C DPV"],
        "receipt_id": f"steward-receipt-{receipt.pk}",
        "timestamp": receipt.at,
        "language": customer.language,
        "pii_principal": {"id": customer.pk, "name": customer.full_name},
        "controller": controller,
        "event": {
            "action": receipt.action,
            "action_label": receipt.get_action_display(),
            "by": receipt.by,
            "collection_method": grant.get_source_display(),
        },
        "purpose": purpose_words(grant.purpose),
        "pii_categories": [category_words(c) for c in grant.categories],
        "legal_basis": basis_words(grant.lawful_basis),
        "consent_type": "explicit" if grant.lawful_basis == LawfulBasis.CONSENT else None,
        "validity": {"starts_at": grant.starts_at, "ends_at": grant.ends_at},
        "termination": termination,
        "notice": receipt.wording,
        "record_id": grant.pk,
        "record_status_now": grant_status(grant, at=now),
    }


def access_entry_out(event: AccessEvent, *, now: datetime) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at,
        "outcome": event.outcome,
        "outcome_label": event.get_outcome_display(),
        "actor_kind": event.actor_kind,
        "staff_name": event.staff_name,
        "organisation": (
            {"id": event.organisation_id, "name": event.organisation_name} if event.organisation_id else None
        ),
        "purpose": purpose_words(event.purpose) if event.purpose else None,
        "categories": [category_words(c) for c in event.categories],
        "resource": event.resource,
        "channel": event.channel,
        "reason": event.reason if event.outcome == AccessEvent.Outcome.BREAK_GLASS else None,
        "sentence": access_sentence(event, now=now),
    }


# --- endpoints ----------------------------------------------------------------------------


@router.get("/customer/grants", response=Page[GrantOut], summary="Who may use my data, for what, and why")
def my_grants(
    request: HttpRequest, page: Query[PageParams], state: Literal["all", "current", "past"] = "all"
) -> dict[str, Any]:
    customer = acting_customer(request)
    now = timezone.now()
    result = page_of(selectors.customer_grants(customer_id=customer.pk, state=state, at=now), page)
    result["items"] = [grant_out(g, now=now) for g in result["items"]]
    return result


@router.post("/customer/grants", response={201: GrantOut}, summary="Give an organisation permission (my consent)")
def give_grant(request: HttpRequest, payload: GrantIn) -> tuple[int, dict[str, Any]]:
    customer = acting_customer(request)
    organisation = Organisation.objects.filter(pk=payload.organisation_id).first()
    if organisation is None:
        raise NotFound("There is no organisation with that number.", code="organisation_not_found")
    team = None
    if payload.team_id is not None:
        team = Team.objects.filter(pk=payload.team_id).first()
        if team is None:
            raise NotFound("There is no team with that number.", code="team_not_found")
    ends_at = payload.ends_at
    if ends_at is not None and timezone.is_naive(ends_at):
        ends_at = timezone.make_aware(ends_at)
    grant = services.grant_create(
        customer=customer,
        organisation=organisation,
        team=team,
        purpose=payload.purpose,
        categories=payload.categories,
        lawful_basis=LawfulBasis.CONSENT,
        by_customer=True,
        ends_at=ends_at,
    )
    found = selectors.customer_grant_get(customer_id=customer.pk, grant_id=grant.pk)
    return 201, grant_out(found, now=timezone.now())


@router.post(
    "/customer/grants/{grant_id}/revoke",
    response=GrantOut,
    summary="Withdraw my consent (not possible for a legal duty: refused with the reason)",
)
def revoke_grant(request: HttpRequest, grant_id: int, payload: RevokeIn | None = Body(None)) -> dict[str, Any]:  # noqa: B008
    customer = acting_customer(request)
    found = selectors.customer_grant_get(customer_id=customer.pk, grant_id=grant_id)
    services.grant_revoke(grant=found, by_customer=True, reason=payload.reason if payload else "")
    return grant_out(selectors.customer_grant_get(customer_id=customer.pk, grant_id=grant_id), now=timezone.now())


@router.get("/customer/receipts", response=Page[ReceiptOut], summary="Receipts for every change to my permissions")
def my_receipts(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    customer = acting_customer(request)
    result = page_of(selectors.customer_receipts(customer_id=customer.pk), page)
    result["items"] = [receipt_out(r) for r in result["items"]]
    return result


@router.get(
    "/customer/receipts/{receipt_id}",
    response=ReceiptDocument,
    summary="One consent receipt, as a JSON document to download",
)
def my_receipt(request: HttpRequest, receipt_id: int) -> JsonResponse:
    customer = acting_customer(request)
    receipt = selectors.customer_receipt_get(customer_id=customer.pk, receipt_id=receipt_id)
    response = JsonResponse(
        receipt_document(receipt, now=timezone.now()), encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="consent-receipt-{receipt.pk}.json"'
    return response


@router.get(
    "/customer/access-log",
    response=Page[AccessEntryOut],
    summary="Every read of my data by staff, allowed, refused or in an emergency, newest first",
)
def my_access_log(
    request: HttpRequest,
    page: Query[PageParams],
    outcome: Literal["allowed", "refused", "break_glass"] | None = None,
    organisation_id: int | None = None,
) -> dict[str, Any]:
    customer = acting_customer(request)
    now = timezone.now()
    log = selectors.customer_access_log(customer_id=customer.pk, outcome=outcome, organisation_id=organisation_id)
    result = page_of(log, page)
    result["items"] = [access_entry_out(e, now=now) for e in result["items"]]
    return result
