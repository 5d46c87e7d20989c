"""The demo's coming week: planned and published as a coordinator would, once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from steward.alerts.models import Alert
from steward.demo.plans import ensure_demo_plans
from steward.timeline.models import TimelineEvent
from steward.visits.missed import missed_visits_sweep
from steward.visits.models import Schedule, Visit

pytestmark = pytest.mark.django_db


def test_the_demo_week_is_published_with_every_visit_placed_and_mrs_khan_in_bed_at_nine(demo):
    today = timezone.localdate()
    plans = ensure_demo_plans(today=today, days=2)

    assert plans.published == [today, today + timedelta(days=1)]
    published = Schedule.objects.filter(organisation__name="CheapCare Ltd", status=Schedule.Status.PUBLISHED)
    assert published.count() == 2
    visits = Visit.objects.filter(schedule__in=published)
    assert visits.exists() and not visits.filter(status=Visit.Status.UNPLACED).exists()
    bedtime = visits.get(customer__given_name="Amina", pattern__label="Help into bed", day=today)
    start = timezone.localtime(bedtime.planned_start)
    assert (start.hour, start.minute) >= (21, 0) and (start.hour, start.minute) <= (21, 30)
    # She is told her times, by her coordinator, on her timeline.
    told = TimelineEvent.objects.filter(customer__given_name="Amina", kind="visits_planned")
    assert told.count() == 2 and {e.actor_name for e in told} == {"Kim Lee"}

    again = ensure_demo_plans(today=today, days=2)
    assert again.published == [] and again.already == 2
    assert published.count() == 2


def test_the_demo_day_so_far_is_recorded_as_done_and_raises_no_missed_visit_alerts(demo, monkeypatch):
    # The demo is loaded at three in the afternoon (whatever the real time is).
    today = timezone.localdate()
    now = timezone.make_aware(datetime.combine(today, time(15, 0)))
    monkeypatch.setattr(timezone, "now", lambda: now)
    plans = ensure_demo_plans(today=today, days=2)

    visits = Visit.objects.filter(schedule__status=Schedule.Status.PUBLISHED).prefetch_related("assignments")
    morning = [v for v in visits if v.day == today and timezone.localtime(v.planned_start).hour < 12]
    assert morning and all(v.status == Visit.Status.DONE for v in morning)
    assert any(v.day > today for v in visits)
    for visit in visits:
        for part in visit.assignments.all():
            if part.planned_start > now:  # still to come: open, nobody there yet
                assert part.checked_in_at is None
                assert visit.status in (Visit.Status.PLANNED, Visit.Status.IN_PROGRESS)
            else:  # arrived on time, and left at the planned end if that has passed
                assert part.checked_in_at == part.planned_start
                assert part.checked_out_at == (part.planned_end if part.planned_end <= now else None)
    assert plans.lived == sum(1 for v in visits for p in v.assignments.all() if p.planned_start <= now)
    # The carers recorded it themselves, so the customers read it on their timelines.
    arrived = TimelineEvent.objects.filter(kind="visit_checked_in", customer__given_name="Amina")
    assert arrived.exists() and all(e.actor_name != "Kim Lee" for e in arrived)

    report = missed_visits_sweep(now)
    assert (report.missed, report.parts_missing) == (0, 0)
    assert not Alert.objects.filter(kind=Alert.Kind.MISSED_VISIT).exists()
