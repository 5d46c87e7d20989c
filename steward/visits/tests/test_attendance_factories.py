"""The schedule factories build what other tests rely on."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from steward.visits.models import Schedule, Visit
from steward.visits.tests.factories import local_instant, make_planned_day, make_visit

pytestmark = pytest.mark.django_db


def test_planned_day_has_a_published_visit_in_local_time() -> None:
    d = make_planned_day(day=date(2026, 7, 1), carers_needed=2)
    assert d.schedule.status == Schedule.Status.PUBLISHED
    parts = list(d.visit.assignments.order_by("position"))
    assert [p.carer for p in parts] == [d.bob, d.alice]
    assert parts[0].planned_start.isoformat() == "2026-07-01T07:00:00+00:00"  # 08:00 in London, summer time
    assert parts[0].planned_end - parts[0].planned_start == timedelta(minutes=30)
    later = make_visit(schedule=d.schedule, pattern=d.pattern, carers=[d.bob], planned_start=time(9, 0))
    assert later.assignments.get().route_order == 2
    assert later.acceptable_end == local_instant(d.day, time(9, 30))


def test_unplaced_visit_has_no_parts() -> None:
    d = make_planned_day()
    visit = make_visit(schedule=d.schedule, pattern=d.pattern, status=Visit.Status.UNPLACED)
    assert visit.planned_start is None and not visit.assignments.exists()
