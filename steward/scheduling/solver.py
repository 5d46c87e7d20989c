"""Plan caregivers' routes for an HHCRSP instance: the one entry point, whatever the engine.

``lns`` (the default, chosen by measurement; see docs/scheduling.md) is a large-neighbourhood
search on the exact objective; ``ortools`` is the OR-Tools routing encoding, kept so the
benchmark can compare them. Both return a full plan or raise :class:`NoPlan`: a visit is
never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from steward.scheduling.hhcrsp import Instance, Solution

Engine = Literal["lns", "ortools"]


@dataclass(frozen=True)
class SolveOptions:
    """How long and how to search.

    ``time_limit`` is in seconds. ``iterations``, when given, bounds the search by work
    instead (LNS iterations, or OR-Tools solutions) and makes the result identical for the
    same ``seed`` on any machine; under a time limit alone it depends on how much search
    the machine manages in that time (the same seed on the same idle machine repeats).
    ``clock`` is ``wall`` (elapsed time) or ``cpu`` (this process's processor time, which
    a busy shared machine does not eat into; the LNS engine only).
    """

    time_limit: float = 10.0
    seed: int = 0
    iterations: int | None = None
    engine: Engine = "lns"
    clock: Literal["wall", "cpu"] = "wall"


class NoPlan(Exception):
    """The engine could not place every visit."""


def solve(instance: Instance, options: SolveOptions | None = None) -> Solution:
    options = options or SolveOptions()
    if options.engine == "ortools":
        from steward.scheduling import engine_ortools

        return engine_ortools.solve(instance, options)
    from steward.scheduling import engine_lns

    return engine_lns.solve(instance, options)
