"""API, the customer's side: the people a customer trusts to act for them
(``/api/v1/customer/trusted-people``). Customer token only (as the rest of the customer's
side); another customer's trusted person is simply not found."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_customer, customer_auth
from steward.pagination import Page, PageParams, page_of

from . import selectors, services
from .models import TrustedPerson
from .permissions import Scope

router = Router(tags=["the customer's side"], auth=customer_auth)


class ScopeOut(Schema):
    code: str
    label: str


class TrustedPersonOut(Schema):
    id: int
    name: str
    email: str
    relationship: str
    scopes: list[ScopeOut]
    status: Literal["active", "ended", "revoked"]
    created_at: datetime
    ends_at: datetime | None
    revoked_at: datetime | None


class TrustedPersonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    email: str = Field(max_length=254, description="Their own address: they sign in to the portal with it.")
    relationship: str = Field(max_length=100, description="Who they are to you, e.g. daughter, advocate.")
    scopes: list[str] = Field(description=f"What they may do: any of {', '.join(Scope.values)}.")
    ends_at: datetime | None = Field(default=None, description="When their access ends; empty: until you end it.")


class TrustedPersonChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    scopes: list[str]
    ends_at: datetime | None = None


def _aware(at: datetime | None) -> datetime | None:
    return timezone.make_aware(at) if at is not None and timezone.is_naive(at) else at


def trusted_out(trusted: TrustedPerson, *, now: datetime) -> dict[str, Any]:
    if trusted.revoked_at is not None:
        status = "revoked"
    elif trusted.ends_at is not None and trusted.ends_at <= now:
        status = "ended"
    else:
        status = "active"
    return {
        "id": trusted.pk,
        "name": trusted.name,
        "email": trusted.email,
        "relationship": trusted.relationship,
        "scopes": [{"code": s, "label": Scope(s).label} for s in Scope.values if s in trusted.scopes],
        "status": status,
        "created_at": trusted.created_at,
        "ends_at": trusted.ends_at,
        "revoked_at": trusted.revoked_at,
    }


@router.get("/customer/trusted-people", response=Page[TrustedPersonOut], summary="People I trust to act for me")
def my_trusted_people(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    customer = acting_customer(request)
    now = timezone.now()
    result = page_of(selectors.trusted_people_of(customer_id=customer.pk), page)
    result["items"] = [trusted_out(t, now=now) for t in result["items"]]
    return result


@router.post("/customer/trusted-people", response={201: TrustedPersonOut}, summary="Let someone I trust act for me")
def add_trusted_person(request: HttpRequest, payload: TrustedPersonIn) -> tuple[int, dict[str, Any]]:
    customer = acting_customer(request)
    trusted = services.trusted_person_add(
        customer=customer,
        name=payload.name,
        email=payload.email,
        relationship=payload.relationship,
        scopes=payload.scopes,
        ends_at=_aware(payload.ends_at),
    )
    return 201, trusted_out(trusted, now=timezone.now())


@router.patch(
    "/customer/trusted-people/{trusted_id}",
    response=TrustedPersonOut,
    summary="Change what someone I trust may do, or until when",
)
def change_trusted_person(request: HttpRequest, trusted_id: int, payload: TrustedPersonChangeIn) -> dict[str, Any]:
    customer = acting_customer(request)
    found = selectors.trusted_person_of_customer(customer_id=customer.pk, trusted_id=trusted_id)
    trusted = services.trusted_person_change(
        trusted=found, customer=customer, scopes=payload.scopes, ends_at=_aware(payload.ends_at)
    )
    return trusted_out(trusted, now=timezone.now())


@router.post(
    "/customer/trusted-people/{trusted_id}/revoke",
    response=TrustedPersonOut,
    summary="End someone's access to act for me, now",
)
def revoke_trusted_person(request: HttpRequest, trusted_id: int) -> dict[str, Any]:
    customer = acting_customer(request)
    found = selectors.trusted_person_of_customer(customer_id=customer.pk, trusted_id=trusted_id)
    trusted = services.trusted_person_revoke(trusted=found, customer=customer)
    return trusted_out(trusted, now=timezone.now())
