"""Small care days for the tests, built in code: places on a line, 5 minutes apart."""

from __future__ import annotations

import random

from steward.scheduling.care_problem import CareProblem, CarerDay, Sync, VisitNeed

STEP = 5  # minutes between neighbouring places


def line(places: int, step: int = STEP) -> list[list[int]]:
    return [[abs(a - b) * step for b in range(places)] for a in range(places)]


def carer(
    id: int,
    place: int = 0,
    shift: tuple[int, int] = (420, 900),
    skills: tuple[str, ...] = (),
    **extra,
) -> CarerDay:
    return CarerDay(id=id, place=place, shift_start=shift[0], shift_end=shift[1], skills=frozenset(skills), **extra)


def visit(
    key: str,
    place: int,
    preferred: tuple[int, int],
    acceptable: tuple[int, int] | None = None,
    duration: int = 30,
    skills: tuple[str, ...] = (),
    **extra,
) -> VisitNeed:
    acceptable = acceptable or (preferred[0] - 60, preferred[1] + 60)
    return VisitNeed(
        key=key,
        place=place,
        duration=duration,
        preferred=preferred,
        acceptable=acceptable,
        skills=frozenset(skills),
        **extra,
    )


def day(carers: list[CarerDay], visits: list[VisitNeed], places: int = 12) -> CareProblem:
    return CareProblem(carers=tuple(carers), visits=tuple(visits), travel={"car": line(places)})


def random_day(seed: int, carers: int = 3, visits: int = 12) -> CareProblem:
    """A random small day: mixed shifts, skills, breaks, doubles, usual and excluded carers."""
    rng = random.Random(seed)
    places = carers + visits
    points = [(rng.uniform(0, 8), rng.uniform(0, 8)) for _ in range(places)]
    matrix = [[round(abs(a[0] - b[0]) * 3 + abs(a[1] - b[1]) * 3) for b in points] for a in points]
    staff = []
    for i in range(carers):
        start = rng.choice([420, 480, 600])
        length = rng.choice([300, 480])
        has_break = rng.random() < 0.5
        staff.append(
            CarerDay(
                id=i + 1,
                place=i,
                shift_start=start,
                shift_end=start + length,
                skills=frozenset(rng.sample(["hoist", "meds"], rng.randint(0, 2))),
                contracted_minutes=rng.choice([None, 180, 300]),
                break_minutes=30 if has_break else 0,
                break_earliest=start + 120 if has_break else None,
                break_latest=start + 240 if has_break else None,
            )
        )
    needs = []
    for j in range(visits):
        opens = rng.randrange(420, 960, 5)
        width = rng.choice([0, 30, 120])
        double = rng.random() < 0.2
        sequential = double and rng.random() < 0.5
        needs.append(
            VisitNeed(
                key=f"v{j}",
                place=carers + j,
                duration=rng.choice([15, 30, 45]),
                preferred=(opens, opens + width),
                acceptable=(opens - rng.choice([0, 30, 60]), opens + width + rng.choice([0, 30, 60])),
                skills=frozenset(rng.sample(["hoist", "meds"], rng.randint(0, 1))),
                carers_needed=2 if double else 1,
                sync=Sync.SEQUENTIAL if sequential else Sync.SIMULTANEOUS,
                gap=(10, 30) if sequential else (0, 0),
                usual_carers=(rng.randint(1, carers),) if rng.random() < 0.7 else (),
                excluded_carers=frozenset({rng.randint(1, carers)}) if rng.random() < 0.2 else frozenset(),
            )
        )
    return CareProblem(carers=tuple(staff), visits=tuple(needs), travel={"car": matrix})
