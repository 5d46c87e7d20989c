"""The public HHCRSP instance and solution format, as plain dataclasses.

HHCRSP is the Home Healthcare Routing and Scheduling Problem. The JSON format is the
one published with Ceschia, Di Gaspero, Rosati and Schaerf (ITOR 2024), which also carries
the Mankowska, Meisel and Bierwirth (2014) instances:

- ``patients``: ``id``, ``location``, ``time_window`` [earliest start, latest start] in
  minutes, ``required_caregivers`` [{``service``, ``duration``}] (one or two), and for two
  services a ``synchronization``: ``simultaneous`` (both start together) or ``sequential``
  with ``distance`` [min, max] (the second starts min..max minutes after the first);
- ``services``: ``id``, ``default_duration`` (used when a patient gives no duration);
- ``caregivers``: ``id``, ``abilities`` (the services they may perform);
- ``central_offices``: the depot every caregiver leaves from and returns to;
- ``distances``: square matrix, depot first then patients in order; also travel minutes.

A solution lists, for each caregiver, the visits in order with ``patient_id``,
``service_id``, ``arrival_time`` (when the service starts) and ``departure_time`` (when
it ends).

This module only reads and writes the format; whether a solution is any good is decided
by :mod:`steward.scheduling.hhcrsp_check`, which deliberately shares no code with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SyncKind = Literal["simultaneous", "sequential"]


@dataclass(frozen=True)
class ServiceNeed:
    """One caregiver's service a patient needs, and how long it takes (minutes)."""

    service: str
    duration: float


@dataclass(frozen=True)
class Sync:
    """How a patient's two services are tied in time.

    ``simultaneous``: both start at the same minute. ``sequential``: the second listed
    service starts between ``min_gap`` and ``max_gap`` minutes after the first.
    """

    kind: SyncKind
    min_gap: float = 0.0
    max_gap: float = 0.0


@dataclass(frozen=True)
class Patient:
    """A person to visit: where, in which window the visit should start, and what is needed.

    ``matrix_index`` is the patient's row in the travel matrix (the depot is row 0).
    A service may not start before ``earliest``; starting after ``latest`` is allowed but
    counts as tardiness.
    """

    id: str
    matrix_index: int
    earliest: float
    latest: float
    needs: tuple[ServiceNeed, ...]
    sync: Sync | None = None
    location: tuple[float, float] | None = None

    @property
    def is_double(self) -> bool:
        return len(self.needs) == 2


@dataclass(frozen=True)
class Caregiver:
    """A carer who leaves the depot, visits patients in order and returns."""

    id: str
    abilities: frozenset[str]


@dataclass(frozen=True)
class Instance:
    """A whole HHCRSP day: patients, caregivers and the travel matrix (depot at index 0)."""

    name: str
    patients: tuple[Patient, ...]
    caregivers: tuple[Caregiver, ...]
    distances: tuple[tuple[float, ...], ...]
    depot_id: str = "d"

    def travel(self, from_index: int, to_index: int) -> float:
        return self.distances[from_index][to_index]

    def patient(self, patient_id: str) -> Patient:
        for patient in self.patients:
            if patient.id == patient_id:
                return patient
        raise KeyError(patient_id)


@dataclass(frozen=True)
class Visit:
    """One service given by a caregiver: it starts at ``arrival_time`` and ends at ``departure_time``."""

    patient_id: str
    service_id: str
    arrival_time: float
    departure_time: float


@dataclass(frozen=True)
class Route:
    """A caregiver's day: visits in the order they are made, from and back to the depot."""

    caregiver_id: str
    visits: tuple[Visit, ...]


@dataclass(frozen=True)
class Solution:
    routes: tuple[Route, ...]


class FormatError(ValueError):
    """The file is not a usable HHCRSP instance or solution."""


def instance_from_dict(data: dict[str, Any], name: str = "") -> Instance:
    """Read an instance from the parsed JSON; durations fall back to the service's default."""
    try:
        default_duration = {s["id"]: float(s.get("default_duration") or 0) for s in data["services"]}
        patients = []
        for index, raw in enumerate(data["patients"], start=1):
            needs = tuple(
                ServiceNeed(
                    service=need["service"],
                    duration=float(
                        need["duration"] if need.get("duration") is not None else default_duration[need["service"]]
                    ),
                )
                for need in raw["required_caregivers"]
            )
            if not 1 <= len(needs) <= 2:
                raise FormatError(f"patient {raw['id']} needs {len(needs)} caregivers; the format allows one or two")
            sync = None
            if len(needs) == 2:
                raw_sync = raw.get("synchronization")
                if raw_sync is None:
                    raise FormatError(f"patient {raw['id']} needs two caregivers but gives no synchronisation")
                if raw_sync["type"] == "simultaneous":
                    sync = Sync("simultaneous")
                elif raw_sync["type"] == "sequential":
                    low, high = raw_sync["distance"]
                    sync = Sync("sequential", float(low), float(high))
                else:
                    raise FormatError(f"patient {raw['id']}: unknown synchronisation {raw_sync['type']!r}")
            earliest, latest = raw["time_window"]
            location = raw.get("location")
            patients.append(
                Patient(
                    id=raw["id"],
                    matrix_index=index,
                    earliest=float(earliest),
                    latest=float(latest),
                    needs=needs,
                    sync=sync,
                    location=(float(location[0]), float(location[1])) if location else None,
                )
            )
        caregivers = tuple(Caregiver(id=c["id"], abilities=frozenset(c["abilities"])) for c in data["caregivers"])
        distances = tuple(tuple(float(x) for x in row) for row in data["distances"])
        offices = data.get("central_offices") or [{"id": "d"}]
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, FormatError):
            raise
        raise FormatError(f"not an HHCRSP instance: {error!r}") from error
    size = len(patients) + 1
    if len(distances) != size or any(len(row) != size for row in distances):
        raise FormatError(f"the distance matrix must be {size}×{size} (depot, then each patient)")
    return Instance(
        name=name or str(data.get("name") or ""),
        patients=tuple(patients),
        caregivers=caregivers,
        distances=distances,
        depot_id=offices[0]["id"],
    )


def load_instance(path: str | Path) -> Instance:
    path = Path(path)
    with path.open() as handle:
        return instance_from_dict(json.load(handle), name=path.name)


def solution_to_dict(solution: Solution, instance_name: str | None = None) -> dict[str, Any]:
    """The solution in the format's JSON shape (every caregiver listed, even with no visits)."""
    data: dict[str, Any] = {}
    if instance_name:
        data["instance"] = instance_name
    data["routes"] = [
        {
            "caregiver_id": route.caregiver_id,
            "locations": [
                {
                    "patient_id": visit.patient_id,
                    "service_id": visit.service_id,
                    "arrival_time": round(visit.arrival_time, 6),
                    "departure_time": round(visit.departure_time, 6),
                }
                for visit in route.visits
            ],
        }
        for route in solution.routes
    ]
    return data


def solution_from_dict(data: dict[str, Any]) -> Solution:
    try:
        return Solution(
            routes=tuple(
                Route(
                    caregiver_id=route["caregiver_id"],
                    visits=tuple(
                        Visit(
                            patient_id=loc["patient_id"],
                            service_id=loc["service_id"],
                            arrival_time=float(loc["arrival_time"]),
                            departure_time=float(loc["departure_time"]),
                        )
                        for loc in route["locations"]
                    ),
                )
                for route in data["routes"]
            )
        )
    except (KeyError, TypeError, ValueError) as error:
        raise FormatError(f"not an HHCRSP solution: {error!r}") from error


def write_solution(solution: Solution, path: str | Path, instance_name: str | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(solution_to_dict(solution, instance_name), indent=1) + "\n")
