"""The care engine: plan a day of care visits around the customers' preferred times.

``solve_care(problem, seed=…, time_limit=…, iterations=…, progress=…)`` returns a
``CarePlan`` in which every visit of the problem is either placed (its parts, carers and
start times) or unplaced with a reason (see ``care_diagnose``). The plan is judged
lexicographically (``care_problem.Weights``): minutes outside the preferred window, then
visits outside it, then visits without the usual carer, then travel and overtime. The
independent checker ``care_check.check_care_plan`` verifies every plan in the tests and
the benchmark.

How it searches (the ideas of ``engine_lns``, for the care rules):

- **Times are earliest starts.** Each rule is "this start ≥ that start + a constant": the
  visit's release (the preferred window's opening, so the engine never comes early
  unless a visit cannot be placed otherwise), the carer's shift start plus travel, the
  previous visit's end plus travel, the break, a partner's start for double-handed
  visits (simultaneous: equal; sequential: the gap both ways). The earliest schedule of
  fixed routes is a longest path, found by pushing increases until nothing moves; it
  minimises every start at once, hence lateness too. The hard upper bounds (the
  acceptable window's end, being back by the shift's end) are checked on it: if the
  earliest schedule breaks one, no schedule of these routes keeps it.
- **Insertion only delays**, so putting a visit at a place is priced exactly by pushing
  its delay along the route and across partners, with the whole objective. A lower
  bound (exact for the route's travel and overtime and the visit's own window and carer)
  and each node's latest feasible start discard most places before any push.
- **A break** travels to the next place first when it can still start in time after
  that, else it is taken where the carer is.
- **Continuity first**: the first plan and the first fifth of the search value the
  usual carer above the window (ten visits outside it), falling step by step to the
  lexicographic weight; the rest of the search repairs windows from a day built around
  usual carers (``CONTINUITY_FIRST_SHARE``). The final plan is judged by the customer's
  order only.
- **Construction**: double-handed visits first (a pair at the cheapest combination of
  two different carers), then each single visit with its usual carer where that costs
  nobody their preferred window, then the rest by tightness (narrowest acceptable
  window first), each at its cheapest feasible place.
- **Search**: remove some visits (random, the costliest, related in place and time,
  whole days of one or two carers, the visits of any carer nearest in time to one outside
  its window but for those with their usual carer, or one unplaced, away from its usual
  carer or outside its window together with what blocks the carers who could do it
  better; in the first half, while any visit is left unplaced, a share of the rounds
  clears room around one),
  reinsert them at their cheapest places (unplaced ones are retried now and then), keep
  the result by simulated annealing on the travel scale (anything dearer in the
  customer's terms is refused). Deterministic for a seed when bounded by ``iterations``.
"""

from __future__ import annotations

import bisect
import math
import random
import time
from collections.abc import Callable
from functools import partial
from typing import Literal

from steward.scheduling.care_problem import (
    CarePlan,
    CareProblem,
    CarerRoute,
    Part,
    PlannedVisit,
    Sync,
    Unplaced,
)

Progress = Callable[[int, str], None]

NONE, SIMULTANEOUS, SEQUENTIAL = 0, 1, 2
NEVER = -(10**9)  # the start of a node not placed yet: every bound from it is void
OPEN = 10**6  # no upper bound of its own (the second part of a sequential visit)
# What leaving a visit unplaced costs: more than any way of placing it.
UNPLACED_COST = 10**12
# How many cheapest places per part are combined when placing a double-handed visit.
PAIR_CANDIDATES = 6
PAIR_CANDIDATES_WIDE = 16


class CareSearch:
    """The routes of one day, every placed node's start, and the cost pieces.

    Nodes are the visits' parts (``part_base[v] + j``) and then one break per carer who
    has one (``break_node[r]``). A break has no place: the carer stays where they are.
    """

    def __init__(self, problem: CareProblem) -> None:
        self.problem = problem
        w = problem.weights
        self.w_minute, self.w_visit = w.minute_outside, w.visit_outside
        self.w_usual, self.w_pref_carer = w.not_usual_carer, w.not_preferred_carer
        self.w_travel, self.w_overtime = w.travel_minute, w.overtime_minute
        carers, visits = problem.carers, problem.visits
        self.n_carers = len(carers)
        for c in carers:
            if c.travel_profile not in problem.travel:
                raise ValueError(f"carer {c.id} travels by {c.travel_profile!r}, which has no travel times")
        self.tt = [problem.travel[c.travel_profile] for c in carers]
        self.home = [c.place for c in carers]
        self.s0 = [c.shift_start for c in carers]
        self.s1 = [c.shift_end for c in carers]
        self.contracted = [c.contracted_minutes for c in carers]
        # Per node.
        self.e: list[int] = []
        self.lat: list[int] = []
        self.dur: list[int] = []
        self.place: list[int] = []
        self.visit_of: list[int] = []
        self.partner: list[int] = []
        self.kind: list[int] = []
        self.first: list[bool] = []
        self.gmin: list[int] = []
        self.gmax: list[int] = []
        self.allowed: list[list[int]] = []
        self.part_base: list[int] = []
        self.release: list[int] = []  # per visit: the default release (preferred opening)
        for need in visits:
            base = len(self.e)
            self.part_base.append(base)
            low, high = need.acceptable
            release = min(max(low, need.preferred[0]), high)
            self.release.append(release)
            allowed = [r for r, c in enumerate(carers) if need.skills <= c.skills and c.id not in need.excluded_carers]
            double = need.carers_needed >= 2
            sequential = double and need.sync == Sync.SEQUENTIAL
            for j in range(2 if double else 1):
                second_seq = sequential and j == 1
                self.e.append(NEVER if second_seq else release)
                self.lat.append(OPEN if second_seq else high)
                self.dur.append(need.duration)
                self.place.append(need.place)
                self.visit_of.append(len(self.part_base) - 1)
                self.partner.append(base + 1 - j if double else -1)
                self.kind.append(NONE if not double else SEQUENTIAL if sequential else SIMULTANEOUS)
                self.first.append(j == 0)
                self.gmin.append(need.gap[0] if sequential else 0)
                self.gmax.append(need.gap[1] if sequential else 0)
                self.allowed.append(allowed)
        self.n_parts = len(self.e)
        self.break_node: list[int] = [-1] * self.n_carers
        self.unusable: set[int] = set()
        for r, c in enumerate(carers):
            if c.break_minutes > 0:
                earliest = c.break_earliest if c.break_earliest is not None else c.shift_start
                latest = c.break_latest if c.break_latest is not None else c.shift_end - c.break_minutes
                if (
                    max(earliest, c.shift_start) > latest
                    or max(earliest, c.shift_start) + c.break_minutes > c.shift_end
                ):
                    # A break that cannot be taken inside the shift: the carer cannot work this day.
                    self.unusable.add(r)
                    continue
                u = len(self.e)
                self.break_node[r] = u
                self.e.append(earliest)
                self.lat.append(latest)
                self.dur.append(c.break_minutes)
                self.place.append(-1)
                self.visit_of.append(-1)
                self.partner.append(-1)
                self.kind.append(NONE)
                self.first.append(True)
                self.gmin.append(0)
                self.gmax.append(0)
                self.allowed.append([r])
        if self.unusable:
            self.allowed = [[r for r in rows if r not in self.unusable] for rows in self.allowed]
        self.size = len(self.e)
        self.n_visits = len(visits)
        self.needs = visits
        self.usual = [frozenset(self._rows(n.usual_carers)) for n in visits]
        self.preferred_carers = [frozenset(self._rows(n.preferred_carers)) for n in visits]
        self.pref = [n.preferred for n in visits]
        self.wants_usual = [bool(n.usual_carers) for n in visits]
        self.wants_preferred = [bool(n.preferred_carers) for n in visits]
        self.double = [n.carers_needed >= 2 for n in visits]
        # State.
        self.routes: list[list[int]] = [[b] if b >= 0 else [] for b in self.break_node]
        self.t = [NEVER] * self.size
        self.route_of = [-1] * self.size
        for r, b in enumerate(self.break_node):
            if b >= 0:
                self.route_of[b] = r
        self.travel = [0] * self.n_carers
        self.work = [0] * self.n_carers
        self.latest = [OPEN] * self.size
        self.route_latest: list[list[int]] = [[] for _ in carers]
        self.placed_visits = 0
        self.iterations = 0  # search rounds done (reported in the plan's metrics)
        self.first_to_insert: int | None = None  # a destroy step's wish for the repair order
        # Rounds now and then clear room around a visit left unplaced (UNPLACED_FOCUS).
        self.focus_unplaced = True
        self.ok = self.recompute()
        from steward.scheduling.care_diagnose import structural

        # Visits no plan can hold (skills, exclusions, shifts): never searched for.
        self.hopeless = {v for v in range(self.n_visits) if structural(self, v) is not None}

    def forget_first(self) -> None:
        # A method, not an assignment in the caller: there mypy would narrow the attribute
        # to None for the rest of the round, and the compiled engine (mypyc) checks that.
        self.first_to_insert = None

    def _rows(self, ids) -> list[int]:
        index = {c.id: r for r, c in enumerate(self.problem.carers)}
        return [index[i] for i in ids if i in index]

    # -- cost -------------------------------------------------------------------------

    def pref_cost(self, v: int, start: int) -> int:
        low, high = self.pref[v]
        minutes = low - start if start < low else start - high if start > high else 0
        return minutes * self.w_minute + self.w_visit if minutes else 0

    def carer_cost(self, v: int, routes: tuple[int, ...]) -> int:
        cost = 0
        if self.wants_usual[v]:
            usual = self.usual[v]
            if routes[0] not in usual and (len(routes) < 2 or routes[1] not in usual):
                cost += self.w_usual
        if self.wants_preferred[v]:
            preferred = self.preferred_carers[v]
            if routes[0] not in preferred and (len(routes) < 2 or routes[1] not in preferred):
                cost += self.w_pref_carer
        return cost

    def route_cost(self, r: int, travel: int, work: int) -> int:
        contracted = self.contracted[r]
        overtime = max(0, work - contracted) if contracted is not None else 0
        return travel * self.w_travel + overtime * self.w_overtime

    def overtime(self, r: int) -> int:
        contracted = self.contracted[r]
        return max(0, self.work[r] - contracted) if contracted is not None else 0

    def route_travel(self, r: int, order: list[int]) -> tuple[int, int]:
        """Travel minutes and working minutes (travel + visits) of a route."""
        tt, place, dur = self.tt[r], self.place, self.dur
        here = home = self.home[r]
        travel = busy = 0
        for u in order:
            p = place[u]
            if p >= 0:
                travel += tt[here][p]
                busy += dur[u]
                here = p
        if busy:
            travel += tt[here][home]
        return travel, travel + busy

    def visit_routes(self, v: int) -> tuple[int, ...]:
        base = self.part_base[v]
        if self.double[v]:
            return (self.route_of[base], self.route_of[base + 1])
        return (self.route_of[base],)

    def visit_cost(self, v: int) -> int:
        base = self.part_base[v]
        if self.route_of[base] < 0:
            return UNPLACED_COST
        return self.pref_cost(v, self.t[base]) + self.carer_cost(v, self.visit_routes(v))

    def cost(self) -> int:
        total = 0
        route_of, t, pref, base_of = self.route_of, self.t, self.pref, self.part_base
        w_minute, w_visit = self.w_minute, self.w_visit
        # The carer costs inline, as carer_cost does them: this runs once a search round.
        wants_usual, wants_preferred, double = self.wants_usual, self.wants_preferred, self.double
        w_usual, w_pref_carer = self.w_usual, self.w_pref_carer
        for v in range(self.n_visits):
            base = base_of[v]
            if route_of[base] < 0:
                total += UNPLACED_COST
                continue
            start = t[base]
            low, high = pref[v]
            if start < low:
                total += (low - start) * w_minute + w_visit
            elif start > high:
                total += (start - high) * w_minute + w_visit
            if wants_usual[v]:
                usual = self.usual[v]
                if route_of[base] not in usual and (not double[v] or route_of[base + 1] not in usual):
                    total += w_usual
            if wants_preferred[v]:
                preferred = self.preferred_carers[v]
                if route_of[base] not in preferred and (not double[v] or route_of[base + 1] not in preferred):
                    total += w_pref_carer
        return total + sum(self.route_cost(r, self.travel[r], self.work[r]) for r in range(self.n_carers))

    def placed(self, v: int) -> bool:
        return self.route_of[self.part_base[v]] >= 0

    def with_usual_carer(self, v: int) -> bool:
        """Whether placed visit ``v`` has one of its usual carers (as one of its two, if a pair)."""
        return any(r in self.usual[v] for r in self.visit_routes(v))

    def parts(self, v: int) -> list[int]:
        base = self.part_base[v]
        return [base, base + 1] if self.needs[v].carers_needed >= 2 else [base]

    # -- times ------------------------------------------------------------------------

    def _propagate(
        self, orders: dict[int, list[int]], dirty: dict[int, tuple[int, int]], nt: dict[int, int], new: set[int]
    ) -> bool:
        """Raise starts (into ``nt``) until every rule holds; False if a hard bound breaks.

        ``orders`` overrides some routes' order; ``dirty`` maps a route to the first
        and last positions to recompute from (everything after the last is recomputed
        only while it moves); ``new`` are nodes being inserted (placed for the rules).
        """
        t, e, lat, dur, place = self.t, self.e, self.lat, self.dur, self.place
        partner, kind, first, gmin, gmax = self.partner, self.kind, self.first, self.gmin, self.gmax
        route_of = self.route_of
        budget = 4 * self.size + 50
        while dirty:
            budget -= 1
            if budget < 0:
                return False
            r, (k, last) = dirty.popitem()
            order = orders[r] if r in orders else self.routes[r]
            tt = self.tt[r]
            end = self.s1[r]
            home = self.home[r]
            if k > 0 and place[order[k - 1]] < 0:
                k -= 1  # the break before depends on where the carer goes next
            if k == 0:
                here, ready = self.home[r], self.s0[r]
            else:
                prev = order[k - 1]
                ready = nt.get(prev, t[prev]) + dur[prev]
                here = self.home[r]
                for i in range(k - 1, -1, -1):
                    if place[order[i]] >= 0:
                        here = place[order[i]]
                        break
            stopped = False
            for i in range(k, len(order)):
                u = order[i]
                pu = place[u]
                if pu < 0:
                    # A break: travel to the next place first when the break can still
                    # start in time after it, else take it here and travel after.
                    nxt = place[order[i + 1]] if i + 1 < len(order) else home
                    start = ready + tt[here][nxt]
                    if e[u] > start:
                        start = e[u]
                    if start <= lat[u]:
                        here = nxt
                    else:
                        start = ready if ready > e[u] else e[u]
                else:
                    start = ready + tt[here][pu]
                    if e[u] > start:
                        start = e[u]
                p = partner[u]
                linked = p >= 0 and (route_of[p] >= 0 or p in new)
                if linked:
                    tp = nt.get(p, t[p])
                    if tp > NEVER:
                        if kind[u] == SIMULTANEOUS:
                            bound = tp
                        elif first[u]:
                            bound = tp - gmax[u]
                        else:
                            bound = tp + gmin[u]
                        if bound > start:
                            start = bound
                if start > lat[u] or start > end:
                    return False
                old = nt.get(u, t[u])
                if start == old and i > last and pu >= 0:
                    # Nothing after this changes (no raise is waiting further on).
                    stopped = True
                    break
                if start != old:
                    nt[u] = start
                    if linked:
                        tp = nt.get(p, t[p])
                        if tp > NEVER:
                            if kind[u] == SIMULTANEOUS:
                                need = start
                            elif first[u]:
                                need = start + gmin[u]
                            else:
                                need = start - gmax[u]
                            if tp < need:
                                rp = route_of[p] if route_of[p] >= 0 else self._new_route(p, orders)
                                op = orders[rp] if rp in orders else self.routes[rp]
                                kp = op.index(p)
                                marked = dirty.get(rp)
                                dirty[rp] = (min(marked[0], kp), max(marked[1], kp)) if marked else (kp, kp)
                ready = start + dur[u]
                if pu >= 0:
                    here = pu
            if not stopped and ready + (tt[here][home] if here != home else 0) > end:
                return False
        return True

    @staticmethod
    def _new_route(p: int, orders: dict[int, list[int]]) -> int:
        for r, order in orders.items():
            if p in order:
                return r
        raise AssertionError("a new node is in no route")  # pragma: no cover

    def recompute(self, rows: set[int] | None = None, starts: dict[int, int] | None = None) -> bool:
        """Earliest starts of the current routes anew (after removals or a changed
        release): of every route, or of ``rows`` from the positions ``starts`` gives
        (default: the whole route), and of every route tied to those parts by a
        double-handed visit from the partner's position on. What comes before cannot
        move: a start depends only on what precedes it on its route and on its partner."""
        if rows is None:
            rows = set(range(self.n_carers))
        first = {r: (starts or {}).get(r, 0) for r in rows}
        partner, route_of, routes = self.partner, self.route_of, self.routes
        frontier = list(first)
        while frontier:
            r = frontier.pop()
            for u in routes[r][first[r] :]:
                p = partner[u]
                if p >= 0 and (rp := route_of[p]) >= 0:
                    kp = routes[rp].index(p)
                    if kp < first.get(rp, len(routes[rp]) + 1):
                        first[rp] = kp
                        frontier.append(rp)
        placed = [u for r, k in first.items() for u in routes[r][k:]]
        nt = dict.fromkeys(placed, NEVER)
        saved = {u: self.t[u] for u in placed}
        for u in placed:
            self.t[u] = NEVER
        dirty = {r: (k, len(routes[r])) for r, k in first.items() if routes[r]}
        if not self._propagate({}, dirty, nt, set()):
            for u, value in saved.items():
                self.t[u] = value
            return False
        for u, value in nt.items():
            self.t[u] = value
        for r in first:
            self.travel[r], self.work[r] = self.route_travel(r, routes[r])
            self._latest(r)
        return True

    # -- insertion --------------------------------------------------------------------

    def _price(self, v: int, orders: dict[int, list[int]], nt: dict[int, int], routes: tuple[int, ...]) -> int:
        """Added cost of the committed-to-be state: ``nt`` changed starts, ``orders`` new routes."""
        delta = 0
        for r, order in orders.items():
            travel, work = self.route_travel(r, order)
            delta += self.route_cost(r, travel, work) - self.route_cost(r, self.travel[r], self.work[r])
        base = self.part_base[v]
        visit_of, first, t = self.visit_of, self.first, self.t
        for u, start in nt.items():
            x = visit_of[u]
            if x < 0 or not first[u] or x == v:
                continue
            delta += self.pref_cost(x, start) - self.pref_cost(x, t[u])
        if base in nt:
            delta += self.pref_cost(v, nt[base])
        elif self.kind[base] == SIMULTANEOUS:  # the second part priced alone (a shortlist)
            delta += self.pref_cost(v, nt[base + 1])
        return delta + self.carer_cost(v, routes)

    def _try(
        self, v: int, places: list[tuple[int, int, int]]
    ) -> tuple[int, dict[int, int], dict[int, list[int]]] | None:
        """Put the parts ``(node, route, position)`` in; the added cost, or None if infeasible."""
        orders: dict[int, list[int]] = {}
        dirty: dict[int, tuple[int, int]] = {}
        nt: dict[int, int] = {}
        for u, r, k in places:
            order = orders.get(r, self.routes[r])
            orders[r] = [*order[:k], u, *order[k:]]
            marked = dirty.get(r)
            dirty[r] = (min(marked[0], k), max(marked[1], k + 1)) if marked else (k, k)
            nt[u] = NEVER
        if not self._propagate(orders, dirty, nt, {u for u, _, _ in places}):
            return None
        return self._price(v, orders, nt, tuple(r for _, r, _ in places)), nt, orders

    def _latest(self, r: int) -> None:
        """Latest start of each node of route ``r`` that leaves the rest of the route
        feasible (partners ignored, breaks generously): a quick filter for insertion."""
        route, tt, place, dur, lat, latest = self.routes[r], self.tt[r], self.place, self.dur, self.lat, self.latest
        bound, nxt = self.s1[r], self.home[r]
        for u in reversed(route):
            pu = place[u]
            if pu < 0:
                value = min(lat[u], bound - dur[u])
            else:
                value = min(lat[u], bound - tt[pu][nxt] - dur[u])
                nxt = pu
            latest[u] = value
            bound = value
        self.route_latest[r] = [latest[u] for u in route]

    def _candidates(self, v: int, u: int) -> list[tuple[int, int, int]]:
        """Every (lower bound of the added cost, route, position) where part ``u`` of
        visit ``v`` could go, judged on times, cheapest bound first.

        The bound is exact for the route's travel and overtime and for the visit's own
        window and carer; only knock-on delays of other visits are left out.
        """
        t, dur, place, latest, e = self.t, self.dur, self.place, self.latest, self.e
        px, dx, ex, lx = place[u], dur[u], e[u], self.lat[u]
        priced_window = self.first[u] or self.kind[u] == SIMULTANEOUS
        w_travel, w_overtime = self.w_travel, self.w_overtime
        # The visit's carer cost on each route, as carer_cost((r,)) (inline: called for every route).
        usual = self.usual[v] if self.wants_usual[v] else None
        preferred = self.preferred_carers[v] if self.wants_preferred[v] else None
        w_usual, w_pref_carer = self.w_usual, self.w_pref_carer
        pref_low, pref_high = self.pref[v]
        w_minute, w_visit = self.w_minute, self.w_visit
        out: list[tuple[int, int, int]] = []
        for r in self.allowed[u]:
            route, tt, home = self.routes[r], self.tt[r], self.home[r]
            s0, s1 = self.s0[r], self.s1[r]
            if s0 + tt[home][px] > lx or (ex if ex > s0 else s0) + dx + tt[px][home] > s1:
                continue
            carer = 0
            if usual is not None and r not in usual:
                carer = w_usual
            if preferred is not None and r not in preferred:
                carer += w_pref_carer
            contracted = self.contracted[r]
            # Overtime added by ``added`` travel minutes: what exceeds the slack left
            # under the contracted minutes (which may already be used up: then it is
            # less than zero, and only the overtime on top of today's counts).
            if contracted is None:
                slack, over0 = OPEN, 0
            else:
                work0 = self.work[r]
                slack = contracted - work0 - dx
                over0 = work0 - contracted if work0 > contracted else 0
            # Positions before k0 would push a visit past its latest start.
            k0 = bisect.bisect_left(self.route_latest[r], ex + dx)
            n = len(route)
            for k in range(k0, n + 1):
                # What is just before position k: the carer's free time, place, and a break.
                ready, h, brk, brk_e = s0, home, 0, NEVER
                if k > 0:
                    prev = route[k - 1]
                    if place[prev] < 0:
                        brk, brk_e = dur[prev], e[prev]
                        if k > 1:
                            before = route[k - 2]
                            ready, h = t[before] + dur[before], place[before]
                    else:
                        ready, h = t[prev] + dur[prev], place[prev]
                if ready > lx:
                    break
                to_x = tt[h][px]
                est = ready + brk + to_x
                if brk and brk_e + brk > est:
                    est = brk_e + brk
                if ex > est:
                    est = ex
                if est > lx:
                    continue
                # Where the carer goes next (the next real place, or home) and by when.
                after, limit = home, s1
                if k < n:
                    w = route[k]
                    if place[w] < 0:
                        if latest[w] < est + dx:
                            continue
                        if k + 1 < n:
                            w = route[k + 1]
                            after, limit = place[w], latest[w] - dur[route[k]]
                    else:
                        after, limit = place[w], latest[w]
                if est + dx + tt[px][after] > limit:
                    continue
                added = to_x + tt[px][after] - tt[h][after]
                over = added - slack if added > slack else 0
                bound = added * w_travel + (over - over0) * w_overtime + carer
                if priced_window:  # pref_cost, inline
                    if est > pref_high:
                        bound += (est - pref_high) * w_minute + w_visit
                    elif est < pref_low:
                        bound += (pref_low - est) * w_minute + w_visit
                out.append((bound, r, k))
        out.sort()
        return out

    def _single_options(self, v: int, u: int, limit: int | None) -> list[tuple[int, int, int, int]]:
        """(cost, route, position, cost left out of a pair's bound) of part ``u`` alone,
        cheapest first (``limit`` of them). The last figure is the cost without the
        visit's own window and carer: what placing the part costs the carer's day."""
        found: list[tuple[int, int, int, int]] = []
        own_window = self.first[u] or self.kind[u] == SIMULTANEOUS
        kth = math.inf  # the limit-th cheapest found so far
        for bound, r, k in self._candidates(v, u):
            if limit is not None and bound >= kth:
                break  # bounds are lower bounds, cheapest first: the cheapest are all found
            priced = self._try(v, [(u, r, k)])
            if priced is not None:
                cost, nt, _ = priced
                day = cost - self.carer_cost(v, (r,)) - (self.pref_cost(v, nt[u]) if own_window else 0)
                found.append((cost, r, k, day))
                if limit is not None:
                    if len(found) >= 3 * limit:
                        break
                    if len(found) >= limit:
                        kth = float(sorted(found)[limit - 1][0])  # a float throughout, for mypyc
        found.sort()
        return found if limit is None else found[:limit]

    def _second_options(self, v: int, a: int, b: int, limit: int) -> list[tuple[int, int, int, int]]:
        """Places for the second part of a sequential visit, alone. It has no window of
        its own (it follows the first), but it can start no earlier than the first part's
        release plus the shortest gap and no later than the first's latest start plus the
        longest: places outside that are never part of a plan, so they are not priced."""
        e, lat = self.e[b], self.lat[b]
        self.e[b], self.lat[b] = self.e[a] + self.gmin[b], self.lat[a] + self.gmax[b]
        try:
            return self._single_options(v, b, limit)
        finally:
            self.e[b], self.lat[b] = e, lat

    def best_insertion(
        self, v: int, rng: random.Random | None = None, noise: float = 0.0
    ) -> tuple[int, dict[int, int], dict[int, list[int]], list[tuple[int, int, int]]] | None:
        parts = self.parts(v)
        best: tuple[int, dict[int, int], dict[int, list[int]], list[tuple[int, int, int]]] | None = None
        best_key = math.inf

        def consider(places: list[tuple[int, int, int]]) -> None:
            nonlocal best, best_key
            priced = self._try(v, places)
            if priced is None:
                return
            key = priced[0] * (1 + noise * rng.random()) if noise and rng is not None else priced[0]
            if key < best_key:
                best_key = key
                best = (priced[0], priced[1], priced[2], places)

        if len(parts) == 1:
            u = parts[0]
            for bound, r, k in self._candidates(v, u):
                if bound * (1 + noise) >= best_key:
                    break
                consider([(u, r, k)])
            return best
        a, b = parts
        for width in (PAIR_CANDIDATES, PAIR_CANDIDATES_WIDE):
            options_a = self._single_options(v, a, width)
            # The two parts of a simultaneous visit have the same places and costs alone.
            simultaneous = self.kind[a] == SIMULTANEOUS
            options_b = options_a if simultaneous else self._second_options(v, a, b, width)
            # Each pair of places, priced in the order of a lower bound: what each part
            # costs its carer's day alone, plus the pair's carer cost (the visit's own
            # window is left out: the two starting together can only be later).
            combos = sorted(
                (day_a + day_b + self.carer_cost(v, (ra, rb)), i, j)
                for i, (_, ra, _, day_a) in enumerate(options_a)
                for j, (_, rb, _, day_b) in enumerate(options_b)
                # The parts of a simultaneous visit are interchangeable: (A, B) is the
                # same plan as (B, A), so each pair of places is priced once.
                if ra != rb and not (simultaneous and j < i)
            )
            for bound, i, j in combos:
                if bound * (1 + noise) >= best_key:
                    break
                consider([(a, options_a[i][1], options_a[i][2]), (b, options_b[j][1], options_b[j][2])])
            if best is not None or (len(options_a) < width and len(options_b) < width):
                break
        return best

    def commit(
        self, v: int, found: tuple[int, dict[int, int], dict[int, list[int]], list[tuple[int, int, int]]]
    ) -> None:
        _, nt, orders, places = found
        for r, order in orders.items():
            self.routes[r] = order
            self.travel[r], self.work[r] = self.route_travel(r, order)
            self._latest(r)
        for u, r, _ in places:
            self.route_of[u] = r
        for u, start in nt.items():
            self.t[u] = start
        self.placed_visits += 1

    def insert(self, v: int, rng: random.Random | None = None, noise: float = 0.0) -> bool:
        """Place visit ``v`` at its cheapest feasible place; early (from the acceptable
        window's opening) only when it fits nowhere from the preferred one."""
        if v in self.hopeless:
            return False
        found = self.best_insertion(v, rng, noise)
        if found is None:
            low = self.needs[v].acceptable[0]
            if low < self.release[v]:
                self._set_release(v, low)
                found = self.best_insertion(v, rng, noise)
                if found is None:
                    self._set_release(v, self.release[v])
        if found is None:
            return False
        self.commit(v, found)
        return True

    def _set_release(self, v: int, release: int) -> None:
        for u in self.parts(v):
            if self.e[u] > NEVER:
                self.e[u] = release

    def remove(self, visits: set[int]) -> bool:
        """Take visits out; False (state to be restored by the caller) in the rare case
        where that makes the day infeasible: a break taken nearer home can delay what follows."""
        nodes = {u for v in visits for u in self.parts(v) if self.route_of[u] >= 0}
        if not nodes:
            return True
        starts: dict[int, int] = {}  # per route, the position of the first node taken out
        for r, route in enumerate(self.routes):
            for k, u in enumerate(route):
                if u in nodes:
                    starts[r] = k
                    self.routes[r] = [u for u in route if u not in nodes]
                    break
        for u in nodes:
            self.route_of[u] = -1
            self.t[u] = NEVER
        for v in visits:
            if self.placed_visits and any(u in nodes for u in self.parts(v)):
                self.placed_visits -= 1
            self._set_release(v, self.release[v])
        return self.recompute(set(starts), starts)

    # -- state ------------------------------------------------------------------------

    def save(self) -> tuple:
        # The derived figures (travel, work, latest starts) are saved too: copying lists
        # is far cheaper than recomputing every route on each restore, which most search
        # rounds end with.
        return (
            [list(r) for r in self.routes],
            list(self.t),
            list(self.route_of),
            list(self.e),
            self.placed_visits,
            list(self.travel),
            list(self.work),
            list(self.latest),
            [list(r) for r in self.route_latest],
        )

    def restore(self, state: tuple) -> None:
        routes, t, route_of, e, placed, travel, work, latest, route_latest = state
        self.routes = [list(r) for r in routes]
        self.t, self.route_of, self.e, self.placed_visits = list(t), list(route_of), list(e), placed
        self.travel, self.work, self.latest = list(travel), list(work), list(latest)
        self.route_latest = [list(r) for r in route_latest]


# -- the search -----------------------------------------------------------------------


def _tightness(search: CareSearch, v: int) -> tuple:
    need = search.needs[v]
    low, high = need.acceptable
    return (need.carers_needed < 2, high - low, len(search.allowed[search.part_base[v]]), need.preferred[0], v)


def _repair(search: CareSearch, visits: list[int], rng: random.Random | None, noise: float) -> None:
    for v in visits:
        if not search.placed(v):
            search.insert(v, rng, noise)


def _seed_usual(search: CareSearch, visits: list[int]) -> None:
    """First put each single-handed visit with its usual carer, where that costs no
    customer their preferred window: continuity is cheap to keep early and dear to
    rebuild later. Pairs and the rest follow by cheapest insertion."""
    for v in visits:
        usual = search.usual[v]
        if not usual or search.placed(v) or search.needs[v].carers_needed >= 2:
            continue
        u = search.part_base[v]
        for bound, r, k in search._candidates(v, u):
            if bound >= search.w_minute:
                break
            if r not in usual:
                continue
            priced = search._try(v, [(u, r, k)])
            if priced is not None and priced[0] < search.w_minute:
                search.commit(v, (priced[0], priced[1], priced[2], [(u, r, k)]))
                break


def _return_to_usual(
    search: CareSearch, visits: list[int], usual_of: dict[int, int], rng: random.Random, noise: float
) -> None:
    """Put each visit back on its usual carer's day (``usual_of``) at the cheapest place
    there, where that costs no customer a minute of their preferred window; the rest
    are left for the repair that follows."""
    for v in visits:
        if search.placed(v):
            continue  # e.g. the visit the destroy step made room for, placed just before
        u = search.part_base[v]
        everyone = search.allowed[u]
        search.allowed[u] = [usual_of[v]]
        try:
            found = search.best_insertion(v, rng, noise)
        finally:
            search.allowed[u] = everyone
        if found is not None and found[0] < search.w_minute:
            search.commit(v, found)


def _random_removal(search: CareSearch, q: int, rng: random.Random) -> set[int]:
    placed = [v for v in range(search.n_visits) if search.placed(v)]
    return set(rng.sample(placed, min(q, len(placed))))


def _worst_removal(search: CareSearch, q: int, rng: random.Random) -> set[int]:
    """The visits costing most: outside the preferred window, away from the usual carer, long detours."""
    place, visit_of = search.place, search.visit_of
    detour = [0] * search.n_visits  # travel minutes a visit's parts add to their carers' days
    for r, route in enumerate(search.routes):
        tt, home = search.tt[r], search.home[r]
        stops = [u for u in route if place[u] >= 0]
        before = home
        for i, u in enumerate(stops):
            here = place[u]
            after = place[stops[i + 1]] if i + 1 < len(stops) else home
            detour[visit_of[u]] += tt[before][here] + tt[here][after] - tt[before][after]
            before = here
    scores = [
        (search.visit_cost(v) + detour[v] * search.w_travel, v) for v in range(search.n_visits) if search.placed(v)
    ]
    scores.sort(reverse=True)
    chosen: set[int] = set()
    while len(chosen) < q and scores:
        pick = int(len(scores) * rng.random() ** 4)
        chosen.add(scores.pop(pick)[1])
    return chosen


def _related_removal(search: CareSearch, q: int, rng: random.Random) -> set[int]:
    """Visits near a random one in place and time (Shaw removal)."""
    placed = [v for v in range(search.n_visits) if search.placed(v)]
    if not placed:
        return set()
    seed = rng.choice(placed)
    tt = search.tt[0]
    here, when = search.needs[seed].place, search.needs[seed].preferred[0]
    related = sorted(
        placed, key=lambda v: tt[here][search.needs[v].place] + 0.5 * abs(search.needs[v].preferred[0] - when)
    )
    return _nearest_first(related, q, rng)


def _nearest_first(ordered: list[int], q: int, rng: random.Random) -> set[int]:
    """Up to ``q`` of the visits ``ordered`` nearest first, each passed over one time in
    five, so that rounds from the same seed visit do not all take the same ones."""
    chosen: set[int] = set()
    for v in ordered:
        if len(chosen) >= q:
            break
        if rng.random() < 0.8:
            chosen.add(v)
    return chosen


def _route_removal(search: CareSearch, q: int, rng: random.Random) -> set[int]:
    """All the visits of one or two carers: lets the search rebuild whole days."""
    busy = [r for r, route in enumerate(search.routes) if any(search.visit_of[u] >= 0 for u in route)]
    chosen: set[int] = set()
    for r in rng.sample(busy, min(len(busy), 2)):
        chosen |= {search.visit_of[u] for u in search.routes[r] if search.visit_of[u] >= 0}
        if len(chosen) >= q:
            break
    return chosen


def _customer_removal(search: CareSearch, q: int, rng: random.Random) -> set[int]:
    """A visit left unplaced, away from its usual carer or outside its preferred window,
    with what stands in its way on the carers who could do it better around that time;
    the repair puts it back first."""
    unplaced = [v for v in range(search.n_visits) if not search.placed(v) and v not in search.hopeless]
    if unplaced and rng.random() < 0.5:
        v = rng.choice(unplaced)
    else:
        unhappy = [
            v
            for v in range(search.n_visits)
            if search.placed(v) and search.visit_cost(v) >= min(search.w_usual, search.w_pref_carer or search.w_usual)
        ]
        if not unhappy:
            return _related_removal(search, q, rng)
        v = rng.choice(unhappy)
    search.first_to_insert = v
    usual = search.usual[v]
    away = search.placed(v) and usual and not search.with_usual_carer(v)
    routes = list(usual) if away else list(search.allowed[search.part_base[v]])
    rng.shuffle(routes)
    return _clear_around(search, v, routes[: 3 + search.needs[v].carers_needed], q)


def _time_band_removal(search: CareSearch, q: int, rng: random.Random) -> set[int]:
    """The visits of any carer nearest in time to one moment of the day (a visit outside
    its preferred window, in most rounds where there is one), leaving alone those with
    their usual carer: lets the repair share a busy hour out between carers afresh
    without spending the continuity already won."""
    placed = [v for v in range(search.n_visits) if search.placed(v)]
    if not placed:
        return set()
    t, base = search.t, search.part_base
    outside = [v for v in placed if search.pref_cost(v, t[base[v]])]
    seed = rng.choice(outside) if outside and rng.random() < 0.7 else rng.choice(placed)
    when = t[base[seed]]
    movable = [v for v in placed if v == seed or not search.usual[v] or not search.with_usual_carer(v)]
    movable.sort(key=lambda v: abs(t[base[v]] - when))
    return _nearest_first(movable, q, rng)


def _unplaced_removal(search: CareSearch, q: int, rng: random.Random) -> set[int]:
    """A visit still left unplaced, with what stands in its way on two to four more of
    the carers able to do it than it needs, around its acceptable window; the repair puts
    it back first. (The customer-centred removal does the same on three carers, and for
    any visit the customer is let down on.)"""
    unplaced = [v for v in range(search.n_visits) if not search.placed(v) and v not in search.hopeless]
    v = rng.choice(unplaced)
    search.first_to_insert = v
    routes = list(search.allowed[search.part_base[v]])
    rng.shuffle(routes)
    return _clear_around(search, v, routes[: rng.randint(2, 4) + search.needs[v].carers_needed], q)


def _clear_around(search: CareSearch, v: int, routes: list[int], q: int) -> set[int]:
    """Visit ``v`` and the visits of ``routes`` (in that order, until there are ``q``)
    that overlap its acceptable window, an hour either side."""
    chosen = {v}
    low, high = search.needs[v].acceptable
    duration = search.needs[v].duration
    for r in routes:
        for u in search.routes[r]:
            x = search.visit_of[u]
            if x >= 0 and search.t[u] < high + duration + 60 and search.t[u] + search.dur[u] > low - 60:
                chosen.add(x)
        if len(chosen) >= q:
            break
    return chosen


def _insert_on(search: CareSearch, v: int, rows: set[int]) -> bool:
    """Place single-carer visit ``v`` at its cheapest feasible place on one of ``rows``."""
    u = search.part_base[v]
    best: tuple[int, dict[int, int], dict[int, list[int]], list[tuple[int, int, int]]] | None = None
    for bound, r, k in search._candidates(v, u):
        if r not in rows:
            continue
        if best is not None and bound >= best[0]:
            break
        priced = search._try(v, [(u, r, k)])
        if priced is not None and (best is None or priced[0] < best[0]):
            best = (priced[0], priced[1], priced[2], [(u, r, k)])
    if best is None:
        return False
    search.commit(v, best)
    return True


# The share of destroy-and-repair rounds in which visits taken from their usual carer
# go back to that carer first. Without it the repair hands a usual carer's place to
# whichever visit is reinserted first, and continuity drains away round by round while
# the windows are repaired. Measured on the realistic day (days 0-2, search seeds 0-1,
# 28 s each): 0.5, 0.7 and 0.9 kept the usual carer on 81.8, 82.7 and 84.6 % of visits
# (where they work) and put 95.0, 95.4 and 94.5 % in the preferred window; 0 (none)
# kept 75.8 % (at 25 s).
PIN_USUAL = 0.7
# Continuity is easy to keep from the start and dear to rebuild once the windows are
# settled (a window repaired by a carer who is not the usual one leaves no cheap way
# back). So the first plan, and the first rounds, value the usual carer at
# CONTINUITY_FIRST_WEIGHT visits outside the window; the weight falls geometrically to
# the lexicographic one in CONTINUITY_FIRST_LEVELS steps over CONTINUITY_FIRST_SHARE of
# the search, and the rest of the search repairs windows from a day built around usual
# carers. Measured on the realistic day (days 0-2, search seeds 0-1, 28 s of CPU, two
# runs at a time): without it 95.2 % in the preferred window where feasible and 75.9 %
# usual carer (where they work); with 0.2 and 4 steps 95.2 % and 80.8 %; with 0.3 and
# 6 steps 94.9 % and 81.8 %; with 0.5 and 10 steps 94.5 % and 82.5 %; one step of the
# heavy weight alone for 0.1, 0.2 and 0.3: 95.0/79.9, 94.6/82.7 and 94.4/85.1 %.
CONTINUITY_FIRST_WEIGHT = 10
CONTINUITY_FIRST_SHARE = 0.2
CONTINUITY_FIRST_LEVELS = 4
# Visits a round takes out, at most. 20 instead of 30 changed nothing measurable on the
# realistic day (24 runs: 95.2 % in the window and 81.3 % usual carer against 95.2 and 81.0).
REMOVE_MOST = 30
# The annealing's starting temperature, in travel minutes (it cools to nothing by the end
# of each stretch of search). Measured on the realistic day (days 0-5 x search seeds 0-7,
# 48 paired runs of 28 s, two at a time): 10 put 95.1 % in the preferred window where
# feasible and kept 81.1 % usual carers, against 94.7 and 80.8 % with 30 (the window
# better in 28 of 48 pairs, by 0.45 points on average, about 2.8 standard errors); 90
# gave 95.1 / 80.9 on 24 of them. A cooler search keeps more of what the rounds win.
TEMPERATURE_TRAVEL_MINUTES = 10
# While visits are left unplaced, in the first half of a search bounded by time (all of one
# bounded by rounds), this share of the rounds clears room around one of them
# (_unplaced_removal), taking out at least UNPLACED_FOCUS_REMOVE visits. Leaving a
# customer without their visit outweighs every window, so a visit placed late in the
# search costs windows that there is no time left to win back (seen on the realistic
# day: a visit placed a second before the end put twelve more outside their window).
# Measured on the realistic day (96 paired runs, days 0-5 x search seeds 0-15, 28 s,
# two at a time): 211 visits left unplaced in all against 224, better in the
# engine's order (placed, window, usual carer) in 62 runs and worse in 33 (sign test
# p = 0.002); 94.9 % in the preferred window where feasible against 94.8, 80.6 % usual
# carer against 80.6. Over the whole search (15 % of the rounds, seeds 0-3) it placed
# more still but put 0.4 points fewer in the window.
UNPLACED_FOCUS = 0.15
UNPLACED_FOCUS_REMOVE = 15
RETRY_BACKOFF_MAX = 5  # an unplaced visit failing again and again is retried every 2**5 rounds at most
SWAP_HALFWAY = 0.5  # a time-bounded search also exchanges at this share of its time
SWAP_SHARE = 0.1  # of a time-bounded search, spent on exchanges at the end
SWAP_PASSES = 4  # passes over the visits away from their usual carer, at most
SWAP_MINUTES = 90  # how far apart in time two visits may be to be exchanged between carers
SWAP_PARTNERS = 4  # visits tried in exchange, nearest in time first


def _win_back_usual(search: CareSearch, out_of_time: Callable[[], bool]) -> int:
    """Continuity the destroy-and-repair rounds cannot win back: put a visit on its usual
    carer's day, alone or in exchange for one of theirs at about the same time, each
    placed at its cheapest; kept only when the whole day costs less, so no customer's
    window gets worse for it. (Repairing visit by visit, the exchange needs a window
    made worse first, which the search refuses.) Returns the exchanges kept."""
    kept = 0
    current = search.cost()
    order = sorted(range(search.n_visits), key=lambda v: (-search.visit_cost(v), v))
    for v in order:
        if out_of_time():
            break
        if search.double[v] or not search.usual[v] or not search.placed(v):
            continue
        u = search.part_base[v]
        here = search.route_of[u]
        if here in search.usual[v]:
            continue
        for ru in sorted(search.usual[v] & set(search.allowed[u])):
            near = sorted(
                (abs(search.t[x] - search.t[u]), search.visit_of[x])
                for x in search.routes[ru]
                if search.visit_of[x] >= 0
                and not search.double[search.visit_of[x]]
                and abs(search.t[x] - search.t[u]) <= SWAP_MINUTES
                and here in search.allowed[x]
            )
            swapped = False
            exchanges: list[set[int]] = [set()] + [{w} for _, w in near[:SWAP_PARTNERS]]
            for others in exchanges:
                saved = search.save()
                ok = (
                    search.remove({v} | others)
                    and _insert_on(search, v, {ru})
                    and all(_insert_on(search, w, {here}) or search.insert(w) for w in sorted(others))
                )
                cost = search.cost() if ok else math.inf
                if cost < current:
                    current, swapped = int(cost), True
                    kept += 1
                    break
                search.restore(saved)
            if swapped:
                break
    return kept


def _past(tick: Callable[[], float], deadline: float) -> bool:
    return tick() >= deadline


def _released_at(search: CareSearch, saved: tuple, v: int, rows: set[int], start: int) -> bool:
    """The saved day with visit ``v`` starting no earlier than ``start``; False if infeasible."""
    search.restore(saved)
    search._set_release(v, start)
    return search.recompute(set(rows))


def _come_later(search: CareSearch) -> int:
    """Visits that had to be let in early (before the preferred window) start at the
    earliest moment the carer can be there; many could wait nearer the window without
    making anything else worse. Move each to its window's opening, or else to the latest
    start that keeps the day feasible (found by halving: a later start only delays what
    follows), where that lowers the cost. Returns how many moved."""
    moved = 0
    current = search.cost()
    for v in range(search.n_visits):
        base = search.part_base[v]
        opening = search.pref[v][0]
        if not search.placed(v) or search.t[base] >= opening:
            continue
        rows = set(search.visit_routes(v))
        saved = search.save()
        feasible = partial(_released_at, search, saved, v, rows)
        low, high = search.t[base], opening  # low is feasible (it is the current plan)
        if feasible(high):
            low = high
        else:
            while high - low > 1:
                middle = (low + high) // 2
                if feasible(middle):
                    low = middle
                else:
                    high = middle
        if low > search.t[base] or feasible(low):
            feasible(low)
            cost = search.cost()
            if cost < current:
                current = cost
                moved += 1
                continue
        search.restore(saved)
    return moved


# The destroy steps, one picked at random each round. The time-band one (the last) was
# added on the evening of 23 November. Measured on the realistic day (96 paired runs,
# days 0-5 x search seeds 0-15, 28 s, the two engines side by side): the usual carer kept
# on 81.8 % of visits where they work against 80.1 (better in 59 runs, worse in 30; 70 of
# 96 runs at 80 % or more against 55), the preferred window unchanged (94.8 % where
# feasible both; 42 runs at 95 % or more against 39), 3 % fewer rounds. Without leaving
# the visits with their usual carer alone (36 runs bounded at 6,000 rounds) it put 0.5
# points more in the window and cost 1.2 points of continuity.
DESTROY = (
    _random_removal,
    _worst_removal,
    _related_removal,
    _route_removal,
    _customer_removal,
    _customer_removal,
    _time_band_removal,
)


def solve_care(
    problem: CareProblem,
    *,
    seed: int = 0,
    time_limit: float = 10.0,
    iterations: int | None = None,
    progress: Progress | None = None,
    clock: Literal["wall", "cpu"] = "wall",
) -> CarePlan:
    """Plan the day. ``iterations`` bounds the search by work (the same plan for the same
    seed on any machine); otherwise ``time_limit`` seconds of ``clock`` time."""
    from steward.scheduling.care_diagnose import diagnose

    tick = time.process_time if clock == "cpu" else time.perf_counter
    started = tick()
    reporter = _Reporter(progress)
    reporter(0, "Building a first plan", force=True)
    search = CareSearch(problem)
    rng = random.Random(seed)  # noqa: S311 - a search, not a secret
    if search.ok:
        # Continuity first: the first plan and the first rounds value the usual carer
        # above the window, then less and less (see CONTINUITY_FIRST_SHARE).
        usual_weight = search.w_usual
        heavy = CONTINUITY_FIRST_WEIGHT * search.w_visit if CONTINUITY_FIRST_SHARE > 0 else usual_weight
        search.w_usual = heavy
        order = sorted(range(search.n_visits), key=lambda v: _tightness(search, v))
        pairs = [v for v in order if search.needs[v].carers_needed >= 2]
        _repair(search, pairs, None, 0.0)
        _seed_usual(search, order)
        _repair(search, order, None, 0.0)
        reporter(5, f"First plan: {search.placed_visits} of {search.n_visits} visits placed", force=True)
        first_rounds = int((iterations or 0) * CONTINUITY_FIRST_SHARE / CONTINUITY_FIRST_LEVELS)
        for level in range(CONTINUITY_FIRST_LEVELS if CONTINUITY_FIRST_SHARE > 0 else 0):
            search.w_usual = int(heavy * (usual_weight / heavy) ** (level / CONTINUITY_FIRST_LEVELS))
            until = time_limit * CONTINUITY_FIRST_SHARE * (level + 1) / CONTINUITY_FIRST_LEVELS
            _improve(search, rng, started, tick, until, None if iterations is None else first_rounds, reporter)
        search.w_usual = usual_weight
        if iterations is not None:
            iterations -= first_rounds * CONTINUITY_FIRST_LEVELS
        # The last tenth of the time wins back usual carers by exchanges (bounded by
        # passes, not time, when the search is bounded by rounds: the same plan anywhere).
        search_share = 1.0 if iterations is not None else 1.0 - SWAP_SHARE
        if iterations is None:
            # Halfway, too: continuity won back then is kept by the rounds that follow
            # (usual carers first back), and the windows have the rest of the time.
            _improve(search, rng, started, tick, time_limit * SWAP_HALFWAY, None, reporter)
            # From here on no rounds are set aside for unplaced visits (they are still
            # retried now and then): a visit placed later costs windows that the rest of
            # the search may have no time to win back.
            search.focus_unplaced = False
            halfway_done = partial(_past, tick, started + time_limit * search_share)
            for _ in range(SWAP_PASSES):
                if not _win_back_usual(search, halfway_done) or halfway_done():
                    break
        _improve(search, rng, started, tick, time_limit * search_share, iterations, reporter)
        reporter(99, "Keeping usual carers where it costs nobody their time", force=True)
        out_of_time = (lambda: False) if iterations is not None else (lambda: tick() - started >= time_limit)
        for _ in range(SWAP_PASSES):
            if not _win_back_usual(search, out_of_time) or out_of_time():
                break
        if iterations is None and not out_of_time():
            # Exchanges exhausted early: the search goes on from there, cool, to the limit.
            _improve(search, rng, started, tick, time_limit, None, reporter)
        _come_later(search)
    plan = build_plan(search, diagnose)
    reporter(100, f"Done: {plan.metrics.get('placed', 0):.0f} of {len(problem.visits)} visits placed", force=True)
    return plan


class _Reporter:
    """Calls the progress callback at most a few times a second (wall clock)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.last = -math.inf

    def __call__(self, percent: int, message: str, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.perf_counter()
        if force or now - self.last >= 0.5:
            self.last = now
            self.progress(max(0, min(100, percent)), message)


def _improve(
    search: CareSearch,
    rng: random.Random,
    started: float,
    tick: Callable[[], float],
    time_limit: float,
    iterations: int | None,
    reporter: _Reporter,
) -> None:
    if search.n_visits == 0 or iterations == 0:
        return
    current = best_cost = search.cost()
    best_state = search.save()
    temperature0 = TEMPERATURE_TRAVEL_MINUTES * search.w_travel
    done = 0
    failures: dict[int, int] = {}  # unplaced visit -> retries failed in a row
    retry_at: dict[int, int] = {}  # unplaced visit -> the round from which it is retried again
    while True:
        elapsed = tick() - started
        share = done / iterations if iterations is not None else (elapsed / time_limit if time_limit > 0 else 1.0)
        if share >= 1.0:
            break
        done += 1
        search.iterations += 1  # over every stretch of search, for the plan's metrics
        reporter(5 + int(94 * share), f"Improving: {search.placed_visits} of {search.n_visits} visits placed")
        temperature = temperature0 * (1 - share) ** 2 + 1e-9
        q = rng.randint(2, max(3, min(REMOVE_MOST, search.n_visits // 5)))
        destroy = DESTROY[rng.randrange(len(DESTROY))]
        saved = search.save()
        route_of, part_base = search.route_of, search.part_base
        unplaced_before = [v for v in range(search.n_visits) if route_of[part_base[v]] < 0 and v not in search.hopeless]
        if unplaced_before and search.focus_unplaced and rng.random() < UNPLACED_FOCUS:
            destroy = _unplaced_removal
            q = max(q, UNPLACED_FOCUS_REMOVE)
        unplaced_set = set(unplaced_before)
        search.forget_first()
        removed = destroy(search, q, rng)
        keep = {
            v: r
            for v in removed
            if (r := search.route_of[search.part_base[v]]) in search.usual[v] and not search.double[v]
        }
        if not search.remove(removed):
            search.restore(saved)
            continue
        # Visits left unplaced are tried again now and then; each failure costs a full
        # search (a pair's, dearest of all), so one that keeps failing waits longer.
        retry = (
            {v for v in unplaced_before if v not in removed and retry_at.get(v, 0) <= done}
            if rng.random() < 0.25
            else set()
        )
        order = sorted(removed | retry)
        how = rng.randrange(3)
        if how == 0:
            rng.shuffle(order)
        elif how == 1:
            order.sort(key=lambda v: _tightness(search, v))
        else:
            order.sort(key=lambda v: (search.needs[v].carers_needed < 2, search.needs[v].preferred[0]))
        if search.first_to_insert is not None:
            order.remove(search.first_to_insert)
            order.insert(0, search.first_to_insert)
        noise = 0.05 if rng.random() < 0.2 else 0.0
        if keep and rng.random() < PIN_USUAL:
            if search.first_to_insert is not None:
                search.insert(order[0], rng, noise)  # what the destroy step made room for
            _return_to_usual(search, [v for v in order if v in keep], keep, rng, noise)
        # A visit that was placed and now fits nowhere dooms the round (leaving it out
        # costs more than anything the round can win) unless as many visits left out
        # before get in: stop repairing once the failures outnumber those.
        spare = sum(1 for v in order if v in unplaced_set)
        for v in order:
            if not search.placed(v) and not search.insert(v, rng, noise) and v not in unplaced_set:
                spare -= 1
                if spare < 0:
                    break
        if spare < 0:
            search.restore(saved)
        else:
            cost = search.cost()
            if cost <= current or rng.random() < math.exp(-(cost - current) / temperature):
                current = cost
                if cost < best_cost:
                    best_cost, best_state = cost, search.save()
            else:
                search.restore(saved)
        for v in retry:
            if search.placed(v):
                failures.pop(v, None)
                retry_at.pop(v, None)
            else:
                failures[v] = failures.get(v, 0) + 1
                retry_at[v] = done + 2 ** min(failures[v], RETRY_BACKOFF_MAX)
    search.restore(best_state)


def build_plan(search: CareSearch, diagnose: Callable[[CareSearch, int], tuple[Unplaced, str]]) -> CarePlan:
    """The plan as plain data: parts with travel, routes with break, travel and overtime."""
    from steward.scheduling.care_check import plan_metrics

    problem = search.problem
    carers = problem.carers
    travel_before: dict[int, int] = {}
    routes = []
    for r, route in enumerate(search.routes):
        tt, here = search.tt[r], search.home[r]
        keys = []
        for u in route:
            p = search.place[u]
            if p < 0:
                continue
            travel_before[u] = tt[here][p]
            here = p
            keys.append(problem.visits[search.visit_of[u]].key)
        b = search.break_node[r]
        routes.append(
            CarerRoute(
                carer=carers[r].id,
                visits=tuple(keys),
                break_start=search.t[b] if b >= 0 and search.route_of[b] >= 0 else None,
                travel_minutes=search.travel[r],
                overtime_minutes=search.overtime(r),
            )
        )
    visits = []
    for v, need in enumerate(problem.visits):
        if search.placed(v):
            parts = tuple(
                Part(carer=carers[search.route_of[u]].id, start=search.t[u], travel_before=travel_before[u])
                for u in search.parts(v)
            )
            visits.append(PlannedVisit(key=need.key, parts=parts))
        else:
            reason, detail = diagnose(search, v)
            visits.append(PlannedVisit(key=need.key, unplaced=reason, unplaced_detail=detail))
    plan = CarePlan(visits=tuple(visits), routes=tuple(routes), objective=search.cost())
    metrics: dict[str, float] = {**plan_metrics(problem, plan).totals(), "iterations": search.iterations}
    return CarePlan(visits=plan.visits, routes=plan.routes, objective=plan.objective, metrics=metrics)
