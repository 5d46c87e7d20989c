"""API: privacy requests (export and erasure) with their one-month clock.

Staff take a request down for a customer (or the customer asks through their own token),
it lands in the organisation's data-protection lead's queue by name, and they answer it:
download the export and mark it given, erase, or refuse with a reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Body, Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_customer, acting_staff, customer_auth
from steward.customers.selectors import customer_get
from steward.errors import NotFound
from steward.organisations.api import PersonRef, person
from steward.organisations.models import StaffMember
from steward.organisations.selectors import organisation_get
from steward.pagination import Page, PageParams, page_of

from .erasure import customer_erase
from .export import customer_export, customer_export_html, export_json
from .models import PrivacyRequest, RetainedItem
from .portability import customer_import
from .privacy import (
    may_act_on,
    privacy_request_complete_export,
    privacy_request_open,
    privacy_request_refuse,
    privacy_requests_for,
)

router = Router(tags=["privacy requests"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class OpenIn(Strict):
    kind: str = Field(description="export or erasure")


class CustomerOpenIn(OpenIn):
    organisation_id: int = Field(description="The organisation you are asking.")


class OutcomeIn(Strict):
    outcome: str = Field(default="", max_length=2000)


class RefuseIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class ImportOut(Schema):
    customer_id: int
    events: int
    open_requests_at_source: list[dict[str, Any]]


class RetainedOut(Schema):
    category: str
    description: str
    count: int
    legal_reason: str
    retain_until: date


class PrivacyRequestOut(Schema):
    id: int
    customer_id: int
    organisation: str
    kind: str
    status: str
    received_at: datetime
    due_at: datetime
    assigned_to: PersonRef
    completed_at: datetime | None
    outcome: str
    retained: list[RetainedOut]


def _out(request: PrivacyRequest) -> dict[str, Any]:
    retained = RetainedItem.objects.filter(privacy_request=request).order_by("id")
    return {
        "id": request.pk,
        "customer_id": request.customer_id,
        "organisation": request.organisation.name,
        "kind": request.kind,
        "status": request.status,
        "received_at": request.received_at,
        "due_at": request.due_at,
        "assigned_to": person(request.assigned_to),
        "completed_at": request.completed_at,
        "outcome": request.outcome,
        "retained": [
            {
                "category": item.category,
                "description": item.description,
                "count": item.count,
                "legal_reason": item.legal_reason,
                "retain_until": item.retain_until,
            }
            for item in retained
        ],
    }


def _mine(actor: StaffMember, request_id: int) -> PrivacyRequest:
    found = (
        PrivacyRequest.objects.select_related("organisation", "assigned_to", "customer").filter(pk=request_id).first()
    )
    if found is None or not may_act_on(found, actor):
        raise NotFound(f"There is no privacy request {request_id} for you.", code="privacy_request_not_found")
    return found


@router.post(
    "/customers/{customer_id}/privacy-requests",
    response={201: PrivacyRequestOut},
    summary="Take down a customer's request for a copy of their data or its erasure",
)
def open_for_customer(request: HttpRequest, customer_id: int, payload: OpenIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    opened = privacy_request_open(customer=customer_get(customer_id=customer_id), kind=payload.kind, actor=actor)
    return 201, _out(opened)


@router.get("/privacy-requests", response=Page[PrivacyRequestOut], summary="Privacy requests in my queue")
def queue(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    result = page_of(privacy_requests_for(staff=acting_staff(request)), page)
    result["items"] = [_out(r) for r in result["items"]]
    return result


@router.get("/privacy-requests/{request_id}", response=PrivacyRequestOut)
def get_one(request: HttpRequest, request_id: int) -> dict[str, Any]:
    return _out(_mine(acting_staff(request), request_id))


@router.get(
    "/privacy-requests/{request_id}/export",
    summary="The customer's export: JSON (default) or ?format=html",
    response={200: None},
    openapi_extra={"responses": {200: {"content": {"application/json": {}, "text/html": {}}}}},
)
def download_export(request: HttpRequest, request_id: int, format: str = "json") -> HttpResponse:
    actor = acting_staff(request)
    found = _mine(actor, request_id)
    document = customer_export(found.customer, exported_by=f"{actor.display_name}, {actor.organisation.name}")
    if format == "html":
        return HttpResponse(customer_export_html(document), content_type="text/html; charset=utf-8")
    response = HttpResponse(export_json(document), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="customer-{found.customer_id}-export.json"'
    return response


@router.post("/privacy-requests/{request_id}/complete", response=PrivacyRequestOut, summary="The export was given")
def complete(request: HttpRequest, request_id: int, payload: OutcomeIn) -> dict[str, Any]:
    actor = acting_staff(request)
    done = privacy_request_complete_export(request=_mine(actor, request_id), actor=actor, outcome=payload.outcome)
    return _out(done)


@router.post(
    "/privacy-requests/{request_id}/erase",
    response=PrivacyRequestOut,
    summary="Erase the customer's data (what must be kept is listed with its legal reason)",
)
def erase(request: HttpRequest, request_id: int) -> dict[str, Any]:
    actor = acting_staff(request)
    result = customer_erase(privacy_request=_mine(actor, request_id), actor=actor)
    return _out(result.request)


@router.post("/privacy-requests/{request_id}/refuse", response=PrivacyRequestOut, summary="Refuse, with the reason")
def refuse(request: HttpRequest, request_id: int, payload: RefuseIn) -> dict[str, Any]:
    actor = acting_staff(request)
    return _out(privacy_request_refuse(request=_mine(actor, request_id), actor=actor, reason=payload.reason))


@router.post(
    "/customer/privacy-requests",
    response={201: PrivacyRequestOut},
    auth=customer_auth,
    summary="Ask an organisation for a copy of your data or for its erasure",
)
def customer_asks(request: HttpRequest, payload: CustomerOpenIn) -> tuple[int, dict[str, Any]]:
    customer = acting_customer(request)
    opened = privacy_request_open(
        customer=customer,
        kind=payload.kind,
        actor=None,
        organisation=organisation_get(organisation_id=payload.organisation_id),
    )
    return 201, _out(opened)


@router.get(
    "/customer/export",
    auth=customer_auth,
    summary="Download everything held about me: JSON (default) or ?format=html",
    response={200: None},
    openapi_extra={"responses": {200: {"content": {"application/json": {}, "text/html": {}}}}},
)
def customer_downloads(request: HttpRequest, format: str = "json") -> HttpResponse:
    customer = acting_customer(request)
    document = customer_export(customer, exported_by=f"{customer.full_name} (themselves)")
    if format == "html":
        return HttpResponse(customer_export_html(document), content_type="text/html; charset=utf-8")
    response = HttpResponse(export_json(document), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="my-steward-record.json"'
    return response


@router.post(
    "/customer-imports",
    response={201: ImportOut},
    summary="Bring in a customer's record exported from another Steward (portability)",
)
def import_record(request: HttpRequest, document: Body[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    result = customer_import(document=document, organisation=actor.organisation, actor=actor)
    return 201, {
        "customer_id": result.customer.pk,
        "events": result.events,
        "open_requests_at_source": result.open_requests_at_source,
    }
