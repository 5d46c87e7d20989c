"""API for staff about the access log: the break-glass report supervisors read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from steward.accounts.auth import acting_staff
from steward.errors import PermissionDenied
from steward.organisations.models import StaffMember
from steward.pagination import Page, PageParams, page_of

from .models import AccessEvent
from .selectors import break_glass_report

router = Router(tags=["access log"])


class BreakGlassOut(Schema):
    id: int
    at: datetime
    customer_id: int
    staff_id: int
    staff_name: str
    purpose: str
    categories: list[str]
    resource: str
    channel: str
    reason: str


def break_glass_out(event: AccessEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "at": event.at,
        "customer_id": event.customer_id,
        "staff_id": event.staff_id,
        "staff_name": event.staff_name,
        "purpose": event.purpose,
        "categories": event.categories,
        "resource": event.resource,
        "channel": event.channel,
        "reason": event.reason,
    }


def may_read_break_glass_report(staff: StaffMember) -> bool:
    """Supervisors (anyone someone answers to) and organisation administrators."""
    return staff.is_org_admin or staff.direct_reports.filter(is_active=True).exists()


@router.get(
    "/access/break-glass",
    response=Page[BreakGlassOut],
    summary="Emergency reads by your organisation's staff, newest first (supervisors and administrators)",
)
def break_glass(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    actor = acting_staff(request)
    if not may_read_break_glass_report(actor):
        raise PermissionDenied(
            "Only supervisors and administrators of your organisation can see its emergency reads.",
            code="not_supervisor",
        )
    result = page_of(break_glass_report(organisation_id=actor.organisation_id), page)
    result["items"] = [break_glass_out(e) for e in result["items"]]
    return result
