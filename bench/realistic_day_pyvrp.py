"""PyVRP against our own search on the care problem: the realistic day and small days.

For each day (``bench.realistic_day.generate(seed)`` and small random days built here),
each engine (``pyvrp``: :mod:`steward.scheduling.care_pyvrp` with its repair step
inserting what the solver left out; ``pyvrp-alone``: without it; ``lns``:
:func:`steward.scheduling.care_solver.solve_care`) and each time limit, solve once, check
the plan with the independent checker (``care_check.check_care_plan``) and print one row:
share of visits in the preferred window, minutes outside it, continuity, travel, overtime,
unplaced visits, validity, wall and processor seconds, and the load average before and
after (the machine is shared: figures are **measured under load**).

    .venv/bin/python -m bench.realistic_day_pyvrp

Knobs (environment):

    CARE_SEEDS     realistic-day seeds, comma-separated (default 0,1,2)
    CARE_LIMITS    seconds per solve, comma-separated (default 10,30)
    CARE_ENGINES   comma-separated (default pyvrp,pyvrp-alone,lns)
    CARE_SMALL     number of small days (default 3; 0 for none)
    CARE_ONLY      "realistic" or "small" to run one kind only
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable

from steward.scheduling.care_check import check_care_plan, plan_metrics
from steward.scheduling.care_problem import CarePlan, CareProblem, CarerDay, Sync, VisitNeed
from steward.scheduling.care_pyvrp import solve_care_pyvrp


def small_day(seed: int, carers: int = 5, visits: int = 30, pairs: int = 2) -> CareProblem:
    """A small day: carers with breaks and some skills, visits with windows, usual carers, pairs."""
    rng = random.Random(seed)
    points = [(rng.uniform(0, 15), rng.uniform(0, 15)) for _ in range(carers + visits)]
    travel = [
        [0 if i == j else 3 + int(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5) for j, b in enumerate(points)]
        for i, a in enumerate(points)
    ]
    days = []
    for k in range(carers):
        start = rng.choice([7 * 60, 8 * 60])
        days.append(
            CarerDay(
                id=k + 1,
                place=k,
                shift_start=start,
                shift_end=start + 8 * 60,
                skills=frozenset({"hoist"}) if k % 2 else frozenset(),
                break_minutes=30,
                break_earliest=start + 3 * 60,
                break_latest=start + 5 * 60,
                name=f"Carer {k + 1}",
            )
        )
    needs = []
    for i in range(visits):
        p0 = rng.choice(range(8 * 60, 14 * 60, 15))
        needs.append(
            VisitNeed(
                key=f"s{seed}:v{i}",
                place=carers + i,
                duration=rng.choice([15, 30, 45]),
                preferred=(p0, p0 + 30),
                acceptable=(p0 - 60, p0 + 90),
                skills=frozenset({"hoist"}) if i % 7 == 3 else frozenset(),
                carers_needed=2 if i < pairs else 1,
                sync=Sync.SIMULTANEOUS,
                usual_carers=(rng.randint(1, carers),) if i % 3 else (),
                excluded_carers=frozenset({2}) if i % 11 == 5 else frozenset(),
                customer=i,
            )
        )
    return CareProblem(carers=tuple(days), visits=tuple(needs), travel={"car": travel})


def _engines() -> dict[str, Callable[[CareProblem, int, float], CarePlan]]:
    engines: dict[str, Callable[[CareProblem, int, float], CarePlan]] = {
        "pyvrp": lambda p, seed, limit: solve_care_pyvrp(p, seed=seed, time_limit=limit, clock="cpu"),
        "pyvrp-alone": lambda p, seed, limit: solve_care_pyvrp(
            p, seed=seed, time_limit=limit, clock="cpu", repair=False
        ),
    }
    try:
        from steward.scheduling.care_solver import solve_care
    except ImportError:
        return engines
    engines["lns"] = lambda p, seed, limit: solve_care(p, seed=seed, time_limit=limit, clock="cpu")
    return engines


def main() -> int:
    seeds = [int(s) for s in os.environ.get("CARE_SEEDS", "0,1,2").split(",") if s]
    limits = [float(s) for s in os.environ.get("CARE_LIMITS", "10,30").split(",") if s]
    wanted = os.environ.get("CARE_ENGINES", "pyvrp,pyvrp-alone,lns").split(",")
    small = int(os.environ.get("CARE_SMALL", "3"))
    only = os.environ.get("CARE_ONLY", "")
    engines = {name: fn for name, fn in _engines().items() if name in wanted}
    days: list[tuple[str, CareProblem]] = []
    if only != "small":
        try:
            from bench.realistic_day import generate
        except ImportError:
            print("bench.realistic_day is not there yet: realistic days skipped", file=sys.stderr)
        else:
            days += [(f"realistic {seed}", generate(seed)) for seed in seeds]
    if only != "realistic":
        days += [(f"small {seed}", small_day(seed)) for seed in range(small)]
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores, shared: measured under load)")
    header = (
        "| day | carers | visits | engine | limit s | in preferred % (of all) | minutes outside | continuity % "
        "| travel min | overtime min | unplaced | valid | wall s | cpu s | load |"
    )
    print(header)
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for name, problem in days:
        for limit in limits:
            for engine, solve in engines.items():
                wall, cpu = time.perf_counter(), time.process_time()
                plan = solve(problem, 0, limit)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                problems = check_care_plan(problem, plan)
                valid = "yes" if not problems else f"NO ({len(problems)})"
                m = plan_metrics(problem, plan)
                print(
                    f"| {name} | {len(problem.carers)} | {len(problem.visits)} | {engine} | {limit:g} "
                    f"| {m.pct_in_preferred:.1f} | {m.minutes_outside} | {m.continuity_pct:.1f} "
                    f"| {m.travel_minutes} | {m.overtime_minutes} | {m.unplaced} | {valid} "
                    f"| {wall:.1f} | {cpu:.1f} | {os.getloadavg()[0]:.1f} |",
                    flush=True,
                )
                if problems:
                    for line in problems[:5]:
                        print(f"    {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
