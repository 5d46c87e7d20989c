"""Staff console pages for planning visits (issue 6): pick days and plan them, watch the
run, read each draft's report, publish.

Only staff who may plan (``visits.permissions.can_plan``: administrators, the head, team
leads, service coordinators) see these pages; others get a page saying who can. Another
organisation's runs and schedules read as not found. Every change goes through
``visits.services``; its refusals are shown on the page in its words.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from steward.errors import DomainError, NotFound, PermissionDenied
from steward.organisations.models import StaffMember
from steward.timeline.models import TimelineEvent
from steward.visits import selectors, services
from steward.visits.models import Schedule, ScheduleRun
from steward.visits.permissions import can_plan
from steward.visits.reports import schedule_report

from .access import ConsoleRequest, not_found, page, staff_required

PROGRESS_POLL_SECONDS = 2
FINISHED = (ScheduleRun.Status.DONE, ScheduleRun.Status.FAILED)


# A browser's date picker sends and expects ISO dates, whatever the language of the page.
DAY_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(forms.Form):
    first_day = forms.DateField(label="First day", widget=DAY_INPUT)
    last_day = forms.DateField(
        label="Last day",
        help_text="Up to 7 days, the first included.",
        widget=DAY_INPUT,
    )
    reason = forms.CharField(
        label="Why (optional)",
        required=False,
        max_length=300,
        help_text="For example: Mrs Khan's new bedtime, or a carer is off sick.",
    )


def _denied(request: ConsoleRequest, staff: StaffMember) -> HttpResponse:
    return page(request, staff, "console/schedule_denied.html", status=403)


def _tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def _home(
    request: ConsoleRequest, staff: StaffMember, form: PlanForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    try:
        day = date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else _tomorrow()
    except ValueError:
        day = _tomorrow()
    context: dict[str, Any] = {
        "form": form,
        "error": error,
        "day": day,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "day_schedules": selectors.schedules_for_day(actor=staff, day=day),
        "runs": selectors.runs_recent(actor=staff),
    }
    return page(request, staff, "console/schedule.html", context, status=status)


@require_GET
@staff_required
def schedule_home(request: ConsoleRequest, staff: StaffMember) -> HttpResponse:
    if not can_plan(staff, organisation_id=staff.organisation_id):
        return _denied(request, staff)
    form = PlanForm(initial={"first_day": _tomorrow(), "last_day": _tomorrow()})
    return _home(request, staff, form)


@require_POST
@staff_required
def schedule_plan(request: ConsoleRequest, staff: StaffMember) -> HttpResponse:
    if not can_plan(staff, organisation_id=staff.organisation_id):
        return _denied(request, staff)
    form = PlanForm(request.POST)
    if not form.is_valid():
        return _home(request, staff, form, status=400)
    try:
        run = services.schedule_run_request(
            organisation=staff.organisation,
            first_day=form.cleaned_data["first_day"],
            last_day=form.cleaned_data["last_day"],
            reason=form.cleaned_data["reason"],
            actor=staff,
        )
    except DomainError as exc:
        return _home(request, staff, form, error=exc.message, status=exc.status)
    return redirect("console:schedule-run", run_id=run.pk)


@require_GET
@staff_required
def schedule_run(request: ConsoleRequest, staff: StaffMember, run_id: int) -> HttpResponse:
    try:
        run = selectors.run_get(actor=staff, run_id=run_id)
    except NotFound:
        return not_found(request, staff, "There is no such planning run in your organisation.")
    except PermissionDenied:
        return _denied(request, staff)
    finished = run.status in FINISHED
    context = {"run": run, "finished": finished, "poll_seconds": PROGRESS_POLL_SECONDS}
    if request.htmx and request.GET.get("part") == "progress":
        if finished:  # show the drafts: the whole page, not just the box
            return HttpResponseClientRefresh()
        return page(request, staff, "console/schedule_run_progress.html", context)
    context["schedules"] = selectors.run_schedules(run=run) if finished else []
    return page(request, staff, "console/schedule_run.html", context)


def _detail(
    request: ConsoleRequest, staff: StaffMember, schedule: Schedule, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "schedule": schedule,
        "report": schedule_report(schedules=[schedule]),
        "error": error,
        "is_draft": schedule.status == Schedule.Status.DRAFT,
    }
    return page(request, staff, "console/schedule_detail.html", context, status=status)


def _schedule_or_page(request: ConsoleRequest, staff: StaffMember, schedule_id: int) -> Schedule | HttpResponse:
    try:
        return selectors.schedule_get(actor=staff, schedule_id=schedule_id)
    except NotFound:
        return not_found(request, staff, "There is no such plan in your organisation.")
    except PermissionDenied:
        return _denied(request, staff)


@require_GET
@staff_required
def schedule_detail(request: ConsoleRequest, staff: StaffMember, schedule_id: int) -> HttpResponse:
    schedule = _schedule_or_page(request, staff, schedule_id)
    if isinstance(schedule, HttpResponse):
        return schedule
    return _detail(request, staff, schedule)


@require_POST
@staff_required
def schedule_publish(request: ConsoleRequest, staff: StaffMember, schedule_id: int) -> HttpResponse:
    schedule = _schedule_or_page(request, staff, schedule_id)
    if isinstance(schedule, HttpResponse):
        return schedule
    try:
        services.schedule_publish(schedule=schedule, actor=staff)
    except DomainError as exc:
        return _detail(request, staff, schedule, error=exc.message, status=exc.status)
    told = TimelineEvent.objects.filter(kind=TimelineEvent.Kind.VISITS_PLANNED, data__schedule_id=schedule.pk).count()
    messages.success(
        request,
        f"Published: this is now the plan for {schedule.day:%A} {schedule.day.day} {schedule.day:%B}. "
        f"{told} customer{'s' if told != 1 else ''} whose visits changed {'were' if told != 1 else 'was'} "
        "told their times.",
    )
    return redirect("console:schedule-detail", schedule_id=schedule.pk)
