"""'Your visits' (`/me/visits/`): this week's visits from the published plan (when, who,
and, for a visit we could not plan, why and whom to call), and each regular visit with
the time the customer wants it, which they can change (`/me/visits/<id>/time/`: a form,
then a confirmation in plain words, then the change, which redoes the plan).

Someone acting for the customer sees these pages with "see requests" and changes a time
with "ask for help" (`access.PAGE_SCOPES`): changing a visit is asking for something on
the customer's behalf. Works without JavaScript.

Times are shown and typed in the customer's time zone; visit patterns keep wall-clock
times in the organisation's zone (settings.TIME_ZONE), so they are converted each way
(on today's date: a time zone change in between can move them by an hour that day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from steward.care import selectors as care_selectors
from steward.care.models import VisitPattern
from steward.care.services import days_words, moved_windows, visit_time_change, window_words
from steward.customers.models import Customer
from steward.errors import DomainError, NotFound
from steward.visits.models import Visit

from .access import customer_required, not_found, page, portal_user


def _org_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def to_customer_time(value: time, *, on: date) -> time:
    """A wall-clock time of the organisation as the customer's clock shows it."""
    return datetime.combine(on, value, tzinfo=_org_zone()).astimezone(timezone.get_current_timezone()).time()


def to_organisation_time(value: time, *, on: date) -> time:
    return (
        datetime.combine(on, value, tzinfo=timezone.get_current_timezone())
        .astimezone(_org_zone())
        .time()
        .replace(second=0, microsecond=0)
    )


def _window(start: time, end: time, *, on: date) -> str:
    return window_words(to_customer_time(start, on=on), to_customer_time(end, on=on))


def _first_name(display_name: str) -> str:
    return display_name.split()[0] if display_name.strip() else display_name


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


STATUS_WORDS = {
    Visit.Status.PLANNED: "Planned",
    Visit.Status.IN_PROGRESS: "Your carer is there now",
    Visit.Status.DONE: "Done",
    Visit.Status.MISSED: "Missed: nobody came",
    Visit.Status.UNPLACED: "Could not be planned",
}


@dataclass(frozen=True)
class VisitLine:
    """One visit as the customer reads it."""

    label: str
    at: str  # "21:05", empty when unplaced
    carers: str  # "Alice", "Alice and Ben"
    status: str
    status_code: str
    asked_for: str  # the preferred window, in words
    outside_preferred: bool
    reason: str  # why it could not be planned
    coordinator: str


@dataclass(frozen=True)
class Day:
    day: date
    visits: list[VisitLine]


@dataclass(frozen=True)
class RegularVisit:
    pattern: VisitPattern
    days: str
    preferred: str
    two_carers: bool


def _visit_line(visit: Visit) -> VisitLine:
    carers = [_first_name(a.carer.staff.display_name) for a in visit.assignments.all()]
    unplaced = visit.status == Visit.Status.UNPLACED
    preferred = window_words(
        timezone.localtime(visit.preferred_start).time(), timezone.localtime(visit.preferred_end).time()
    )
    return VisitLine(
        label=visit.pattern.label,
        at="" if visit.planned_start is None else f"{timezone.localtime(visit.planned_start):%H:%M}",
        carers=_listed(carers),
        status=STATUS_WORDS.get(Visit.Status(visit.status), visit.get_status_display()),
        status_code=visit.status,
        asked_for=preferred,
        outside_preferred=not unplaced and visit.minutes_outside_preferred > 0,
        reason=visit.get_unplaced_reason_display() if unplaced else "",
        coordinator=visit.care_agreement.service_agreement.coordinator.display_name,
    )


def _days(visits: list[Visit]) -> list[Day]:
    days: dict[date, list[VisitLine]] = {}
    for visit in visits:
        days.setdefault(visit.day, []).append(_visit_line(visit))
    return [Day(day=d, visits=lines) for d, lines in sorted(days.items())]


@require_http_methods(["GET"])
@customer_required
def visits(request: HttpRequest, customer: Customer) -> HttpResponse:
    # Visits belong to the organisation's days (a customer abroad after midnight there
    # still sees today's visits).
    today = timezone.localdate(timezone=_org_zone())
    week = care_selectors.week_from(today)
    patterns = care_selectors.customer_patterns(customer=customer, today=today)
    has_care = bool(patterns) or care_selectors.customer_has_care(customer=customer)
    user = portal_user(request)
    context: dict[str, Any] = {
        "has_care": has_care,
        "week": week,
        "days": [],
        "regular": [
            RegularVisit(
                pattern=p,
                days=days_words(p.weekdays),
                preferred=_window(p.preferred_from, p.preferred_to, on=today),
                two_carers=p.carers_needed == 2,
            )
            for p in patterns
        ],
        "coordinators": sorted({p.care_agreement.service_agreement.coordinator.display_name for p in patterns}),
        "may_change": user is None or user.may("ask"),
    }
    if has_care:
        context["days"] = _days(
            care_selectors.customer_visits(customer=customer, first_day=week.first_day, last_day=week.last_day)
        )
    return page(request, customer, "portal/visits.html", context)


class PreferredTimeForm(forms.Form):
    """When the carer should arrive: the earliest and the latest start, in the customer's time."""

    earliest = forms.TimeField(
        label="Not before",
        help_text="The earliest time the carer should arrive, for example 21:00.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": "Enter the earliest time, like 21:00.", "invalid": "Enter a time like 21:00."},
    )
    latest = forms.TimeField(
        label="Not after",
        help_text="The latest time the carer should arrive, for example 21:30.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": "Enter the latest time, like 21:30.", "invalid": "Enter a time like 21:30."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        earliest, latest = data.get("earliest"), data.get("latest")
        if earliest is not None and latest is not None and latest < earliest:
            self.add_error("latest", "This must be the same as or later than the earliest time.")
        return data


def _time_page(
    request: HttpRequest,
    customer: Customer,
    pattern: VisitPattern,
    form: PreferredTimeForm,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    context = {
        "pattern": pattern,
        "form": form,
        "error": error,
        "now_words": _window(pattern.preferred_from, pattern.preferred_to, on=today),
        "days": days_words(pattern.weekdays),
    }
    return page(request, customer, "portal/visits_time.html", context, status=status)


@require_http_methods(["GET", "POST"])
@customer_required
def visit_time(request: HttpRequest, customer: Customer, pattern_id: int) -> HttpResponse:
    """Change when a regular visit should start: the form (GET), a confirmation saying
    what will happen (POST), then the change (POST with ``confirm``)."""
    try:
        pattern = care_selectors.customer_pattern(customer=customer, pattern_id=pattern_id)
    except NotFound:
        return not_found(request, customer, "We cannot find that visit among your regular visits.")
    today = timezone.localdate()
    if request.method == "GET":
        initial = {
            "earliest": to_customer_time(pattern.preferred_from, on=today),
            "latest": to_customer_time(pattern.preferred_to, on=today),
        }
        return _time_page(request, customer, pattern, PreferredTimeForm(initial=initial))
    form = PreferredTimeForm(request.POST)
    if not form.is_valid():
        return _time_page(request, customer, pattern, form, status=400)
    earliest = to_organisation_time(form.cleaned_data["earliest"], on=today)
    latest = to_organisation_time(form.cleaned_data["latest"], on=today)
    try:
        if request.POST.get("confirm") != "yes":
            if (earliest, latest) == (pattern.preferred_from, pattern.preferred_to):
                raise DomainError(f"{pattern.label} is already {window_words(earliest, latest)}.", code="same_time")
            moved = moved_windows(pattern, preferred_from=earliest, preferred_to=latest)
            context = {
                "pattern": pattern,
                "form": form,
                "now_words": _window(pattern.preferred_from, pattern.preferred_to, on=today),
                "new_words": _window(moved.preferred_from, moved.preferred_to, on=today),
                "acceptable_words": _window(moved.acceptable_from, moved.acceptable_to, on=today),
                "days": days_words(pattern.weekdays),
                "coordinator": pattern.care_agreement.service_agreement.coordinator.display_name,
            }
            return page(request, customer, "portal/visits_time_confirm.html", context)
        user = portal_user(request)
        visit_time_change(
            pattern=pattern,
            customer=customer,
            preferred_from=earliest,
            preferred_to=latest,
            trusted=user.trusted if user is not None else None,
        )
    except DomainError as exc:
        return _time_page(request, customer, pattern, form, error=exc.message, status=exc.status)
    messages.success(
        request,
        f"Done: {pattern.label} should now start {_window(earliest, latest, on=today)}. "
        "We are redoing the plan for the coming days; the visits below change once it is ready.",
    )
    return redirect("portal:visits")
