"""Planning and publishing under concurrency on PostgreSQL (see requests/tests/test_postgres.py
for why these need real threads and PostgreSQL): one worker plans a run, one plan is
published per day, and a check-in racing a publication is never left on a replaced plan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.requests.tests.test_postgres import _run_together as _together
from steward.visits.attendance import visit_check_in
from steward.visits.models import Schedule, ScheduleRun, VisitAssignment
from steward.visits.planning import run_execute
from steward.visits.services import schedule_publish
from steward.visits.tests.engine_stand_in import stand_in_solve
from steward.visits.tests.factories import make_planned_day, make_schedule, make_visit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_plan_a_run_once() -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1))
    run = ScheduleRun.objects.create(organisation=pd.world.provider.org, first_day=pd.day, last_day=pd.day)

    workers = _together(*(lambda: run_execute(run_id=run.pk, solve=stand_in_solve) for _ in range(2)))

    assert [w.error for w in workers] == [None, None]
    assert Schedule.objects.filter(run=run).count() == 1
    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.DONE


def test_two_planners_publishing_the_same_day_leave_the_newer_plan_published() -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1))
    older = make_schedule(organisation=pd.world.provider.org, day=pd.day, status=Schedule.Status.DRAFT)
    make_visit(schedule=older, pattern=pd.pattern, carers=[pd.alice])
    newer = make_schedule(organisation=pd.world.provider.org, day=pd.day, status=Schedule.Status.DRAFT)
    make_visit(schedule=newer, pattern=pd.pattern, carers=[pd.bob])
    lead, head = pd.world.provider.lead, pd.world.provider.head

    workers = _together(
        lambda: schedule_publish(schedule=older, actor=lead), lambda: schedule_publish(schedule=newer, actor=head)
    )

    assert workers[1].error is None
    assert getattr(workers[0].error, "code", None) in (None, "draft_out_of_date")
    published = Schedule.objects.filter(day=pd.day, status=Schedule.Status.PUBLISHED)
    assert list(published.values_list("pk", flat=True)) == [newer.pk]


@pytest.mark.parametrize("attempt", range(3))
def test_a_check_in_racing_a_publication_is_never_left_on_the_replaced_plan(attempt: int) -> None:
    # The visit is planned for now, so the carer may check in whenever the test runs.
    now = timezone.localtime()
    pd = make_planned_day(day=now.date(), at=now.time().replace(second=0, microsecond=0))
    draft = make_schedule(organisation=pd.world.provider.org, day=pd.day, status=Schedule.Status.DRAFT)
    make_visit(schedule=draft, pattern=pd.pattern, carers=[pd.alice])
    part = pd.assignment
    bob, lead = pd.world.provider.bob, pd.world.provider.lead

    workers = _together(
        lambda: visit_check_in(assignment=part, actor=bob), lambda: schedule_publish(schedule=draft, actor=lead)
    )

    assert workers[1].error is None
    checked_in = VisitAssignment.objects.filter(checked_in_at__isnull=False).select_related("visit__schedule")
    for assignment in checked_in:
        assert assignment.visit.schedule.status == Schedule.Status.PUBLISHED
    if workers[0].error is None:  # the check-in won: the visit under way moved to the new plan
        assert [a.pk for a in checked_in] == [part.pk]
    else:
        assert getattr(workers[0].error, "code", None) == "schedule_not_published"
