"""The care problem solved with PyVRP, kept to measure it against our own search.

PyVRP (``pyvrp==0.14.1``) is a state-of-the-art vehicle-routing solver with *hard* time
windows, optional clients with prizes, mutually exclusive client groups and one travel
matrix per "profile". The care problem (``care_problem``) has more than that, so it is
encoded, and what cannot be encoded is repaired around the solver:

- **Carers** are vehicles, one vehicle type each: their own depot (the place the day
  starts and ends), the shift as the vehicle's time window, their own profile.
- **Skills, exclusions, continuity** live in each carer's profile: arriving at a visit the
  carer may not give costs more than leaving the visit out (so it never happens), at a
  visit whose usual carer is someone else costs ``not_usual_carer`` (and
  ``not_preferred_carer`` likewise), on top of the travel.
- **Preferred windows** are priced piecewise: each visit is a mutually exclusive group of
  copies, one with the preferred window and one per band of the acceptable window around
  it (15, 30, 60, … minutes out). A copy's prize is the price of leaving the visit out
  minus what the band costs (``visit_outside`` plus ``minute_outside`` for the band's
  nearest minute), so leaving a visit out is always dearer than any band, and choosing
  a band is what being outside costs.
- **Breaks** are a client per carer at a place of its own, with no travel to or from it;
  the travel it hides is put back when the routes are timed exactly (below).
- **Double-handed visits** cannot be said to PyVRP at all (no synchronisation, no "two
  different vehicles"). Phase one solves with each part as an ordinary visit; the start
  the pair will have is then read off that plan (the later part's start, moved into the
  preferred window when it is earlier), both parts are fixed to it (the second, for a
  sequential pair, to its gap after it) and phase two solves again from phase one's
  routes. A pair whose parts still end up missing or with the same carer is unplaced.
- **Overtime** is PyVRP's: route duration (waiting included) beyond the contracted
  minutes, which can only over-count; the plan reports the exact figure.

After the solver, every route is **timed exactly**: true travel (the break's included),
each visit as late as it helps to reach its preferred window without pushing any later
visit further out of its own, the break moved to the first gap where it fits when the
solver's place for it does not; a visit that still does not fit is unplaced with a
reason. The plan is then what ``care_check`` checks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce

import numpy as np

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

# Bands of the acceptable window outside the preferred one, in minutes from its nearest edge.
BAND_EDGES = (15, 30, 60, 90, 120, 180, 240, 360, 480, 720, 1440)
NEIGHBOURS = 250
# Minutes a double-handed visit's parts may drift from the start tried for it in the
# solver; they are then set to start together (or at their gap) exactly.
PAIR_SLACK = 20
# The break has no place, so the solver sees no travel around it; it is lengthened by
# this percentile of the carer's travel between visits so the day still fits once the
# real travel is put back.
BREAK_TRAVEL_PERCENTILE = 25
# Where in its band a copy is priced: 0 at the nearest minute, 1 at the farthest.
BAND_PRICE_AT = 0.0


@dataclass
class _Item:
    """One thing in a carer's day, as the exact timing sees it."""

    kind: str  # "visit" or "break"
    key: str
    part: int
    place: int  # -1 for a break: it happens where the carer is
    duration: int
    lo: int
    hi: int
    preferred: tuple[int, int] = (0, 0)


@dataclass
class _Encoded:
    data: object
    client_of: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    # client index -> (kind, key, part, lo, hi); kind "visit" or "break"
    carer_of_type: list[int] = field(default_factory=list)


class CpuTime:
    """A PyVRP stopping criterion on this process's processor time (a loaded machine does not eat into it)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start: float | None = None

    def __call__(self, best_cost: float) -> bool:
        if self.start is None:
            self.start = time.process_time()
        return time.process_time() - self.start > self.seconds


def solve_care_pyvrp(
    problem: CareProblem,
    *,
    seed: int = 0,
    time_limit: float = 10.0,
    clock: str = "cpu",
    repair: bool = True,
    progress: Callable[[int, str], None] | None = None,
) -> CarePlan:
    """Plan the day with PyVRP inside ``time_limit`` seconds (processor time by default).

    With ``repair`` (the default) the visits the solver left out are then inserted
    greedily, timed exactly (the "repair step" of the combination the issue allows); the
    time this takes comes on top of ``time_limit``. Without it: PyVRP alone.
    """
    import pyvrp
    from pyvrp.search import NeighbourhoodParams
    from pyvrp.stop import MaxRuntime

    started = time.perf_counter()
    started_cpu = time.process_time()
    w = problem.weights
    scale = reduce(
        math.gcd,
        [
            w.minute_outside,
            w.visit_outside,
            w.not_usual_carer,
            w.not_preferred_carer,
            w.travel_minute,
            w.overtime_minute,
        ],
    )
    by_key = {v.key: v for v in problem.visits}
    unplaced: dict[str, tuple[Unplaced, str]] = {}
    eligible: dict[str, list[int]] = {}
    for visit in problem.visits:
        who, reason = _eligible(problem, visit)
        if reason is not None:
            unplaced[visit.key] = reason
        else:
            eligible[visit.key] = who
    to_place = [v for v in problem.visits if v.key in eligible]
    pairs = [v for v in to_place if v.carers_needed >= 2]

    def elapsed() -> float:
        return time.process_time() - started_cpu if clock == "cpu" else time.perf_counter() - started

    def stop_after(seconds: float) -> object:
        return CpuTime(seconds) if clock == "cpu" else MaxRuntime(seconds)

    params = pyvrp.SolveParams(
        # A minute of time warp may cost up to leaving a visit out, so the search does
        # not settle on late arrivals where it should drop a visit.
        penalty=pyvrp.PenaltyParams(min_penalty=1.0, max_penalty=float(_leave_out(problem, to_place, scale))),
        # Each visit is several copies at one place, so the default 50 nearest neighbours
        # see only a handful of other visits: measured on the realistic day, 250 leaves
        # far fewer visits out (19 against 46 in 8 s).
        neighbourhood=NeighbourhoodParams(num_neighbours=NEIGHBOURS),
    )
    phase_one = time_limit * (0.4 if pairs else 1.0)
    encoded = _encode(problem, to_place, eligible, {}, scale)
    result = pyvrp.solve(
        encoded.data,  # type: ignore[arg-type]
        stop=stop_after(phase_one),  # type: ignore[arg-type]
        seed=seed,
        collect_stats=False,
        display=False,
        params=params,
    )
    if progress is not None:
        progress(50 if pairs else 90, "phase one")
    routes = _routes_of(encoded, result.best)
    if not pairs:
        plan = _finish(problem, by_key, routes, dict(unplaced), eligible, repair)
    else:
        # Phase two, in rounds: pairs fixed at a start each; after a round, a pair left
        # out or outside its preferred window tries its next candidate start.
        candidates = _pair_candidates(pairs, routes)
        choice = dict.fromkeys(candidates, 0)
        best: tuple[tuple[int, int], CarePlan, object, _Encoded] | None = None
        solution, previous = result.best, encoded
        while True:
            fixed = {key: (candidates[key][choice[key]], by_key[key].gap) for key in candidates}
            encoded2 = _encode(problem, to_place, eligible, fixed, scale)
            initial = _carry_over(previous, encoded2, solution)
            left = time_limit - elapsed()
            result2 = pyvrp.solve(
                encoded2.data,  # type: ignore[arg-type]
                stop=stop_after(max(0.2, min(left, time_limit * 0.15))),  # type: ignore[arg-type]
                seed=seed,
                collect_stats=False,
                display=False,
                params=params,
                initial_solution=initial,  # type: ignore[arg-type]
            )
            trial = _finish(problem, by_key, _routes_of(encoded2, result2.best), dict(unplaced), eligible, repair)
            score = (int(trial.metrics["unplaced"]), trial.objective)
            if best is None or score < best[0]:
                best = (score, trial, result2.best, encoded2)
            solution, previous = best[2], best[3]  # type: ignore[assignment]
            for pv in best[1].visits:
                if pv.key in candidates:
                    need = by_key[pv.key]
                    if not pv.parts or _minutes_outside(need, pv.parts[0].start):
                        choice[pv.key] = (choice[pv.key] + 1) % len(candidates[pv.key])
            if time_limit - elapsed() < time_limit * 0.05:
                break
        plan = best[1]
    metrics = dict(plan.metrics)
    metrics["seconds"] = round(time.perf_counter() - started, 2)
    metrics["cpu_seconds"] = round(time.process_time() - started_cpu, 2)
    if progress is not None:
        progress(100, "done")
    return CarePlan(visits=plan.visits, routes=plan.routes, objective=plan.objective, metrics=metrics)


def _travel(problem: CareProblem, carer: CarerDay) -> list[list[int]]:
    return problem.travel[carer.travel_profile]


def _eligible(problem: CareProblem, visit: VisitNeed) -> tuple[list[int], tuple[Unplaced, str] | None]:
    """The carers who may give this visit, or why nobody can."""
    skilled = [c for c in problem.carers if visit.skills <= c.skills]
    if not skilled:
        return [], (Unplaced.NO_SKILLED_CARER, "no carer has " + ", ".join(sorted(visit.skills)))
    allowed = [c for c in skilled if c.id not in visit.excluded_carers]
    if not allowed:
        return [], (Unplaced.ALL_CARERS_EXCLUDED, "every carer with the skills is excluded by the customer")
    in_shift = []
    for c in allowed:
        t = _travel(problem, c)
        earliest = max(visit.acceptable[0], c.shift_start + t[c.place][visit.place])
        if earliest <= visit.acceptable[1] and earliest + visit.duration + t[visit.place][c.place] <= c.shift_end:
            in_shift.append(c.id)
    if not in_shift:
        return [], (Unplaced.OUTSIDE_SHIFTS, "no carer who may come works at that time")
    if visit.carers_needed >= 2 and len(in_shift) < 2:
        return [], (Unplaced.NO_SECOND_CARER, "only one carer who may come works at that time")
    return in_shift, None


def _bands(visit: VisitNeed) -> list[tuple[int, int, int]]:
    """(lo, hi, minutes outside at the band's nearest edge) for the preferred window and each band."""
    p0, p1 = max(visit.preferred[0], visit.acceptable[0]), min(visit.preferred[1], visit.acceptable[1])
    a0, a1 = visit.acceptable
    if p0 > p1:  # preferred lies outside the acceptable window: price from its nearest edge
        p0 = p1 = min(max(visit.preferred[0], a0), a1)
        out = [(p0, p0, abs(p0 - visit.preferred[0]) if p0 < visit.preferred[0] else p0 - visit.preferred[1])]
    else:
        out = [(p0, p1, 0)]
    inner = 0
    for edge in BAND_EDGES:
        if p1 + inner + 1 <= a1:
            hi = min(a1, p1 + edge)
            out.append((p1 + inner + 1, hi, inner + 1 + int(BAND_PRICE_AT * (hi - p1 - inner - 1))))
        if p0 - inner - 1 >= a0:
            lo = max(a0, p0 - edge)
            out.append((lo, p0 - inner - 1, inner + 1 + int(BAND_PRICE_AT * (p0 - inner - 1 - lo))))
        inner = edge
    return out


def _encode(
    problem: CareProblem,
    visits: list[VisitNeed],
    eligible: dict[str, list[int]],
    fixed: dict[str, tuple[int, tuple[int, int]]],
    scale: int,
) -> _Encoded:
    """Build PyVRP's data: locations, clients (copies), groups, one vehicle type and profile per carer."""
    import pyvrp

    w = problem.weights
    carers = problem.carers
    index_of = {c.id: i for i, c in enumerate(carers)}
    leave_out = _leave_out(problem, visits, scale)
    prohibit = leave_out * 100

    # Locations: each carer's depot, then one per (place, who may come, who usually comes),
    # then one per break. Copies and visits sharing a signature share a location.
    places: list[int] = [c.place for c in carers]
    sig_index: dict[tuple[int, tuple[int, ...], tuple[int, ...], tuple[int, ...]], int] = {}
    loc_sig: list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = [((), (), ())] * len(carers)

    def location_of(visit: VisitNeed, own: bool = False) -> int:
        sig = (
            visit.place,
            tuple(sorted(eligible[visit.key])),
            tuple(visit.usual_carers),
            tuple(sorted(visit.preferred_carers)),
        )
        if own:  # a location of its own (a part of a double-handed visit)
            places.append(visit.place)
            loc_sig.append(sig[1:])
            return len(places) - 1
        if sig not in sig_index:
            sig_index[sig] = len(places)
            places.append(visit.place)
            loc_sig.append(sig[1:])
        return sig_index[sig]

    clients: list[object] = []
    groups: list[object] = []
    client_of: list[tuple[str, str, int, int, int]] = []
    # The two parts of a double-handed visit each have a location of their own, and going
    # from one to the other costs as much as an unserveable visit: one carer never gives both.
    pair_locations: list[tuple[int, int]] = []
    for visit in visits:
        parts = visit.carers_needed if visit.carers_needed >= 2 else 1
        if parts >= 2:
            pair_locations.append((location_of(visit, own=True), location_of(visit, own=True)))
        for part in range(parts):
            loc = pair_locations[-1][part] if parts >= 2 else location_of(visit)
            if visit.key in fixed:
                start, gap = fixed[visit.key]
                # A little slack for the solver; the two parts are synchronised exactly afterwards.
                if part == 0 or visit.sync == Sync.SIMULTANEOUS:
                    lo, hi = start, min(start + PAIR_SLACK, visit.acceptable[1])
                else:
                    lo, hi = start + gap[0], min(start + PAIR_SLACK, visit.acceptable[1]) + gap[1]
                minutes = _minutes_outside(visit, start)
                cost = (w.minute_outside * minutes + (w.visit_outside if minutes else 0)) // scale
                clients.append(
                    pyvrp.Client(
                        location=loc,
                        service_duration=visit.duration,
                        tw_early=lo,
                        tw_late=hi,
                        prize=leave_out - cost,
                        required=False,
                    )
                )
                client_of.append(("visit", visit.key, part, lo, hi))
                continue
            group = len(groups)
            members = []
            for lo, hi, minutes in _bands(visit):
                cost = (w.minute_outside * minutes + (w.visit_outside if minutes else 0)) // scale
                members.append(len(clients))
                clients.append(
                    pyvrp.Client(
                        location=loc,
                        service_duration=visit.duration,
                        tw_early=lo,
                        tw_late=hi,
                        prize=leave_out - cost,
                        required=False,
                        group=group,
                    )
                )
                client_of.append(("visit", visit.key, part, lo, hi))
            groups.append(pyvrp.ClientGroup(members, required=False))

    break_loc: dict[int, int] = {}
    visit_places = sorted({v.place for v in visits})
    for c in carers:
        if c.break_minutes > 0:
            legs = np.asarray(_travel(problem, c), dtype=np.int64)[np.ix_(visit_places, visit_places)]
            legs = legs[legs > 0]
            allowance = int(np.percentile(legs, BREAK_TRAVEL_PERCENTILE)) if legs.size else 0
            loc = len(places)
            places.append(-1)
            loc_sig.append(((c.id,), (), ()))
            break_loc[c.id] = loc
            be = c.break_earliest if c.break_earliest is not None else c.shift_start
            bl = c.break_latest if c.break_latest is not None else c.shift_end - c.break_minutes
            clients.append(
                pyvrp.Client(
                    location=loc,
                    service_duration=c.break_minutes + allowance,
                    tw_early=be,
                    tw_late=bl,
                    # Required: a break is not traded for visits (it always fits an empty day).
                    required=True,
                )
            )
            client_of.append(("break", str(c.id), 0, be, bl))

    n = len(places)
    place_arr = np.array([max(p, 0) for p in places])
    is_break = np.array([p < 0 for p in places])
    distances = []
    durations = []
    for k, c in enumerate(carers):
        t = np.asarray(_travel(problem, c), dtype=np.int64)
        dur = t[np.ix_(place_arr, place_arr)]
        dur[is_break, :] = 0
        dur[:, is_break] = 0
        dist = dur * (w.travel_minute // scale) if w.travel_minute >= scale else dur * w.travel_minute // scale
        extra = np.zeros(n, dtype=np.int64)
        for j in range(len(carers), n):
            who, usual, preferred = loc_sig[j]
            if places[j] < 0:
                if who != (c.id,):
                    extra[j] = prohibit
                continue
            if c.id not in who:
                extra[j] = prohibit
            else:
                if usual and c.id not in usual:
                    extra[j] += w.not_usual_carer // scale
                if preferred and c.id not in preferred:
                    extra[j] += w.not_preferred_carer // scale
        extra[: len(carers)] = 0
        dist = dist + extra[None, :]
        for one, other in pair_locations:
            dist[one, other] = dist[other, one] = prohibit
        np.fill_diagonal(dist, 0)
        np.fill_diagonal(dur, 0)
        distances.append(dist)
        durations.append(dur)
        del k

    depots = [pyvrp.Depot(location=i) for i in range(len(carers))]
    vehicle_types = []
    for i, c in enumerate(carers):
        length = c.shift_end - c.shift_start
        contracted = c.contracted_minutes if c.contracted_minutes is not None else length
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=1,
                start_depot=i,
                end_depot=i,
                tw_early=c.shift_start,
                tw_late=c.shift_end,
                shift_duration=min(contracted, length),
                max_overtime=max(0, length - min(contracted, length)),
                unit_overtime_cost=max(1, w.overtime_minute // scale),
                unit_distance_cost=1,
                profile=i,
                name=str(c.id),
            )
        )
    locations = [pyvrp.Location(x=0.0, y=0.0) for _ in range(n)]
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,  # type: ignore[arg-type]
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=distances,
        duration_matrices=durations,
        groups=groups,  # type: ignore[arg-type]
    )
    del index_of
    return _Encoded(data=data, client_of=client_of, carer_of_type=[c.id for c in carers])


def _leave_out(problem: CareProblem, visits: list[VisitNeed], scale: int) -> int:
    """The price of leaving a visit out: twice the dearest way of placing one."""
    w = problem.weights
    worst = max((max(0, v.preferred[0] - v.acceptable[0], v.acceptable[1] - v.preferred[1]) for v in visits), default=0)
    return 2 * (w.visit_outside + w.minute_outside * worst) // scale + 1000


def _minutes_outside(visit: VisitNeed, start: int) -> int:
    p0, p1 = visit.preferred
    return max(0, p0 - start, start - p1)


# A route as the solver left it: per carer, (client index kind, key, part, lo, hi, start).
_Routes = dict[int, list[tuple[str, str, int, int, int, int]]]


def _routes_of(encoded: _Encoded, solution: object) -> _Routes:
    out: _Routes = {}
    for route in solution.routes():  # type: ignore[attr-defined]
        carer = encoded.carer_of_type[route.vehicle_type()]
        items = []
        for act in route.schedule():
            if act.is_client():
                kind, key, part, lo, hi = encoded.client_of[act.idx]
                items.append((kind, key, part, lo, hi, act.start_time))
        out[carer] = items
    return out


def _client_visits(solution: object) -> list[list[int]]:
    return [[a.idx for a in r.schedule() if a.is_client()] for r in solution.routes()]  # type: ignore[attr-defined]


def _pair_candidates(pairs: list[VisitNeed], routes: _Routes) -> dict[str, list[int]]:
    """Starts to try for each double-handed visit, best guess first.

    The guess is read off phase one's plan (where the parts landed, pulled into the
    preferred window), then the preferred window's start, middle and end.
    """
    seen: dict[str, list[tuple[int, int]]] = {}
    for items in routes.values():
        for kind, key, part, _lo, _hi, start in items:
            if kind == "visit":
                seen.setdefault(key, []).append((part, start))
    out: dict[str, list[int]] = {}
    for visit in pairs:
        a0, a1 = visit.acceptable
        p0, p1 = visit.preferred
        got = seen.get(visit.key, [])
        # Simultaneous: the later part's start; sequential: the first part's.
        starts = [s for p, s in got if visit.sync == Sync.SIMULTANEOUS or p == 0]
        guess = max(starts) if starts else p0
        tries = [min(max(guess, p0), p1), p0, (p0 + p1) // 2, p1, guess]
        clipped = []
        for t in tries:
            t = min(max(t, a0), a1)
            if t not in clipped:
                clipped.append(t)
        out[visit.key] = clipped
    return out


def _carry_over(old: _Encoded, new: _Encoded, solution: object) -> object:
    """Phase one's routes as a starting solution for phase two (pair parts mapped to their fixed copy)."""
    import pyvrp

    lookup: dict[tuple[str, str, int], list[int]] = {}
    for i, (kind, key, part, _lo, _hi) in enumerate(new.client_of):
        lookup.setdefault((kind, key, part), []).append(i)
    index_new: dict[tuple[str, str, int, int, int], int] = {c: i for i, c in enumerate(new.client_of)}
    routes = []
    used: set[int] = set()
    types = []
    for route in solution.routes():  # type: ignore[attr-defined]
        seq = []
        for a in route.schedule():
            if not a.is_client():
                continue
            entry = old.client_of[a.idx]
            idx = index_new.get(entry)
            if idx is None:
                candidates = lookup.get(entry[:3], [])
                idx = candidates[0] if len(candidates) == 1 else None
            if idx is not None and idx not in used:
                used.add(idx)
                seq.append(idx)
        routes.append(seq)
        types.append(route.vehicle_type())
    return pyvrp.Solution(
        new.data,  # type: ignore[arg-type]
        [pyvrp.Route(new.data, seq, vt) for seq, vt in zip(routes, types, strict=True)],  # type: ignore[call-overload]
    )


def _time_route(problem: CareProblem, carer: CarerDay, items: list[_Item]) -> tuple[list[int] | None, int]:
    """Exact starts for a carer's items in this order, or None and the index of the first that does not fit.

    Visits are moved as late as helps to reach their preferred window without pushing any
    later item out of its hard window or further out of its own preferred window.
    """
    t = _travel(problem, carer)
    here = [carer.place]
    for it in items:
        here.append(here[-1] if it.place < 0 else it.place)
    places = here[1:]
    n = len(items)
    earliest: list[int] = []
    clock = carer.shift_start
    prev = carer.place
    for i, it in enumerate(items):
        s = max(it.lo, clock + t[prev][places[i]])
        if s > it.hi:
            return None, i
        earliest.append(s)
        clock = s + it.duration
        prev = places[i]
    if n and clock + t[prev][carer.place] > carer.shift_end:
        return None, n - 1
    latest = [0] * n
    bound = carer.shift_end - (t[places[-1]][carer.place] if n else 0)
    for i in range(n - 1, -1, -1):
        it = items[i]
        cap = it.hi
        if it.kind == "visit":
            cap = min(cap, max(earliest[i], it.preferred[1]))
        latest[i] = min(cap, bound - it.duration)
        if i:
            bound = latest[i] - t[places[i - 1]][places[i]]
    starts: list[int] = []
    clock = carer.shift_start
    prev = carer.place
    for i, it in enumerate(items):
        s = max(it.lo, clock + t[prev][places[i]])
        if it.kind == "visit" and s < it.preferred[0]:
            s = max(s, min(it.preferred[0], latest[i]))
        starts.append(s)
        clock = s + it.duration
        prev = places[i]
    return starts, -1


def _finish(
    problem: CareProblem,
    by_key: dict[str, VisitNeed],
    routes: _Routes,
    unplaced: dict[str, tuple[Unplaced, str]],
    eligible: dict[str, list[int]],
    insert_left_out: bool = True,
) -> CarePlan:
    """Check pairs, time every route exactly, unplace what does not fit, and build the plan."""
    carer_by_id = {c.id: c for c in problem.carers}
    # Pairs: both parts present, with different carers.
    parts_seen: dict[str, list[tuple[int, int]]] = {}
    for carer_id, raw in routes.items():
        for kind, key, part, *_ in raw:
            if kind == "visit":
                parts_seen.setdefault(key, []).append((part, carer_id))
    for key, seen in parts_seen.items():
        visit = by_key[key]
        if visit.carers_needed >= 2:
            carers_used = {c for _p, c in seen}
            if len(seen) < 2 or len(carers_used) < 2:
                unplaced[key] = (Unplaced.NO_SECOND_CARER, "no second carer free at the same time")
    timed: dict[int, tuple[list[_Item], list[int]]] = {}

    def items_of(carer: CarerDay, raw: list[tuple[str, str, int, int, int, int]]) -> list[_Item]:
        items = [
            _Item(
                kind,
                key,
                part,
                -1 if kind == "break" else by_key[key].place,
                carer.break_minutes if kind == "break" else by_key[key].duration,
                lo,
                hi,
                (0, 0) if kind == "break" else by_key[key].preferred,
            )
            for kind, key, part, lo, hi, _s in raw
            if kind == "break" or key not in unplaced
        ]
        # Hard windows: the acceptable window for single visits (the band chosen was a
        # price, not a promise); pair parts keep theirs until synchronised.
        for it in items:
            if it.kind == "visit" and by_key[it.key].carers_needed < 2:
                it.lo, it.hi = by_key[it.key].acceptable
        has_visits = any(it.kind == "visit" for it in items)
        items = [it for it in items if it.kind == "visit" or has_visits]
        if has_visits and carer.break_minutes > 0 and not any(it.kind == "break" for it in items):
            # The solver left the break out: it goes wherever it fits.
            be = carer.break_earliest if carer.break_earliest is not None else carer.shift_start
            bl = carer.break_latest if carer.break_latest is not None else carer.shift_end - carer.break_minutes
            items.append(_Item("break", str(carer.id), 0, -1, carer.break_minutes, be, bl))
        return items

    changed = True
    while changed:
        changed = False
        day = {carer_id: items_of(carer_by_id[carer_id], raw) for carer_id, raw in routes.items()}
        late_pair = _synchronise(problem, carer_by_id, by_key, day)
        if late_pair is not None:
            unplaced[late_pair] = (Unplaced.NO_SECOND_CARER, "the two carers could not be there together")
            changed = True
            continue
        for carer_id, day_items in day.items():
            one = carer_by_id[carer_id]
            day_starts, day_items, bad = _best_timing(problem, one, day_items)
            if day_starts is None:
                day_starts, day_items, bad_key = _repair(problem, one, day_items, bad)
                if bad_key is not None:
                    visit = by_key[bad_key]
                    unplaced[bad_key] = (
                        Unplaced.NO_SECOND_CARER if visit.carers_needed >= 2 else Unplaced.NO_CARER_FREE,
                        "did not fit in any carer's day",
                    )
                    changed = True
                    break
            timed[carer_id] = (day_items, day_starts or [])
    if insert_left_out:
        _insert_left_out(problem, carer_by_id, by_key, timed, unplaced, eligible)
    # Build the plan.
    parts: dict[str, list[tuple[int, Part]]] = {}
    carer_routes = []
    for carer in problem.carers:
        items, starts = timed.get(carer.id, ([], []))
        t = _travel(problem, carer)
        prev = carer.place
        travel_total = 0
        work = 0
        keys = []
        break_start = None
        for it, s in zip(items, starts, strict=True):
            if it.kind == "break":
                break_start = s
                continue
            leg = t[prev][it.place]
            travel_total += leg
            work += leg + it.duration
            parts.setdefault(it.key, []).append((it.part, Part(carer=carer.id, start=s, travel_before=leg)))
            keys.append(it.key)
            prev = it.place
        if keys:
            leg = t[prev][carer.place]
            travel_total += leg
            work += leg
        # Overtime counts against contracted minutes only (none given: the shift bounds the day).
        contracted = carer.contracted_minutes if carer.contracted_minutes is not None else work
        carer_routes.append(
            CarerRoute(
                carer=carer.id,
                visits=tuple(keys),
                break_start=break_start,
                travel_minutes=travel_total,
                overtime_minutes=max(0, work - contracted),
            )
        )
    planned = []
    for visit in problem.visits:
        got = parts.get(visit.key)
        if got and visit.key not in unplaced:
            got.sort(key=lambda p: (p[0], p[1].start))  # parts[1] is a sequential visit's second part
            planned.append(PlannedVisit(key=visit.key, parts=tuple(part for _i, part in got)))
        else:
            reason, detail = unplaced.get(visit.key, (Unplaced.NO_CARER_FREE, "no carer free in the acceptable window"))
            planned.append(PlannedVisit(key=visit.key, unplaced=reason, unplaced_detail=detail))
    metrics, objective = plan_metrics(problem, planned, carer_routes)
    return CarePlan(visits=tuple(planned), routes=tuple(carer_routes), objective=objective, metrics=metrics)


def _earliest(problem: CareProblem, carer: CarerDay, items: list[_Item]) -> list[int]:
    """Each item's earliest start in this order (windows' ends ignored)."""
    t = _travel(problem, carer)
    out = []
    clock, here = carer.shift_start, carer.place
    for it in items:
        there = here if it.place < 0 else it.place
        s = max(it.lo, clock + t[here][there])
        out.append(s)
        clock, here = s + it.duration, there
    return out


def _synchronise(
    problem: CareProblem, carers: dict[int, CarerDay], by_key: dict[str, VisitNeed], day: dict[int, list[_Item]]
) -> str | None:
    """Fix each double-handed visit's parts to one start (or their gap), the earliest both carers make.

    Pushing a part later can delay the carer's later parts, so this repeats until nothing
    moves (starts only increase). Returns a pair that cannot start inside its window.
    """
    where: dict[str, list[tuple[int, _Item]]] = {}
    for carer_id, items in day.items():
        for it in items:
            if it.kind == "visit" and by_key[it.key].carers_needed >= 2:
                where.setdefault(it.key, []).append((carer_id, it))
    for _ in range(200):
        early = {carer_id: _earliest(problem, carers[carer_id], items) for carer_id, items in day.items()}
        moved = False
        for key, found in where.items():
            (c0, i0), (c1, i1) = sorted(found, key=lambda f: f[1].part)
            e0 = early[c0][next(n for n, it in enumerate(day[c0]) if it is i0)]
            e1 = early[c1][next(n for n, it in enumerate(day[c1]) if it is i1)]
            need = by_key[key]
            if need.sync == Sync.SIMULTANEOUS:
                t0 = t1 = max(e0, e1)
            else:
                t0 = max(e0, e1 - need.gap[1])
                t1 = max(e1, t0 + need.gap[0])
            if t0 > min(i0.hi, need.acceptable[1]) or t1 > i1.hi + PAIR_SLACK:
                return key
            if t0 > i0.lo or t1 > i1.lo:
                i0.lo, i1.lo = max(i0.lo, t0), max(i1.lo, t1)
                moved = True
        if not moved:
            break
    for found in where.values():
        for _c, it in found:
            it.hi = it.lo
    return None


def _route_cost(problem: CareProblem, items: list[_Item], starts: list[int]) -> int:
    w = problem.weights
    cost = 0
    for it, s in zip(items, starts, strict=True):
        if it.kind == "visit":
            m = max(0, it.preferred[0] - s, s - it.preferred[1])
            cost += w.minute_outside * m + (w.visit_outside if m else 0)
    return cost


def _best_timing(
    problem: CareProblem, carer: CarerDay, items: list[_Item]
) -> tuple[list[int] | None, list[_Item], int]:
    """Time the route with its break in the gap where the visits fare best (the solver saw no travel around it)."""
    starts, bad = _time_route(problem, carer, items)
    brk = [it for it in items if it.kind == "break"]
    if not brk:
        return starts, items, bad
    visits = [it for it in items if it.kind == "visit"]
    best: tuple[int, list[int], list[_Item]] | None = None
    if starts is not None:
        best = (_route_cost(problem, items, starts), starts, items)
    for pos in range(len(visits) + 1):
        trial = visits[:pos] + brk + visits[pos:]
        got, _ = _time_route(problem, carer, trial)
        if got is not None:
            cost = _route_cost(problem, trial, got)
            if best is None or cost < best[0]:
                best = (cost, got, trial)
    if best is None:
        return None, items, bad
    return best[1], best[2], -1


def _day_cost(problem: CareProblem, carer: CarerDay, items: list[_Item], starts: list[int]) -> int:
    """The objective's share of one carer's day: windows, usual carers, travel."""
    w = problem.weights
    t = _travel(problem, carer)
    cost = _route_cost(problem, items, starts)
    here = carer.place
    for it in items:
        if it.kind == "visit":
            cost += w.travel_minute * t[here][it.place]
            here = it.place
    return cost + w.travel_minute * t[here][carer.place]


def _insert_left_out(
    problem: CareProblem,
    carers: dict[int, CarerDay],
    by_key: dict[str, VisitNeed],
    timed: dict[int, tuple[list[_Item], list[int]]],
    unplaced: dict[str, tuple[Unplaced, str]],
    eligible: dict[str, list[int]],
) -> None:
    """The repair step: put each visit the solver left out where it costs least, timed exactly.

    Double-handed visits first (hardest), each at the start closest to its preferred
    window where two different carers can both be there; then single visits.
    """
    w = problem.weights

    def base(carer_id: int) -> list[_Item]:
        items = list(timed.get(carer_id, ([], []))[0])
        carer = carers[carer_id]
        if not items and carer.break_minutes > 0:
            be = carer.break_earliest if carer.break_earliest is not None else carer.shift_start
            bl = carer.break_latest if carer.break_latest is not None else carer.shift_end - carer.break_minutes
            items = [_Item("break", str(carer_id), 0, -1, carer.break_minutes, be, bl)]
        return items

    def current_cost(carer_id: int) -> int:
        items, starts = timed.get(carer_id, ([], []))
        return _day_cost(problem, carers[carer_id], items, starts) if items else 0

    def best_place(carer_id: int, item: _Item) -> tuple[int, list[_Item]] | None:
        carer = carers[carer_id]
        items = base(carer_id)
        before = current_cost(carer_id)
        found: tuple[int, list[_Item]] | None = None
        for pos in range(len(items) + 1):
            trial = [*items[:pos], item, *items[pos:]]
            starts, _bad = _time_route(problem, carer, trial)
            if starts is None:
                continue
            cost = _day_cost(problem, carer, trial, starts) - before
            need = by_key[item.key]
            if need.usual_carers and carer_id not in need.usual_carers:
                cost += w.not_usual_carer
            if found is None or cost < found[0]:
                found = (cost, trial)
        return found

    def apply(carer_id: int, trial: list[_Item]) -> None:
        starts, items, _bad = _best_timing(problem, carers[carer_id], trial)
        assert starts is not None
        timed[carer_id] = (items, starts)

    left = [k for k in unplaced if k in eligible]
    left.sort(key=lambda k: (-by_key[k].carers_needed, by_key[k].acceptable[1] - by_key[k].acceptable[0]))
    for key in left:
        need = by_key[key]
        if need.carers_needed < 2:
            item = _Item(
                "visit", key, 0, need.place, need.duration, need.acceptable[0], need.acceptable[1], need.preferred
            )
            options = [(got[0], c, got[1]) for c in eligible[key] if (got := best_place(c, item)) is not None]
            if options:
                _cost, carer_id, trial = min(options, key=lambda o: o[0])
                apply(carer_id, trial)
                del unplaced[key]
            continue
        a0, a1 = need.acceptable
        starts_to_try = sorted(
            set(range(a0, a1 + 1, 5)) | {min(max(need.preferred[0], a0), a1), min(max(need.preferred[1], a0), a1)},
            key=lambda t: (_minutes_outside(need, t), t),
        )
        for t in starts_to_try:
            first = _Item("visit", key, 0, need.place, need.duration, t, t, need.preferred)
            if need.sync == Sync.SIMULTANEOUS:
                second = _Item("visit", key, 1, need.place, need.duration, t, t, need.preferred)
            else:
                second = _Item(
                    "visit", key, 1, need.place, need.duration, t + need.gap[0], t + need.gap[1], need.preferred
                )
            as_first = {c: got for c in eligible[key] if (got := best_place(c, first)) is not None}
            if not as_first:
                continue
            as_second = {c: got for c in eligible[key] if (got := best_place(c, second)) is not None}
            pairs = [(f[0] + s_[0], c1, c2) for c1, f in as_first.items() for c2, s_ in as_second.items() if c1 != c2]
            if not pairs:
                continue
            _cost, c1, c2 = min(pairs, key=lambda o: o[0])
            apply(c1, as_first[c1][1])
            apply(c2, as_second[c2][1])
            # The second part's exact start may have moved within its gap: fix it there.
            del unplaced[key]
            break


def _repair(
    problem: CareProblem, carer: CarerDay, items: list[_Item], bad: int
) -> tuple[list[int] | None, list[_Item], str | None]:
    """Move the break to where it fits; failing that, name the visit to take out."""
    brk = [it for it in items if it.kind == "break"]
    visits = [it for it in items if it.kind == "visit"]
    if brk:
        for pos in range(len(visits) + 1):
            trial = visits[:pos] + brk + visits[pos:]
            starts, _ = _time_route(problem, carer, trial)
            if starts is not None:
                return starts, trial, None
    starts, bad2 = _time_route(problem, carer, visits)
    culprit = (visits if starts is None else items)[bad2 if starts is None else min(bad, len(items) - 1)]
    if culprit.kind == "break":
        # The day fits without the break but not with it anywhere: drop the visit next to it.
        near = [it for it in visits]
        culprit = near[min(len(near) - 1, max(0, items.index(culprit) - 1))]
    return None, items, culprit.key


def plan_metrics(
    problem: CareProblem, planned: list[PlannedVisit], routes: list[CarerRoute]
) -> tuple[dict[str, float], int]:
    """The figures a coordinator reads, and the objective by ``problem.weights``."""
    w = problem.weights
    by_key = {v.key: v for v in problem.visits}
    placed = [p for p in planned if p.parts]
    minutes = 0
    outside = 0
    with_usual_need = 0
    with_usual = 0
    not_usual = 0
    not_preferred = 0
    for p in placed:
        v = by_key[p.key]
        first = min(part.start for part in p.parts)
        m = _minutes_outside(v, first)
        minutes += m
        outside += 1 if m else 0
        carers = {part.carer for part in p.parts}
        if v.usual_carers:
            with_usual_need += 1
            if carers & set(v.usual_carers):
                with_usual += 1
            else:
                not_usual += 1
        if v.preferred_carers and not carers & v.preferred_carers:
            not_preferred += 1
    travel = sum(r.travel_minutes for r in routes)
    overtime = sum(r.overtime_minutes for r in routes)
    objective = (
        w.minute_outside * minutes
        + w.visit_outside * outside
        + w.not_usual_carer * not_usual
        + w.not_preferred_carer * not_preferred
        + w.travel_minute * travel
        + w.overtime_minute * overtime
    )
    metrics: dict[str, float] = {
        "visits": len(planned),
        "placed": len(placed),
        "unplaced": len(planned) - len(placed),
        "in_preferred_pct": round(100.0 * (len(placed) - outside) / len(placed), 1) if placed else 100.0,
        "minutes_outside": minutes,
        "visits_outside": outside,
        "continuity_pct": round(100.0 * with_usual / with_usual_need, 1) if with_usual_need else 100.0,
        "travel_minutes": travel,
        "overtime_minutes": overtime,
    }
    return metrics, objective
