"""The "staff-first" baseline: how a day is planned around carers' availability.

Visits are taken in the order their acceptable window opens; each goes to the first
carer (by id) who is able (skills, not excluded) and free, at the earliest time that
carer can be there, appended to the end of their day. A double-handed visit goes to the
first two carers (by id) who can be there together (or the gap apart). It keeps every
hard rule (windows, shifts, travel, breaks, synchronisation), so its plans pass the
checker, but it never looks at the preferred window or the usual carer: it is what the
benchmark compares the engine with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steward.scheduling.care_check import plan_metrics
from steward.scheduling.care_problem import (
    CarePlan,
    CareProblem,
    CarerDay,
    CarerRoute,
    Part,
    PlannedVisit,
    Sync,
    Unplaced,
    VisitNeed,
)


@dataclass
class _Day:
    carer: CarerDay
    matrix: list[list[int]]
    free_at: int
    here: int
    break_pending: bool
    break_start: int | None = None
    visits: list[str] = field(default_factory=list)
    travel: int = 0
    working: int = 0

    @property
    def break_window(self) -> tuple[int, int]:
        c = self.carer
        earliest = c.break_earliest if c.break_earliest is not None else c.shift_start
        latest = c.break_latest if c.break_latest is not None else c.shift_end - c.break_minutes
        return earliest, latest

    def earliest(self, need: VisitNeed, not_before: int, latest: int) -> tuple[int, bool] | None:
        """The earliest start ≥ ``not_before`` (and ≤ ``latest``) this carer can give the
        visit, and whether they take their break just before it; None if they cannot."""
        c, tt = self.carer, self.matrix
        home, place = c.place, need.place
        options: list[tuple[int, bool]] = []
        start = max(not_before, self.free_at + tt[self.here][place])
        end = start + need.duration
        if start <= latest:
            if self.break_pending:
                low, high = self.break_window
                after = max(low, end)
                if after <= high and after + c.break_minutes + tt[place][home] <= c.shift_end:
                    options.append((start, False))
            elif end + tt[place][home] <= c.shift_end:
                options.append((start, False))
        if self.break_pending:
            low, high = self.break_window
            taken = max(low, self.free_at)
            if taken <= high:
                start = max(not_before, taken + c.break_minutes + tt[self.here][place])
                if start <= latest and start + need.duration + tt[place][home] <= c.shift_end:
                    options.append((start, True))
        return min(options) if options else None

    def give(self, need: VisitNeed, start: int, with_break: bool) -> int:
        """Add the visit at ``start``; the travel before it."""
        if with_break:
            self.break_start = max(self.break_window[0], self.free_at)
            self.break_pending = False
        travel = self.matrix[self.here][need.place]
        self.travel += travel
        self.working += travel + need.duration
        self.visits.append(need.key)
        self.here, self.free_at = need.place, start + need.duration
        return travel


def solve_staff_first(problem: CareProblem) -> CarePlan:
    """The baseline: each visit, in the order its acceptable window opens, to the first
    carer by id who is free."""
    return _greedy(problem, nearest=False)


def solve_by_hand(problem: CareProblem) -> CarePlan:
    """A rota as a careful coordinator builds it by hand: each visit, in the order of the
    customer's preferred time, to the able carer with the least wait past the preferred
    start plus drive (the lowest id among equals), never before the preferred start
    unless nobody could come otherwise. It keeps every hard rule and never
    changes with the engine, so the realistic-day benchmark takes "last week's" usual
    carers from it."""
    return _greedy(problem, nearest=True)


def _greedy(problem: CareProblem, *, nearest: bool) -> CarePlan:
    days = [
        _Day(
            carer=c,
            matrix=problem.travel[c.travel_profile],
            free_at=c.shift_start,
            here=c.place,
            break_pending=c.break_minutes > 0,
        )
        for c in sorted(problem.carers, key=lambda c: c.id)
    ]
    planned: dict[str, PlannedVisit] = {}
    order = (lambda n: (n.preferred[0], n.key)) if nearest else (lambda n: (n.acceptable[0], n.key))
    for need in sorted(problem.visits, key=order):
        able = [d for d in days if need.skills <= d.carer.skills and d.carer.id not in need.excluded_carers]
        high = need.acceptable[1]
        lows = [need.acceptable[0]]
        if nearest:
            # Least wait past the preferred start plus drive first; never before the
            # preferred start unless nobody could come otherwise.
            able.sort(key=lambda d: _soonest(d, need))
            lows.insert(0, need.preferred[0])
        parts: list[Part] = []
        for low in lows:
            if need.carers_needed < 2:
                for day in able:
                    found = day.earliest(need, low, high)
                    if found is not None:
                        parts = [Part(day.carer.id, found[0], day.give(need, *found))]
                        break
            else:
                parts = _pair(need, able, low)
            if parts:
                break
        if parts:
            planned[need.key] = PlannedVisit(need.key, tuple(parts))
        else:
            reason, detail = _reason(problem, need, able)
            planned[need.key] = PlannedVisit(need.key, unplaced=reason, unplaced_detail=detail)
    routes = []
    for day in days:
        if day.break_pending and day.visits:
            day.break_start = max(day.break_window[0], day.free_at)
        overtime = (
            max(0, day.working + _home(day) - day.carer.contracted_minutes) if day.carer.contracted_minutes else 0
        )
        routes.append(
            CarerRoute(
                carer=day.carer.id,
                visits=tuple(day.visits),
                break_start=day.break_start,
                travel_minutes=day.travel + _home(day),
                overtime_minutes=overtime,
            )
        )
    plan = CarePlan(visits=tuple(planned[n.key] for n in problem.visits), routes=tuple(routes))
    return CarePlan(plan.visits, plan.routes, 0, plan_metrics(problem, plan).totals())


def _home(day: _Day) -> int:
    return day.matrix[day.here][day.carer.place] if day.visits else 0


def _soonest(day: _Day, need: VisitNeed) -> tuple[int, int, int]:
    found = day.earliest(need, need.preferred[0], need.acceptable[1])
    if found is None:
        return (1, 0, day.carer.id)
    return (0, max(0, found[0] - need.preferred[0]) + day.matrix[day.here][need.place], day.carer.id)


def _pair(need: VisitNeed, able: list[_Day], low: int) -> list[Part]:
    high = need.acceptable[1]
    sequential = need.sync == Sync.SEQUENTIAL
    gap = need.gap if sequential else (0, 0)
    for i, first in enumerate(able):
        alone = first.earliest(need, low, high)
        if alone is None:
            continue
        for second in able[i + 1 :]:
            # Raise the two starts together until both carers can make them.
            s1 = alone[0]
            for _ in range(50):
                a = first.earliest(need, s1, high)
                if a is None:
                    break
                b = second.earliest(need, a[0] + gap[0], a[0] + gap[1])
                if b is None:
                    later = second.earliest(need, a[0] + gap[0], 24 * 60 * 2)
                    if later is None:
                        break
                    s1 = later[0] - gap[1]
                    if s1 <= a[0]:
                        break
                    continue
                if not sequential and b[0] != a[0]:
                    s1 = b[0]
                    continue
                parts = [Part(first.carer.id, a[0], first.give(need, *a))]
                parts.append(Part(second.carer.id, b[0], second.give(need, *b)))
                return parts
    return []


def _reason(problem: CareProblem, need: VisitNeed, able: list[_Day]) -> tuple[Unplaced, str]:
    skilled = [c for c in problem.carers if need.skills <= c.skills]
    if len(skilled) < need.carers_needed:
        return Unplaced.NO_SKILLED_CARER, "Not enough carers with the skills work that day."
    if len(able) < need.carers_needed:
        return Unplaced.ALL_CARERS_EXCLUDED, "The customer has asked not to have the carers who could go."
    if need.carers_needed >= 2 and any(d.earliest(need, *need.acceptable) for d in able):
        return Unplaced.NO_SECOND_CARER, "No second carer was free at the same time."
    return Unplaced.NO_CARER_FREE, "Every carer who could go was busy when this plan came to it."
