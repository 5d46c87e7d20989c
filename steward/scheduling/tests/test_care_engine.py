"""The care engine: every plan it returns passes the independent checker, and it puts the
customer's preferred time first, then the usual carer, then travel."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.scheduling.care_baseline import solve_by_hand, solve_staff_first
from steward.scheduling.care_check import check_care_plan, plan_metrics
from steward.scheduling.care_problem import CarePlan, CareProblem, PlannedVisit, Sync, Unplaced
from steward.scheduling.care_solver import solve_care
from steward.scheduling.tests.care_days import carer, day, random_day, visit


def _solved(problem: CareProblem, iterations: int = 30, seed: int = 0) -> CarePlan:
    plan = solve_care(problem, seed=seed, iterations=iterations)
    assert check_care_plan(problem, plan) == []
    return plan


def _visit(plan: CarePlan, key: str) -> PlannedVisit:
    return next(v for v in plan.visits if v.key == key)


def test_every_visit_starts_in_its_preferred_window_when_the_day_allows() -> None:
    problem = day(
        [carer(1, place=0), carer(2, place=0)],
        [
            visit("a", 1, (480, 510)),
            visit("b", 2, (480, 510)),  # same time as a: needs the second carer
            visit("c", 3, (540, 660)),
            visit("d", 4, (600, 630)),
        ],
    )
    plan = _solved(problem)
    metrics = plan_metrics(problem, plan)
    assert metrics.in_preferred == 4
    assert metrics.minutes_outside == 0
    assert {_visit(plan, "a").parts[0].carer, _visit(plan, "b").parts[0].carer} == {1, 2}


def test_more_travel_is_worth_keeping_the_preferred_window() -> None:
    # Carer 1 lives beside both visits but cannot do both at 8:00; carer 2 lives far away.
    problem = day(
        [carer(1, place=1), carer(2, place=10)],
        [visit("near", 1, (480, 490)), visit("also_near", 2, (480, 490))],
    )
    plan = _solved(problem)
    assert plan_metrics(problem, plan).in_preferred == 2
    assert {_visit(plan, "near").parts[0].carer, _visit(plan, "also_near").parts[0].carer} == {1, 2}


def test_the_usual_carer_is_kept_when_free_even_at_more_travel() -> None:
    problem = day(
        [carer(1, place=1), carer(2, place=9)],
        [visit("a", 1, (480, 540), usual_carers=(2,))],
    )
    plan = _solved(problem)
    assert _visit(plan, "a").parts[0].carer == 2
    assert plan_metrics(problem, plan).continuity_pct == 100.0


def test_the_preferred_window_comes_before_the_usual_carer() -> None:
    # The usual carer (1) is busy at 8:00 with a visit only they can give.
    problem = day(
        [carer(1, place=0, skills=("peg",)), carer(2, place=0)],
        [visit("peg", 1, (480, 490), skills=("peg",)), visit("a", 2, (480, 490), usual_carers=(1,))],
    )
    plan = _solved(problem)
    assert _visit(plan, "a").parts[0].carer == 2
    assert plan_metrics(problem, plan).in_preferred == 2


def test_a_skill_only_one_carer_has_goes_to_them_and_a_missing_skill_is_the_reason() -> None:
    problem = day(
        [carer(1), carer(2, skills=("hoist",))],
        [visit("hoist", 3, (600, 630), skills=("hoist",)), visit("peg", 4, (600, 630), skills=("peg",))],
    )
    plan = _solved(problem)
    assert _visit(plan, "hoist").parts[0].carer == 2
    assert _visit(plan, "peg").unplaced == Unplaced.NO_SKILLED_CARER


def test_an_excluded_carer_is_never_sent_and_all_excluded_is_the_reason() -> None:
    problem = day(
        [carer(1, place=3), carer(2, place=0)],
        [
            visit("a", 3, (600, 630), excluded_carers=frozenset({1})),
            visit("b", 4, (700, 730), excluded_carers=frozenset({1, 2})),
        ],
    )
    plan = _solved(problem)
    assert _visit(plan, "a").parts[0].carer == 2
    assert _visit(plan, "b").unplaced == Unplaced.ALL_CARERS_EXCLUDED


def test_a_window_outside_every_shift_is_the_reason() -> None:
    problem = day([carer(1, shift=(420, 900))], [visit("late", 2, (1260, 1290), acceptable=(1250, 1300))])
    plan = _solved(problem)
    assert _visit(plan, "late").unplaced == Unplaced.OUTSIDE_SHIFTS
    assert _visit(plan, "late").unplaced_detail


def test_a_window_too_tight_for_the_travel_is_unplaced_with_that_reason() -> None:
    # One carer: at place 10 (50 minutes away) from 8:00 to 8:30; the other visit must
    # start 8:35–8:40 at place 0, 50 minutes back: the carer is free then, the travel is not.
    problem = day(
        [carer(1, place=5)],
        [
            visit("far", 10, (480, 480), acceptable=(480, 480)),
            visit("tight", 0, (515, 520), acceptable=(515, 520)),
        ],
    )
    plan = _solved(problem)
    placed = [v.key for v in plan.visits if v.parts]
    assert len(placed) == 1
    unplaced = next(v for v in plan.visits if not v.parts)
    assert unplaced.unplaced == Unplaced.WINDOW_TOO_TIGHT


def test_no_carer_free_is_the_reason_when_everyone_able_is_busy() -> None:
    problem = day(
        [carer(1, place=1)],
        [visit("a", 1, (480, 480), acceptable=(480, 480), duration=60), visit("b", 1, (490, 490), (490, 500))],
    )
    plan = _solved(problem)
    assert _visit(plan, "b").unplaced == Unplaced.NO_CARER_FREE


def test_a_double_handed_visit_gets_two_carers_starting_together() -> None:
    problem = day(
        [carer(1, place=0), carer(2, place=8), carer(3, place=4, skills=("hoist",))],
        [visit("hoist", 4, (540, 570), skills=(), carers_needed=2)],
    )
    plan = _solved(problem)
    parts = _visit(plan, "hoist").parts
    assert len({p.carer for p in parts}) == 2
    assert parts[0].start == parts[1].start
    assert 540 <= parts[0].start <= 570


def test_a_sequential_double_visit_keeps_its_gap() -> None:
    problem = day(
        [carer(1, place=0), carer(2, place=2)],
        [visit("seq", 3, (540, 560), carers_needed=2, sync=Sync.SEQUENTIAL, gap=(15, 20))],
    )
    plan = _solved(problem)
    first, second = _visit(plan, "seq").parts
    assert 15 <= second.start - first.start <= 20
    assert first.carer != second.carer


def test_no_second_carer_at_that_time_is_the_reason() -> None:
    problem = day(
        [carer(1, shift=(420, 900)), carer(2, shift=(840, 1320))],
        [visit("pair", 3, (480, 510), carers_needed=2)],
    )
    plan = _solved(problem)
    assert _visit(plan, "pair").unplaced == Unplaced.NO_SECOND_CARER


def test_the_break_is_taken_whole_in_its_window_and_a_visit_moves_around_it() -> None:
    # The break must start 12:00–12:10; a visit wanting 12:00–12:30 waits or comes early.
    problem = day(
        [carer(1, break_minutes=30, break_earliest=720, break_latest=730)],
        [visit("before", 1, (660, 690)), visit("lunch", 2, (720, 750), acceptable=(600, 840))],
    )
    plan = _solved(problem)
    route = plan.routes[0]
    assert route.break_start is not None and 720 <= route.break_start <= 730
    lunch = _visit(plan, "lunch").parts[0].start
    assert lunch + 30 <= route.break_start or lunch >= route.break_start + 30


def test_overtime_is_working_time_beyond_the_contract() -> None:
    problem = day(
        [carer(1, place=0, contracted_minutes=60)],
        [visit("a", 2, (480, 500)), visit("b", 2, (600, 620))],
    )
    plan = _solved(problem)
    # 10 there, 30, 0, 30, 10 back = 80 working minutes.
    assert plan.routes[0].overtime_minutes == 20
    assert plan.routes[0].travel_minutes == 20


def test_the_same_seed_and_iterations_give_the_same_plan() -> None:
    problem = random_day(5, carers=4, visits=18)
    first = solve_care(problem, seed=3, iterations=40)
    second = solve_care(problem, seed=3, iterations=40)
    assert first == second
    assert check_care_plan(problem, first) == []


def test_the_plan_counts_every_search_round_it_was_given() -> None:
    # The search runs in stretches (continuity first, then the windows); the count a
    # planner sees is all of them, not the last stretch's.
    plan = solve_care(random_day(5, carers=4, visits=18), seed=3, iterations=60)
    assert plan.metrics["iterations"] == 60


def test_progress_is_reported_and_ends_at_one_hundred() -> None:
    seen: list[tuple[int, str]] = []
    solve_care(random_day(2), iterations=20, progress=lambda percent, message: seen.append((percent, message)))
    assert seen[0][0] == 0
    assert seen[-1][0] == 100
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)


def test_the_engine_beats_staff_first_on_the_preferred_window() -> None:
    problem = random_day(11, carers=4, visits=20)
    engine, baseline = _solved(problem, iterations=60), solve_staff_first(problem)
    assert check_care_plan(problem, baseline) == []
    ours, theirs = plan_metrics(problem, engine), plan_metrics(problem, baseline)
    assert (ours.unplaced, ours.minutes_outside) <= (theirs.unplaced, theirs.minutes_outside)


def test_a_day_with_nobody_working_leaves_every_visit_unplaced_with_the_reason() -> None:
    problem = day([], [visit("a", 1, (480, 510)), visit("pair", 2, (600, 630), carers_needed=2)])
    plan = _solved(problem)
    assert [v.unplaced for v in plan.visits] == [Unplaced.NO_SKILLED_CARER, Unplaced.NO_SKILLED_CARER]


def test_a_travel_mode_without_travel_times_is_refused_plainly() -> None:
    problem = day([carer(1, travel_profile="walk")], [visit("a", 1, (480, 510))])
    with pytest.raises(ValueError, match="carer 1 travels by 'walk'"):
        solve_care(problem, iterations=1)


def test_an_empty_day_is_an_empty_plan() -> None:
    problem = day([carer(1, break_minutes=30, break_earliest=700, break_latest=760)], [])
    plan = _solved(problem)
    assert plan.visits == ()


@pytest.mark.parametrize("seed", range(6))
def test_random_days_give_checked_plans_by_both_planners(seed: int) -> None:
    problem = random_day(seed, carers=2 + seed % 4, visits=5 + 3 * seed)
    plan = _solved(problem, iterations=25, seed=seed)
    assert all(v.parts or v.unplaced is not None for v in plan.visits)
    assert check_care_plan(problem, solve_staff_first(problem)) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), carers=st.integers(2, 5), visits=st.integers(5, 20))
def test_any_small_day_gives_a_checker_clean_plan(seed: int, carers: int, visits: int) -> None:
    problem = random_day(seed, carers=carers, visits=visits)
    plan = solve_care(problem, seed=seed, iterations=10)
    assert check_care_plan(problem, plan) == []
    assert check_care_plan(problem, solve_staff_first(problem)) == []
    assert check_care_plan(problem, solve_by_hand(problem)) == []


def test_two_carers_crossed_over_are_exchanged_back_to_their_usual_customers() -> None:
    """Ann usually goes to "a" and Bob to "b", both at 9:00 next door to each other. A day
    that sends each to the other's customer is put right by the exchange, which a repair
    of one visit at a time cannot do (moving either alone makes a window worse)."""
    from steward.scheduling.care_check import check_care_plan, plan_metrics
    from steward.scheduling.care_diagnose import diagnose
    from steward.scheduling.care_solver import CareSearch, _insert_on, _win_back_usual, build_plan

    problem = day(
        [carer(1, place=0), carer(2, place=0)],
        [
            visit("a", 1, (540, 545), acceptable=(540, 545), duration=60, usual_carers=(1,)),
            visit("b", 2, (540, 545), acceptable=(540, 545), duration=60, usual_carers=(2,)),
        ],
    )
    search = CareSearch(problem)
    ann, bob = 0, 1  # routes, in the order of the carers
    assert _insert_on(search, 0, {bob}) and _insert_on(search, 1, {ann})  # crossed over
    before = search.cost()

    assert _win_back_usual(search, lambda: False) >= 1

    assert search.cost() < before
    plan = build_plan(search, diagnose)
    assert check_care_plan(problem, plan) == []
    assert {p.key: p.parts[0].carer for p in plan.visits} == {"a": 1, "b": 2}
    assert plan_metrics(problem, plan).totals()["continuity_pct"] == 100.0


def test_a_visit_let_in_early_waits_for_its_window_when_nothing_stops_it() -> None:
    """A visit placed from its acceptable window's opening (because at some moment of
    the search it fitted nowhere later) is moved to its preferred window's opening at the
    end when the day allows, and no later than what follows it allows."""
    from steward.scheduling.care_diagnose import diagnose
    from steward.scheduling.care_solver import CareSearch, _come_later, build_plan

    problem = day(
        [carer(1, place=0)],
        [
            # Preferred 9:00-9:30, accepted from 8:00; then a fixed 10:00 visit next door.
            visit("a", 1, (540, 570), acceptable=(480, 600), duration=30),
            visit("b", 2, (600, 600), acceptable=(600, 600), duration=30),
        ],
    )
    search = CareSearch(problem)
    search._set_release(0, 480)  # as the search does when a visit fits nowhere later
    assert search.insert(0) and search.insert(1)
    assert search.t[search.part_base[0]] == 480  # as early as it may
    before = search.cost()

    assert _come_later(search) == 1

    plan = build_plan(search, diagnose)
    assert check_care_plan(problem, plan) == []
    assert search.cost() < before
    assert _visit(plan, "a").parts[0].start == 540  # in the preferred window now
    assert _visit(plan, "b").parts[0].start == 600


def test_a_visit_let_in_early_waits_only_as_long_as_the_next_visit_allows() -> None:
    from steward.scheduling.care_diagnose import diagnose
    from steward.scheduling.care_solver import CareSearch, _come_later, build_plan

    problem = day(
        [carer(1, place=0)],
        [
            visit("a", 1, (540, 570), acceptable=(480, 580), duration=30),
            # 9:15 sharp next door (until 9:45, so "a" cannot come after it): "a" must
            # end by 9:10 (5 minutes' travel).
            visit("b", 2, (555, 555), acceptable=(555, 555), duration=30),
        ],
    )
    search = CareSearch(problem)
    search._set_release(0, 480)
    assert search.insert(0) and search.insert(1)
    assert search.t[search.part_base[0]] == 480

    _come_later(search)

    plan = build_plan(search, diagnose)
    assert check_care_plan(problem, plan) == []
    assert _visit(plan, "a").parts[0].start == 520  # the latest start that still reaches "b" at 9:15


def test_a_visit_already_back_in_the_day_is_not_put_back_twice() -> None:
    """The destroy step's own visit is placed first; the usual carer step that follows
    must not place it again (it once did: the visit stood twice on the carer's day)."""
    import random

    from steward.scheduling.care_diagnose import diagnose
    from steward.scheduling.care_solver import CareSearch, _return_to_usual, build_plan

    problem = day([carer(1, place=0)], [visit("a", 1, (540, 570), usual_carers=(1,))])
    search = CareSearch(problem)
    assert search.insert(0)

    _return_to_usual(search, [0], {0: 0}, random.Random(0), 0.0)

    assert search.routes[0].count(search.part_base[0]) == 1
    assert check_care_plan(problem, build_plan(search, diagnose)) == []


@pytest.mark.parametrize("seed", range(4))
def test_longer_searches_on_busier_small_days_give_checker_clean_plans(seed: int) -> None:
    """Enough rounds for every step of the search to run (usual carers first back,
    retries, exchanges), on days with pairs, breaks, usual and excluded carers."""
    problem = random_day(seed, carers=5, visits=30)
    plan = solve_care(problem, seed=seed, iterations=400)
    assert check_care_plan(problem, plan) == []


def test_the_by_hand_rota_is_valid_and_comes_at_the_preferred_time_where_it_can() -> None:
    """The by-hand rota (last week's, in the realistic-day benchmark) keeps every hard rule
    and, unlike staff-first, goes by the preferred time: fewer visits before their window,
    more inside it."""
    problem = random_day(4)
    by_hand, staff_first = solve_by_hand(problem), solve_staff_first(problem)
    assert check_care_plan(problem, by_hand) == []
    needs = {need.key: need for need in problem.visits}

    def early(plan: CarePlan) -> int:
        return sum(1 for v in plan.visits if v.parts and v.parts[0].start < needs[v.key].preferred[0])

    assert early(by_hand) < early(staff_first)
    assert plan_metrics(problem, by_hand).in_preferred > plan_metrics(problem, staff_first).in_preferred


@pytest.mark.parametrize("seed", range(3))
def test_the_window_still_comes_before_the_usual_carer_in_the_end(seed: int) -> None:
    """The search values usual carers above windows at first (continuity first), then
    goes back to the customer's order: Ann, the usual carer, could only come 35 minutes
    late (she is at a visit only she can do, far away), so Bob goes, on time."""
    problem = day(
        [carer(1, place=0, skills=("peg",)), carer(2, place=0)],
        [
            visit("far", 11, (500, 500), acceptable=(500, 500), skills=("peg",)),
            visit("a", 1, (540, 545), acceptable=(480, 660), usual_carers=(1,)),
        ],
    )
    plan = solve_care(problem, seed=seed, iterations=50)
    assert check_care_plan(problem, plan) == []
    placed = {p.key: p.parts[0] for p in plan.visits}
    assert placed["far"].carer == 1
    assert (placed["a"].carer, placed["a"].start) == (2, 540)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), carers=st.integers(2, 5), visits=st.integers(5, 20))
def test_the_search_prices_places_as_the_customer_order_costs_them(seed: int, carers: int, visits: int) -> None:
    """The hot loops carry their own copies of the carer, window and overtime costs (for
    speed): the day's cost must still be the sum of each visit's and each carer's, and
    each place's quick bound must never exceed what the place really costs, or the
    search would skip cheaper places."""
    from steward.scheduling.care_solver import CareSearch

    search = CareSearch(random_day(seed, carers=carers, visits=visits))
    for v in range(search.n_visits):
        # (A visit let in before its window gains from being pushed later: then a place
        # can cost less than its bound, which leaves such knock-on changes out.)
        early = any(
            search.placed(x) and search.t[search.part_base[x]] < search.pref[x][0] for x in range(search.n_visits)
        )
        if not search.double[v] and not early:
            u = search.part_base[v]
            for bound, r, k in search._candidates(v, u):
                priced = search._try(v, [(u, r, k)])
                assert priced is None or bound <= priced[0]
        search.insert(v)
        composed = sum(search.visit_cost(x) for x in range(search.n_visits)) + sum(
            search.route_cost(r, search.travel[r], search.work[r]) for r in range(search.n_carers)
        )
        assert search.cost() == composed


def test_a_visit_left_unplaced_gets_room_cleared_on_the_carers_who_could_do_it() -> None:
    """The focused removal takes out what stands in the unplaced visit's way: the visits
    of carers able to do it, around its acceptable window, and nothing of a carer who
    could not do it or of a time it could not be at; the repair then puts it in first."""
    import random

    from steward.scheduling.care_solver import CareSearch, _unplaced_removal

    only = {1: frozenset({2, 3}), 2: frozenset({1, 3}), 3: frozenset({1, 2})}
    problem = day(
        [carer(1, place=0, skills=("hoist",)), carer(2, place=0, skills=("hoist",)), carer(3, place=0)],
        [
            visit("bath", 1, (540, 600), skills=("hoist",)),  # acceptable 08:00-11:00
            visit("on 1, overlapping", 2, (600, 610), excluded_carers=only[1]),
            visit("on 2, overlapping", 3, (560, 570), excluded_carers=only[2]),
            visit("on 3, overlapping", 4, (600, 610), excluded_carers=only[3]),
            visit("on 1, the afternoon", 2, (840, 850), excluded_carers=only[1]),
        ],
    )
    search = CareSearch(problem)
    for v in range(1, 5):
        assert search.insert(v)
    assert not search.placed(0)

    chosen = _unplaced_removal(search, 15, random.Random(0))

    assert search.first_to_insert == 0
    # The visit and the two in its way on the carers with a hoist.
    assert {problem.visits[v].key for v in chosen} == {"bath", "on 1, overlapping", "on 2, overlapping"}


def test_a_busy_hour_is_cleared_around_a_late_visit_but_usual_carers_keep_theirs() -> None:
    """Around a visit outside its preferred window, the removal takes the visits of any
    carer nearest in time, but leaves those with their usual carer where they are (moving
    them would spend continuity) and the ones far off in the day."""
    import random

    from steward.scheduling.care_solver import CareSearch, _time_band_removal

    class First(random.Random):
        """Always the first choice, every coin heads: the removal's own order shows."""

        def random(self) -> float:
            return 0.0

        def choice(self, seq):  # type: ignore[no-untyped-def, override]
            return seq[0]

    problem = day(
        [carer(1, place=0), carer(2, place=0)],
        [
            visit("too early for any shift", 1, (400, 410), acceptable=(300, 700)),
            visit("with her usual carer", 2, (480, 490), usual_carers=(1,), excluded_carers=(2,)),
            visit("no usual carer", 3, (520, 530)),
            visit("usual carer off today", 4, (560, 570), usual_carers=(9,)),
            visit("the afternoon", 5, (840, 850)),
        ],
    )
    search = CareSearch(problem)
    for v in range(5):
        assert search.insert(v)
    assert search.t[search.part_base[0]] > 410  # outside its window: the removal's moment

    chosen = _time_band_removal(search, 3, First())

    assert {problem.visits[v].key for v in chosen} == {
        "too early for any shift",
        "no usual carer",
        "usual carer off today",
    }
