"""A large-neighbourhood search for HHCRSP on the exact objective.

Why its own search: the constraint that matters most here, two caregivers starting a
double-handed visit together (or a set time apart), ties routes to each other. General
routing engines handle it badly (see docs/scheduling.md for the measurements), so this
search keeps the ties exact at every step:

- **Times are earliest starts.** Every rule is "this start ≥ that start + a constant"
  (window opening, travel after the previous visit, the partner's start for synchronised
  pairs, the sequential gap both ways), so the earliest feasible start of every service is
  a longest path, found by pushing increases until nothing moves. The earliest schedule
  minimises every start at once, hence total and maximum tardiness too; a cycle of
  waits (two pairs each waiting on the other) shows up as times running past the horizon,
  and such a plan is refused.
- **Insertion only delays**, so the cost of putting a service between two others is
  exact from a push of the delay along the route and across partners, without
  recomputing the day.
- **Destroy and repair**: remove a handful of services (random, the costliest, or related
  in place and time), reinsert each at its cheapest place (a pair at the cheapest
  combination of two caregivers), and keep the result by simulated annealing.

Cost is the literature's: distance + total tardiness + maximum tardiness (the /3 changes
no decision).
"""

from __future__ import annotations

import math
import random
import time
from typing import TYPE_CHECKING

from steward.scheduling.hhcrsp import Instance, Route, Solution, Visit

if TYPE_CHECKING:
    from steward.scheduling.solver import SolveOptions

NONE, SIMULTANEOUS, SEQUENTIAL = 0, 1, 2
EPS = 1e-9
# How many cheapest places per service are combined when placing a synchronised pair.
PAIR_CANDIDATES = 6


class _Plan:
    """Routes, the start time of every placed service, and the cost pieces."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.e: list[float] = []
        self.l: list[float] = []
        self.dur: list[float] = []
        self.row: list[int] = []
        self.allowed: list[list[int]] = []
        self.partner: list[int] = []
        self.kind: list[int] = []
        self.first: list[bool] = []
        self.gmin: list[float] = []
        self.gmax: list[float] = []
        self.label: list[tuple[str, str]] = []
        for patient in instance.patients:
            base = len(self.e)
            for n, need in enumerate(patient.needs):
                self.e.append(patient.earliest)
                self.l.append(patient.latest)
                self.dur.append(need.duration)
                self.row.append(patient.matrix_index)
                self.allowed.append([v for v, c in enumerate(instance.caregivers) if need.service in c.abilities])
                self.label.append((patient.id, need.service))
                if patient.is_double and patient.sync is not None:
                    self.partner.append(base + 1 - n)
                    self.kind.append(SIMULTANEOUS if patient.sync.kind == "simultaneous" else SEQUENTIAL)
                    self.first.append(n == 0)
                    self.gmin.append(patient.sync.min_gap)
                    self.gmax.append(patient.sync.max_gap)
                else:
                    self.partner.append(-1)
                    self.kind.append(NONE)
                    self.first.append(True)
                    self.gmin.append(0.0)
                    self.gmax.append(0.0)
        self.size = len(self.e)
        self.d = [list(r) for r in instance.distances]
        self.horizon = max(self.l) + 2000.0
        self.routes: list[list[int]] = [[] for _ in instance.caregivers]
        self.t = [0.0] * self.size
        self.route_of = [-1] * self.size
        self.succ = [-1] * self.size
        self.distance = 0.0
        self.total_late = 0.0
        self.max_late = 0.0

    # -- bookkeeping ------------------------------------------------------------------

    def copy_state(self) -> tuple:
        return ([list(r) for r in self.routes], list(self.t), list(self.route_of), list(self.succ), self.distance)

    def restore(self, state: tuple) -> None:
        routes, t, route_of, succ, distance = state
        self.routes = [list(r) for r in routes]
        self.t, self.route_of, self.succ, self.distance = list(t), list(route_of), list(succ), distance
        self._tardiness()

    def _relink(self, r: int) -> None:
        route = self.routes[r]
        for i, u in enumerate(route):
            self.route_of[u] = r
            self.succ[u] = route[i + 1] if i + 1 < len(route) else -1

    def _route_distance(self, route: list[int]) -> float:
        d, row = self.d, self.row
        here, total = 0, 0.0
        for u in route:
            total += d[here][row[u]]
            here = row[u]
        return total + d[here][0]

    def _tardiness(self) -> None:
        late = [max(0.0, self.t[u] - self.l[u]) for r in self.routes for u in r]
        self.total_late = sum(late)
        self.max_late = max(late, default=0.0)

    @property
    def cost(self) -> float:
        return self.distance + self.total_late + self.max_late

    def placed(self, u: int) -> bool:
        return self.route_of[u] >= 0

    # -- times ------------------------------------------------------------------------

    def _push(
        self,
        nt: dict[int, float],
        so: dict[int, int],
        stack: list[int],
        placed_extra: set[int],
        allowance: float = math.inf,
    ) -> tuple[float, float] | None:
        """Raise starts until every rule holds.

        Returns the added total tardiness and the largest new tardiness among the raised
        services, or None if the starts run away (a cycle of waits) or the added
        tardiness passes ``allowance`` (the caller has something cheaper already).
        """
        t, succ, dur, d, row, lat = self.t, self.succ, self.dur, self.d, self.row, self.l
        partner, kind, first, gmin, gmax = self.partner, self.kind, self.first, self.gmin, self.gmax
        route_of = self.route_of
        horizon = self.horizon
        budget = 40 * self.size + 100
        added = 0.0
        worst = -math.inf
        while stack:
            budget -= 1
            if budget < 0:
                return None
            u = stack.pop()
            tu = nt[u]
            if tu > horizon:
                return None
            v = so[u] if u in so else succ[u]
            if v >= 0:
                bound = tu + dur[u] + d[row[u]][row[v]]
                old = nt.get(v, t[v])
                if bound > old + EPS:
                    nt[v] = bound
                    stack.append(v)
                    late = bound - lat[v]
                    if late > 0:
                        added += late - (old - lat[v] if old > lat[v] else 0.0)
                        if added > allowance:
                            return None
                        if late > worst:
                            worst = late
            p = partner[u]
            if p >= 0 and (route_of[p] >= 0 or p in placed_extra):
                if kind[u] == SIMULTANEOUS:
                    bound = tu
                elif first[u]:
                    bound = tu + gmin[u]
                else:
                    bound = tu - gmax[u]
                old = nt.get(p, t[p])
                if bound > old + EPS:
                    nt[p] = bound
                    stack.append(p)
                    late = bound - lat[p]
                    if late > 0:
                        added += late - (old - lat[p] if old > lat[p] else 0.0)
                        if added > allowance:
                            return None
                        if late > worst:
                            worst = late
        return added, worst

    def recompute(self) -> bool:
        """Earliest starts for the current routes, from scratch (after removals)."""
        t, e, dur, d, row = self.t, self.e, self.dur, self.d, self.row
        self.distance = 0.0
        for r, route in enumerate(self.routes):
            ready, here = 0.0, 0
            for u in route:
                t[u] = max(e[u], ready + d[here][row[u]])
                ready, here = t[u] + dur[u], row[u]
            self._relink(r)
            self.distance += self._route_distance(route)
        stack = [u for route in self.routes for u in route if self.partner[u] >= 0 and self.placed(self.partner[u])]
        nt = {u: t[u] for u in stack}
        if self._push(nt, {}, stack, set()) is None:
            return False
        for u, value in nt.items():
            t[u] = value
        self._tardiness()
        return True

    # -- insertion --------------------------------------------------------------------

    def _arrival(self, x: int, r: int, k: int, nt: dict[int, float]) -> tuple[float, float, int, int]:
        """Start of ``x`` put at position ``k`` of route ``r``, the added distance, and its neighbours."""
        route, d, row = self.routes[r], self.d, self.row
        prev = route[k - 1] if k > 0 else -1
        nxt = route[k] if k < len(route) else -1
        prow = row[prev] if prev >= 0 else 0
        nrow = row[nxt] if nxt >= 0 else 0
        added = d[prow][row[x]] + d[row[x]][nrow] - d[prow][nrow]
        ready = nt.get(prev, self.t[prev]) + self.dur[prev] if prev >= 0 else 0.0
        return max(self.e[x], ready + d[prow][row[x]]), added, prev, nxt

    def _priced(
        self, nt: dict[int, float], so: dict[int, int], new: list[int], added_distance: float, allowance: float
    ) -> float | None:
        """Cost after putting the ``new`` services (already in ``nt``) in, or None if it
        passes ``allowance`` over today's cost or cannot be timed."""
        late0 = 0.0
        worst = -math.inf
        for x in new:
            late = nt[x] - self.l[x]
            if late > 0:
                late0 += late
                worst = max(worst, late)
        allowance -= added_distance + late0
        if allowance < 0:
            return None
        pushed = self._push(nt, so, list(new), set(new), allowance)
        if pushed is None:
            return None
        extra, worst_pushed = pushed
        return (
            self.distance
            + added_distance
            + self.total_late
            + late0
            + extra
            + max(self.max_late, worst, worst_pushed, 0.0)
        )

    def try_single(
        self, x: int, r: int, k: int, allowance: float = math.inf
    ) -> tuple[float, dict[int, float], dict[int, int]] | None:
        nt: dict[int, float] = {}
        start, added, prev, nxt = self._arrival(x, r, k, nt)
        nt[x] = start
        so = {x: nxt}
        if prev >= 0:
            so[prev] = x
        cost = self._priced(nt, so, [x], added, allowance)
        return None if cost is None else (cost, nt, so)

    def try_pair(
        self, a: int, ra: int, ka: int, b: int, rb: int, kb: int, allowance: float = math.inf
    ) -> tuple[float, dict[int, float], dict[int, int]] | None:
        nt: dict[int, float] = {}
        sa, added_a, prev_a, next_a = self._arrival(a, ra, ka, nt)
        sb, added_b, prev_b, next_b = self._arrival(b, rb, kb, nt)
        nt[a], nt[b] = sa, sb
        so = {a: next_a, b: next_b}
        if prev_a >= 0:
            so[prev_a] = a
        if prev_b >= 0:
            so[prev_b] = b
        cost = self._priced(nt, so, [a, b], added_a + added_b, allowance)
        return None if cost is None else (cost, nt, so)

    def _commit(self, cost: float, nt: dict[int, float], placements: list[tuple[int, int, int]]) -> None:
        for x, r, k in placements:
            self.routes[r].insert(k, x)
        for _, r, _ in placements:
            self._relink(r)
        for u, value in nt.items():
            self.t[u] = value
        self.distance = sum(self._route_distance(route) for route in self.routes)
        self._tardiness()

    def _places(self, x: int, rng: random.Random) -> list[tuple[float, int, int]]:
        """Every (added distance, route, position) for ``x``, cheapest first."""
        d, row = self.d, self.row
        out = []
        rx = row[x]
        for r in self.allowed[x]:
            route = self.routes[r]
            here = 0
            for k in range(len(route) + 1):
                nxt = row[route[k]] if k < len(route) else 0
                out.append((d[here][rx] + d[rx][nxt] - d[here][nxt] + rng.random() * 1e-6, r, k))
                here = nxt
        out.sort()
        return out

    def insert_single(self, x: int, rng: random.Random, noise: float) -> bool:
        best: tuple[float, dict[int, float], dict[int, int], int, int] | None = None
        base = self.cost
        for added, r, k in self._places(x, rng):
            if best is not None and base + added >= best[0]:
                break
            found = self.try_single(x, r, k, best[0] - base if best is not None else math.inf)
            if found is None:
                continue
            cost = found[0] * (1 + noise * rng.random()) if noise else found[0]
            if best is None or cost < best[0]:
                best = (cost, found[1], found[2], r, k)
        if best is None:
            return False
        self._commit(best[0], best[1], [(x, best[3], best[4])])
        return True

    def insert_pair(self, a: int, b: int, rng: random.Random, noise: float) -> bool:
        base = self.cost

        def shortlist(x: int) -> list[tuple[float, int, int]]:
            """The cheapest places for one of the pair alone (its partner's tie ignored)."""
            scored: list[tuple[float, int, int]] = []
            for added, r, k in self._places(x, rng):
                bar = scored[-1][0] - base if len(scored) == PAIR_CANDIDATES else math.inf
                if added >= bar:
                    break
                found = self.try_single(x, r, k, bar)
                if found is not None:
                    scored.append((found[0], r, k))
                    scored.sort()
                    del scored[PAIR_CANDIDATES:]
            return scored

        best: tuple[float, dict[int, float], int, int, int, int] | None = None
        for _, ra, ka in shortlist(a):
            for _, rb, kb in shortlist(b):
                if ra == rb:
                    continue
                found = self.try_pair(a, ra, ka, b, rb, kb, best[0] - base if best is not None else math.inf)
                if found is None:
                    continue
                cost = found[0] * (1 + noise * rng.random()) if noise else found[0]
                if best is None or cost < best[0]:
                    best = (cost, found[1], ra, ka, rb, kb)
        if best is None:
            # At the end of two different routes nothing waits on the pair: always feasible.
            for ra in self.allowed[a]:
                for rb in self.allowed[b]:
                    if ra == rb:
                        continue
                    found = self.try_pair(a, ra, len(self.routes[ra]), b, rb, len(self.routes[rb]))
                    if found is not None and (best is None or found[0] < best[0]):
                        best = (found[0], found[1], ra, len(self.routes[ra]), rb, len(self.routes[rb]))
        if best is None:
            return False
        self._commit(best[0], best[1], [(a, best[2], best[3]), (b, best[4], best[5])])
        return True

    def insert(self, x: int, rng: random.Random, noise: float = 0.0) -> bool:
        p = self.partner[x]
        if p >= 0 and not self.placed(p):
            return self.insert_pair(min(x, p), max(x, p), rng, noise)
        return self.insert_single(x, rng, noise)

    def remove(self, tasks: set[int]) -> None:
        for r, route in enumerate(self.routes):
            if any(u in tasks for u in route):
                self.routes[r] = [u for u in route if u not in tasks]
        for u in tasks:
            self.route_of[u] = -1
            self.succ[u] = -1
        ok = self.recompute()
        assert ok, "removing services cannot create a cycle of waits"

    # -- output -----------------------------------------------------------------------

    def solution(self) -> Solution:
        routes = []
        for caregiver, route in zip(self.instance.caregivers, self.routes, strict=True):
            visits = tuple(Visit(self.label[u][0], self.label[u][1], self.t[u], self.t[u] + self.dur[u]) for u in route)
            routes.append(Route(caregiver.id, visits))
        return Solution(tuple(routes))


def _with_partners(plan: _Plan, chosen: set[int]) -> set[int]:
    return chosen | {plan.partner[u] for u in chosen if plan.partner[u] >= 0}


def _random_removal(plan: _Plan, q: int, rng: random.Random) -> set[int]:
    return _with_partners(plan, set(rng.sample(range(plan.size), q)))


def _worst_removal(plan: _Plan, q: int, rng: random.Random) -> set[int]:
    """The services whose detour plus lateness costs most, with some randomness."""
    d, row = plan.d, plan.row
    scores = []
    for route in plan.routes:
        for i, u in enumerate(route):
            prev = row[route[i - 1]] if i > 0 else 0
            nxt = row[route[i + 1]] if i + 1 < len(route) else 0
            detour = d[prev][row[u]] + d[row[u]][nxt] - d[prev][nxt]
            scores.append((detour + 2 * max(0.0, plan.t[u] - plan.l[u]), u))
    scores.sort(reverse=True)
    chosen: set[int] = set()
    while len(chosen) < q and scores:
        pick = int(len(scores) * rng.random() ** 4)
        chosen.add(scores.pop(pick)[1])
    return _with_partners(plan, chosen)


def _related_removal(plan: _Plan, q: int, rng: random.Random) -> set[int]:
    """Services near a random one in place and time (Shaw removal)."""
    seed = rng.randrange(plan.size)
    d, row, e = plan.d, plan.row, plan.e
    related = sorted(range(plan.size), key=lambda u: d[row[seed]][row[u]] + 0.5 * abs(e[seed] - e[u]))
    chosen: set[int] = set()
    for u in related:
        if len(chosen) >= q:
            break
        if rng.random() < 0.8:
            chosen.add(u)
    return _with_partners(plan, chosen)


def _route_removal(plan: _Plan, q: int, rng: random.Random) -> set[int]:
    """All of one or two caregivers' services: lets the search rebuild whole days."""
    busy = [r for r, route in enumerate(plan.routes) if route]
    chosen: set[int] = set()
    for r in rng.sample(busy, min(len(busy), 2)):
        chosen |= set(plan.routes[r])
        if len(chosen) >= q:
            break
    return _with_partners(plan, chosen)


DESTROY = (_random_removal, _worst_removal, _related_removal, _route_removal)


def _repair(plan: _Plan, removed: set[int], rng: random.Random) -> bool:
    order = sorted(removed)
    how = rng.randrange(3)
    if how == 0:
        rng.shuffle(order)
    elif how == 1:
        order.sort(key=lambda u: plan.l[u] - plan.e[u])
    else:
        order.sort(key=lambda u: (plan.partner[u] < 0, plan.e[u]))
    noise = 0.05 if rng.random() < 0.3 else 0.0
    for u in order:
        if plan.placed(u):
            continue
        if not plan.insert(u, rng, noise):
            return False
    return True


def solve(instance: Instance, options: SolveOptions) -> Solution:
    from steward.scheduling.solver import NoPlan

    rng = random.Random(options.seed)  # noqa: S311 - a search, not a secret
    plan = _Plan(instance)
    for x in range(plan.size):
        if not plan.allowed[x]:
            patient, service = plan.label[x]
            raise NoPlan(f"no caregiver can give {service} to {patient}")
    for x in range(plan.size):
        p = plan.partner[x]
        if p > x and not any(ra != rb for ra in plan.allowed[x] for rb in plan.allowed[p]):
            raise NoPlan(
                f"{plan.label[x][0]} needs two different caregivers for {plan.label[x][1]} and "
                f"{plan.label[p][1]}, and only {instance.caregivers[plan.allowed[x][0]].id} can give either"
            )
    if not _repair(plan, set(range(plan.size)), rng):
        raise NoPlan("no start times fit any plan")

    best_state, best_cost = plan.copy_state(), plan.cost
    current_cost = best_cost
    clock = time.process_time if options.clock == "cpu" else time.perf_counter
    started = clock()
    limit = options.time_limit
    iterations = options.iterations
    temperature0 = 0.02 * best_cost
    done = 0
    while True:
        elapsed = clock() - started
        progress = done / iterations if iterations else (elapsed / limit if limit > 0 else 1.0)
        if progress >= 1.0:
            break
        done += 1
        temperature = temperature0 * (1 - progress) ** 2 + 1e-6
        q = rng.randint(2, max(3, min(40, plan.size // 4)))
        destroy = DESTROY[rng.randrange(len(DESTROY))]
        saved = plan.copy_state()
        removed = destroy(plan, min(q, plan.size), rng)
        plan.remove(removed)
        if not _repair(plan, removed, rng):
            plan.restore(saved)
            continue
        new_cost = plan.cost
        if new_cost < current_cost - EPS or rng.random() < math.exp(-(new_cost - current_cost) / temperature):
            current_cost = new_cost
            if new_cost < best_cost - EPS:
                best_cost, best_state = new_cost, plan.copy_state()
        else:
            plan.restore(saved)
    plan.restore(best_state)
    return plan.solution()
