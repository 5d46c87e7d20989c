"""An independent checker for HHCRSP solutions, and the literature's cost.

It reads the raw JSON of an instance and of a solution (it does not use the loader in
:mod:`steward.scheduling.hhcrsp` nor anything of the solver), so a bug there cannot hide
a bad schedule here. It checks that:

- every listed caregiver exists and appears once; every visit names a patient and one of
  that patient's required services, which the caregiver is able to give;
- every required service is given exactly once, and a patient's two services by two
  different caregivers;
- no service starts before its window opens, lasts less than its duration, or starts
  before the caregiver could get there (leaving the depot at time 0, then from the
  previous visit's end plus the travel time), so one caregiver's visits never overlap;
- simultaneous services start together; sequential ones start [min, max] minutes apart,
  the second listed service after the first.

Starting after the window's latest start is allowed (as in Mankowska et al. 2014): it is
tardiness, max(0, start − latest start), and is costed, not refused.

Cost = (distance travelled, depot to depot + total tardiness + maximum tardiness) / 3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Solutions are written with six decimals; times equal up to this are equal.
TOLERANCE = 1e-4


@dataclass
class CheckReport:
    """What the checker found: broken rules (empty when valid) and the cost components."""

    errors: list[str] = field(default_factory=list)
    distance: float = 0.0
    total_tardiness: float = 0.0
    max_tardiness: float = 0.0

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def cost(self) -> float:
        return (self.distance + self.total_tardiness + self.max_tardiness) / 3


def check(instance: dict[str, Any], solution: dict[str, Any]) -> CheckReport:
    """Check a solution against its instance (both as parsed JSON)."""
    report = CheckReport()
    durations = {s["id"]: s.get("default_duration") for s in instance["services"]}
    row_of = {p["id"]: row for row, p in enumerate(instance["patients"], start=1)}
    patients = {p["id"]: p for p in instance["patients"]}
    abilities = {c["id"]: set(c["abilities"]) for c in instance["caregivers"]}
    matrix = instance["distances"]

    def needed(patient: dict[str, Any]) -> dict[str, float]:
        return {
            need["service"]: float(need["duration"] if need.get("duration") is not None else durations[need["service"]])
            for need in patient["required_caregivers"]
        }

    given: dict[tuple[str, str], list[tuple[str, float]]] = {}
    tardiness: list[float] = []
    seen_caregivers: set[str] = set()
    for route in solution.get("routes", []):
        who = route["caregiver_id"]
        if who not in abilities:
            report.errors.append(f"caregiver {who} is not in the instance")
            continue
        if who in seen_caregivers:
            report.errors.append(f"caregiver {who} has more than one route")
        seen_caregivers.add(who)
        here, free_at = 0, 0.0
        for visit in route["locations"]:
            pid, sid = visit["patient_id"], visit["service_id"]
            start, end = float(visit["arrival_time"]), float(visit["departure_time"])
            if pid not in patients:
                report.errors.append(f"{who} visits unknown patient {pid}")
                continue
            patient = patients[pid]
            services = needed(patient)
            if sid not in services:
                report.errors.append(f"{who} gives {sid} to {pid}, who does not need it")
                continue
            if sid not in abilities[who]:
                report.errors.append(f"{who} gives {sid} to {pid} without the ability")
            there = row_of[pid]
            travel = float(matrix[here][there])
            report.distance += travel
            if start < free_at + travel - TOLERANCE:
                report.errors.append(
                    f"{who} starts {sid} at {pid} at {start:g} but cannot arrive before {free_at + travel:g}"
                )
            earliest, latest = (float(x) for x in patient["time_window"])
            if start < earliest - TOLERANCE:
                report.errors.append(
                    f"{who} starts {sid} at {pid} at {start:g}, before the window opens at {earliest:g}"
                )
            if end < start + services[sid] - TOLERANCE:
                report.errors.append(f"{who} gives {sid} at {pid} for {end - start:g} min, less than {services[sid]:g}")
            tardiness.append(max(0.0, start - latest))
            given.setdefault((pid, sid), []).append((who, start))
            here, free_at = there, end
        report.distance += float(matrix[here][0])

    for pid, patient in patients.items():
        required = [need["service"] for need in patient["required_caregivers"]]
        for sid in required:
            count = len(given.get((pid, sid), []))
            if count != 1:
                report.errors.append(f"{pid} needs {sid} once and gets it {count} times")
        if len(required) != 2 or any(len(given.get((pid, sid), [])) != 1 for sid in required):
            continue
        (first_who, first_start), (second_who, second_start) = (given[(pid, sid)][0] for sid in required)
        if first_who == second_who:
            report.errors.append(f"{pid} needs two caregivers but {first_who} gives both services")
        sync = patient.get("synchronization") or {}
        if sync.get("type") == "simultaneous" and abs(first_start - second_start) > TOLERANCE:
            report.errors.append(f"{pid}'s services must start together, not at {first_start:g} and {second_start:g}")
        elif sync.get("type") == "sequential":
            low, high = (float(x) for x in sync["distance"])
            gap = second_start - first_start
            if not low - TOLERANCE <= gap <= high + TOLERANCE:
                report.errors.append(f"{pid}'s second service starts {gap:g} min after the first, not {low:g}–{high:g}")

    report.total_tardiness = sum(tardiness)
    report.max_tardiness = max(tardiness, default=0.0)
    return report


def check_files(instance_path: str | Path, solution_path: str | Path) -> CheckReport:
    return check(json.loads(Path(instance_path).read_text()), json.loads(Path(solution_path).read_text()))


def main(argv: list[str] | None = None) -> int:
    """``python -m steward.scheduling.hhcrsp_check INSTANCE SOLUTION`` prints the verdict and cost."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m steward.scheduling.hhcrsp_check INSTANCE.json SOLUTION.json")
        return 2
    report = check_files(args[0], args[1])
    for error in report.errors:
        print("invalid:", error)
    print(
        json.dumps(
            {
                "valid": report.valid,
                "distance_traveled": round(report.distance, 3),
                "total_tardiness": round(report.total_tardiness, 3),
                "max_tardiness": round(report.max_tardiness, 3),
                "total_cost": round(report.cost, 3),
            }
        )
    )
    return 0 if report.valid else 1


if __name__ == "__main__":
    raise SystemExit(main())
