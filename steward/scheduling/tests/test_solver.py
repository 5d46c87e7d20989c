"""The solver: every plan it returns is checked by the independent checker."""

from __future__ import annotations

import pytest

from steward.scheduling import hhcrsp
from steward.scheduling.engine_lns import _Plan
from steward.scheduling.hhcrsp_check import check
from steward.scheduling.solver import NoPlan, SolveOptions, solve
from steward.scheduling.tests.instances import random_instance, tiny_instance, tiny_solution, with_change


def _checked(data, options: SolveOptions):
    solution = solve(hhcrsp.instance_from_dict(data), options)
    report = check(data, hhcrsp.solution_to_dict(solution))
    assert report.errors == []
    return solution, report


@pytest.mark.parametrize("engine", ["lns", "ortools"])
def test_each_engine_plans_the_tiny_day_at_least_as_well_as_by_hand(engine) -> None:
    _, report = _checked(tiny_instance(), SolveOptions(time_limit=0.5, iterations=50, engine=engine))
    assert report.cost <= check(tiny_instance(), tiny_solution()).cost + 1e-6


def test_a_tight_window_is_late_rather_than_dropped() -> None:
    # p1 opens at 0 but must start by 1, and the depot is 10 away: 9 minutes late at best.
    data = with_change(tiny_instance(), lambda d: d["patients"][0].update(time_window=[0, 1]))
    solution, report = _checked(data, SolveOptions(iterations=50))
    assert sum(len(route.visits) for route in solution.routes) == 5
    assert report.max_tardiness >= 9 - 1e-6


def test_a_random_day_with_double_visits_is_valid_and_repeats_for_a_seed() -> None:
    data = random_instance(patients=14, caregivers=3, seed=7, doubles=4)
    options = SolveOptions(time_limit=30, iterations=100, seed=3)
    first, report = _checked(data, options)
    second, _ = _checked(data, options)
    assert first == second
    assert report.cost > 0


def test_a_service_nobody_can_give_is_reported_not_dropped() -> None:
    data = with_change(tiny_instance(), lambda d: d["caregivers"][1].update(abilities=["s1"]))
    with pytest.raises(NoPlan, match="no caregiver can give s2 to p2"):
        solve(hhcrsp.instance_from_dict(data), SolveOptions(iterations=5))


def test_a_double_visit_only_one_carer_could_give_is_reported() -> None:
    # c1 loses s1, so c2 alone could give both of p2's services: it needs two people.
    data = with_change(tiny_instance(), lambda d: d["caregivers"][0].update(abilities=["s3"]))
    with pytest.raises(NoPlan, match="p2 needs two different caregivers for s1 and s2, and only c2 can give either"):
        solve(hhcrsp.instance_from_dict(data), SolveOptions(iterations=5))


def test_two_pairs_waiting_on_each_other_cannot_be_timed() -> None:
    # c1 does p2 then p3, c2 does p3 then p2: each pair waits for the other to finish.
    data = with_change(tiny_instance(), lambda d: d["patients"][2].update(synchronization={"type": "simultaneous"}))
    plan = _Plan(hhcrsp.instance_from_dict(data))
    p2_s1, p2_s2, p3_s1, p3_s2 = 1, 2, 3, 4
    plan.routes = [[p2_s1, p3_s1], [p3_s2, p2_s2]]
    assert plan.recompute() is False
    plan.routes = [[p2_s1, p3_s1], [p2_s2, p3_s2]]
    assert plan.recompute() is True
    assert plan.t[p2_s1] == plan.t[p2_s2] == 20  # both drive 20 minutes; the window opens at 20
    assert plan.t[p3_s1] == plan.t[p3_s2] == 52  # c2 is busy at p2 until 40, then 12 minutes away
