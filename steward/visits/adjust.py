"""Changing a draft plan by hand: a planner moves one visit to other carers or another time.

The engine's draft is a proposal; the coordinator knows things it does not (Mrs Khan
gets on with Joy, the road is closed). ``draft_visit_move`` gives one visit of a *draft*
to the carer (or two carers) and start time the planner chooses, and places an unplaced
visit the same way.

The hard rules are not written again here: the day's problem is built as the engine saw
it (``problem_build.build_care_problem``), the draft is turned into a ``CarePlan``, the
move is applied, and the independent checker (``scheduling.care_check``) judges it. A
broken rule that concerns the moved visit or the carers it touches refuses the move,
in plain words, and nothing changes; rules already broken elsewhere in the draft (data
that changed since it was planned) are not the planner's doing and do not block it.

Travel and route order of the carers touched, the visit's minutes outside the preferred
window and usual carer, and the schedule's figures are recomputed and saved; an internal
``visit_moved`` event on the customer's timeline records who moved what, in the same
transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from steward.care.models import Carer
from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.organisations.models import StaffMember
from steward.scheduling.care_check import check_care_plan, plan_metrics
from steward.scheduling.care_problem import (
    CarePlan,
    CareProblem,
    CarerDay,
    CarerRoute,
    Part,
    PlannedVisit,
    Sync,
    Unplaced,
    VisitNeed,
)
from steward.timeline.models import TimelineEvent

from .models import Schedule, Visit, VisitAssignment
from .permissions import can_plan
from .problem_build import BuiltProblem, TravelMatrix, build_care_problem, local_midnight, visit_key
from .reports import schedule_report
from .selectors import schedule_visits

# A visit that has begun, ended or was missed is history, not a plan to change.
NOT_MOVABLE = (Visit.Status.IN_PROGRESS, Visit.Status.DONE, Visit.Status.MISSED, Visit.Status.CANCELLED)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(at: datetime) -> int:
    local = timezone.localtime(at)
    return local.hour * 60 + local.minute


def _outside(start: int, window: tuple[int, int]) -> int:
    return max(0, window[0] - start) + max(0, start - window[1])


# --- the draft as the engine's plan -----------------------------------------------------


@dataclass
class _Draft:
    """A draft's visits as parts per visit key (travel not yet worked out) and each
    carer's break as stored with the draft."""

    parts: dict[str, list[Part]]
    unplaced: dict[str, Unplaced]
    breaks: dict[int, int | None]


def _draft_of(schedule: Schedule, visits: Sequence[Visit]) -> _Draft:
    parts: dict[str, list[Part]] = {}
    unplaced: dict[str, Unplaced] = {}
    for visit in visits:
        key = visit_key(visit.pattern_id, schedule.day)
        assignments = sorted(visit.assignments.all(), key=lambda a: a.position)
        if visit.status != Visit.Status.UNPLACED and assignments:
            parts[key] = [Part(carer=a.carer_id, start=_minutes(a.planned_start), travel_before=0) for a in assignments]
        else:
            try:
                unplaced[key] = Unplaced(visit.unplaced_reason)
            except ValueError:
                unplaced[key] = Unplaced.NO_CARER_FREE
    breaks: dict[int, int | None] = {}
    for carer_id, route in (schedule.summary or {}).get("routes", {}).items():
        breaks[int(carer_id)] = route.get("break_start")
    return _Draft(parts=parts, unplaced=unplaced, breaks=breaks)


def _break_fits(carer: CarerDay, start: int, gaps: list[tuple[int, int, int]]) -> bool:
    return any(
        free <= start and start + carer.break_minutes <= until and until - free >= travel + carer.break_minutes
        for free, until, travel in gaps
    )


def _route(
    problem: CareProblem,
    needs: dict[str, VisitNeed],
    carer: CarerDay,
    day: list[tuple[int, str]],
    kept_break: int | None,
) -> tuple[CarerRoute, dict[str, int]]:
    """The carer's route through ``day`` (start, key) with travel worked out, and the
    travel before each visit. The break stays where the draft had it if it still fits,
    else goes to the first start in its window where it fits (None if nowhere)."""
    matrix = problem.travel[carer.travel_profile]
    here, free_from, travel_total, working = carer.place, carer.shift_start, 0, 0
    gaps: list[tuple[int, int, int]] = []
    travel_before: dict[str, int] = {}
    for start, key in sorted(day):
        need = needs[key]
        travel = matrix[here][need.place]
        travel_before[key] = travel
        gaps.append((free_from, start, travel))
        travel_total += travel
        working += travel + need.duration
        here, free_from = need.place, start + need.duration
    back = matrix[here][carer.place] if day else 0
    gaps.append((free_from, carer.shift_end, back))
    travel_total += back
    working += back
    break_start: int | None = None
    if carer.break_minutes > 0 and day:
        earliest = carer.break_earliest if carer.break_earliest is not None else carer.shift_start
        latest = carer.break_latest if carer.break_latest is not None else carer.shift_end - carer.break_minutes
        candidates = ([kept_break] if kept_break is not None else []) + list(range(earliest, latest + 1))
        break_start = next(
            (c for c in candidates if earliest <= c <= latest and _break_fits(carer, c, gaps)),
            None,
        )
    overtime = max(0, working - carer.contracted_minutes) if carer.contracted_minutes is not None else 0
    route = CarerRoute(
        carer=carer.id,
        visits=tuple(key for _, key in sorted(day)),
        break_start=break_start,
        travel_minutes=travel_total,
        overtime_minutes=overtime,
    )
    return route, travel_before


def _plan(problem: CareProblem, draft: _Draft) -> CarePlan:
    """The draft as a ``CarePlan`` of ``problem`` with travel, routes and breaks worked out."""
    needs = {need.key: need for need in problem.visits}
    days: dict[int, list[tuple[int, str]]] = {carer.id: [] for carer in problem.carers}
    for key, parts in draft.parts.items():
        if key in needs:
            for part in parts:
                if part.carer in days:
                    days[part.carer].append((part.start, key))
    routes: list[CarerRoute] = []
    travel: dict[tuple[str, int], int] = {}
    for carer in problem.carers:
        route, before = _route(problem, needs, carer, days[carer.id], draft.breaks.get(carer.id))
        routes.append(route)
        travel.update({(key, carer.id): minutes for key, minutes in before.items()})
    visits = []
    for need in problem.visits:
        given = draft.parts.get(need.key)
        if given:
            visits.append(
                PlannedVisit(
                    key=need.key,
                    parts=tuple(
                        Part(carer=p.carer, start=p.start, travel_before=travel.get((need.key, p.carer), 0))
                        for p in given
                    ),
                )
            )
        else:
            visits.append(PlannedVisit(key=need.key, unplaced=draft.unplaced.get(need.key, Unplaced.NO_CARER_FREE)))
    return CarePlan(visits=tuple(visits), routes=tuple(routes))


# --- the checker's findings in a planner's words ------------------------------------------


CANNOT_BE_AT = r"carer (\d+) cannot be at visit (\S+) by (\d+): free at (\d+), (\d+) minutes away"
SECOND_PART_GAP = r"visit (\S+): the second part starts (\d+) minutes after the first, not (\d+)–(\d+)"


class _Words:
    """Turns the checker's sentences (visit keys, carer ids, minutes) into a planner's words."""

    def __init__(self, built: BuiltProblem, visits: Sequence[Visit], plan: CarePlan, names: dict[int, str]) -> None:
        self.built = built
        self.needs = {need.key: need for need in built.problem.visits}
        self.carers = {carer.id: carer for carer in built.problem.carers}
        self.names = names
        self.customers = {visit_key(v.pattern_id, built.day): v.customer.full_name for v in visits}
        self.plan = plan

    def carer(self, carer_id: int) -> str:
        return self.names.get(carer_id) or f"Carer #{carer_id}"

    def visit(self, key: str, start: int | None = None) -> str:
        need = self.needs.get(key)
        customer = self.customers.get(key, "the customer")
        label = need.label.lower() if need and need.label else "visit"
        at = f" at {_hhmm(start)}" if start is not None else ""
        return f"{customer}'s {label}{at}"

    def previous(self, carer_id: int, key: str, start: int) -> tuple[str, int] | None:
        """The carer's visit just before ``start`` in the plan (its key and start)."""
        earlier = [
            (part.start, planned.key)
            for planned in self.plan.visits
            for part in planned.parts
            if part.carer == carer_id and planned.key != key and part.start <= start
        ]
        if not earlier:
            return None
        at, previous = max(earlier)
        return previous, at

    def sentence(self, error: str) -> tuple[str, str]:
        """(code, sentence) for one of the checker's errors."""
        if m := re.fullmatch(CANNOT_BE_AT, error):
            carer_id, key, start, free, travel = int(m[1]), m[2], int(m[3]), int(m[4]), int(m[5])
            before = self.previous(carer_id, key, start)
            if before is not None:
                prev_key, prev_start = before
                return "carer_busy", (
                    f"{self.carer(carer_id)} is at {self.visit(prev_key, prev_start)} until {_hhmm(free)}, "
                    f"and needs {travel} minutes to get to {self.visit(key, start)}."
                )
            return "outside_shift", (
                f"{self.carer(carer_id)}'s shift starts at {_hhmm(free)} and it takes {travel} minutes to get to "
                f"{self.visit(key, start)}."
            )
        if m := re.fullmatch(r"visit (\S+) starts at (\d+), outside its acceptable window (\d+)–(\d+)", error):
            return "outside_acceptable_window", (
                f"{_hhmm(int(m[2]))} is outside the times {self.visit(m[1])} may start: "
                f"between {_hhmm(int(m[3]))} and {_hhmm(int(m[4]))}."
            )
        if m := re.fullmatch(r"carer (\d+) lacks (.+) for visit (\S+)", error):
            return "carer_lacks_skill", (
                f"{self.carer(int(m[1]))} does not have the skills {self.visit(m[3])} needs: {m[2]}."
            )
        if m := re.fullmatch(r"carer (\d+) is excluded by the customer of visit (\S+)", error):
            customer = self.customers.get(m[2], "The customer")
            return "carer_excluded", f"{customer} asked not to be visited by {self.carer(int(m[1]))}."
        if m := re.fullmatch(r"visit (\S+) names carer (\d+), who is not working that day", error):
            return "carer_not_working", (
                f"{self.carer(int(m[2]))} is not working on {self.built.day:%A} {self.built.day.day} "
                f"{self.built.day:%B} (no shift that day, or away)."
            )
        if m := re.fullmatch(r"carer (\d+) is back at (\d+), after their shift ends at (\d+)", error):
            return "outside_shift", (
                f"{self.carer(int(m[1]))} would be back from their last visit at {_hhmm(int(m[2]))}, after their "
                f"shift ends at {_hhmm(int(m[3]))}."
            )
        if m := re.fullmatch(r"carer (\d+) has no break", error) or re.fullmatch(r"carer (\d+)'s break .*", error):
            carer = self.carers.get(int(m[1]))
            window = ""
            if carer is not None and carer.break_earliest is not None and carer.break_latest is not None:
                window = f" starting between {_hhmm(carer.break_earliest)} and {_hhmm(carer.break_latest)}"
            minutes = f"{carer.break_minutes}-minute " if carer is not None else ""
            return "break_does_not_fit", (
                f"{self.carer(int(m[1]))}'s {minutes}break{window} would no longer fit between their visits."
            )
        if m := re.fullmatch(r"visit (\S+) has the same carer twice", error):
            return "same_carer_twice", f"{self.visit(m[1])} needs two different carers."
        if m := re.fullmatch(SECOND_PART_GAP, error):
            return "second_carer_gap", (
                f"The second carer of {self.visit(m[1])} must start {m[3]} to {m[4]} minutes after the first."
            )
        # Anything else: the checker's own words, with names in place of numbers.
        words = re.sub(r"visit (pattern:\d+:\S+)", lambda v: self.visit(v[1]), error)
        words = re.sub(r"carer (\d+)", lambda c: self.carer(int(c[1])), words)
        return "move_breaks_rules", words[0].upper() + words[1:] + "."


def move_start(*, day: date, text: str) -> datetime:
    """The instant a planner means by ``text``: a time of day ("08:40") on the plan's day, or
    an ISO date and time (the organisation's local time when it has no offset)."""
    zone = local_midnight(day).tzinfo
    text = (text or "").strip()
    try:
        if m := re.fullmatch(r"(\d{1,2}):(\d{2})", text):
            return datetime.combine(day, time(int(m[1]), int(m[2])), tzinfo=zone)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "Give the new start as a time of day, such as 08:40, or a date and time.", code="invalid_start"
        ) from None
    return at.replace(tzinfo=zone) if timezone.is_naive(at) else at


# --- the move --------------------------------------------------------------------------------


def _about_visit(error: str, key: str) -> bool:
    return re.search(rf"visit {re.escape(key)}(?![\d-])", error) is not None


def _about_carers(error: str, carer_ids: set[int]) -> bool:
    return any(re.search(rf"carer {carer_id}(?!\d)", error) for carer_id in carer_ids)


def _require_planner(actor: StaffMember, organisation_id: int) -> None:
    if not can_plan(actor, organisation_id=organisation_id):
        raise PermissionDenied(
            "Only an administrator, a team lead or a service coordinator of this organisation can change its plans.",
            code="not_a_planner",
        )


def _locked_draft(schedule_id: int) -> Schedule:
    """The schedule, locked for the change (inside a transaction), if it is a draft of a day to come."""
    schedule = (
        Schedule.objects.select_for_update(of=("self",)).select_related("organisation", "run").get(pk=schedule_id)
    )
    if schedule.status != Schedule.Status.DRAFT:
        raise Conflict(
            f"This plan is {schedule.get_status_display().lower()}; only a draft can be changed by hand. "
            "Plan the day again to change it.",
            code="schedule_not_draft",
        )
    if schedule.day < timezone.localdate():
        raise Conflict("This day has passed; its plan can no longer be changed.", code="day_in_past")
    return schedule


def _movable(visits: Sequence[Visit], visit: Visit) -> Visit:
    """``visit`` as loaded with the draft's ``visits``, if a planner may still change it."""
    found = next((v for v in visits if v.pk == visit.pk), None)
    if found is None:
        raise Conflict("This visit was cancelled; it cannot be moved.", code="visit_not_movable")
    if found.status in NOT_MOVABLE or any(a.checked_in_at for a in found.assignments.all()):
        raise Conflict(
            f"This visit is {found.get_status_display().lower()}; it cannot be moved.", code="visit_not_movable"
        )
    return found


def _need(built: BuiltProblem, visit: Visit) -> VisitNeed:
    """The visit as the engine sees the day now."""
    key = visit_key(visit.pattern_id, built.day)
    need = next((n for n in built.problem.visits if n.key == key), None)
    if need is None:
        raise Conflict(
            "This regular visit has changed or ended since the plan was made; plan the day again.",
            code="visit_changed_since_planned",
        )
    return need


def _refuse_what_breaks(
    *,
    built: BuiltProblem,
    visits: Sequence[Visit],
    before: CarePlan,
    after: CarePlan,
    keys: set[str],
    touched: set[int],
    names: dict[int, str],
) -> None:
    """Refuse the change if it breaks a hard rule for the changed visits (``keys``) or newly
    breaks one in the day of a carer it touches; every problem in a planner's words."""
    already = set(check_care_plan(built.problem, before))
    # Whatever is wrong with a changed visit is the planner's to fix; a carer it touches
    # refuses it only for what the change newly breaks in their day.
    broken = [
        e
        for e in check_care_plan(built.problem, after)
        if any(_about_visit(e, key) for key in keys) or (e not in already and _about_carers(e, touched))
    ]
    if broken:
        known = {c.pk: c.staff.display_name for c in built.carers.values()}
        words = _Words(built, visits, after, known | names)
        said = list(dict.fromkeys(words.sentence(e) for e in broken))
        raise Conflict(
            " ".join(sentence for _, sentence in said),
            code=said[0][0],
            details={"problems": [{"code": c, "message": s} for c, s in said]},
        )


def _record_change(
    *,
    actor: StaffMember,
    schedule: Schedule,
    visit: Visit,
    need: VisitNeed,
    what: str,
    before: tuple[str, Sequence[Part]],
    after: tuple[str, Sequence[int], int],
    extra: dict[str, object] | None = None,
) -> None:
    """The internal ``visit_moved`` event on the customer's timeline: ``what`` the planner
    did, the visit ``before`` (words, parts) and ``after`` (words, carer ids, first start)."""
    day = schedule.day
    (before_words, old_parts), (after_words, carer_ids, first) = before, after
    TimelineEvent.objects.create(
        customer_id=visit.customer_id,
        organisation_id=schedule.organisation_id,
        kind=TimelineEvent.Kind.VISIT_MOVED,
        actor=actor,
        actor_name=actor.display_name[:300],
        summary=(
            f"{actor.display_name} {what} {need.label.lower() or 'a visit'} on {day:%A} {day.day} {day:%B} "
            f"in the draft plan: {before_words}, now {after_words}."
        )[:500],
        is_internal=True,
        data={
            "schedule_id": schedule.pk,
            "visit_id": visit.pk,
            "day": day.isoformat(),
            "before": {"start": _start_of(old_parts), "carer_ids": [p.carer for p in old_parts]},
            "after": {"start": _hhmm(first), "carer_ids": list(carer_ids)},
            **(extra or {}),
        },
        occurred_at=timezone.now(),
    )


def draft_visit_move(
    *,
    visit: Visit,
    carers: Sequence[Carer],
    start: datetime,
    actor: StaffMember,
    travel_matrix: TravelMatrix | None = None,
) -> Visit:
    """Give ``visit`` of a draft schedule to ``carers`` (as many as it needs) from ``start``.

    Works for a planned visit (moved) and an unplaced one (placed by hand). For a
    double-handed visit one after the other, the second carer keeps the draft's gap (or
    the shortest allowed gap) after the first. Refused, changing nothing: a schedule
    that is not a draft (``schedule_not_draft``), a day that has passed
    (``day_in_past``), a visit under way or done (``visit_not_movable``), someone who may
    not plan (``not_a_planner``), the wrong number of carers (``wrong_number_of_carers``),
    the same carer twice (``same_carer_twice``), a start on another day
    (``start_not_on_day``), and any hard rule the move breaks for this visit or the carers
    it touches (``outside_acceptable_window``, ``carer_lacks_skill``, ``carer_excluded``,
    ``carer_not_working``, ``carer_busy``, ``outside_shift``, ``break_does_not_fit``...),
    with every problem in ``details["problems"]``.
    """
    _require_planner(actor, visit.organisation_id)
    carer_ids = [carer.pk for carer in carers]
    if any(carer.organisation_id != visit.organisation_id for carer in carers):
        raise NotFound("There is no such carer in your organisation.", code="carer_not_found")
    if len(set(carer_ids)) != len(carer_ids):
        raise InvalidInput("A visit for two carers needs two different people.", code="same_carer_twice")
    if timezone.localtime(start).date() != visit.day:
        raise InvalidInput(
            f"The new start must be on the plan's day, {visit.day:%A} {visit.day.day} {visit.day:%B}.",
            code="start_not_on_day",
        )

    with transaction.atomic():
        schedule = _locked_draft(visit.schedule_id)
        visits = schedule_visits(schedule=schedule)
        moved = _movable(visits, visit)
        needed = moved.pattern.carers_needed
        if len(carer_ids) != needed:
            raise InvalidInput(
                "This visit needs two carers: choose two different people."
                if needed == 2
                else "This visit needs one carer: choose one.",
                code="wrong_number_of_carers",
            )

        built = build_care_problem(
            organisation=schedule.organisation, day=schedule.day, travel_matrix=travel_matrix, run=schedule.run
        )
        need = _need(built, moved)
        key = need.key
        draft = _draft_of(schedule, visits)
        before_plan = _plan(built.problem, draft)
        first = _minutes(start)
        old_parts = draft.parts.get(key, [])
        if need.sync == Sync.SEQUENTIAL and needed == 2:
            gap = old_parts[1].start - old_parts[0].start if len(old_parts) == 2 else need.gap[0]
            if not need.gap[0] <= gap <= need.gap[1]:
                gap = need.gap[0]
            starts = [first, first + gap]
        else:
            starts = [first] * needed
        draft.parts[key] = [Part(carer=c, start=s, travel_before=0) for c, s in zip(carer_ids, starts, strict=True)]
        draft.unplaced.pop(key, None)
        plan = _plan(built.problem, draft)

        touched = set(carer_ids) | {p.carer for p in old_parts}
        names = {c.pk: c.staff.display_name for c in carers}
        _refuse_what_breaks(
            built=built, visits=visits, before=before_plan, after=plan, keys={key}, touched=touched, names=names
        )
        before_words = _visit_words(moved)
        _save(schedule=schedule, changed=[(moved, need)], built=built, plan=plan, touched=touched)
        moved.refresh_from_db()
        after_words = f"{_hhmm(first)} with " + " and ".join(names[c] for c in carer_ids)
        _record_change(
            actor=actor,
            schedule=schedule,
            visit=moved,
            need=need,
            what="changed",
            before=(before_words, old_parts),
            after=(after_words, carer_ids, first),
        )
    return moved


def draft_visits_swap(
    *,
    visit: Visit,
    other: Visit,
    actor: StaffMember,
    travel_matrix: TravelMatrix | None = None,
) -> tuple[Visit, Visit]:
    """Exchange the carers of two planned visits of the same draft, each visit keeping its
    times: what a planner does when two carers should trade calls, which no single move
    can do (each carer is busy with the other's call until both change at once).

    For double-handed visits the carers are exchanged in order (first for first, second
    for second). Refused, changing nothing, for the same reasons as a move
    (``schedule_not_draft``, ``day_in_past``, ``visit_not_movable``, ``not_a_planner`` and
    any hard rule the exchange breaks, each problem in ``details["problems"]``), and for:
    the same visit twice (``same_visit``), visits of different plans (``not_same_plan``),
    a visit not planned (``visit_not_planned``), visits needing different numbers of
    carers (``different_number_of_carers``) and visits that already have the same carers
    (``same_carers``).
    """
    _require_planner(actor, visit.organisation_id)
    if other.pk == visit.pk:
        raise InvalidInput("Choose another visit to swap carers with.", code="same_visit")
    if other.schedule_id != visit.schedule_id:
        raise InvalidInput("Carers can only be swapped between two visits of the same plan.", code="not_same_plan")

    with transaction.atomic():
        schedule = _locked_draft(visit.schedule_id)
        visits = schedule_visits(schedule=schedule)
        pair = (_movable(visits, visit), _movable(visits, other))
        draft = _draft_of(schedule, visits)
        # What refuses the swap on its face, before the day's problem is built (the dear part).
        old = tuple(draft.parts.get(visit_key(v.pattern_id, schedule.day), []) for v in pair)
        for v, parts in zip(pair, old, strict=True):
            if not parts:
                raise Conflict(
                    f"{v.customer.full_name}'s {v.pattern.label.lower() or 'visit'} is not planned: "
                    "give it carers with a move first.",
                    code="visit_not_planned",
                )
        if len(old[0]) != len(old[1]):
            raise InvalidInput(
                "One of these visits needs two carers and the other needs one: their carers cannot be swapped.",
                code="different_number_of_carers",
            )
        carers = ([p.carer for p in old[0]], [p.carer for p in old[1]])
        if set(carers[0]) == set(carers[1]):
            raise InvalidInput(
                "These visits already have the same carers: there is nothing to swap.", code="same_carers"
            )
        built = build_care_problem(
            organisation=schedule.organisation, day=schedule.day, travel_matrix=travel_matrix, run=schedule.run
        )
        needs = (_need(built, pair[0]), _need(built, pair[1]))
        before_plan = _plan(built.problem, draft)
        for need, parts, given in ((needs[0], old[0], carers[1]), (needs[1], old[1], carers[0])):
            draft.parts[need.key] = [
                Part(carer=c, start=p.start, travel_before=0) for p, c in zip(parts, given, strict=True)
            ]
        plan = _plan(built.problem, draft)
        touched = set(carers[0]) | set(carers[1])
        _refuse_what_breaks(
            built=built,
            visits=visits,
            before=before_plan,
            after=plan,
            keys={needs[0].key, needs[1].key},
            touched=touched,
            names={},
        )
        before_words = (_visit_words(pair[0]), _visit_words(pair[1]))
        _save(schedule=schedule, changed=list(zip(pair, needs, strict=True)), built=built, plan=plan, touched=touched)
        names = {c.pk: c.staff.display_name for c in built.carers.values()}
        for n, (changed, need) in enumerate(zip(pair, needs, strict=True)):
            changed.refresh_from_db()
            given = carers[1 - n]
            first = old[n][0].start
            _record_change(
                actor=actor,
                schedule=schedule,
                visit=changed,
                need=need,
                what="swapped carers with another visit for",
                before=(before_words[n], old[n]),
                after=(f"{_hhmm(first)} with " + " and ".join(names[c] for c in given), given, first),
                # Another customer's visit, named by id only: this is this customer's record.
                extra={"swapped_with_visit_id": pair[1 - n].pk},
            )
    return pair


def _start_of(parts: Sequence[Part]) -> str | None:
    return _hhmm(parts[0].start) if parts else None


def _visit_words(visit: Visit) -> str:
    assignments = sorted(visit.assignments.all(), key=lambda a: a.position)
    if visit.status == Visit.Status.UNPLACED or not assignments or visit.planned_start is None:
        return "it was not planned"
    who = " and ".join(a.carer.staff.display_name for a in assignments)
    return f"it was {timezone.localtime(visit.planned_start):%H:%M} with {who}"


def _save(
    *,
    schedule: Schedule,
    changed: Sequence[tuple[Visit, VisitNeed]],
    built: BuiltProblem,
    plan: CarePlan,
    touched: set[int],
) -> None:
    """Store the ``changed`` visits as ``plan`` has them, the travel and order of the other
    visits of the carers ``touched``, and the day's figures."""
    order = {(k, route.carer): n for route in plan.routes for n, k in enumerate(route.visits, start=1)}
    for moved, need in changed:
        _save_visit(moved=moved, need=need, built=built, plan=plan, order=order)
    # The other visits of the carers touched: their travel and place in the day change.
    travel = {(p.key, part.carer): part.travel_before for p in plan.visits for part in p.parts}
    others = list(
        VisitAssignment.objects.filter(visit__schedule=schedule, carer_id__in=touched)
        .exclude(visit__in=[moved for moved, _ in changed])
        .select_related("visit")
        .order_by("pk")
    )
    for assignment in others:
        other_key = visit_key(assignment.visit.pattern_id, schedule.day)
        assignment.travel_minutes = travel.get((other_key, assignment.carer_id), assignment.travel_minutes)
        assignment.route_order = order.get((other_key, assignment.carer_id), assignment.route_order)
    VisitAssignment.objects.bulk_update(others, ["travel_minutes", "route_order"])

    travel_to_visits: dict[int, int] = {}
    for p in plan.visits:
        for part in p.parts:
            travel_to_visits[part.carer] = travel_to_visits.get(part.carer, 0) + part.travel_before
    summary = dict(schedule.summary or {})
    summary["routes"] = {
        str(route.carer): {
            "travel_minutes": route.travel_minutes,
            "travel_home_minutes": max(0, route.travel_minutes - travel_to_visits.get(route.carer, 0)),
            "overtime_minutes": route.overtime_minutes,
            "break_start": route.break_start,
        }
        for route in plan.routes
    }
    summary["metrics"] = dict(plan_metrics(built.problem, plan).totals())
    summary["moved_by_hand"] = int(summary.get("moved_by_hand", 0)) + len(changed)
    schedule.summary = summary
    schedule.summary["figures"] = schedule_report(schedules=[schedule]).figures()
    schedule.save(update_fields=["summary"])


def _save_visit(
    *, moved: Visit, need: VisitNeed, built: BuiltProblem, plan: CarePlan, order: dict[tuple[str, int], int]
) -> None:
    planned = next(p for p in plan.visits if p.key == need.key)
    first = min(part.start for part in planned.parts)
    moved.planned_start = built.instant(first)
    moved.status = Visit.Status.PLANNED
    moved.unplaced_reason = ""
    moved.unplaced_detail = ""
    moved.minutes_outside_preferred = _outside(first, need.preferred)
    moved.with_usual_carer = (
        any(part.carer in need.usual_carers for part in planned.parts) if need.usual_carers else None
    )
    moved.save(
        update_fields=[
            "planned_start",
            "status",
            "unplaced_reason",
            "unplaced_detail",
            "minutes_outside_preferred",
            "with_usual_carer",
            "updated_at",
        ]
    )
    VisitAssignment.objects.filter(visit=moved).delete()
    VisitAssignment.objects.bulk_create(
        VisitAssignment(
            visit=moved,
            carer_id=part.carer,
            position=position,
            planned_start=built.instant(part.start),
            planned_end=built.instant(part.start) + timedelta(minutes=moved.duration_minutes),
            travel_minutes=part.travel_before,
            route_order=order[(need.key, part.carer)],
        )
        for position, part in enumerate(planned.parts, start=1)
    )
