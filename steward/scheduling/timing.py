"""Best start times for fixed routes: a small linear programme.

Once each caregiver's order of visits is fixed, the distance is fixed too; what is left is
when each service starts. Choosing those times to minimise total tardiness + maximum
tardiness, subject to windows opening, travel, durations and synchronisation, is a linear
programme, solved exactly here with OR-Tools' GLOP. The routing search only approximates
the times (it knows nothing of maximum tardiness), so every plan is re-timed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from steward.scheduling.hhcrsp import Instance


@dataclass(frozen=True)
class Task:
    """One service at one patient: ``need`` indexes the patient's ``needs``."""

    patient: int
    need: int


class Infeasible(Exception):
    """The routes admit no start times (e.g. two synchronised pairs wait on each other)."""


def tasks_of(instance: Instance) -> list[Task]:
    return [Task(p, n) for p, patient in enumerate(instance.patients) for n in range(len(patient.needs))]


def retime(instance: Instance, tasks: Sequence[Task], routes: Sequence[Sequence[int]]) -> dict[int, float]:
    """Start time of every task in ``routes`` (lists of task numbers per caregiver)."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
        raise RuntimeError("OR-Tools GLOP is not available")
    horizon = solver.infinity()
    start: dict[int, pywraplp.Variable] = {}
    late_terms = []
    worst = solver.NumVar(0, horizon, "max_tardiness")
    for route in routes:
        here, previous = 0, None
        for task_number in route:
            task = tasks[task_number]
            patient = instance.patients[task.patient]
            t = solver.NumVar(patient.earliest, horizon, f"t{task_number}")
            start[task_number] = t
            there = patient.matrix_index
            if previous is None:
                solver.Add(t >= instance.travel(here, there))
            else:
                done = tasks[previous]
                duration = instance.patients[done.patient].needs[done.need].duration
                solver.Add(t >= start[previous] + duration + instance.travel(here, there))
            late = solver.NumVar(0, horizon, f"late{task_number}")
            solver.Add(late >= t - patient.latest)
            solver.Add(worst >= late)
            late_terms.append(late)
            here, previous = there, task_number
    by_patient: dict[int, dict[int, int]] = {}
    for task_number in start:
        task = tasks[task_number]
        by_patient.setdefault(task.patient, {})[task.need] = task_number
    for p, needs in by_patient.items():
        sync = instance.patients[p].sync
        if sync is None or len(needs) != 2:
            continue
        first, second = start[needs[0]], start[needs[1]]
        if sync.kind == "simultaneous":
            solver.Add(first == second)
        else:
            solver.Add(second - first >= sync.min_gap)
            solver.Add(second - first <= sync.max_gap)
    solver.Minimize(solver.Sum(late_terms) + worst)
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        raise Infeasible("no start times fit these routes")
    return {task_number: var.solution_value() for task_number, var in start.items()}
