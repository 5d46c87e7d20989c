"""Publishing a draft: it becomes the day's plan, the old plan is replaced (keeping visits
already under way), customers are told their times in plain words, and stale drafts,
other organisations and non-planners are refused."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_carer, make_pattern
from steward.errors import Conflict, PermissionDenied
from steward.timeline.models import TimelineEvent
from steward.visits.models import Schedule, Visit
from steward.visits.services import schedule_publish
from steward.visits.tests.factories import PlannedDay, make_planned_day, make_schedule, make_visit

pytestmark = pytest.mark.django_db


def _tomorrow() -> Any:
    return timezone.localdate() + timedelta(days=1)


def _draft(pd: PlannedDay, *, at: time = time(8, 10), carers: Any = None) -> Schedule:
    draft = make_schedule(organisation=pd.world.provider.org, day=pd.day, status=Schedule.Status.DRAFT)
    make_visit(
        schedule=draft, pattern=pd.pattern, carers=carers if carers is not None else [pd.alice], planned_start=at
    )
    return draft


def _planned_events(pd: PlannedDay) -> list[TimelineEvent]:
    return list(TimelineEvent.objects.filter(customer=pd.world.client, kind=TimelineEvent.Kind.VISITS_PLANNED))


def test_publishing_replaces_the_old_plan_and_tells_the_customer_in_plain_words() -> None:
    pd = make_planned_day(day=_tomorrow())
    draft = _draft(pd)

    published = schedule_publish(schedule=draft, actor=pd.world.provider.lead)

    assert published.status == Schedule.Status.PUBLISHED
    assert published.published_by == pd.world.provider.lead and published.published_at
    pd.schedule.refresh_from_db()
    assert pd.schedule.status == Schedule.Status.SUPERSEDED
    (event,) = _planned_events(pd)
    day = pd.day
    assert event.summary == f"Your visits on {day:%A} {day.day} {day:%B}: 08:10 with Alice."
    assert event.actor == pd.world.provider.lead
    assert not event.is_internal
    assert event.data == {"schedule_id": draft.pk, "day": day.isoformat()}


def test_customers_whose_visits_do_not_change_are_not_told_again() -> None:
    pd = make_planned_day(day=_tomorrow())
    same = _draft(pd, at=time(8, 0), carers=[pd.bob])

    schedule_publish(schedule=same, actor=pd.world.provider.lead)

    assert _planned_events(pd) == []


def test_an_unplaced_visit_is_said_plainly_to_the_customer() -> None:
    pd = make_planned_day(day=_tomorrow())
    draft = make_schedule(organisation=pd.world.provider.org, day=pd.day, status=Schedule.Status.DRAFT)
    make_visit(schedule=draft, pattern=pd.pattern, status=Visit.Status.UNPLACED)

    schedule_publish(schedule=draft, actor=pd.world.provider.alice)  # Alice coordinates the service

    (event,) = _planned_events(pd)
    assert "We could not yet arrange your visit around 08:00" in event.summary
    assert "your coordinator is working on it" in event.summary


def test_a_double_handed_visit_names_both_carers() -> None:
    pd = make_planned_day(day=_tomorrow(), carers_needed=2)
    lunch = make_pattern(
        care=pd.care, label="Lunch", preferred=(time(12, 0), time(12, 30)), acceptable=(time(11, 30), time(13, 0))
    )
    draft = _draft(pd, carers=[pd.bob, pd.alice], at=time(8, 5))
    make_visit(schedule=draft, pattern=lunch, carers=[pd.bob], planned_start=time(12, 15))

    schedule_publish(schedule=draft, actor=pd.world.provider.head)

    (event,) = _planned_events(pd)
    assert event.summary.endswith(": 08:05 with Bob and Alice; 12:15 with Bob.")


def test_a_visit_under_way_stays_with_its_check_in_on_the_new_plan() -> None:
    pd = make_planned_day(day=timezone.localdate())
    assignment = pd.assignment
    assignment.checked_in_at = timezone.now()
    assignment.save(update_fields=["checked_in_at"])
    Visit.objects.filter(pk=pd.visit.pk).update(status=Visit.Status.IN_PROGRESS)
    evening = make_pattern(
        care=pd.care, label="Bed", preferred=(time(20, 0), time(20, 30)), acceptable=(time(19, 30), time(21, 0))
    )
    draft = _draft(pd, at=time(9, 0))  # the draft would move the morning visit: too late
    bed = make_visit(schedule=draft, pattern=evening, carers=[pd.alice])

    schedule_publish(schedule=draft, actor=pd.world.provider.lead)

    visits = list(Visit.objects.filter(schedule=draft).order_by("preferred_start"))
    assert [v.pk for v in visits] == [pd.visit.pk, bed.pk]
    assert visits[0].status == Visit.Status.IN_PROGRESS
    assert visits[0].assignments.get().checked_in_at is not None


def test_a_draft_older_than_a_published_plan_is_refused() -> None:
    pd = make_planned_day(day=_tomorrow(), schedule_status=Schedule.Status.DRAFT)
    newer = _draft(pd)
    schedule_publish(schedule=newer, actor=pd.world.provider.lead)

    with pytest.raises(Conflict) as refused:
        schedule_publish(schedule=pd.schedule, actor=pd.world.provider.lead)

    assert refused.value.code == "draft_out_of_date"
    pd.schedule.refresh_from_db()
    assert pd.schedule.status == Schedule.Status.DRAFT
    newer.refresh_from_db()
    assert newer.status == Schedule.Status.PUBLISHED


def test_publishing_twice_or_a_past_day_is_refused() -> None:
    pd = make_planned_day(day=_tomorrow())
    with pytest.raises(Conflict):
        schedule_publish(schedule=pd.schedule, actor=pd.world.provider.lead)
    old = make_planned_day(day=timezone.localdate() - timedelta(days=1), schedule_status=Schedule.Status.DRAFT)
    with pytest.raises(Conflict) as refused:
        schedule_publish(schedule=old.schedule, actor=old.world.provider.lead)
    assert refused.value.code == "day_in_past"


def test_a_carer_or_another_organisation_may_not_publish_and_nothing_changes() -> None:
    pd = make_planned_day(day=_tomorrow())
    draft = _draft(pd)
    other = make_care_world()
    make_carer(staff=other.provider.bob)
    for actor in (pd.world.provider.bob, other.provider.head, pd.world.council.head):
        with pytest.raises(PermissionDenied):
            schedule_publish(schedule=draft, actor=actor)
    draft.refresh_from_db()
    pd.schedule.refresh_from_db()
    assert (draft.status, pd.schedule.status) == (Schedule.Status.DRAFT, Schedule.Status.PUBLISHED)
    assert _planned_events(pd) == []
