"""The demo's published visit plans: CheapCare Ltd's coming week, planned and published
by its coordinator Kim Lee, so Mrs Khan's "My visits", the carers' days and the planning
report show a real week from the first `make run`.

It goes through the same path as a planner in the console: a schedule run (planned here,
in this process, rather than by the worker, so the demo is ready when the server starts)
and `schedule_publish` for each day, which tells each customer their times on their
timeline. Idempotent: a day that already has a published plan is left as it is, so
running it again each morning plans only the new day at the end of the week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from steward.organisations.models import Organisation, StaffMember
from steward.visits.models import Schedule, ScheduleRun
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


def ensure_demo_plans(*, today: date | None = None, days: int = DAYS) -> DemoPlans:
    """Plan and publish CheapCare Ltd's visits for ``today`` and the days after it that
    have no published plan yet."""
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
    for schedule in Schedule.objects.filter(run=run, day__in=missing).order_by("day"):
        schedule_publish(schedule=schedule, actor=planner)
        published.append(schedule.day)
    return DemoPlans(published, len(have))
