"""API: a carer's day and checking in and out of visits (``/api/v1/visits/…``).

``GET /visits/my-day?date=`` is the signed-in carer's own published day;
``GET /visits/carers/{id}/day?date=`` the same for a carer someone supervises or plans
for. ``POST /visits/assignments/{id}/check-in`` and ``…/check-out`` record arrival and
departure (the carer, or a planner or manager on their behalf, see
``visits.attendance``). Customers' names and addresses on a day come through the read
door for delivering care, one access-log entry per customer (see ``visits.carer_day``).
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_staff
from steward.consent.models import AccessEvent
from steward.errors import NotFound

from . import attendance
from .carer_day import CarerDay, DayVisit, carer_day, carer_get_for, carer_of
from .models import VisitAssignment

router = Router(tags=["visits"])


class DayQuery(Schema):
    date: dt.date | None = Field(default=None, description="The day, YYYY-MM-DD; default today (local time).")


class AttendanceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = Field(
        default=None, description="When it happened; default now. Cannot be in the future (for late recording)."
    )


class StopOut(Schema):
    assignment_id: int
    visit_id: int
    route_order: int
    planned_start: datetime
    planned_end: datetime
    travel_minutes: int = Field(description="Travel from the previous place.")
    label: str = Field(description="What the visit is, in the customer's words.")
    visit_status: str
    customer_id: int
    customer_name: str | None
    address: str | None
    access_notes: str | None
    details_withheld: bool = Field(description="True when the customer's permission does not cover reading them.")
    other_carers: list[str]
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    check_in_opens_at: datetime
    can_check_in: bool
    can_check_out: bool


class DayOut(Schema):
    carer_id: int
    carer_name: str
    date: dt.date
    published: bool = Field(description="False when no plan has been published for the day yet.")
    stops: list[StopOut]


class AssignmentOut(Schema):
    assignment_id: int
    visit_id: int
    visit_status: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None


def stop_out(stop: DayVisit) -> dict[str, Any]:
    part, visit = stop.part, stop.visit
    return {
        "assignment_id": part.pk,
        "visit_id": visit.pk,
        "route_order": part.route_order,
        "planned_start": part.planned_start,
        "planned_end": part.planned_end,
        "travel_minutes": part.travel_minutes,
        "label": visit.pattern.label,
        "visit_status": visit.status,
        "customer_id": stop.customer_id,
        "customer_name": None if stop.withheld else stop.customer_name,
        "address": None if stop.withheld else stop.address,
        "access_notes": None if stop.withheld else stop.access_notes,
        "details_withheld": stop.withheld,
        "other_carers": stop.other_carers,
        "checked_in_at": part.checked_in_at,
        "checked_out_at": part.checked_out_at,
        "check_in_opens_at": stop.check_in_opens,
        "can_check_in": stop.can_check_in,
        "can_check_out": stop.can_check_out,
    }


def day_out(day: CarerDay) -> dict[str, Any]:
    return {
        "carer_id": day.carer.pk,
        "carer_name": day.carer.staff.display_name,
        "date": day.day,
        "published": day.schedule is not None,
        "stops": [stop_out(s) for s in day.stops],
    }


def assignment_out(part: VisitAssignment) -> dict[str, Any]:
    return {
        "assignment_id": part.pk,
        "visit_id": part.visit_id,
        "visit_status": part.visit.status,
        "checked_in_at": part.checked_in_at,
        "checked_out_at": part.checked_out_at,
    }


@router.get("/visits/my-day", response=DayOut, summary="My visits for a day")
def my_day(request: HttpRequest, query: Query[DayQuery]) -> dict[str, Any]:
    staff = acting_staff(request)
    carer = carer_of(staff)
    if carer is None:
        raise NotFound("You are not set up as a carer, so you have no visits.", code="not_a_carer")
    day = query.date or timezone.localdate()
    return day_out(carer_day(viewer=staff, carer=carer, day=day, channel=AccessEvent.Channel.API))


@router.get("/visits/carers/{carer_id}/day", response=DayOut, summary="A carer's visits for a day")
def a_carers_day(request: HttpRequest, carer_id: int, query: Query[DayQuery]) -> dict[str, Any]:
    staff = acting_staff(request)
    carer = carer_get_for(viewer=staff, carer_id=carer_id)
    day = query.date or timezone.localdate()
    return day_out(carer_day(viewer=staff, carer=carer, day=day, channel=AccessEvent.Channel.API))


def _part(assignment_id: int) -> VisitAssignment:
    part = VisitAssignment.objects.filter(pk=assignment_id).first()
    if part is None:
        raise NotFound("There is no such visit on your schedule.", code="assignment_not_found")
    return part


@router.post(
    "/visits/assignments/{assignment_id}/check-in", response=AssignmentOut, summary="Check in: the carer arrived"
)
def check_in(request: HttpRequest, assignment_id: int, payload: AttendanceIn) -> dict[str, Any]:
    part = attendance.visit_check_in(assignment=_part(assignment_id), actor=acting_staff(request), at=payload.at)
    return assignment_out(part)


@router.post(
    "/visits/assignments/{assignment_id}/check-out", response=AssignmentOut, summary="Check out: the carer left"
)
def check_out(request: HttpRequest, assignment_id: int, payload: AttendanceIn) -> dict[str, Any]:
    part = attendance.visit_check_out(assignment=_part(assignment_id), actor=acting_staff(request), at=payload.at)
    return assignment_out(part)
