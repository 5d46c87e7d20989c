"""The independent checker: a plan written by hand passes, and each broken rule is named."""

from __future__ import annotations

from dataclasses import replace

import pytest

from steward.scheduling.care_check import check_care_plan, plan_metrics
from steward.scheduling.care_problem import CarePlan, CarerRoute, Part, PlannedVisit, Sync, Unplaced
from steward.scheduling.tests.care_days import carer, day, visit

PROBLEM = day(
    [
        carer(1, place=0, skills=("hoist",), break_minutes=30, break_earliest=600, break_latest=660),
        carer(2, place=0, contracted_minutes=60),
    ],
    [
        visit("a", 2, (480, 510), usual_carers=(1,)),  # 10 minutes from home
        visit("pair", 4, (540, 560), carers_needed=2),
        visit("seq", 1, (700, 720), carers_needed=2, sync=Sync.SEQUENTIAL, gap=(10, 20)),
        visit("never", 3, (1300, 1310), skills=("peg",)),
    ],
)

# Carer 1: home → a (8:00, 10 min away) → pair (9:00, 10) → break 10:00 → seq first (11:40, 15) → home (5).
# Carer 2: home → pair (9:00, 20) → seq second (11:55, 15) → home (5): 40 + 60 working, 40 over contract.
GOOD = CarePlan(
    visits=(
        PlannedVisit("a", (Part(1, 480, 10),)),
        PlannedVisit("pair", (Part(1, 540, 10), Part(2, 540, 20))),
        PlannedVisit("seq", (Part(1, 700, 15), Part(2, 715, 15))),
        PlannedVisit("never", unplaced=Unplaced.NO_SKILLED_CARER, unplaced_detail="nobody gives PEG feeding"),
    ),
    routes=(
        CarerRoute(1, ("a", "pair", "seq"), break_start=600, travel_minutes=40, overtime_minutes=0),
        CarerRoute(2, ("pair", "seq"), travel_minutes=40, overtime_minutes=40),
    ),
)


def _with_visit(plan: CarePlan, key: str, **changes) -> CarePlan:
    return replace(plan, visits=tuple(replace(v, **changes) if v.key == key else v for v in plan.visits))


def _with_route(plan: CarePlan, carer_id: int, **changes) -> CarePlan:
    return replace(plan, routes=tuple(replace(r, **changes) if r.carer == carer_id else r for r in plan.routes))


def test_a_plan_keeping_every_rule_passes() -> None:
    assert check_care_plan(PROBLEM, GOOD) == []


@pytest.mark.parametrize(
    ("plan", "found"),
    [
        (replace(GOOD, visits=GOOD.visits[:3]), "visit never appears 0 times"),
        (_with_visit(GOOD, "never", unplaced=None), "unplaced without a reason"),
        (_with_visit(GOOD, "a", parts=(Part(1, 400, 10),)), "outside its acceptable window"),
        (_with_visit(GOOD, "pair", parts=(Part(1, 540, 10), Part(2, 545, 20))), "simultaneous but its parts start"),
        (_with_visit(GOOD, "pair", parts=(Part(1, 540, 10),)), "needs 2 carers and has 1 parts"),
        (_with_visit(GOOD, "seq", parts=(Part(1, 700, 15), Part(2, 740, 15))), "not 10–20"),
        (_with_visit(GOOD, "a", parts=(Part(1, 480, 99),)), "travel before is given as 99"),
        (_with_route(GOOD, 1, break_start=None), "carer 1 has no break"),
        (_with_route(GOOD, 1, break_start=700), "outside 600–660"),
        (_with_route(GOOD, 2, overtime_minutes=0), "overtime is given as 0, it is 40"),
        (_with_route(GOOD, 1, visits=("pair", "a", "seq")), "does not match their visits in time order"),
    ],
)
def test_each_broken_rule_is_named(plan: CarePlan, found: str) -> None:
    errors = check_care_plan(PROBLEM, plan)
    assert any(found in error for error in errors), errors


def test_a_carer_cannot_be_in_two_places_at_once() -> None:
    plan = _with_visit(GOOD, "a", parts=(Part(1, 535, 10),))  # ends 9:05, the pair starts 9:00
    assert any("cannot be at visit pair by 540" in e for e in check_care_plan(PROBLEM, plan))


def test_skills_exclusions_and_shifts_are_hard() -> None:
    problem = replace(
        PROBLEM,
        visits=tuple(
            replace(v, skills=frozenset({"hoist"}), excluded_carers=frozenset({1})) if v.key == "a" else v
            for v in PROBLEM.visits
        ),
        carers=tuple(replace(c, shift_end=700) if c.id == 2 else c for c in PROBLEM.carers),
    )
    plan = _with_visit(GOOD, "a", parts=(Part(2, 480, 10),))
    plan = _with_route(_with_route(plan, 1, visits=("pair", "seq"), travel_minutes=30), 2, visits=("a", "pair", "seq"))
    errors = check_care_plan(problem, plan)
    assert any("carer 2 lacks hoist" in e for e in errors)
    assert any("after their shift ends at 700" in e for e in errors)
    plan = _with_visit(GOOD, "a", parts=(Part(1, 480, 10),))
    assert any("excluded by the customer" in e for e in check_care_plan(problem, plan))


def test_the_figures_of_a_plan() -> None:
    metrics = plan_metrics(PROBLEM, GOOD)
    assert (metrics.placed, metrics.unplaced, metrics.in_preferred, metrics.minutes_outside) == (3, 1, 3, 0)
    assert metrics.continuity_pct == 100.0
    assert metrics.travel_minutes == 80
    assert metrics.overtime_minutes == 40
    assert metrics.per_carer[2].working_minutes == 100
    assert metrics.unplaced_reasons == {"no_skilled_carer": 1}
    late = _with_visit(GOOD, "a", parts=(Part(1, 520, 10),))
    assert plan_metrics(PROBLEM, late).minutes_outside == 10
