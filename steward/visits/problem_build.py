"""Turning an organisation's care agreements and carers into the engine's problem for one day.

``build_care_problem(organisation=…, day=…)`` reads, in a fixed number of queries
whatever the size of the organisation:

- **carers**: active carers (and active staff) of the organisation with a shift on that
  weekday and no absence covering the day; their shift (if someone has two shifts that
  weekday, the day runs from the first start to the last end and the first break counts),
  break, skill codes, start place and travel mode (the travel profile);
- **visits**: one per active visit pattern of a care agreement the organisation provides
  under an *active* service agreement, whose weekdays include the day and which is valid
  on it (``valid_from`` ≤ day ≤ ``valid_until``); windows become minutes from midnight;
- **continuity**: a visit's *usual carers* are the two carers who did this pattern's
  visits most often in the published schedules of the 28 days before, and in the drafts
  of the earlier days of the same run (else this customer's visits, else the
  agreement's preferred carers); preferred and excluded
  carers come from the care agreement;
- **travel**: one matrix per travel profile in use, from ``steward.care.travel.travel_matrix``.

The result keeps the way back from the engine's ids to the rows: carer ids are
``Carer`` primary keys, and each visit key (``"pattern:<id>:<day>"``) maps to its pattern.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q

from steward.agreements.models import ServiceAgreement
from steward.care.models import Absence, CareAgreement, Carer, Shift, VisitPattern
from steward.organisations.models import Organisation
from steward.scheduling.care_problem import CareProblem, CarerDay, Sync, VisitNeed

from .models import Schedule, ScheduleRun, Visit, VisitAssignment

HISTORY_DAYS = 28
USUAL_CARERS = 2
# Visits that really happened (or were going to) count towards who usually comes.
COUNTED_STATUSES = (Visit.Status.PLANNED, Visit.Status.IN_PROGRESS, Visit.Status.DONE)

TravelMatrix = Callable[[Organisation, list[tuple[float, float]], str], list[list[int]]]


@dataclass(frozen=True)
class BuiltProblem:
    """A day's problem and the rows behind its ids."""

    organisation: Organisation
    day: date
    problem: CareProblem
    carers: dict[int, Carer]  # CarerDay.id -> carer (with staff)
    patterns: dict[str, VisitPattern]  # VisitNeed.key -> pattern (with care agreement and customer)
    places: list[tuple[float, float]]  # place index -> (latitude, longitude)

    def instant(self, minutes: int) -> datetime:
        """The aware instant ``minutes`` after local midnight of the day (wall clock)."""
        return local_midnight(self.day) + timedelta(minutes=minutes)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(settings.TIME_ZONE))


def minutes_of(at: time) -> int:
    return at.hour * 60 + at.minute


def visit_key(pattern_id: int, day: date) -> str:
    return f"pattern:{pattern_id}:{day.isoformat()}"


def _default_travel_matrix(
    organisation: Organisation, places: list[tuple[float, float]], profile: str
) -> list[list[int]]:
    from steward.care.travel import travel_matrix  # owned by the care app

    return travel_matrix(organisation, places, profile)


def _carers_at_work(organisation: Organisation, day: date) -> list[Carer]:
    weekday = day.weekday()
    return list(
        Carer.objects.filter(organisation=organisation, is_active=True, staff__is_active=True)
        .filter(Exists(Shift.objects.filter(carer=OuterRef("pk"), weekday=weekday)))
        .filter(~Exists(Absence.objects.filter(carer=OuterRef("pk"), starts_on__lte=day, ends_on__gte=day)))
        .select_related("staff")
        .prefetch_related(
            Prefetch("shifts", queryset=Shift.objects.filter(weekday=weekday).order_by("starts_at")),
            "skills",
        )
        .order_by("pk")
    )


def _patterns_due(organisation: Organisation, day: date) -> list[VisitPattern]:
    due = (
        VisitPattern.objects.filter(
            is_active=True,
            care_agreement__provider=organisation,
            care_agreement__service_agreement__provider=organisation,
            care_agreement__service_agreement__status=ServiceAgreement.Status.ACTIVE,
            valid_from__lte=day,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .select_related("care_agreement__customer")
        .prefetch_related("skills")
        .order_by("care_agreement_id", "preferred_from", "pk")
    )
    # Weekdays are a JSON list; SQLite cannot search inside it, so the day is picked here.
    return [p for p in due if day.weekday() in (p.weekdays or [])]


def _carer_sets(care_ids: Sequence[int]) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """The preferred and the excluded carers of each care agreement, by agreement id."""
    preferred: dict[int, list[int]] = defaultdict(list)
    excluded: dict[int, list[int]] = defaultdict(list)
    through_p = CareAgreement.preferred_carers.through
    through_x = CareAgreement.excluded_carers.through
    for care_id, carer_id in through_p.objects.filter(careagreement_id__in=care_ids).values_list(
        "careagreement_id", "carer_id"
    ):
        preferred[care_id].append(carer_id)
    for care_id, carer_id in through_x.objects.filter(careagreement_id__in=care_ids).values_list(
        "careagreement_id", "carer_id"
    ):
        excluded[care_id].append(carer_id)
    return preferred, excluded


def _history(
    organisation: Organisation, day: date, customer_ids: Sequence[int], run: ScheduleRun | None = None
) -> tuple[dict[int, Counter[int]], dict[int, Counter[int]]]:
    """Who did each pattern's and each customer's visits in the published days before
    ``day`` and, when planning a run of several days, in this run's drafts of the days
    before it: a week planned in one go keeps the same carers from Monday to Sunday."""
    in_plan = Q(visit__schedule__status=Schedule.Status.PUBLISHED)
    if run is not None:
        in_plan |= Q(visit__schedule__run=run)
    by_pattern: dict[int, Counter[int]] = defaultdict(Counter)
    by_customer: dict[int, Counter[int]] = defaultdict(Counter)
    rows = (
        VisitAssignment.objects.filter(
            in_plan,
            visit__organisation=organisation,
            visit__day__gte=day - timedelta(days=HISTORY_DAYS),
            visit__day__lt=day,
            visit__customer_id__in=customer_ids,
            visit__status__in=COUNTED_STATUSES,
        )
        .values("visit__pattern_id", "visit__customer_id", "carer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        by_pattern[row["visit__pattern_id"]][row["carer_id"]] += row["n"]
        by_customer[row["visit__customer_id"]][row["carer_id"]] += row["n"]
    return by_pattern, by_customer


def _most_often(counts: Counter[int]) -> tuple[int, ...]:
    # Ties go to the lower id so the same history always gives the same usual carers.
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(carer_id for carer_id, _ in ranked[:USUAL_CARERS])


class _Places:
    """Distinct places, numbered in the order first seen (coordinates rounded to about a metre)."""

    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []
        self._index: dict[tuple[float, float], int] = {}

    def add(self, latitude: float, longitude: float) -> int:
        point = (round(latitude, 5), round(longitude, 5))
        if point not in self._index:
            self._index[point] = len(self.points)
            self.points.append(point)
        return self._index[point]


def _carer_day(carer: Carer, place: int) -> CarerDay:
    shifts = list(carer.shifts.all())
    with_break = next((s for s in shifts if s.break_minutes), None)
    return CarerDay(
        id=carer.pk,
        place=place,
        shift_start=min(minutes_of(s.starts_at) for s in shifts),
        shift_end=max(minutes_of(s.ends_at) for s in shifts),
        skills=frozenset(skill.code for skill in carer.skills.all()),
        travel_profile=carer.travel_mode,
        contracted_minutes=carer.contracted_minutes_per_day,
        break_minutes=with_break.break_minutes if with_break else 0,
        break_earliest=minutes_of(with_break.break_earliest) if with_break and with_break.break_earliest else None,
        break_latest=minutes_of(with_break.break_latest) if with_break and with_break.break_latest else None,
        name=carer.staff.display_name,
    )


def build_care_problem(
    *,
    organisation: Organisation,
    day: date,
    travel_matrix: TravelMatrix | None = None,
    run: ScheduleRun | None = None,
) -> BuiltProblem:
    """The care problem of ``organisation``'s ``day``, with the rows behind its ids (see
    module doc); ``run``: the run planning it, whose drafts of earlier days count as history."""
    matrix_for = travel_matrix or _default_travel_matrix
    places = _Places()
    carers = _carers_at_work(organisation, day)
    carer_days = [_carer_day(c, places.add(c.start_latitude, c.start_longitude)) for c in carers]

    patterns = _patterns_due(organisation, day)
    care_ids = sorted({p.care_agreement_id for p in patterns})
    preferred, excluded = _carer_sets(care_ids)
    by_pattern, by_customer = _history(organisation, day, sorted({p.care_agreement.customer_id for p in patterns}), run)

    needs: list[VisitNeed] = []
    by_key: dict[str, VisitPattern] = {}
    for pattern in patterns:
        care = pattern.care_agreement
        usual = (
            _most_often(by_pattern.get(pattern.pk, Counter()))
            or _most_often(by_customer.get(care.customer_id, Counter()))
            or tuple(sorted(preferred.get(care.pk, [])))[:USUAL_CARERS]
        )
        key = visit_key(pattern.pk, day)
        by_key[key] = pattern
        needs.append(
            VisitNeed(
                key=key,
                place=places.add(care.latitude, care.longitude),
                duration=pattern.duration_minutes,
                preferred=(minutes_of(pattern.preferred_from), minutes_of(pattern.preferred_to)),
                acceptable=(minutes_of(pattern.acceptable_from), minutes_of(pattern.acceptable_to)),
                skills=frozenset(skill.code for skill in pattern.skills.all()),
                carers_needed=pattern.carers_needed,
                sync=Sync(pattern.sync),
                gap=(pattern.gap_min_minutes, pattern.gap_max_minutes),
                usual_carers=usual,
                preferred_carers=frozenset(preferred.get(care.pk, [])),
                excluded_carers=frozenset(excluded.get(care.pk, [])),
                customer=care.customer_id,
                label=pattern.label,
            )
        )

    profiles = sorted({c.travel_profile for c in carer_days})
    travel = {profile: matrix_for(organisation, list(places.points), profile) for profile in profiles}
    if not travel:  # no carer works that day: the engine still needs a matrix to report every visit unplaced
        travel = {"car": [[0] * len(places.points) for _ in places.points]}
    return BuiltProblem(
        organisation=organisation,
        day=day,
        problem=CareProblem(carers=tuple(carer_days), visits=tuple(needs), travel=travel),
        carers={c.pk: c for c in carers},
        patterns=by_key,
        places=list(places.points),
    )
