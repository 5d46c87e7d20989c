"""A tiny stand-in for the care engine, so the tests of runs, publishing and reports say
exactly which plan they save (the engine itself is tested in steward/scheduling).

It gives each visit, in order, to the first carer(s) with the skills who are free at the
start of its preferred window (or, failing that, at ``late`` minutes after it), else says
why not. No travel checks: it is not a scheduler.
"""

from __future__ import annotations

from collections.abc import Callable

from steward.scheduling.care_problem import CarePlan, CareProblem, CarerRoute, Part, PlannedVisit, Unplaced


def stand_in_solve(
    problem: CareProblem,
    *,
    seed: int = 0,
    time_limit: float = 10.0,
    progress: Callable[[int, str], None] | None = None,
    late: int = 0,
    iterations: int | None = None,
) -> CarePlan:
    busy: dict[int, list[tuple[int, int]]] = {c.id: [] for c in problem.carers}
    routes: dict[int, list[str]] = {c.id: [] for c in problem.carers}
    planned: list[PlannedVisit] = []
    for n, need in enumerate(problem.visits):
        if progress is not None:
            progress(int(100 * n / max(1, len(problem.visits))), f"visit {n + 1} of {len(problem.visits)}")
        start = need.preferred[0] + late
        skilled = [c for c in problem.carers if need.skills <= c.skills and c.id not in need.excluded_carers]
        free = [
            c
            for c in skilled
            if c.shift_start <= start
            and start + need.duration <= c.shift_end
            and all(start >= e or start + need.duration <= s for s, e in busy[c.id])
        ]
        free.sort(key=lambda c: (c.id not in need.usual_carers, c.id))
        if not skilled:
            planned.append(
                PlannedVisit(key=need.key, unplaced=Unplaced.NO_SKILLED_CARER, unplaced_detail="Needs a hoist")
            )
            continue
        if len(free) < need.carers_needed:
            planned.append(PlannedVisit(key=need.key, unplaced=Unplaced.NO_CARER_FREE))
            continue
        parts = []
        for carer in free[: need.carers_needed]:
            busy[carer.id].append((start, start + need.duration))
            routes[carer.id].append(need.key)
            parts.append(Part(carer=carer.id, start=start, travel_before=7))
        planned.append(PlannedVisit(key=need.key, parts=tuple(parts)))
    return CarePlan(
        visits=tuple(planned),
        routes=tuple(
            CarerRoute(
                carer=c,
                visits=tuple(keys),
                travel_minutes=7 * len(keys) + (5 if keys else 0),
                overtime_minutes=3 if len(keys) > 1 else 0,
            )
            for c, keys in routes.items()
        ),
        objective=1,
    )
