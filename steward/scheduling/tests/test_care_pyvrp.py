"""The PyVRP encoding of the care problem: every plan valid by the independent checker.

Skipped, with the reason printed, when PyVRP is not installed (it is only needed for the
comparison in docs/scheduling-pyvrp.md).
"""

from __future__ import annotations

import pytest

pytest.importorskip("pyvrp", reason="pyvrp is not installed: the PyVRP comparison engine is not tested")

from steward.scheduling.care_check import check_care_plan, plan_metrics
from steward.scheduling.care_problem import (
    CarePlan,
    CareProblem,
    CarerDay,
    Sync,
    Unplaced,
    VisitNeed,
)
from steward.scheduling.care_pyvrp import solve_care_pyvrp

H = 60  # minutes in an hour


def _travel(points: list[int]) -> list[list[int]]:
    """Places on a line; travel is 5 minutes plus the distance."""
    return [[0 if i == j else 5 + abs(a - b) for j, b in enumerate(points)] for i, a in enumerate(points)]


def _carer(carer_id: int, place: int, **kw: object) -> CarerDay:
    values: dict = {"shift_start": 7 * H, "shift_end": 15 * H}
    values.update(kw)
    return CarerDay(id=carer_id, place=place, **values)


def _visit(key: str, place: int, at: int, **kw: object) -> VisitNeed:
    values: dict = {"duration": 30, "preferred": (at, at + 30), "acceptable": (at - 60, at + 60)}
    values.update(kw)
    return VisitNeed(key=key, place=place, **values)


def _solve(problem: CareProblem, limit: float = 1.0) -> CarePlan:
    plan = solve_care_pyvrp(problem, seed=1, time_limit=limit)
    assert check_care_plan(problem, plan) == []
    return plan


def _parts(plan: CarePlan, key: str) -> tuple:
    return next(v for v in plan.visits if v.key == key).parts


def test_a_light_day_is_planned_whole_inside_every_preferred_window() -> None:
    problem = CareProblem(
        carers=(_carer(1, 0), _carer(2, 1)),
        visits=tuple(_visit(f"v{i}", 2 + i, 8 * H + 45 * i) for i in range(6)),
        travel={"car": _travel([0, 10, 2, 4, 6, 8, 10, 12])},
    )
    plan = _solve(problem)
    metrics = plan_metrics(problem, plan)
    assert metrics.unplaced == 0
    assert metrics.in_preferred == 6


def test_skills_and_exclusions_decide_who_comes() -> None:
    problem = CareProblem(
        carers=(_carer(1, 0), _carer(2, 0, skills=frozenset({"hoist"})), _carer(3, 0)),
        visits=(
            _visit("hoist", 1, 9 * H, skills=frozenset({"hoist"})),
            _visit("not-1-or-3", 2, 11 * H, excluded_carers=frozenset({1, 3})),
            _visit("anyone", 3, 10 * H),
        ),
        travel={"car": _travel([0, 3, 6, 9])},
    )
    plan = _solve(problem)
    assert [p.carer for p in _parts(plan, "hoist")] == [2]
    assert [p.carer for p in _parts(plan, "not-1-or-3")] == [2]
    assert _parts(plan, "anyone")


def test_a_double_handed_visit_gets_two_carers_at_once_and_a_sequential_one_its_gap() -> None:
    problem = CareProblem(
        carers=(_carer(1, 0), _carer(2, 1), _carer(3, 2)),
        visits=(
            _visit("together", 3, 9 * H, carers_needed=2),
            _visit("one-then-other", 4, 12 * H, carers_needed=2, sync=Sync.SEQUENTIAL, gap=(10, 20)),
            _visit("single", 5, 10 * H + 30),
        ),
        travel={"car": _travel([0, 2, 4, 6, 8, 10])},
    )
    plan = _solve(problem, limit=2.0)
    together = _parts(plan, "together")
    assert len({p.carer for p in together}) == 2
    assert together[0].start == together[1].start
    first, second = _parts(plan, "one-then-other")
    assert first.carer != second.carer
    assert 10 <= second.start - first.start <= 20


def test_every_working_carer_takes_their_break_inside_its_window() -> None:
    problem = CareProblem(
        carers=(
            _carer(1, 0, break_minutes=30, break_earliest=11 * H, break_latest=12 * H),
            _carer(2, 1, break_minutes=30, break_earliest=11 * H, break_latest=12 * H),
        ),
        visits=tuple(_visit(f"v{i}", 2 + i % 4, 8 * H + 40 * i) for i in range(8)),
        travel={"car": _travel([0, 5, 1, 3, 7, 9])},
    )
    plan = _solve(problem)
    for route in plan.routes:
        if route.visits:
            assert route.break_start is not None
            assert 11 * H <= route.break_start <= 12 * H


def test_visits_nobody_can_give_are_returned_unplaced_with_a_reason_and_the_rest_planned() -> None:
    problem = CareProblem(
        carers=(_carer(1, 0), _carer(2, 0, shift_start=16 * H, shift_end=22 * H)),
        visits=(
            _visit("peg", 1, 9 * H, skills=frozenset({"peg"})),
            _visit("night", 1, 23 * H + 30, acceptable=(23 * H, 23 * H + 50)),
            _visit("excluded", 2, 9 * H, excluded_carers=frozenset({1, 2})),
            _visit("two-needed", 2, 9 * H, carers_needed=2),
            _visit("fine", 2, 10 * H),
        ),
        travel={"car": _travel([0, 3, 6])},
    )
    plan = _solve(problem)
    reasons = {v.key: v.unplaced for v in plan.visits}
    assert reasons["peg"] == Unplaced.NO_SKILLED_CARER
    assert reasons["night"] == Unplaced.OUTSIDE_SHIFTS
    assert reasons["excluded"] == Unplaced.ALL_CARERS_EXCLUDED
    assert reasons["two-needed"] == Unplaced.NO_SECOND_CARER
    assert reasons["fine"] is None
    assert all(v.unplaced_detail for v in plan.visits if v.unplaced)


def test_the_usual_carer_comes_when_the_day_allows() -> None:
    problem = CareProblem(
        carers=(_carer(1, 0), _carer(2, 0), _carer(3, 0)),
        visits=(
            _visit("a", 1, 9 * H, usual_carers=(3,)),
            _visit("b", 2, 11 * H, usual_carers=(2,)),
        ),
        travel={"car": _travel([0, 2, 4])},
    )
    plan = _solve(problem)
    assert [p.carer for p in _parts(plan, "a")] == [3]
    assert [p.carer for p in _parts(plan, "b")] == [2]
    assert plan_metrics(problem, plan).continuity_pct == 100.0


def test_the_preferred_window_outweighs_travel() -> None:
    # One carer, two visits at opposite ends: the cheap order (near first) would put the
    # far visit's customer outside their window; the plan travels more instead.
    problem = CareProblem(
        carers=(_carer(1, 0),),
        visits=(
            _visit("near", 1, 10 * H, preferred=(9 * H + 30, 11 * H), acceptable=(8 * H, 12 * H)),
            _visit("far", 2, 9 * H, preferred=(9 * H, 9 * H + 20), acceptable=(8 * H, 12 * H)),
        ),
        travel={"car": _travel([0, 1, 40])},
    )
    plan = _solve(problem)
    metrics = plan_metrics(problem, plan)
    assert metrics.in_preferred == 2
    assert plan.routes[0].visits == ("far", "near")
