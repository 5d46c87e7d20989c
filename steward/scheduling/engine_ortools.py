"""The OR-Tools routing encoding of HHCRSP, kept for comparison (see docs/scheduling.md).

Every
service at a patient is a node; caregivers are vehicles allowed only the nodes their
abilities cover; a time dimension carries service durations plus travel, with waiting
allowed, each node's cumul bounded below by its window's opening (hard) and softly above
by its latest start (one unit of cost per minute late, the same weight as a unit of
distance). A patient's two services go to two different caregivers and their start times
are tied: equal for simultaneous, within [min, max] for sequential. The routes found are
then re-timed exactly by :mod:`steward.scheduling.timing`, which also minimises the
maximum tardiness the routing search cannot see.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from steward.scheduling.hhcrsp import Instance, Route, Solution, Visit
from steward.scheduling.timing import Task, retime, tasks_of

if TYPE_CHECKING:
    from steward.scheduling.solver import SolveOptions

# Minutes and distances are scaled to integers for the routing solver; travel is rounded
# up so any plan it accepts is feasible on the exact (fractional) matrix.
SCALE = 100
# The price of leaving a visit out: far above any plan's distance and tardiness.
UNPLACED_PENALTY = 10**9
FIRST_SOLUTION_STRATEGIES = (
    routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION,
    routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC,
    routing_enums_pb2.FirstSolutionStrategy.SEQUENTIAL_CHEAPEST_INSERTION,
)


def _routes_from_assignment(
    routing: pywrapcp.RoutingModel, manager: pywrapcp.RoutingIndexManager, assignment, vehicles: int
) -> list[list[int]]:
    routes = []
    for vehicle in range(vehicles):
        index = routing.Start(vehicle)
        route = []
        index = assignment.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index) - 1)
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    return routes


def solution_from_routes(instance: Instance, tasks: list[Task], routes: list[list[int]]) -> Solution:
    """Re-time ``routes`` (task numbers per caregiver) and write them as a format solution."""
    starts = retime(instance, tasks, routes)
    out = []
    for caregiver, route in zip(instance.caregivers, routes, strict=True):
        visits = []
        for task_number in route:
            task = tasks[task_number]
            patient = instance.patients[task.patient]
            need = patient.needs[task.need]
            begin = starts[task_number]
            visits.append(Visit(patient.id, need.service, begin, begin + need.duration))
        out.append(Route(caregiver.id, tuple(visits)))
    return Solution(tuple(out))


def solve(instance: Instance, options: SolveOptions) -> Solution:
    from steward.scheduling.solver import NoPlan

    tasks = tasks_of(instance)
    vehicles = len(instance.caregivers)
    nodes = len(tasks) + 1
    manager = pywrapcp.RoutingIndexManager(nodes, vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def row(node: int) -> int:
        return 0 if node == 0 else instance.patients[tasks[node - 1].patient].matrix_index

    def duration(node: int) -> int:
        if node == 0:
            return 0
        task = tasks[node - 1]
        return round(instance.patients[task.patient].needs[task.need].duration * SCALE)

    travel = [[math.ceil(instance.travel(row(a), row(b)) * SCALE - 1e-6) for b in range(nodes)] for a in range(nodes)]
    distance_cb = routing.RegisterTransitMatrix(travel)
    time_cb = routing.RegisterTransitMatrix([[duration(a) + travel[a][b] for b in range(nodes)] for a in range(nodes)])
    routing.SetArcCostEvaluatorOfAllVehicles(distance_cb)
    latest_end = max(p.latest for p in instance.patients)
    horizon = int((latest_end + 24 * 60) * SCALE)
    routing.AddDimension(time_cb, horizon, horizon, True, "time")
    time = routing.GetDimensionOrDie("time")
    solver = routing.solver()

    node_of: dict[tuple[int, int], int] = {}
    for number, task in enumerate(tasks):
        node = number + 1
        node_of[(task.patient, task.need)] = node
        index = manager.NodeToIndex(node)
        patient = instance.patients[task.patient]
        service = patient.needs[task.need].service
        allowed = [v for v, c in enumerate(instance.caregivers) if service in c.abilities]
        if not allowed:
            raise NoPlan(f"no caregiver can give {service} to {patient.id}")
        routing.VehicleVar(index).SetValues(allowed)
        time.CumulVar(index).SetMin(round(patient.earliest * SCALE))
        time.SetCumulVarSoftUpperBound(index, round(patient.latest * SCALE), 1)
        # Insertion heuristics cannot always place a synchronised pair at once; letting a
        # visit be left out at a prohibitive price lets the search start and put it back.
        routing.AddDisjunction([index], UNPLACED_PENALTY)

    for p, patient in enumerate(instance.patients):
        if not patient.is_double or patient.sync is None:
            continue
        a = manager.NodeToIndex(node_of[(p, 0)])
        b = manager.NodeToIndex(node_of[(p, 1)])
        solver.Add(routing.ActiveVar(a) == routing.ActiveVar(b))
        solver.Add(solver.IsDifferentVar(routing.VehicleVar(a), routing.VehicleVar(b)) >= routing.ActiveVar(a))
        if patient.sync.kind == "simultaneous":
            solver.Add(time.CumulVar(a) == time.CumulVar(b))
        else:
            solver.Add(time.CumulVar(b) >= time.CumulVar(a) + round(patient.sync.min_gap * SCALE))
            solver.Add(time.CumulVar(b) <= time.CumulVar(a) + round(patient.sync.max_gap * SCALE))

    for vehicle in range(vehicles):
        routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(vehicle)))

    # With synchronised pairs the first-solution heuristics often fail outright; try several.
    assignment = None
    for strategy in FIRST_SOLUTION_STRATEGIES:
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = strategy
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        params.time_limit.FromMilliseconds(int(options.time_limit * 1000))
        if options.iterations:
            params.solution_limit = options.iterations
        assignment = routing.SolveWithParameters(params)
        if assignment is not None:
            break
    if assignment is None:
        raise NoPlan(f"OR-Tools found no plan (status {routing.status()})")
    routes = _routes_from_assignment(routing, manager, assignment, vehicles)
    placed = sum(len(route) for route in routes)
    if placed < len(tasks):
        raise NoPlan(f"OR-Tools placed {placed} of {len(tasks)} visits")
    return solution_from_routes(instance, tasks, routes)
