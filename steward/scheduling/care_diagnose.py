"""Why a visit could not be placed: the reason a coordinator can act on.

Asked in this order, the first that holds is the reason:

1. nobody working that day has the skills (``no_skilled_carer``);
2. those who have them are all excluded by the customer (``all_carers_excluded``);
3. no such carer's shift covers the acceptable window, even with an empty day
   (``outside_shifts``); for a double-handed visit, only one does (``no_second_carer``);
4. in the plan as it stands: for a double-handed visit, one carer could go but no second
   one at the same time (``no_second_carer``); a carer is free through the whole window
   but cannot travel there and on to their next visit in time (``window_too_tight``);
   otherwise every able carer is busy then (``no_carer_free``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from steward.scheduling.care_problem import Unplaced

if TYPE_CHECKING:
    from steward.scheduling.care_solver import CareSearch


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def diagnose(search: CareSearch, v: int) -> tuple[Unplaced, str]:
    """The reason visit ``v`` is unplaced in the search's current plan."""
    found = structural(search, v)
    if found is not None:
        return found
    fits = [r for r in search.allowed[search.part_base[v]] if _fits_empty_day(search, r, v)]
    return _placeable_reason(search, v, fits)


def structural(search: CareSearch, v: int) -> tuple[Unplaced, str] | None:
    """A reason that holds whatever the plan (skills, exclusions, shifts), or None: the
    engine does not spend its search on such visits."""
    problem = search.problem
    need = problem.visits[v]
    pairs = need.carers_needed >= 2
    low, high = need.acceptable
    window = f"{clock(low)}–{clock(high)}"
    skilled = [r for r, c in enumerate(problem.carers) if need.skills <= c.skills and r not in search.unusable]
    wanted = "two carers" if pairs else "a carer"
    skills = ", ".join(sorted(need.skills)) or "no particular skill"
    if len(skilled) < need.carers_needed:
        return Unplaced.NO_SKILLED_CARER, f"The visit needs {wanted} with {skills}; not enough of them work that day."
    able = [r for r in skilled if problem.carers[r].id not in need.excluded_carers]
    if len(able) < need.carers_needed:
        return (
            Unplaced.ALL_CARERS_EXCLUDED,
            f"The customer has asked not to have the carers with {skills} who work that day.",
        )
    fits = [r for r in able if _fits_empty_day(search, r, v)]
    if not fits:
        return Unplaced.OUTSIDE_SHIFTS, f"No able carer's shift covers a start in {window} with the travel."
    if len(fits) < need.carers_needed:
        return Unplaced.NO_SECOND_CARER, f"Only one able carer works at a time that allows a start in {window}."
    return None


def _placeable_reason(search: CareSearch, v: int, fits: list[int]) -> tuple[Unplaced, str]:
    need = search.problem.visits[v]
    pairs = need.carers_needed >= 2
    low, high = need.acceptable
    window = f"{clock(low)}–{clock(high)}"
    base = search.part_base[v]
    saved = list(search.e)
    for u in search.parts(v):
        if search.e[u] > -(10**8):
            search.e[u] = low
    try:
        alone = search._single_options(v, base, 1)
    finally:
        search.e[:] = saved
    if pairs and alone:
        return Unplaced.NO_SECOND_CARER, f"A carer could go in {window}, but no second carer is free at the same time."
    for r in fits:
        busy = [(search.t[u], search.t[u] + search.dur[u]) for u in search.routes[r] if search.place[u] >= 0]
        if all(end <= low or start >= high + need.duration for start, end in busy):
            return (
                Unplaced.WINDOW_TOO_TIGHT,
                f"A carer is free in {window}, but the window is too tight "
                "for the travel from and to their other visits.",
            )
    return Unplaced.NO_CARER_FREE, f"Every carer who could go is busy in {window}."


def _fits_empty_day(search: CareSearch, r: int, v: int) -> bool:
    """Could carer ``r`` make this visit on a day with nothing else (break aside)?"""
    need = search.problem.visits[v]
    tt, home = search.tt[r], search.home[r]
    start = max(need.acceptable[0], search.s0[r] + tt[home][need.place])
    return start <= need.acceptable[1] and start + need.duration + tt[need.place][home] <= search.s1[r]
