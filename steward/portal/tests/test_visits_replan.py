"""End to end: Mrs Khan moves her bedtime to 21:00 in the portal, the plan is redone by
the real engine in the background, a planner publishes tomorrow's plan, and her page
shows the carer coming at the time she asked for."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern
from steward.visits.models import Schedule, ScheduleRun, Visit
from steward.visits.services import schedule_publish

from .conftest import as_customer

pytestmark = pytest.mark.django_db


def test_moving_bedtime_replans_and_the_published_plan_keeps_to_it(django_capture_on_commit_callbacks):
    world = make_care_world()
    make_carer(staff=world.provider.bob, shift=(time(15), time(23)))
    care = make_care_agreement(agreement=world.agreement)
    bed = make_pattern(
        care=care, label="Help into bed", preferred=(time(19), time(19, 30)), acceptable=(time(18, 30), time(20, 30))
    )
    client = as_customer(world.client)

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("portal:visit-time", args=[bed.pk]), {"earliest": "21:00", "latest": "21:30", "confirm": "yes"}
        )
    assert done.status_code == 302

    run = ScheduleRun.objects.get()
    assert run.status == ScheduleRun.Status.DONE, run.error
    tomorrow = timezone.localdate() + timedelta(days=1)
    draft = Schedule.objects.get(organisation=world.provider.org, day=tomorrow, status=Schedule.Status.DRAFT)
    schedule_publish(schedule=draft, actor=world.provider.alice)

    visit = Visit.objects.get(schedule=draft, pattern=bed)
    start = timezone.localtime(visit.planned_start)
    assert time(21) <= start.time() <= time(21, 30)
    page = client.get(reverse("portal:visits")).content.decode()
    assert f"Help into bed</strong> at <strong>{start:%H:%M}</strong>" in page and "Carer: Bob" in page
