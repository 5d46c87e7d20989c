"""An independent checker for care plans, and the figures a plan is judged by.

``check_care_plan`` lists every hard rule of :mod:`steward.scheduling.care_problem` that a
``CarePlan`` breaks (an empty list: the plan is valid). It shares no code with the
engine (``care_solver``), so a bug there cannot hide a bad plan here; the tests and the
benchmark run every plan through it.

What a visit's start means: the start of its first part. A simultaneous double-handed
visit has both parts starting then; a sequential one has its second part (``parts[1]``)
starting ``gap`` minutes after the first. The acceptable and preferred windows apply to
the visit's start.

Breaks: a carer's break sits whole in a gap of their day (between leaving the start
place and the first visit, between two visits, or after the last one), starts inside its
window, and leaves room in that gap for the travel as well.

``plan_metrics`` computes what the reports show: visits in the preferred window, minutes
outside it, continuity (a visit with usual carers counts as kept when one of its parts is
given by one of them), travel and overtime per carer. Overtime is working minutes
(travel plus visits) beyond the carer's contracted minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steward.scheduling.care_problem import CarePlan, CareProblem, CarerRoute, Sync


def _outside(start: int, window: tuple[int, int]) -> int:
    if start < window[0]:
        return window[0] - start
    if start > window[1]:
        return start - window[1]
    return 0


def check_care_plan(problem: CareProblem, plan: CarePlan) -> list[str]:
    """Every broken rule of ``plan``, in plain sentences; empty when the plan is valid."""
    errors: list[str] = []
    needs = {need.key: need for need in problem.visits}
    carers = {carer.id: carer for carer in problem.carers}
    if len(needs) != len(problem.visits):
        errors.append("the problem has two visits with the same key")
    if len(carers) != len(problem.carers):
        errors.append("the problem has two carers with the same id")

    # Every visit exactly once.
    seen: dict[str, int] = {}
    for planned in plan.visits:
        seen[planned.key] = seen.get(planned.key, 0) + 1
        if planned.key not in needs:
            errors.append(f"visit {planned.key} is not in the problem")
    for key in needs:
        if seen.get(key, 0) != 1:
            errors.append(f"visit {key} appears {seen.get(key, 0)} times in the plan, not once")

    # The parts of each visit: who, what, when.
    # carer id -> [(start, visit key)]
    day_of: dict[int, list[tuple[int, str]]] = {carer_id: [] for carer_id in carers}
    for planned in plan.visits:
        need = needs.get(planned.key)
        if need is None:
            continue
        if not planned.parts:
            if planned.unplaced is None:
                errors.append(f"visit {planned.key} is unplaced without a reason")
            continue
        if planned.unplaced is not None:
            errors.append(f"visit {planned.key} is placed and also marked unplaced")
        if len(planned.parts) != need.carers_needed:
            errors.append(f"visit {planned.key} needs {need.carers_needed} carers and has {len(planned.parts)} parts")
            continue
        who = [part.carer for part in planned.parts]
        if len(set(who)) != len(who):
            errors.append(f"visit {planned.key} has the same carer twice")
        for part in planned.parts:
            carer = carers.get(part.carer)
            if carer is None:
                errors.append(f"visit {planned.key} names carer {part.carer}, who is not working that day")
                continue
            missing = need.skills - carer.skills
            if missing:
                errors.append(f"carer {carer.id} lacks {', '.join(sorted(missing))} for visit {planned.key}")
            if carer.id in need.excluded_carers:
                errors.append(f"carer {carer.id} is excluded by the customer of visit {planned.key}")
            day_of[carer.id].append((part.start, planned.key))
        start = planned.parts[0].start
        low, high = need.acceptable
        if not low <= start <= high:
            errors.append(f"visit {planned.key} starts at {start}, outside its acceptable window {low}–{high}")
        if len(planned.parts) == 2:
            first, second = planned.parts[0].start, planned.parts[1].start
            if need.sync == Sync.SIMULTANEOUS and first != second:
                errors.append(f"visit {planned.key} is simultaneous but its parts start at {first} and {second}")
            if need.sync == Sync.SEQUENTIAL and not need.gap[0] <= second - first <= need.gap[1]:
                errors.append(
                    f"visit {planned.key}: the second part starts {second - first} minutes after the first, "
                    f"not {need.gap[0]}–{need.gap[1]}"
                )

    # Each carer's day: shift, travel, no overlap, the break, and the route as written.
    routes: dict[int, CarerRoute] = {}
    for listed_route in plan.routes:
        if listed_route.carer in routes:
            errors.append(f"carer {listed_route.carer} has two routes")
        routes[listed_route.carer] = listed_route
        if listed_route.carer not in carers:
            errors.append(f"a route names carer {listed_route.carer}, who is not working that day")
    for carer_id, carer in carers.items():
        parts = sorted(day_of[carer_id])
        route = routes.get(carer_id)
        listed = list(route.visits) if route is not None else []
        if listed != [key for _, key in parts]:
            errors.append(f"carer {carer_id}'s route {listed} does not match their visits in time order")
        matrix = problem.travel.get(carer.travel_profile)
        if matrix is None:
            errors.append(f"carer {carer_id} travels by {carer.travel_profile!r}, which has no travel times")
            continue
        # The gaps of the day: (free from, free until, the travel needed in it).
        gaps: list[tuple[int, int, int]] = []
        here, free_from = carer.place, carer.shift_start
        travel_total = working = 0
        for start, key in parts:
            need = needs[key]
            part = next(p for p in _parts_of(plan, key) if p.carer == carer_id)
            travel = matrix[here][need.place]
            if part.travel_before != travel:
                errors.append(
                    f"visit {key}: carer {carer_id}'s travel before is given as {part.travel_before}, it is {travel}"
                )
            if start < free_from + travel:
                errors.append(
                    f"carer {carer_id} cannot be at visit {key} by {start}: free at {free_from}, {travel} minutes away"
                )
            gaps.append((free_from, start, travel))
            travel_total += travel
            working += travel + need.duration
            here, free_from = need.place, start + need.duration
        back = matrix[here][carer.place]
        travel_total += back
        working += back
        if free_from + back > carer.shift_end:
            errors.append(
                f"carer {carer_id} is back at {free_from + back}, after their shift ends at {carer.shift_end}"
            )
        gaps.append((free_from, carer.shift_end, back))
        if carer.break_minutes > 0 and (parts or (route is not None and route.break_start is not None)):
            # A carer with no visits that day has no break to take (one given is still checked).
            earliest = carer.break_earliest if carer.break_earliest is not None else carer.shift_start
            latest = carer.break_latest if carer.break_latest is not None else carer.shift_end - carer.break_minutes
            taken = route.break_start if route is not None else None
            if taken is None:
                errors.append(f"carer {carer_id} has no break")
            else:
                if not earliest <= taken <= latest:
                    errors.append(f"carer {carer_id}'s break starts at {taken}, outside {earliest}–{latest}")
                fits = any(
                    free <= taken
                    and taken + carer.break_minutes <= until
                    and until - free >= travel + carer.break_minutes
                    for free, until, travel in gaps
                )
                if not fits:
                    errors.append(f"carer {carer_id}'s break at {taken} does not fit whole between visits and travel")
        elif carer.break_minutes == 0 and route is not None and route.break_start is not None:
            errors.append(f"carer {carer_id} has a break they are not due")
        if route is not None:
            if route.travel_minutes != travel_total:
                errors.append(f"carer {carer_id}'s travel is given as {route.travel_minutes}, it is {travel_total}")
            contracted = carer.contracted_minutes
            overtime = max(0, working - contracted) if contracted is not None else 0
            if route.overtime_minutes != overtime:
                errors.append(f"carer {carer_id}'s overtime is given as {route.overtime_minutes}, it is {overtime}")
    return errors


def _parts_of(plan: CarePlan, key: str) -> tuple:
    for planned in plan.visits:
        if planned.key == key:
            return planned.parts
    return ()


@dataclass(frozen=True)
class CarerFigures:
    travel_minutes: int
    working_minutes: int
    overtime_minutes: int
    visits: int


@dataclass(frozen=True)
class CareMetrics:
    """How well a plan honours the customers, and what it costs the carers."""

    visits: int
    placed: int
    unplaced: int
    in_preferred: int  # placed visits starting inside the preferred window
    minutes_outside: int  # total minutes outside the preferred window, over placed visits
    with_usual_carers: int  # visits that have usual carers (the continuity denominator)
    kept_usual_carer: int  # of those, placed with one of them
    travel_minutes: int
    overtime_minutes: int
    unplaced_reasons: dict[str, int] = field(default_factory=dict)
    per_carer: dict[int, CarerFigures] = field(default_factory=dict)

    @property
    def pct_in_preferred(self) -> float:
        return 100.0 * self.in_preferred / self.visits if self.visits else 100.0

    @property
    def pct_in_preferred_of_placed(self) -> float:
        return 100.0 * self.in_preferred / self.placed if self.placed else 100.0

    @property
    def continuity_pct(self) -> float:
        return 100.0 * self.kept_usual_carer / self.with_usual_carers if self.with_usual_carers else 100.0

    def totals(self) -> dict[str, float]:
        """The headline figures as a flat dict (what ``CarePlan.metrics`` holds)."""
        return {
            "visits": self.visits,
            "placed": self.placed,
            "unplaced": self.unplaced,
            "in_preferred": self.in_preferred,
            "pct_in_preferred": round(self.pct_in_preferred, 2),
            "pct_in_preferred_of_placed": round(self.pct_in_preferred_of_placed, 2),
            "minutes_outside": self.minutes_outside,
            "continuity_pct": round(self.continuity_pct, 2),
            "travel_minutes": self.travel_minutes,
            "overtime_minutes": self.overtime_minutes,
        }


def plan_metrics(problem: CareProblem, plan: CarePlan) -> CareMetrics:
    """The report figures of a plan (computed from the plan and problem alone)."""
    needs = {need.key: need for need in problem.visits}
    placed = in_preferred = outside_total = with_usual = kept = 0
    reasons: dict[str, int] = {}
    days: dict[int, list[tuple[int, str]]] = {carer.id: [] for carer in problem.carers}
    for planned in plan.visits:
        need = needs[planned.key]
        if need.usual_carers:
            with_usual += 1
        if not planned.parts:
            reason = str(planned.unplaced) if planned.unplaced is not None else "none given"
            reasons[reason] = reasons.get(reason, 0) + 1
            continue
        placed += 1
        minutes = _outside(planned.parts[0].start, need.preferred)
        outside_total += minutes
        in_preferred += minutes == 0
        if need.usual_carers and any(part.carer in need.usual_carers for part in planned.parts):
            kept += 1
        for part in planned.parts:
            days.setdefault(part.carer, []).append((part.start, planned.key))
    per_carer: dict[int, CarerFigures] = {}
    for carer in problem.carers:
        matrix = problem.travel[carer.travel_profile]
        here, travel, working = carer.place, 0, 0
        for _, key in sorted(days[carer.id]):
            need = needs[key]
            travel += matrix[here][need.place]
            working += matrix[here][need.place] + need.duration
            here = need.place
        if days[carer.id]:
            travel += matrix[here][carer.place]
            working += matrix[here][carer.place]
        overtime = max(0, working - carer.contracted_minutes) if carer.contracted_minutes is not None else 0
        per_carer[carer.id] = CarerFigures(travel, working, overtime, len(days[carer.id]))
    return CareMetrics(
        visits=len(plan.visits),
        placed=placed,
        unplaced=len(plan.visits) - placed,
        in_preferred=in_preferred,
        minutes_outside=outside_total,
        with_usual_carers=with_usual,
        kept_usual_carer=kept,
        travel_minutes=sum(f.travel_minutes for f in per_carer.values()),
        overtime_minutes=sum(f.overtime_minutes for f in per_carer.values()),
        unplaced_reasons=reasons,
        per_carer=per_carer,
    )
