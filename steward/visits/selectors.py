"""Reading runs and schedules, already restricted to what the acting staff member may plan.

Another organisation's runs and schedules are *not found* (their existence is not
revealed); a member of the same organisation who may not plan is told so.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from steward.care.models import Absence, Carer, Shift
from steward.errors import InvalidInput, NotFound, PermissionDenied
from steward.organisations.models import StaffMember

from .models import Schedule, ScheduleRun, Visit, VisitAssignment
from .permissions import can_plan
from .reports import ScheduleReport, schedule_report
from .services import MAX_RUN_DAYS

RECENT_RUNS = 10


def planner_check(actor: StaffMember) -> None:
    if not can_plan(actor, organisation_id=actor.organisation_id):
        raise PermissionDenied(
            "Only an administrator, a team lead or a service coordinator can see the planner.", code="not_a_planner"
        )


def run_get(*, actor: StaffMember, run_id: int) -> ScheduleRun:
    run = ScheduleRun.objects.select_related("requested_by").filter(pk=run_id).first()
    if run is None or run.organisation_id != actor.organisation_id:
        raise NotFound("There is no such schedule run.", code="run_not_found")
    planner_check(actor)
    return run


def runs_recent(*, actor: StaffMember, limit: int = RECENT_RUNS) -> list[ScheduleRun]:
    """The organisation's latest runs, newest first."""
    planner_check(actor)
    return list(
        ScheduleRun.objects.filter(organisation_id=actor.organisation_id)
        .select_related("requested_by")
        .order_by("-created_at", "-id")[:limit]
    )


def _schedules(actor: StaffMember) -> QuerySet[Schedule]:
    return Schedule.objects.filter(organisation_id=actor.organisation_id).select_related("published_by", "run")


def schedule_get(*, actor: StaffMember, schedule_id: int) -> Schedule:
    schedule = _schedules(actor).filter(pk=schedule_id).first()
    if schedule is None:
        raise NotFound("There is no such schedule.", code="schedule_not_found")
    planner_check(actor)
    return schedule


def schedules_for_day(*, actor: StaffMember, day: date) -> list[Schedule]:
    """Every plan made for the day: the published one first, then drafts and replaced ones, newest first."""
    planner_check(actor)
    order = {Schedule.Status.PUBLISHED: 0, Schedule.Status.DRAFT: 1, Schedule.Status.SUPERSEDED: 2}
    schedules = list(_schedules(actor).filter(day=day).order_by("-id"))
    return sorted(schedules, key=lambda s: order.get(Schedule.Status(s.status), 3))


def run_schedules(*, run: ScheduleRun) -> list[Schedule]:
    """The drafts a run made (some may have been published since), by day."""
    return list(Schedule.objects.filter(run=run).select_related("published_by").order_by("day", "id"))


def published_report(*, actor: StaffMember, first_day: date, last_day: date) -> ScheduleReport:
    """The report over the published plans of ``first_day``–``last_day`` (at most a week)."""
    planner_check(actor)
    if last_day < first_day:
        raise InvalidInput("The last day must not be before the first day.", code="days_not_ordered")
    if (last_day - first_day).days + 1 > MAX_RUN_DAYS:
        raise InvalidInput(f"Report on at most {MAX_RUN_DAYS} days at a time.", code="too_many_days")
    schedules = list(_schedules(actor).filter(day__gte=first_day, day__lte=last_day, status=Schedule.Status.PUBLISHED))
    return schedule_report(schedules=schedules)


def schedule_visit_get(*, schedule: Schedule, visit_id: int) -> Visit:
    """A visit of ``schedule`` (read through ``schedule_get`` first, which checks who asks)."""
    visit = (
        Visit.objects.filter(schedule=schedule, pk=visit_id).select_related("customer", "pattern", "schedule").first()
    )
    if visit is None:
        raise NotFound("There is no such visit in this plan.", code="visit_not_found")
    return visit


def carers_get(*, actor: StaffMember, carer_ids: list[int]) -> list[Carer]:
    """The organisation's carers with these ids, in the order given (another organisation's: not found)."""
    found = {
        c.pk: c
        for c in Carer.objects.filter(organisation_id=actor.organisation_id, pk__in=carer_ids).select_related("staff")
    }
    missing = [carer_id for carer_id in carer_ids if carer_id not in found]
    if missing:
        raise NotFound("There is no such carer in your organisation.", code="carer_not_found")
    return [found[carer_id] for carer_id in carer_ids]


def carers_working(*, organisation_id: int, day: date) -> list[Carer]:
    """The organisation's active carers with a shift that weekday and no absence that day
    (those a visit can be given to), by name. One query."""
    return list(
        Carer.objects.filter(organisation_id=organisation_id, is_active=True, staff__is_active=True)
        .filter(Exists(Shift.objects.filter(carer=OuterRef("pk"), weekday=day.weekday())))
        .filter(~Exists(Absence.objects.filter(carer=OuterRef("pk"), starts_on__lte=day, ends_on__gte=day)))
        .select_related("staff")
        .order_by("staff__display_name", "pk")
    )


def schedule_visits(*, schedule: Schedule) -> list[Visit]:
    """Every visit of a plan (cancelled ones aside), by time, unplaced ones by wanted time,
    with customer, pattern and carers. Three queries."""
    visits = list(
        Visit.objects.filter(schedule=schedule)
        .exclude(status=Visit.Status.CANCELLED)
        .select_related("customer", "pattern")
        .prefetch_related(
            Prefetch(
                "assignments", queryset=VisitAssignment.objects.select_related("carer__staff").order_by("position")
            )
        )
    )
    return sorted(visits, key=lambda v: (v.planned_start or v.preferred_start, v.pk))
