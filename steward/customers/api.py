"""API: registering and finding customers, and reading their timeline."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_staff
from steward.consent.reads import ReadPurpose, read_for
from steward.consent.vocabulary import DataCategory
from steward.pagination import Page, PageParams, page_of
from steward.timeline.api import TimelineEventOut, event_out
from steward.timeline.selectors import timeline_for_customer

from . import selectors, services
from .models import Customer

router = Router(tags=["customers"])


class ContactPointIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="email, phone or address")
    value: str = Field(min_length=1, max_length=500)
    postcode: str = Field(default="", max_length=12)
    is_preferred: bool = False


class ContactPointOut(Schema):
    kind: str
    value: str
    postcode: str
    is_preferred: bool


class CustomerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(min_length=1, max_length=150)
    family_name: str = Field(default="", max_length=150)
    preferred_name: str = Field(default="", max_length=150)
    date_of_birth: date | None = None
    language: str = Field(default="en", max_length=35)
    accessibility_needs: str = Field(default="", max_length=2000)
    what_matters_to_me: str = Field(default="", max_length=4000)
    is_vulnerable: bool = False
    contact_points: list[ContactPointIn] = Field(default_factory=list, max_length=20)


class CustomerOut(Schema):
    id: int
    given_name: str
    family_name: str
    preferred_name: str
    full_name: str
    date_of_birth: date | None
    language: str
    accessibility_needs: str
    what_matters_to_me: str
    is_vulnerable: bool
    contact_points: list[ContactPointOut]


def customer_out(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "given_name": customer.given_name,
        "family_name": customer.family_name,
        "preferred_name": customer.preferred_name,
        "full_name": customer.full_name,
        "date_of_birth": customer.date_of_birth,
        "language": customer.language,
        "accessibility_needs": customer.accessibility_needs,
        "what_matters_to_me": customer.what_matters_to_me,
        "is_vulnerable": customer.is_vulnerable,
        "contact_points": [
            {"kind": c.kind, "value": c.value, "postcode": c.postcode, "is_preferred": c.is_preferred}
            for c in customer.contact_points.all()
        ],
    }


@router.post("/customers", response={201: CustomerOut})
def create_customer(request: HttpRequest, payload: CustomerIn) -> tuple[int, dict[str, Any]]:
    data = payload.dict()
    points = [services.ContactPointData(**cp) for cp in data.pop("contact_points")]
    customer = services.customer_create(**data, contact_points=points, actor=acting_staff(request))
    return 201, customer_out(selectors.customer_get(customer_id=customer.pk))


class CustomerMatchOut(Schema):
    """Just enough to tell which person this is (search is how any door takes a
    request, before anyone has a reason to read the record itself)."""

    id: int
    full_name: str
    preferred_name: str
    date_of_birth: date | None
    postcodes: list[str] = Field(description="Postcodes of their addresses, without the street.")


def customer_match_out(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "full_name": customer.full_name,
        "preferred_name": customer.preferred_name,
        "date_of_birth": customer.date_of_birth,
        "postcodes": [c.postcode for c in customer.contact_points.all() if c.postcode],
    }


@router.get(
    "/customers",
    response=Page[CustomerMatchOut],
    summary="Find customers by name, email, phone or postcode (answers only who they are, not their record)",
)
def search_customers(request: HttpRequest, q: str, page: Query[PageParams]) -> dict[str, Any]:
    result = page_of(selectors.customer_search(query=q), page)
    result["items"] = [customer_match_out(c) for c in result["items"]]
    return result


@router.get("/customers/{customer_id}", response=CustomerOut, summary="A customer's details (needs a purpose)")
def get_customer(request: HttpRequest, customer_id: int, why: Query[ReadPurpose]) -> dict[str, Any]:
    customer = selectors.customer_get(customer_id=customer_id)
    read_for(
        actor=acting_staff(request),
        customer_id=customer.pk,
        why=why,
        categories=[DataCategory.CONTACT_DETAILS],
        resource="customer",
    )
    return customer_out(customer)


@router.get(
    "/customers/{customer_id}/timeline",
    response=Page[TimelineEventOut],
    summary="The customer's whole story that you may see, newest first (needs a purpose)",
)
def customer_timeline(
    request: HttpRequest, customer_id: int, page: Query[PageParams], why: Query[ReadPurpose]
) -> dict[str, Any]:
    selectors.customer_ensure_exists(customer_id=customer_id)  # 404 for an unknown customer, not an empty page
    actor = acting_staff(request)
    read_for(actor=actor, customer_id=customer_id, why=why, categories=[DataCategory.MESSAGES], resource="timeline")
    result = page_of(timeline_for_customer(customer_id=customer_id, staff=actor), page)
    result["items"] = [event_out(e) for e in result["items"]]
    return result
