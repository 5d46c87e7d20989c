"""A realistic day of home care in a council area, generated from a seed.

``generate(seed) -> CareProblem`` builds the day the issue describes: 40 carers and 350
visits over an area of about 15 × 15 km with five small towns and some countryside.

- **Carers** (40): 16 on the early shift (07:00–15:00, a 30-minute break between 10:30
  and 13:30), 16 on the late shift (14:00–22:00, break 17:00–19:30), 4 on a split shift
  (07:00–20:00 with five hours off in the middle, modelled as a long break starting
  11:00–11:30), 2 part-time mornings (07:00–12:00) and 2 part-time evenings (17:00–22:00).
  Contracted working minutes (travel + visits) are 7 hours for a full shift, pro rata
  for the others. Everyone gives personal care; about 70 % give medication, 45 % are
  trained on the hoist, 50 % in dementia care, 15 % in PEG feeding. Four cycle, the rest
  drive. Carers live in the towns.
- **Visits** (350) for 130 customers: morning (07:00–10:30), lunch (11:30–13:30), tea
  (16:00–18:00) and bedtime (19:00–21:30) calls of 15 to 60 minutes. About 10 % are
  double-handed with the hoist, a quarter of those sequential (the second carer 10–30
  minutes after the first). Half the preferred windows are tight (30 minutes), half
  loose (2 hours); the acceptable window adds 45 (tight) or 30 (loose) minutes either
  side. About 80 % of visits have a usual carer: a carer on the matching shift who lives
  near, with the skills, and not already overloaded; about one in ten usual carers is not
  working that day (holiday, sickness), as happens. About 3 % of visits exclude a carer.
- **Travel** by a speed model: straight-line distance × 1.3 for the roads, at 25 km/h by
  car or 14 km/h by bicycle, plus 2 minutes to park and get to the door (none to stay put).

Run it (``python -m bench.realistic_day``) or through ``make bench-schedule``: it solves
the day with the care engine and with the staff-first baseline and prints the table.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from steward.scheduling.care_problem import CareProblem, CarerDay, Sync, VisitNeed

AREA_KM = 15.0
ROAD_FACTOR = 1.3
SPEED_KMH = {"car": 25.0, "bike": 14.0}
DOOR_MINUTES = 2
TOWNS = 5
CUSTOMERS = 130


@dataclass(frozen=True)
class Slot:
    name: str
    earliest: int  # preferred windows lie between earliest and latest
    latest: int
    durations: tuple[tuple[int, float], ...]  # (minutes, weight)
    calls: int  # how many of the day's calls
    usual_load: int  # at most this many of the slot's calls per usual carer


SLOTS = (
    Slot("morning", 7 * 60, 11 * 60, ((30, 0.6), (45, 0.3), (60, 0.1)), 105, 5),
    Slot("lunch", 11 * 60 + 45, 14 * 60, ((15, 0.4), (30, 0.6)), 70, 3),
    Slot("tea", 16 * 60, 18 * 60 + 30, ((15, 0.4), (30, 0.6)), 80, 3),
    Slot("bedtime", 19 * 60, 21 * 60 + 15, ((30, 0.7), (15, 0.3)), 95, 4),
)


def _minutes(a: tuple[float, float], b: tuple[float, float], speed: float) -> int:
    if a == b:
        return 0
    km = math.dist(a, b) * ROAD_FACTOR
    return math.ceil(km / speed * 60) + DOOR_MINUTES


def _weighted(rng: random.Random, options: tuple[tuple[int, float], ...]) -> int:
    return rng.choices([value for value, _ in options], weights=[weight for _, weight in options])[0]


def generate(seed: int = 0) -> CareProblem:
    """The day for ``seed`` (the same seed, the same day)."""
    rng = random.Random(seed)
    towns = [(rng.uniform(2, AREA_KM - 2), rng.uniform(2, AREA_KM - 2)) for _ in range(TOWNS)]

    def town_point() -> tuple[float, float]:
        cx, cy = rng.choice(towns)
        return (min(AREA_KM, max(0.0, rng.gauss(cx, 1.2))), min(AREA_KM, max(0.0, rng.gauss(cy, 1.2))))

    points: list[tuple[float, float]] = []

    # Carers.
    kinds = ["early"] * 15 + ["late"] * 15 + ["split"] * 4 + ["part_morning"] * 3 + ["part_evening"] * 3
    carers: list[CarerDay] = []
    for number, kind in enumerate(kinds, start=1):
        place = len(points)
        points.append(town_point())
        skills = {"personal_care"}
        for skill, share in (("medication", 0.7), ("hoist", 0.45), ("dementia", 0.5), ("peg", 0.15)):
            if rng.random() < share:
                skills.add(skill)
        if kind == "early":
            shift, brk, contracted = (420, 900), (30, 630, 810), 420
        elif kind == "late":
            shift, brk, contracted = (840, 1320), (30, 1020, 1170), 420
        elif kind == "split":
            shift, brk, contracted = (420, 1260), (390, 630, 660), 420
        elif kind == "part_morning":
            shift, brk, contracted = (420, 720), (0, 0, 0), 270
        else:
            shift, brk, contracted = (1020, 1320), (0, 0, 0), 270
        carers.append(
            CarerDay(
                id=number,
                place=place,
                shift_start=shift[0],
                shift_end=shift[1],
                skills=frozenset(skills),
                travel_profile="bike" if number % 10 == 3 else "car",
                contracted_minutes=contracted,
                break_minutes=brk[0],
                break_earliest=brk[1] if brk[0] else None,
                break_latest=brk[2] if brk[0] else None,
                name=f"Carer {number}",
            )
        )

    # Customers and their calls: each slot's calls go to different customers.
    customers = []
    for _ in range(CUSTOMERS):
        place = len(points)
        points.append(town_point() if rng.random() < 0.85 else (rng.uniform(0, AREA_KM), rng.uniform(0, AREA_KM)))
        customers.append(place)
    calls: list[tuple[int, Slot]] = []
    for slot in SLOTS:
        calls += [(c, slot) for c in rng.sample(range(CUSTOMERS), slot.calls)]
    calls.sort(key=lambda call: (call[0], SLOTS.index(call[1])))

    travel = {
        profile: [[_minutes(a, b, speed) for b in points] for a in points] for profile, speed in SPEED_KMH.items()
    }
    road = travel["car"]

    def covers(carer: CarerDay, start: int, end: int) -> bool:
        return carer.shift_start + 15 <= start and end + 15 <= carer.shift_end

    load: dict[tuple[int, str], int] = {}
    visits: list[VisitNeed] = []
    for customer, slot in calls:
        place = customers[customer]
        duration = _weighted(rng, slot.durations)
        double = rng.random() < 0.12
        if double:
            duration = max(duration, 30)
        sequential = double and rng.random() < 0.25
        tight = rng.random() < 0.5
        width = 30 if tight else 120
        start = rng.randrange(slot.earliest, max(slot.earliest, slot.latest - width) + 1, 5)
        preferred = (start, start + width)
        widen = 45 if tight else 30
        acceptable = (preferred[0] - widen, preferred[1] + widen)
        skills = {"personal_care"}
        if double:
            skills.add("hoist")
        if rng.random() < 0.25:
            skills.add("medication")
        if rng.random() < 0.12:
            skills.add("dementia")
        if rng.random() < 0.02:
            skills.add("peg")
        usual: tuple[int, ...] = ()
        if rng.random() < 0.8:
            able = [
                c
                for c in carers
                if skills <= c.skills
                and covers(c, preferred[0], preferred[1] + duration)
                and load.get((c.id, slot.name), 0) < slot.usual_load
            ]
            able.sort(key=lambda c: road[c.place][place] + 4 * load.get((c.id, slot.name), 0))
            if able:
                chosen = able[0] if rng.random() < 0.7 else rng.choice(able[:4])
                load[chosen.id, slot.name] = load.get((chosen.id, slot.name), 0) + 1 + (duration >= 45)
                usual = (chosen.id,)
                if rng.random() < 0.10:  # off today: the usual carer is on holiday or sick
                    usual = (1000 + chosen.id,)
        excluded: frozenset[int] = frozenset()
        if rng.random() < 0.03:
            excluded = frozenset({rng.choice([c.id for c in carers if (c.id,) != usual])})
        visits.append(
            VisitNeed(
                key=f"c{customer + 1}:{slot.name}",
                place=place,
                duration=duration,
                preferred=preferred,
                acceptable=acceptable,
                skills=frozenset(skills),
                carers_needed=2 if double else 1,
                sync=Sync.SEQUENTIAL if sequential else Sync.SIMULTANEOUS,
                gap=(10, 30) if sequential else (0, 0),
                usual_carers=usual,
                excluded_carers=excluded,
                customer=customer + 1,
                label=f"{slot.name} call",
            )
        )
    return CareProblem(carers=tuple(carers), visits=tuple(visits), travel=travel)
