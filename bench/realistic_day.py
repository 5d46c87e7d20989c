"""A realistic day of home care in a council area, generated from a seed.

``generate(seed) -> CareProblem`` builds the day the issue describes: 40 carers and 350
visits over an area of about 15 × 15 km with five small towns and some countryside.

- **Carers** (40): 16 on the early shift (07:00–15:00, a 30-minute break starting
  13:00–14:00, after the lunch calls), 14 on the late shift (14:00–22:00, break starting
  18:00–19:15), 4 on a split shift (07:00–11:00 and 16:30–21:00, modelled as one shift
  with a 5½-hour break starting 11:00–11:30), 2 part-time mornings (07:00–12:00), 2
  part-time middays (10:30–15:00) and 2 part-time evenings (17:00–22:00). Contracted
  working minutes (travel + visits) are 7 hours for a full shift, 4–4½ for part-time.
  Everyone gives personal care; about 70 % give medication, 55 % are trained on the
  hoist, 50 % in dementia care, 15 % in PEG feeding. One in ten cycles, the rest drive.
  Carers live in the towns.
- **Visits** (350) for 130 customers: 105 morning (preferred windows within
  07:00–11:00), 80 lunch (11:30–14:00), 80 tea (15:30–18:30) and 85 bedtime
  (19:00–21:30) calls of 15 to 45 minutes. About 12 % are double-handed with the hoist
  (at least 30 minutes), a quarter of those sequential (the second carer 10–30 minutes
  after the first). Half the preferred windows are tight (30 minutes), half loose (2
  hours); the acceptable window adds 45 (tight) or 30 (loose) minutes either side. About
  80 % of visits have a usual carer: a carer whose shift covers the window, with the
  skills, living near and not already given too many of that slot's calls; about one in
  fifteen of those is off that day (holiday, sickness), as happens. About 3 % of visits
  exclude a carer.
- **Travel** by a speed model: straight-line distance × 1.3 for the roads, at 30 km/h by
  car or 15 km/h by bicycle, plus 2 minutes to park and get to the door (none to stay put).

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
SPEED_KMH = {"car": 30.0, "bike": 15.0}
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
    Slot("morning", 7 * 60, 11 * 60, ((30, 0.6), (45, 0.25), (15, 0.15)), 105, 5),
    Slot("lunch", 11 * 60 + 30, 14 * 60, ((15, 0.5), (30, 0.5)), 80, 4),
    Slot("tea", 15 * 60 + 30, 18 * 60 + 30, ((15, 0.5), (30, 0.5)), 80, 4),
    Slot("bedtime", 19 * 60, 21 * 60 + 30, ((30, 0.5), (15, 0.5)), 85, 5),
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
        return (min(AREA_KM, max(0.0, rng.gauss(cx, 1.0))), min(AREA_KM, max(0.0, rng.gauss(cy, 1.0))))

    points: list[tuple[float, float]] = []

    # Carers.
    kinds = ["early"] * 16 + ["late"] * 14 + ["split"] * 4 + ["part_morning"] * 2 + ["part_midday"] * 2
    kinds += ["part_evening"] * 2
    carers: list[CarerDay] = []
    for number, kind in enumerate(kinds, start=1):
        place = len(points)
        points.append(town_point())
        skills = {"personal_care"}
        for skill, share in (("medication", 0.7), ("hoist", 0.55), ("dementia", 0.5), ("peg", 0.15)):
            if rng.random() < share:
                skills.add(skill)
        if kind == "early":
            shift, brk, contracted = (420, 900), (30, 780, 840), 420
        elif kind == "late":
            shift, brk, contracted = (840, 1320), (30, 1080, 1155), 420
        elif kind == "split":
            shift, brk, contracted = (420, 1260), (330, 660, 690), 420
        elif kind == "part_morning":
            shift, brk, contracted = (420, 720), (0, 0, 0), 270
        elif kind == "part_midday":
            shift, brk, contracted = (630, 900), (0, 0, 0), 240
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
                if rng.random() < 0.07:  # off today: the usual carer is on holiday or sick
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
