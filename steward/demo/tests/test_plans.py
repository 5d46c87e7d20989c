"""The demo's coming week: planned and published as a coordinator would, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.demo.plans import ensure_demo_plans
from steward.timeline.models import TimelineEvent
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
