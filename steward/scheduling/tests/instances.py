"""Small HHCRSP instances the tests build themselves (never the benchmark files)."""

from __future__ import annotations

import copy
import math
import random
from typing import Any


def tiny_instance() -> dict[str, Any]:
    """Three patients, two caregivers: one single visit, one simultaneous pair, one sequential pair.

    Travel (minutes): d–p1 10, d–p2 20, d–p3 30, p1–p2 15, p1–p3 25, p2–p3 12.
    """
    return {
        "patients": [
            {"id": "p1", "time_window": [0, 30], "required_caregivers": [{"service": "s1"}]},
            {
                "id": "p2",
                "time_window": [20, 40],
                "required_caregivers": [{"service": "s1", "duration": 5}, {"service": "s2", "duration": 20}],
                "synchronization": {"type": "simultaneous"},
            },
            {
                "id": "p3",
                "time_window": [50, 60],
                "required_caregivers": [{"service": "s1"}, {"service": "s2", "duration": 10}],
                "synchronization": {"type": "sequential", "distance": [5, 15]},
            },
        ],
        "services": [{"id": "s1", "default_duration": 10}, {"id": "s2", "default_duration": 20}],
        "caregivers": [{"id": "c1", "abilities": ["s1"]}, {"id": "c2", "abilities": ["s1", "s2"]}],
        "central_offices": [{"id": "d", "location": [0, 0]}],
        "distances": [
            [0, 10, 20, 30],
            [10, 0, 15, 25],
            [20, 15, 0, 12],
            [30, 25, 12, 0],
        ],
    }


def tiny_solution() -> dict[str, Any]:
    """A valid plan for :func:`tiny_instance`, costed by hand.

    c1: d →10→ p1 s1 10–20 →15→ p2 s1 35–40 →12→ p3 s1 52–62 →30→ d   (67 travelled)
    c2: d →20→ p2 s2 35–55 (waits to start with c1) →12→ p3 s2 67–77 →30→ d   (62 travelled)
    Only p3 s2 is late: 67 − 60 = 7. Cost = (129 + 7 + 7) / 3 = 143 / 3.
    """
    return {
        "routes": [
            {
                "caregiver_id": "c1",
                "locations": [
                    {"patient_id": "p1", "service_id": "s1", "arrival_time": 10, "departure_time": 20},
                    {"patient_id": "p2", "service_id": "s1", "arrival_time": 35, "departure_time": 40},
                    {"patient_id": "p3", "service_id": "s1", "arrival_time": 52, "departure_time": 62},
                ],
            },
            {
                "caregiver_id": "c2",
                "locations": [
                    {"patient_id": "p2", "service_id": "s2", "arrival_time": 35, "departure_time": 55},
                    {"patient_id": "p3", "service_id": "s2", "arrival_time": 67, "departure_time": 77},
                ],
            },
        ]
    }


def with_change(data: dict[str, Any], change: Any) -> dict[str, Any]:
    """A deep copy of ``data`` after ``change(copy)``: tests break one rule at a time."""
    changed = copy.deepcopy(data)
    change(changed)
    return changed


def random_instance(patients: int, caregivers: int, seed: int, doubles: int = 2) -> dict[str, Any]:
    """A Mankowska-like random instance: Euclidean travel on a 100×100 square, 3 services."""
    rng = random.Random(seed)
    points = [(50.0, 50.0)] + [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(patients)]
    services = ["s1", "s2", "s3"]
    raw_patients = []
    for index in range(patients):
        start = rng.randrange(0, 400)
        patient: dict[str, Any] = {
            "id": f"p{index + 1}",
            "location": list(points[index + 1]),
            "time_window": [start, start + 120],
        }
        if index < doubles:
            first, second = rng.sample(services, 2)
            patient["required_caregivers"] = [{"service": first}, {"service": second}]
            patient["synchronization"] = (
                {"type": "simultaneous"} if index % 2 == 0 else {"type": "sequential", "distance": [10, 40]}
            )
        else:
            patient["required_caregivers"] = [{"service": rng.choice(services)}]
        raw_patients.append(patient)
    abilities = [[services[i % 3], services[(i + 1) % 3]] for i in range(caregivers)]
    return {
        "patients": raw_patients,
        "services": [{"id": s, "default_duration": 15} for s in services],
        "caregivers": [{"id": f"c{i + 1}", "abilities": abilities[i]} for i in range(caregivers)],
        "central_offices": [{"id": "d", "location": [50.0, 50.0]}],
        "distances": [[round(math.dist(a, b), 3) for b in points] for a in points],
    }
