"""The carer's day in the console: the visits of the published plan a carer goes to, in
order, with what they need at each door, and buttons to check in and out.

``/console/my-day/`` takes a carer to today's page; ``/console/carers/<id>/day/<date>/``
is a carer's day, seen by the carer, the people they answer to and the organisation's
planners (``visits.attendance.may_act_for_carer``). Customers' names, addresses and
access notes come through the read door for delivering care, one access-log entry per
customer per viewing (see ``visits.carer_day``). The check-in and check-out buttons are
plain forms that post and come back to the day (no JavaScript needed).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from steward.consent.models import AccessEvent
from steward.errors import DomainError, NotFound, PermissionDenied
from steward.organisations.models import StaffMember
from steward.visits import attendance
from steward.visits.carer_day import carer_day, carer_get_for, carer_of
from steward.visits.models import VisitAssignment

from .access import ConsoleRequest, not_found, page, remember_carer, staff_required


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@require_GET
@staff_required
def my_day(request: ConsoleRequest, staff: StaffMember) -> HttpResponse:
    """Today's visits of the signed-in carer."""
    carer = carer_of(staff)
    remember_carer(request, staff, carer=carer)  # the header's link follows what is true now
    if carer is None:
        return not_found(request, staff, "You are not set up as a carer, so you have no visits.")
    return redirect("console:carer-day", carer_id=carer.pk, day=timezone.localdate().isoformat())


@require_GET
@staff_required
def carer_day_page(request: ConsoleRequest, staff: StaffMember, carer_id: int, day: str) -> HttpResponse:
    when = _day(day)
    if when is None:
        return not_found(request, staff, f"“{day}” is not a date (use YYYY-MM-DD).")
    try:
        carer = carer_get_for(viewer=staff, carer_id=carer_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    except PermissionDenied as exc:
        return page(request, staff, "console/carer_day_denied.html", {"message": exc.message}, status=403)
    plan = carer_day(viewer=staff, carer=carer, day=when, channel=AccessEvent.Channel.PAGE)
    is_self = carer.staff_id == staff.pk
    if is_self:
        remember_carer(request, staff, carer=carer)
    today = timezone.localdate()
    return page(
        request,
        staff,
        "console/carer_day.html",
        {
            "plan": plan,
            "carer": carer,
            "is_self": is_self,
            "whose": "My" if is_self else f"{carer.staff.display_name}’s",
            "day": when,
            "is_today": when == today,
            "previous_day": (when - timedelta(days=1)).isoformat(),
            "next_day": (when + timedelta(days=1)).isoformat(),
            "today": today.isoformat(),
        },
    )


def _record(
    request: ConsoleRequest, staff: StaffMember, carer_id: int, day: str, assignment_id: int, *, out: bool
) -> HttpResponse:
    part = VisitAssignment.objects.filter(pk=assignment_id, carer_id=carer_id).first()
    if part is None or _day(day) is None:
        return not_found(request, staff, "There is no such visit on this carer's day.")
    try:
        if out:
            part = attendance.visit_check_out(assignment=part, actor=staff)
        else:
            part = attendance.visit_check_in(assignment=part, actor=staff)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        moment = timezone.localtime(part.checked_out_at if out else part.checked_in_at)
        what = "Checked out" if out else "Checked in"
        messages.success(
            request, f"{what} at {moment:%H:%M}: the {timezone.localtime(part.planned_start):%H:%M} visit."
        )
    return redirect("console:carer-day", carer_id=carer_id, day=day)


@require_POST
@staff_required
def carer_day_check_in(
    request: ConsoleRequest, staff: StaffMember, carer_id: int, day: str, assignment_id: int
) -> HttpResponse:
    return _record(request, staff, carer_id, day, assignment_id, out=False)


@require_POST
@staff_required
def carer_day_check_out(
    request: ConsoleRequest, staff: StaffMember, carer_id: int, day: str, assignment_id: int
) -> HttpResponse:
    return _record(request, staff, carer_id, day, assignment_id, out=True)
