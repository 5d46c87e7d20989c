"""The schedule report: how many visits came in the customer's preferred window, how far
the others were, continuity, each carer's travel and overtime, and every unplaced visit
with its reason, from the stored rows in a fixed number of queries."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from steward.care.tests.factories import make_pattern
from steward.errors import InvalidInput, PermissionDenied
from steward.visits.models import Schedule, Visit
from steward.visits.reports import schedule_report
from steward.visits.selectors import published_report
from steward.visits.tests.factories import PlannedDay, make_planned_day, make_schedule, make_visit

pytestmark = pytest.mark.django_db


def _day_with_everything() -> PlannedDay:
    """Bob at 08:00 (preferred, usual carer); Alice 40 minutes late at lunch (not usual);
    the evening visit unplaced; a cancelled one that does not count."""
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1))
    Visit.objects.filter(pk=pd.visit.pk).update(with_usual_carer=True)
    lunch = make_pattern(
        care=pd.care, label="Lunch", preferred=(time(12, 0), time(12, 30)), acceptable=(time(11, 30), time(13, 30))
    )
    make_visit(
        schedule=pd.schedule,
        pattern=lunch,
        carers=[pd.alice],
        planned_start=time(13, 10),
        minutes_outside_preferred=40,
        with_usual_carer=False,
        travel_minutes=9,
    )
    bed = make_pattern(
        care=pd.care,
        label="Help into bed",
        preferred=(time(21, 0), time(21, 30)),
        acceptable=(time(20, 30), time(22, 0)),
    )
    make_visit(
        schedule=pd.schedule,
        pattern=bed,
        status=Visit.Status.UNPLACED,
        unplaced_reason=Visit.UnplacedReason.WINDOW_TOO_TIGHT,
        unplaced_detail="Nobody works after 21:00.",
    )
    tea = make_pattern(care=pd.care, label="Tea")
    make_visit(schedule=pd.schedule, pattern=tea, status=Visit.Status.CANCELLED)
    pd.schedule.summary = {
        "routes": {
            str(pd.bob.pk): {"travel_home_minutes": 10, "overtime_minutes": 0},
            str(pd.alice.pk): {"travel_home_minutes": 4, "overtime_minutes": 25},
        }
    }
    pd.schedule.save(update_fields=["summary"])
    return pd


def test_the_report_counts_what_the_customer_notices() -> None:
    pd = _day_with_everything()

    report = schedule_report(schedules=[pd.schedule])

    assert (report.visits, report.planned, report.unplaced) == (3, 2, 1)
    assert report.in_preferred == 1
    assert report.percent_in_preferred == pytest.approx(33.3)  # the unplaced visit counts against it
    assert (report.minutes_outside, report.max_minutes_outside) == (40, 40)
    assert (report.with_usual_carer, report.with_usual_carer_known, report.continuity_percent) == (1, 2, 50.0)
    carers = {c.name: c for c in report.carers}
    assert [c.name for c in report.carers] == ["Alice Able", "Bob Baker"]
    assert (carers["Bob Baker"].visits, carers["Bob Baker"].care_minutes) == (1, 30)
    assert carers["Bob Baker"].travel_minutes == 12 + 10  # to the visit, and home at the end
    assert (carers["Alice Able"].travel_minutes, carers["Alice Able"].overtime_minutes) == (13, 25)
    assert (report.travel_minutes, report.overtime_minutes) == (35, 25)
    (unplaced,) = report.unplaced_visits
    assert unplaced.label == "Help into bed"
    assert unplaced.customer_name == pd.world.client.full_name
    assert unplaced.reason == "The acceptable window is too short for travel and the visit"
    assert unplaced.detail == "Nobody works after 21:00."
    assert report.figures()["percent_in_preferred"] == pytest.approx(33.3)


def test_an_empty_day_has_no_percentages_rather_than_a_perfect_score() -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1))
    empty = make_schedule(organisation=pd.world.provider.org, day=pd.day, status=Schedule.Status.DRAFT)

    report = schedule_report(schedules=[empty])

    assert report.visits == 0
    assert report.percent_in_preferred is None and report.continuity_percent is None


def test_the_published_report_over_days_and_its_limits(django_assert_max_num_queries) -> None:
    pd = _day_with_everything()
    world = pd.world
    next_day = make_schedule(organisation=world.provider.org, day=pd.day + timedelta(days=1))
    make_visit(schedule=next_day, pattern=pd.pattern, carers=[pd.bob])
    draft = make_schedule(organisation=world.provider.org, day=pd.day, status=Schedule.Status.DRAFT)
    make_visit(schedule=draft, pattern=pd.pattern, status=Visit.Status.UNPLACED)  # drafts do not count

    with django_assert_max_num_queries(6):
        report = published_report(actor=world.provider.lead, first_day=pd.day, last_day=next_day.day)

    assert report.days == [pd.day, next_day.day]
    assert (report.visits, report.unplaced) == (4, 1)
    with pytest.raises(InvalidInput):
        published_report(actor=world.provider.lead, first_day=pd.day, last_day=pd.day + timedelta(days=7))
    with pytest.raises(PermissionDenied):
        published_report(actor=world.provider.bob, first_day=pd.day, last_day=pd.day)
