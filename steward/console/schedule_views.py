"""Staff console pages for planning visits (issue 6): pick days and plan them, watch the
run, read each draft's report, publish.

On a draft, each visit (unplaced ones too) has a small *Move* form: other carers and/or
another start, checked against the hard rules by ``visits.adjust.draft_visit_move``.

Only staff who may plan (``visits.permissions.can_plan``: administrators, the head, team
leads, service coordinators) see these pages; others get a page saying who can. Another
organisation's runs and schedules read as not found. Every change goes through
``visits.services``; its refusals are shown on the page in its words.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from steward.care.models import Carer
from steward.errors import DomainError, NotFound, PermissionDenied
from steward.organisations.models import StaffMember
from steward.timeline.models import TimelineEvent
from steward.visits import adjust, selectors, services
from steward.visits.models import Schedule, ScheduleRun, Visit
from steward.visits.permissions import can_plan
from steward.visits.reports import schedule_report

from .access import ConsoleRequest, not_found, page, remember_planner, staff_required
from .forms import PlainSelect

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


TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class MoveForm(forms.Form):
    """Who goes to one visit of a draft, and when: the carers offered are those working that day."""

    carer = forms.TypedChoiceField(label="Carer", coerce=int, widget=PlainSelect)
    second_carer = forms.TypedChoiceField(
        label="Second carer", coerce=int, required=False, empty_value=None, widget=PlainSelect
    )
    start = forms.TimeField(label="Starts at", widget=TIME_INPUT)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], needs_two: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.needs_two = needs_two
        self.fields["carer"].choices = [("", "Choose a carer"), *choices]  # type: ignore[attr-defined]
        if needs_two:
            self.fields["carer"].label = "First carer"
            self.fields["second_carer"].choices = [("", "Choose a second carer"), *choices]  # type: ignore[attr-defined]
            self.fields["second_carer"].required = True
        else:
            del self.fields["second_carer"]

    def carer_ids(self) -> list[int]:
        ids = [self.cleaned_data["carer"]]
        if self.cleaned_data.get("second_carer") is not None:
            ids.append(self.cleaned_data["second_carer"])
        return ids


class SwapForm(forms.Form):
    """The other visit of a draft whose carers this one's trade places with."""

    with_visit = forms.TypedChoiceField(label="Swap carers with", coerce=int, widget=PlainSelect)

    def __init__(self, *args: Any, partners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["with_visit"].choices = [("", "Choose a visit"), *partners]  # type: ignore[attr-defined]


# The visits offered to swap carers with: planned ones needing as many carers, starting
# within SWAP_OFFER_MINUTES of this one, the SWAP_OFFER_MOST nearest in time (a day of
# hundreds of visits would otherwise offer every one in every row).
SWAP_OFFER_MINUTES = 90
SWAP_OFFER_MOST = 25


@dataclass
class MoveRow:
    """One visit of a draft on the page, with its Move form, its Swap form (planned visits
    with someone to swap with) and the refusal, if one of them was just tried."""

    visit: Visit
    carers: list[str]
    form: MoveForm
    error: str = ""
    swap: SwapForm | None = None
    swap_error: str = ""


def _carer_choices(carers: list[Carer]) -> list[tuple[int, str]]:
    """The carers offered in Move forms (worked out once for a page of many forms)."""
    return [(c.pk, c.staff.display_name) for c in carers]


def _move_form(visit: Visit, choices: list[tuple[int, str]], data: Any = None) -> MoveForm:
    parts = list(visit.assignments.all())
    initial: dict[str, Any] = {
        "start": timezone.localtime(visit.planned_start or visit.preferred_start).time(),
        "carer": parts[0].carer_id if parts else None,
        "second_carer": parts[1].carer_id if len(parts) > 1 else None,
    }
    return MoveForm(
        data,
        choices=choices,
        needs_two=visit.pattern.carers_needed == 2,
        initial=initial,
        auto_id=f"move-{visit.pk}-%s",
    )


class SwapOffers:
    """Which visits of a draft each planned visit may swap carers with: planned visits
    needing as many carers, with other carers, near in time. Built once for the page from
    the draft's visits (sorted by start), so each row costs a look-up, not a pass over
    the day."""

    def __init__(self, visits: list[Visit]) -> None:
        planned = [v for v in visits if v.planned_start is not None and v.assignments.all()]
        planned.sort(key=lambda v: (v.planned_start, v.pk))
        self.visits = planned
        self.starts = [v.planned_start.timestamp() for v in planned]  # type: ignore[union-attr]
        self.carers = {v.pk: sorted(a.carer_id for a in v.assignments.all()) for v in planned}
        self.labels: dict[int, str] = {}

    def partners(self, visit: Visit) -> list[tuple[int, str]]:
        """(id, label) of the visits ``visit`` may swap carers with, by time."""
        mine = self.carers.get(visit.pk)
        if not mine or visit.planned_start is None:
            return []
        at, reach = visit.planned_start.timestamp(), SWAP_OFFER_MINUTES * 60
        low, high = bisect.bisect_left(self.starts, at - reach), bisect.bisect_right(self.starts, at + reach)
        near = [
            (abs(self.starts[i] - at), other)
            for i in range(low, high)
            if (other := self.visits[i]).pk != visit.pk
            and len(theirs := self.carers[other.pk]) == len(mine)
            and theirs != mine
        ]
        near.sort(key=lambda pair: (pair[0], pair[1].pk))
        chosen = sorted((other for _, other in near[:SWAP_OFFER_MOST]), key=lambda v: (v.planned_start, v.pk))
        return [(other.pk, self.label(other)) for other in chosen]

    def label(self, visit: Visit) -> str:
        if visit.pk not in self.labels:
            parts = sorted(visit.assignments.all(), key=lambda a: a.position)
            who = " and ".join(a.carer.staff.display_name for a in parts)
            at = timezone.localtime(visit.planned_start).strftime("%H:%M")
            self.labels[visit.pk] = f"{at} {visit.customer.full_name}, {visit.pattern.label.lower()} ({who})"
        return self.labels[visit.pk]

    def form(self, visit: Visit, data: Any = None) -> SwapForm | None:
        partners = self.partners(visit)
        return SwapForm(data, partners=partners, auto_id=f"swap-{visit.pk}-%s") if partners else None


def _move_rows(schedule: Schedule, tried: MoveRow | None) -> list[MoveRow]:
    choices = _carer_choices(selectors.carers_working(organisation_id=schedule.organisation_id, day=schedule.day))
    visits = list(selectors.schedule_visits(schedule=schedule))
    offers = SwapOffers(visits)
    rows = []
    for visit in visits:
        if tried is not None and tried.visit.pk == visit.pk:
            if tried.swap is None:
                tried.swap = offers.form(visit)
            rows.append(tried)
            continue
        names = [a.carer.staff.display_name for a in visit.assignments.all()]
        rows.append(MoveRow(visit=visit, carers=names, form=_move_form(visit, choices), swap=offers.form(visit)))
    return rows


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
    planner = can_plan(staff, organisation_id=staff.organisation_id)
    remember_planner(request, staff, planner=planner)  # the header's link follows what is true now
    if not planner:
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
    request: ConsoleRequest,
    staff: StaffMember,
    schedule: Schedule,
    *,
    error: str = "",
    status: int = 200,
    tried: MoveRow | None = None,
) -> HttpResponse:
    is_draft = schedule.status == Schedule.Status.DRAFT
    context = {
        "schedule": schedule,
        "report": schedule_report(schedules=[schedule]),
        "error": error,
        "is_draft": is_draft,
        "move_rows": _move_rows(schedule, tried) if is_draft else [],
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


def _visit_or_page(
    request: ConsoleRequest, staff: StaffMember, schedule_id: int, visit_id: int
) -> tuple[Schedule, Visit] | HttpResponse:
    """The plan (if ``staff`` may see it) and one of its visits, or the page saying why not."""
    schedule = _schedule_or_page(request, staff, schedule_id)
    if isinstance(schedule, HttpResponse):
        return schedule
    try:
        return schedule, selectors.schedule_visit_get(schedule=schedule, visit_id=visit_id)
    except NotFound:
        return not_found(request, staff, "There is no such visit in this plan.")


@require_POST
@staff_required
def schedule_visit_move(request: ConsoleRequest, staff: StaffMember, schedule_id: int, visit_id: int) -> HttpResponse:
    found = _visit_or_page(request, staff, schedule_id, visit_id)
    if isinstance(found, HttpResponse):
        return found
    schedule, visit = found
    carers = selectors.carers_working(organisation_id=schedule.organisation_id, day=schedule.day)
    form = _move_form(visit, _carer_choices(carers), request.POST)
    tried = MoveRow(visit=visit, carers=[a.carer.staff.display_name for a in visit.assignments.all()], form=form)
    if not form.is_valid():
        tried.error = "Choose the carer and the start time."
        return _detail(request, staff, schedule, tried=tried, status=400)
    try:
        moved = adjust.draft_visit_move(
            visit=visit,
            carers=selectors.carers_get(actor=staff, carer_ids=form.carer_ids()),
            start=adjust.move_start(day=schedule.day, text=f"{form.cleaned_data['start']:%H:%M}"),
            actor=staff,
        )
    except DomainError as exc:
        tried.error = exc.message
        return _detail(request, staff, schedule, tried=tried, status=exc.status)
    who = " and ".join(a.carer.staff.display_name for a in moved.assignments.select_related("carer__staff"))
    messages.success(
        request,
        f"Moved: {visit.customer.full_name}'s {visit.pattern.label.lower()} is now at "
        f"{timezone.localtime(moved.planned_start or visit.preferred_start):%H:%M} with {who}. "
        "The figures above are worked out again.",
    )
    return redirect(reverse("console:schedule-detail", args=[schedule.pk]) + f"#visit-{visit.pk}")


@require_POST
@staff_required
def schedule_visit_swap(request: ConsoleRequest, staff: StaffMember, schedule_id: int, visit_id: int) -> HttpResponse:
    found = _visit_or_page(request, staff, schedule_id, visit_id)
    if isinstance(found, HttpResponse):
        return found
    schedule, visit = found
    visits = list(selectors.schedule_visits(schedule=schedule))
    form = SwapForm(request.POST, partners=SwapOffers(visits).partners(visit), auto_id=f"swap-{visit.pk}-%s")
    names = [a.carer.staff.display_name for a in visit.assignments.all()]
    carers = selectors.carers_working(organisation_id=schedule.organisation_id, day=schedule.day)
    tried = MoveRow(visit=visit, carers=names, form=_move_form(visit, _carer_choices(carers)), swap=form)
    if not form.is_valid():
        tried.swap_error = "Choose the visit to swap carers with."
        return _detail(request, staff, schedule, tried=tried, status=400)
    try:
        other = selectors.schedule_visit_get(schedule=schedule, visit_id=form.cleaned_data["with_visit"])
        pair = adjust.draft_visits_swap(visit=visit, other=other, actor=staff)
    except DomainError as exc:
        tried.swap_error = exc.message
        return _detail(request, staff, schedule, tried=tried, status=exc.status)
    mine, theirs = (
        " and ".join(a.carer.staff.display_name for a in v.assignments.select_related("carer__staff")) for v in pair
    )
    messages.success(
        request,
        f"Swapped: {visit.customer.full_name}'s {visit.pattern.label.lower()} is now with {mine}, and "
        f"{other.customer.full_name}'s {other.pattern.label.lower()} with {theirs}, each at the same time. "
        "The figures above are worked out again.",
    )
    return redirect(reverse("console:schedule-detail", args=[schedule.pk]) + f"#visit-{visit.pk}")
