"""A run with the real engine: the day's plan is valid (checked independently), stored as
planned, and the same seed gives the same drafts when the search is bounded by work."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern
from steward.scheduling.care_check import check_care_plan
from steward.scheduling.care_solver import solve_care
from steward.visits.models import Schedule, ScheduleRun, Visit, VisitAssignment
from steward.visits.planning import run_execute
from steward.visits.services import schedule_publish, schedule_run_request

pytestmark = pytest.mark.django_db


def _world() -> Any:
    world = make_care_world()
    make_carer(staff=world.provider.alice, skills=["personal-care"])
    make_carer(staff=world.provider.bob, skills=["personal-care"], place=(53.49, -2.25))
    care = make_care_agreement(agreement=world.agreement, place=(53.5, -2.2))
    make_pattern(care=care, label="Help getting up", skills=["personal-care"])
    make_pattern(
        care=care,
        label="Hoist transfer",
        carers_needed=2,
        preferred=(time(12, 0), time(12, 30)),
        acceptable=(time(11, 30), time(13, 0)),
    )
    make_pattern(
        care=care,
        label="Medication",
        skills=["medication"],
        preferred=(time(10, 0), time(10, 15)),
        acceptable=(time(9, 30), time(11, 0)),
    )
    return world


def _run(world: Any) -> ScheduleRun:
    day = timezone.localdate() + timedelta(days=1)
    return schedule_run_request(
        organisation=world.provider.org, first_day=day, last_day=day, reason="Tomorrow", actor=world.provider.lead
    )


@override_settings(STEWARD_SCHEDULE_ITERATIONS=40)
def test_the_engines_plan_is_valid_and_stored_as_planned() -> None:
    world = _world()
    run = _run(world)
    checked: list[list[str]] = []

    def checking(problem: Any, **kwargs: Any) -> Any:
        plan = solve_care(problem, **kwargs)
        checked.append(check_care_plan(problem, plan))
        return plan

    assert run_execute(run_id=run.pk, solve=checking) == ScheduleRun.Status.DONE

    assert checked == [[]]
    schedule = Schedule.objects.get(run=run)
    visits = {v.pattern.label: v for v in Visit.objects.filter(schedule=schedule).select_related("pattern")}
    assert visits["Help getting up"].status == Visit.Status.PLANNED
    assert visits["Help getting up"].minutes_outside_preferred == 0
    hoist = visits["Hoist transfer"]
    assert hoist.status == Visit.Status.PLANNED
    parts = list(hoist.assignments.order_by("position"))
    assert len(parts) == 2 and parts[0].carer_id != parts[1].carer_id
    assert parts[0].planned_start == parts[1].planned_start == hoist.planned_start
    medication = visits["Medication"]
    assert medication.status == Visit.Status.UNPLACED
    assert medication.unplaced_reason == Visit.UnplacedReason.NO_SKILLED_CARER
    assert schedule.summary["figures"]["unplaced"] == 1
    # Each carer's route is numbered 1, 2, … in time order.
    for carer_id in {p.carer_id for v in visits.values() for p in v.assignments.all()}:
        orders = list(
            VisitAssignment.objects.filter(visit__schedule=schedule, carer_id=carer_id)
            .order_by("planned_start")
            .values_list("route_order", flat=True)
        )
        assert orders == list(range(1, len(orders) + 1))

    published = schedule_publish(schedule=schedule, actor=world.provider.lead)
    assert published.status == Schedule.Status.PUBLISHED


@override_settings(STEWARD_SCHEDULE_ITERATIONS=40)
def test_the_same_seed_gives_the_same_drafts() -> None:
    world = _world()

    def planned() -> list[tuple[Any, ...]]:
        run = _run(world)
        run_execute(run_id=run.pk)
        return list(
            Visit.objects.filter(schedule__run=run)
            .order_by("pattern_id", "assignments__position")
            .values_list("pattern_id", "status", "planned_start", "assignments__carer_id")
        )

    assert planned() == planned()
