"""The care-visit scheduling problem of one day, as plain data (no Django).

``steward.visits`` builds a ``CareProblem`` from care agreements and carers, the engine
(``steward.scheduling.care_solver.solve_care``) returns a ``CarePlan``, and an
independent checker (``steward.scheduling.care_check``) lists every broken rule in a
plan. Keeping the problem plain data lets the benchmark, the tests and the domain use
the same engine, and lets anyone reproduce a plan from a dumped problem.

Times are **whole minutes from midnight** of the day in the organisation's zone; travel
is whole minutes between *places* (indexes into the travel matrices).

Hard rules: a visit starts inside its acceptable window; each carer part is given by a
carer with every skill the visit needs, not excluded by the customer, within the
carer's shift (leave the start place no earlier than the shift start, be back by its
end), with travel between consecutive places and no overlap; a double-handed visit has
two different carers, starting together (simultaneous) or the second ``gap`` minutes
after the first (sequential); a carer's break, when they have one, is taken whole,
starting inside its window, between visits.

Objective, in this order (lexicographic, see ``Weights``): minutes outside the
preferred window, then visits outside it; then visits without the usual carer; then
travel minutes and overtime minutes. A visit that cannot be placed is returned
*unplaced with a reason*, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Sync(StrEnum):
    SIMULTANEOUS = "simultaneous"
    SEQUENTIAL = "sequential"


class Unplaced(StrEnum):
    """Why a visit could not be placed; the same codes as ``visits.Visit.UnplacedReason``."""

    NO_SKILLED_CARER = "no_skilled_carer"
    NO_CARER_FREE = "no_carer_free"
    WINDOW_TOO_TIGHT = "window_too_tight"
    NO_SECOND_CARER = "no_second_carer"
    ALL_CARERS_EXCLUDED = "all_carers_excluded"
    OUTSIDE_SHIFTS = "outside_shifts"


@dataclass(frozen=True)
class CarerDay:
    """One carer's working day."""

    id: int
    place: int  # where the day starts and ends
    shift_start: int
    shift_end: int
    skills: frozenset[str] = frozenset()
    travel_profile: str = "car"  # key into CareProblem.travel
    contracted_minutes: int | None = None  # working time (travel + visits) beyond this is overtime; None: the shift
    break_minutes: int = 0
    break_earliest: int | None = None  # the break starts in [break_earliest, break_latest]
    break_latest: int | None = None
    name: str = ""

    def __post_init__(self) -> None:
        # Any collection of skills will do for the caller; the compiled engine reads a frozenset.
        object.__setattr__(self, "skills", frozenset(self.skills))


@dataclass(frozen=True)
class VisitNeed:
    """One visit to place: where, how long, with what, in which windows, by whom."""

    key: str  # stable id chosen by the caller (e.g. "pattern:12:2026-11-23")
    place: int
    duration: int
    preferred: tuple[int, int]  # start window the customer wants
    acceptable: tuple[int, int]  # widest start window they accept (hard)
    skills: frozenset[str] = frozenset()
    carers_needed: int = 1  # 1 or 2
    sync: Sync = Sync.SIMULTANEOUS
    gap: tuple[int, int] = (0, 0)  # sequential: second part starts gap[0]..gap[1] minutes after the first
    usual_carers: tuple[int, ...] = ()  # continuity: who usually comes (best first); empty: nobody yet
    preferred_carers: frozenset[int] = frozenset()
    excluded_carers: frozenset[int] = frozenset()
    customer: int | None = None
    label: str = ""

    def __post_init__(self) -> None:
        # Callers may give lists or sets; the engine, compiled with mypyc, checks that each
        # field is the declared type, so they are made that type here, once.
        object.__setattr__(self, "preferred", (self.preferred[0], self.preferred[1]))
        object.__setattr__(self, "acceptable", (self.acceptable[0], self.acceptable[1]))
        object.__setattr__(self, "gap", (self.gap[0], self.gap[1]))
        object.__setattr__(self, "skills", frozenset(self.skills))
        object.__setattr__(self, "usual_carers", tuple(self.usual_carers))
        object.__setattr__(self, "preferred_carers", frozenset(self.preferred_carers))
        object.__setattr__(self, "excluded_carers", frozenset(self.excluded_carers))


@dataclass(frozen=True)
class Weights:
    """Costs chosen so that the objective is lexicographic in practice on a day's sizes.

    One minute outside the preferred window outweighs any number of continuity or travel
    savings one can make on a day; a visit outside it costs ``visit_outside`` on top.
    """

    minute_outside: int = 100_000
    visit_outside: int = 1_000_000
    not_usual_carer: int = 2_000
    not_preferred_carer: int = 500
    travel_minute: int = 10
    overtime_minute: int = 15


@dataclass(frozen=True)
class CareProblem:
    carers: tuple[CarerDay, ...]
    visits: tuple[VisitNeed, ...]
    travel: dict[str, list[list[int]]]  # profile -> minutes[from place][to place]
    weights: Weights = field(default_factory=Weights)

    def __post_init__(self) -> None:
        # As VisitNeed: the declared types, whatever sequences the caller built.
        object.__setattr__(self, "carers", tuple(self.carers))
        object.__setattr__(self, "visits", tuple(self.visits))
        travel = {
            profile: matrix
            if isinstance(matrix, list) and all(isinstance(row, list) for row in matrix)
            else [list(row) for row in matrix]
            for profile, matrix in self.travel.items()
        }
        object.__setattr__(self, "travel", travel)


@dataclass(frozen=True)
class Part:
    """One carer's part in a visit."""

    carer: int
    start: int
    travel_before: int  # minutes from the previous place in the carer's day


@dataclass(frozen=True)
class PlannedVisit:
    key: str
    parts: tuple[Part, ...] = ()  # empty: unplaced
    unplaced: Unplaced | None = None
    unplaced_detail: str = ""


@dataclass(frozen=True)
class CarerRoute:
    carer: int
    visits: tuple[str, ...]  # visit keys in order
    break_start: int | None = None
    travel_minutes: int = 0
    overtime_minutes: int = 0


@dataclass(frozen=True)
class CarePlan:
    visits: tuple[PlannedVisit, ...]
    routes: tuple[CarerRoute, ...]
    objective: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
