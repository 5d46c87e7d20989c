"""Missed visits under concurrency on PostgreSQL: two workers sweep at once, and a carer
checks in at the moment a sweep reports the visit. Each thread has its own connection and
works on committed data (``transaction=True``)."""

from __future__ import annotations

from collections import Counter
from datetime import date, time

import pytest

from steward.alerts.models import Alert
from steward.alerts.tests.test_postgres import _run_together
from steward.timeline.models import TimelineEvent
from steward.visits.attendance import visit_check_in
from steward.visits.missed import missed_visits_sweep
from steward.visits.models import Visit
from steward.visits.tests.factories import local_instant, make_planned_day, make_visit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DAY = date(2026, 3, 2)


def test_two_sweeps_at_once_report_each_visit_once() -> None:
    d = make_planned_day(day=DAY)
    for hour in (8, 8, 9, 9):
        make_visit(schedule=d.schedule, pattern=d.pattern, carers=[d.alice], planned_start=time(hour, 15))
    now = local_instant(DAY, time(12, 0))

    results = _run_together(lambda: missed_visits_sweep(now), lambda: missed_visits_sweep(now))

    assert [error for _, error in results] == [None, None]
    assert sum(r.missed for r, _ in results) == 5
    assert Visit.objects.filter(status=Visit.Status.MISSED).count() == 5
    subjects = Counter(Alert.objects.filter(kind=Alert.Kind.MISSED_VISIT).values_list("subject", flat=True))
    assert len(subjects) == 5 and set(subjects.values()) == {1}
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.VISIT_MISSED).count() == 5


def test_a_check_in_racing_the_sweep_ends_either_way_consistent() -> None:
    d = make_planned_day(day=DAY)
    part = d.assignment
    now = local_instant(DAY, time(8, 30))

    results = _run_together(
        lambda: missed_visits_sweep(now),
        lambda: visit_check_in(assignment=part, actor=d.world.provider.bob, at=now),
    )

    assert [error for _, error in results] == [None, None]
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.IN_PROGRESS
    # Either the carer won (nothing reported) or the report came first and the arrival resolved it.
    assert not Alert.objects.filter(kind=Alert.Kind.MISSED_VISIT, status=Alert.Status.OPEN).exists()


def test_two_sweeps_at_once_report_a_missing_carer_once() -> None:
    d = make_planned_day(day=DAY, carers_needed=2)
    visit_check_in(
        assignment=d.visit.assignments.get(position=1), actor=d.world.provider.bob, at=local_instant(DAY, time(8, 5))
    )
    now = local_instant(DAY, time(9, 0))

    results = _run_together(lambda: missed_visits_sweep(now), lambda: missed_visits_sweep(now))

    assert [error for _, error in results] == [None, None]
    assert sum(r.parts_missing for r, _ in results) == 1
    assert Alert.objects.filter(kind=Alert.Kind.MISSED_VISIT, subject=f"visit:{d.visit.pk}:carer:2").count() == 1
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.VISIT_MISSED).count() == 1
