"""The demo's published visit plans: CheapCare Ltd's coming week, planned and published
by its coordinator Kim Lee, so Mrs Khan's "My visits", the carers' days and the planning
report show a real week from the first `make run`.

It goes through the same path as a planner in the console: a schedule run (planned here,
in this process, rather than by the worker, so the demo is ready when the server starts)
and `schedule_publish` for each day, which tells each customer their times on their
timeline. Idempotent: a day that already has a published plan is left as it is, so
running it again each morning plans only the new day at the end of the week.

The part of the week already gone by when the demo is loaded (this morning, say) is
recorded as lived: each carer checked in at the planned start and out at the planned
end, through the same attendance services a carer's phone uses, so the customers'
timelines show their visits so far and Kim Lee is not met by a missed-visit alert for
every visit before the moment the demo happened to start. Visits still to come stay
open: one nobody checks in to raises its alert as it would on a real day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from steward.organisations.models import Organisation, StaffMember
from steward.visits.attendance import visit_check_in, visit_check_out
from steward.visits.models import Schedule, ScheduleRun, Visit, VisitAssignment
from steward.visits.planning import run_execute
from steward.visits.services import schedule_publish, schedule_run_request

from .care import PROVIDER

PLANNER = "kim.lee"
DAYS = 7
# Seconds of search per demo day: about 20 visits and 8 carers need far less to settle.
DEMO_TIME_LIMIT_SECONDS = 2


@dataclass(frozen=True)
class DemoPlans:
    published: list[date]  # days planned and published now
    already: int  # days that had a published plan
    lived: int = 0  # carers' visits before now recorded as done (checked in, and out if over)


def ensure_demo_plans(*, today: date | None = None, days: int = DAYS) -> DemoPlans:
    """Plan and publish CheapCare Ltd's visits for ``today`` and the days after it that
    have no published plan yet, and record the newly published visits begun by now as
    their carers would have (see ``_live_until``)."""
    provider = Organisation.objects.filter(name=PROVIDER).first()
    planner = StaffMember.objects.filter(user__username=PLANNER, organisation=provider).first()
    if provider is None or planner is None:
        return DemoPlans([], 0)
    today = today or timezone.localdate()
    wanted = [today + timedelta(days=i) for i in range(days)]
    have = set(
        Schedule.objects.filter(organisation=provider, day__in=wanted, status=Schedule.Status.PUBLISHED).values_list(
            "day", flat=True
        )
    )
    missing = [day for day in wanted if day not in have]
    if not missing:
        return DemoPlans([], len(have))
    run = schedule_run_request(
        organisation=provider,
        first_day=missing[0],
        last_day=missing[-1],
        reason="The demo's coming week",
        actor=planner,
        time_limit_seconds=DEMO_TIME_LIMIT_SECONDS,
    )
    # The task queued for the worker finds the run done and does nothing.
    if run_execute(run_id=run.pk) != ScheduleRun.Status.DONE:
        run.refresh_from_db()
        raise RuntimeError(f"Planning the demo week failed: {run.error}")
    published = []
    schedules = list(Schedule.objects.filter(run=run, day__in=missing).order_by("day"))
    for schedule in schedules:
        schedule_publish(schedule=schedule, actor=planner)
        published.append(schedule.day)
    lived = _live_until(schedules, timezone.now())
    return DemoPlans(published, len(have), lived)


def _live_until(schedules: list[Schedule], now: datetime) -> int:
    """Each carer's part that began before ``now`` checked in at its planned start, and out
    at its planned end if that has passed, recorded by the carer (as their phone would)."""
    parts = list(
        VisitAssignment.objects.filter(
            visit__schedule__in=schedules,
            visit__status__in=[Visit.Status.PLANNED, Visit.Status.IN_PROGRESS],
            planned_start__lte=now,
            checked_in_at__isnull=True,
        )
        .select_related("carer__staff")
        .order_by("planned_start", "position", "pk")
    )
    # Every arrival first, then every departure: a carer of a visit for two who leaves
    # before the other is recorded as arrived would end the visit "without" them.
    for part in parts:
        visit_check_in(assignment=part, actor=part.carer.staff, at=part.planned_start)
    for part in sorted(parts, key=lambda p: (p.planned_end, p.position, p.pk)):
        if part.planned_end <= now:
            visit_check_out(assignment=part, actor=part.carer.staff, at=part.planned_end)
    return len(parts)
