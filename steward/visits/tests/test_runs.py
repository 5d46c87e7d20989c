"""Asking for days to be planned: who may, which days, and one queued run per burst of requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.errors import InvalidInput, PermissionDenied
from steward.organisations.tests.factories import make_staff
from steward.visits.models import ScheduleRun
from steward.visits.services import schedule_run_request

pytestmark = pytest.mark.django_db


def _today():  # type: ignore[no-untyped-def]
    return timezone.localdate()


def test_a_coordinator_queues_a_run_that_waits_for_the_worker(django_capture_on_commit_callbacks) -> None:
    world = make_care_world()
    provider = world.provider
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = schedule_run_request(
            organisation=provider.org,
            first_day=_today(),
            last_day=_today() + timedelta(days=1),
            reason="Next two days",
            actor=provider.alice,
        )
    assert run.status == ScheduleRun.Status.QUEUED
    assert run.requested_by == provider.alice
    assert run.time_limit_seconds == 30
    assert len(callbacks) == 1  # the task is enqueued only once the request commits


def test_steward_itself_may_ask_after_a_customer_change() -> None:
    world = make_care_world()
    run = schedule_run_request(
        organisation=world.provider.org, first_day=_today(), last_day=_today(), reason="Preferred time changed"
    )
    assert run.requested_by is None
    assert run.reason == "Preferred time changed"


def test_the_head_the_team_lead_and_an_admin_may_plan() -> None:
    world = make_care_world()
    admin = make_staff(organisation=world.provider.org, first_name="Ada", is_org_admin=True)
    for actor in (world.provider.head, world.provider.lead, admin):
        run = schedule_run_request(
            organisation=world.provider.org, first_day=_today(), last_day=_today(), reason="", actor=actor
        )
        assert run.pk


def test_a_carer_who_coordinates_nothing_may_not_plan_and_nothing_is_queued() -> None:
    world = make_care_world()
    with pytest.raises(PermissionDenied):
        schedule_run_request(
            organisation=world.provider.org, first_day=_today(), last_day=_today(), reason="", actor=world.provider.bob
        )
    assert not ScheduleRun.objects.exists()


def test_staff_of_another_organisation_may_not_plan_it() -> None:
    world = make_care_world()
    # The council commissioned the service but does not send the carers.
    with pytest.raises(PermissionDenied):
        schedule_run_request(
            organisation=world.provider.org, first_day=_today(), last_day=_today(), reason="", actor=world.council.head
        )
    assert not ScheduleRun.objects.exists()


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [(1, 0, "days_not_ordered"), (0, 7, "too_many_days"), (-1, 0, "day_in_past")],
)
def test_bad_days_are_refused_with_a_reason(first: int, last: int, code: str) -> None:
    world = make_care_world()
    with pytest.raises(InvalidInput) as refused:
        schedule_run_request(
            organisation=world.provider.org,
            first_day=_today() + timedelta(days=first),
            last_day=_today() + timedelta(days=last),
            reason="",
            actor=world.provider.lead,
        )
    assert refused.value.code == code
    assert not ScheduleRun.objects.exists()


def test_a_week_is_allowed_but_not_a_silly_time_limit() -> None:
    world = make_care_world()
    run = schedule_run_request(
        organisation=world.provider.org, first_day=_today(), last_day=_today() + timedelta(days=6), reason=""
    )
    assert (run.last_day - run.first_day).days == 6
    with pytest.raises(InvalidInput):
        schedule_run_request(
            organisation=world.provider.org, first_day=_today(), last_day=_today(), reason="", time_limit_seconds=0
        )


def test_a_waiting_run_is_reused_and_widened_rather_than_duplicated(django_capture_on_commit_callbacks) -> None:
    world = make_care_world()
    org = world.provider.org
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = schedule_run_request(organisation=org, first_day=_today(), last_day=_today(), reason="a")
        again = schedule_run_request(organisation=org, first_day=_today(), last_day=_today(), reason="b")
        wider = schedule_run_request(
            organisation=org, first_day=_today() + timedelta(days=1), last_day=_today() + timedelta(days=2), reason="c"
        )
    assert again.pk == first.pk == wider.pk
    assert (wider.first_day, wider.last_day) == (_today(), _today() + timedelta(days=2))
    assert ScheduleRun.objects.count() == 1
    assert len(callbacks) == 1


def test_a_run_already_planning_is_not_widened_behind_its_back() -> None:
    world = make_care_world()
    org = world.provider.org
    first = schedule_run_request(organisation=org, first_day=_today(), last_day=_today(), reason="a")
    ScheduleRun.objects.filter(pk=first.pk).update(status=ScheduleRun.Status.RUNNING)
    second = schedule_run_request(organisation=org, first_day=_today(), last_day=_today(), reason="b")
    assert second.pk != first.pk


def test_days_far_apart_or_too_wide_together_get_their_own_run() -> None:
    world = make_care_world()
    org = world.provider.org
    first = schedule_run_request(organisation=org, first_day=_today(), last_day=_today() + timedelta(days=3), reason="")
    later = schedule_run_request(
        organisation=org, first_day=_today() + timedelta(days=4), last_day=_today() + timedelta(days=8), reason=""
    )
    assert later.pk != first.pk
    first.refresh_from_db()
    assert first.last_day == _today() + timedelta(days=3)
