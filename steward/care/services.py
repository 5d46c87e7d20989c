"""Setting up carers and care agreements, and the customer changing when a visit happens.

Every function checks who is asking (``permissions.py``) and the rules, and writes the
change in one transaction; bad input raises a coded error and changes nothing (I7).
Changes to a customer's visits write a timeline event for that customer in the same
transaction (``care_visits_changed``, ``visit_time_changed``), under the provider's
name. Carers' rotas (skills, shifts, absences) are the provider's own business and
concern no single customer, so they write none.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.customers.models import Customer
from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.organisations.models import Organisation, StaffMember
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record
from steward.trusted.models import TrustedPerson
from steward.trusted.permissions import Scope
from steward.trusted.services import trusted_acting_check

from .models import Absence, CareAgreement, Carer, Shift, Skill, VisitPattern
from .permissions import can_change_time_for_customer, can_manage_care, can_manage_carers

# How many days ahead the plan is redone after a customer changes their preferred time,
# starting tomorrow: today's plan is already in the carers' hands.
RESCHEDULE_DAYS = 7
MINUTES_IN_DAY = 24 * 60
MAX_VISIT_MINUTES = 12 * 60
# A trusted person changes a visit time under this scope: it is asking for something on
# the customer's behalf, like asking for help (docs/care.md).
TIME_CHANGE_SCOPE = Scope.ASK

WEEKDAY_NAMES = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"]


class _Unset:
    """Marks a keyword left out of an update (``None`` can be a value worth setting)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


def _today() -> date:
    """Today in the organisation's time zone (the portal activates the customer's own)."""
    return timezone.localdate(timezone=ZoneInfo(settings.TIME_ZONE))


# --- wording ---------------------------------------------------------------------------


def hm(value: time) -> str:
    return value.strftime("%H:%M")


def window_words(start: time, end: time) -> str:
    """'between 21:00 and 21:30', or 'at 21:00' for an exact time."""
    if start == end:
        return f"at {hm(start)}"
    return f"between {hm(start)} and {hm(end)}"


def days_words(weekdays: Iterable[int]) -> str:
    days = sorted(set(weekdays))
    if days == list(range(7)):
        return "every day"
    if days == list(range(5)):
        return "on weekdays"
    if days == [5, 6]:
        return "at weekends"
    names = [WEEKDAY_NAMES[d] for d in days]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"on {listed}"


def pattern_words(pattern: VisitPattern) -> str:
    carers = " by two carers" if pattern.carers_needed == 2 else ""
    return (
        f"{pattern.label}, {days_words(pattern.weekdays)}, {pattern.duration_minutes} minutes{carers}, "
        f"starting {window_words(pattern.preferred_from, pattern.preferred_to)}"
    )


# --- checks ----------------------------------------------------------------------------


def _text(value: str, *, what: str, limit: int, code: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{what} is needed.", code=code)
    if len(value) > limit:
        raise InvalidInput(f"{what} must be {limit} characters or fewer.", code="text_too_long")
    return value


def _coordinates(latitude: float, longitude: float) -> tuple[float, float]:
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise InvalidInput("Give the place as numbers: latitude and longitude.", code="coordinates_invalid")
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise InvalidInput(
            "Latitude must be between -90 and 90 and longitude between -180 and 180.", code="coordinates_invalid"
        )
    return latitude, longitude


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _skills(organisation_id: int, codes: Sequence[str]) -> list[Skill]:
    wanted = sorted(set(codes))
    found = {s.code: s for s in Skill.objects.filter(organisation_id=organisation_id, code__in=wanted)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise InvalidInput(
            f"There is no skill {missing[0]!r} here; add it first or use one of the organisation's skill codes.",
            code="unknown_skill",
        )
    return [found[c] for c in wanted]


def _require_carer_manager(actor: StaffMember, organisation_id: int) -> None:
    if not can_manage_carers(actor, organisation_id=organisation_id):
        raise PermissionDenied(
            "Only an org admin or a team lead of the organisation can manage its carers.", code="not_carer_manager"
        )


def _require_care_manager(actor: StaffMember, agreement: ServiceAgreement) -> None:
    if not can_manage_care(actor, agreement):
        raise PermissionDenied(
            "Only the service's coordinator, its team lead or an org admin of the provider can change its visits.",
            code="not_care_manager",
        )


# --- skills and carers -----------------------------------------------------------------


@transaction.atomic
def skill_create(*, organisation: Organisation, code: str, name: str, actor: StaffMember) -> Skill:
    """Add something visits can need and carers can do (e.g. 'medication')."""
    _require_carer_manager(actor, organisation.pk)
    code = _text(code, what="A short code", limit=60, code="code_required").lower()
    if not all(ch.isalnum() or ch in "-_" for ch in code):
        raise InvalidInput("Use letters, digits, '-' and '_' in the code, e.g. 'medication'.", code="code_invalid")
    name = _text(name, what="The skill's name", limit=200, code="name_required")
    if Skill.objects.filter(organisation=organisation, code=code).exists():
        raise Conflict(f"There is already a skill with the code {code!r}.", code="skill_exists")
    return Skill.objects.create(organisation=organisation, code=code, name=name)


def _travel_mode(value: str) -> str:
    if value not in Carer.TravelMode.values:
        raise InvalidInput(
            f"Travel mode must be one of {', '.join(Carer.TravelMode.values)}.", code="travel_mode_invalid"
        )
    return value


def _contracted(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MINUTES_IN_DAY:
        raise InvalidInput("Contracted minutes a day must be between 1 and 1440.", code="contracted_minutes_invalid")
    return value


@transaction.atomic
def carer_create(
    *,
    staff: StaffMember,
    start_latitude: float,
    start_longitude: float,
    actor: StaffMember,
    start_address: str = "",
    travel_mode: str = Carer.TravelMode.CAR,
    contracted_minutes_per_day: int | None = None,
    skills: Sequence[str] = (),
) -> Carer:
    """Make a staff member of the organisation a carer who can be sent on visits."""
    _require_carer_manager(actor, staff.organisation_id)
    if not staff.is_active:
        raise InvalidInput(f"{staff.display_name} is deactivated.", code="staff_inactive")
    if Carer.objects.filter(staff=staff).exists():
        raise Conflict(f"{staff.display_name} is already a carer.", code="already_carer")
    lat, lon = _coordinates(start_latitude, start_longitude)
    carer = Carer.objects.create(
        staff=staff,
        organisation_id=staff.organisation_id,
        start_address=_text(
            start_address, what="The start address", limit=300, code="address_required", required=False
        ),
        start_latitude=lat,
        start_longitude=lon,
        travel_mode=_travel_mode(travel_mode),
        contracted_minutes_per_day=_contracted(contracted_minutes_per_day),
    )
    carer.skills.set(_skills(staff.organisation_id, skills))
    return carer


def _lock_carer(carer: Carer) -> Carer:
    return Carer.objects.select_for_update(of=("self",)).select_related("staff").get(pk=carer.pk)


@transaction.atomic
def carer_update(
    *,
    carer: Carer,
    actor: StaffMember,
    skills: Sequence[str] | _Unset = UNSET,
    start_address: str | _Unset = UNSET,
    start_latitude: float | _Unset = UNSET,
    start_longitude: float | _Unset = UNSET,
    travel_mode: str | _Unset = UNSET,
    contracted_minutes_per_day: int | _Unset | None = UNSET,
    is_active: bool | _Unset = UNSET,
) -> Carer:
    """Change what a carer can do, where they start, how they travel or their contracted
    minutes; what is left out stays as it was. An inactive carer is never scheduled."""
    _require_carer_manager(actor, carer.organisation_id)
    carer = _lock_carer(carer)
    changed: list[str] = []
    if not isinstance(start_latitude, _Unset) or not isinstance(start_longitude, _Unset):
        lat = carer.start_latitude if isinstance(start_latitude, _Unset) else start_latitude
        lon = carer.start_longitude if isinstance(start_longitude, _Unset) else start_longitude
        carer.start_latitude, carer.start_longitude = _coordinates(lat, lon)
        changed += ["start_latitude", "start_longitude"]
    if not isinstance(start_address, _Unset):
        carer.start_address = _text(
            start_address, what="The start address", limit=300, code="address_required", required=False
        )
        changed.append("start_address")
    if not isinstance(travel_mode, _Unset):
        carer.travel_mode = _travel_mode(travel_mode)
        changed.append("travel_mode")
    if not isinstance(contracted_minutes_per_day, _Unset):
        carer.contracted_minutes_per_day = _contracted(contracted_minutes_per_day)
        changed.append("contracted_minutes_per_day")
    if not isinstance(is_active, _Unset):
        carer.is_active = is_active
        changed.append("is_active")
    new_skills = None if isinstance(skills, _Unset) else _skills(carer.organisation_id, skills)
    if changed:
        carer.save(update_fields=[*changed, "updated_at"])
    if new_skills is not None:
        carer.skills.set(new_skills)
    return carer


@dataclass(frozen=True)
class ShiftData:
    """One weekly shift as typed in: the break (if any) starts between the two break times."""

    weekday: int
    starts_at: time
    ends_at: time
    break_minutes: int = 0
    break_earliest: time | None = None
    break_latest: time | None = None


def _check_shift(n: int, s: ShiftData) -> Shift:
    where = f"Shift {n}"
    if not 0 <= s.weekday <= 6:
        raise InvalidInput(f"{where}: the day must be 0 (Monday) to 6 (Sunday).", code="weekday_invalid")
    if s.ends_at <= s.starts_at:
        raise InvalidInput(
            f"{where}: it must end after it starts, on the same day (shifts do not cross midnight).",
            code="shift_ends_before_start",
        )
    if s.break_minutes < 0 or s.break_minutes > 240:
        raise InvalidInput(f"{where}: a break is 0 to 240 minutes.", code="break_invalid")
    earliest, latest = s.break_earliest, s.break_latest
    if s.break_minutes == 0:
        earliest = latest = None
    else:
        if earliest is None or latest is None:
            raise InvalidInput(f"{where}: say between which times the break may start.", code="break_window_required")
        if latest < earliest:
            raise InvalidInput(f"{where}: the break window ends before it starts.", code="break_window_invalid")
        if earliest < s.starts_at or _minutes(latest) + s.break_minutes > _minutes(s.ends_at):
            raise InvalidInput(
                f"{where}: the break must start and end inside the shift ({hm(s.starts_at)}–{hm(s.ends_at)}).",
                code="break_outside_shift",
            )
    return Shift(
        weekday=s.weekday,
        starts_at=s.starts_at,
        ends_at=s.ends_at,
        break_minutes=s.break_minutes,
        break_earliest=earliest,
        break_latest=latest,
    )


@transaction.atomic
def carer_set_shifts(*, carer: Carer, shifts: Sequence[ShiftData], actor: StaffMember) -> list[Shift]:
    """Replace the carer's weekly shifts with these (an empty list: they work no regular
    shifts). Two shifts on the same day may not overlap."""
    _require_carer_manager(actor, carer.organisation_id)
    carer = _lock_carer(carer)
    rows = [_check_shift(n, s) for n, s in enumerate(shifts, start=1)]
    ordered = sorted(rows, key=lambda r: (r.weekday, r.starts_at))
    for before, after in itertools.pairwise(ordered):
        if before.weekday == after.weekday and after.starts_at < before.ends_at:
            raise InvalidInput(
                f"Two shifts on {WEEKDAY_NAMES[after.weekday][:-1]} overlap "
                f"({hm(before.starts_at)}–{hm(before.ends_at)} and {hm(after.starts_at)}–{hm(after.ends_at)}).",
                code="shifts_overlap",
            )
    Shift.objects.filter(carer=carer).delete()
    for row in ordered:
        row.carer = carer
    return Shift.objects.bulk_create(ordered)


@transaction.atomic
def absence_record(*, carer: Carer, starts_on: date, ends_on: date, actor: StaffMember, reason: str = "") -> Absence:
    """The carer will not work these days (both included): they are left out of those days' plans."""
    _require_carer_manager(actor, carer.organisation_id)
    carer = _lock_carer(carer)
    if ends_on < starts_on:
        raise InvalidInput("The last day of an absence cannot be before its first day.", code="absence_backwards")
    if (ends_on - starts_on).days > 366:
        raise InvalidInput("Record an absence of at most a year at a time.", code="absence_too_long")
    reason = _text(reason, what="The reason", limit=200, code="reason_required", required=False)
    clash = Absence.objects.filter(carer=carer, starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if clash is not None:
        raise Conflict(
            f"{carer.staff.display_name} is already away {clash.starts_on:%-d %B}–{clash.ends_on:%-d %B %Y}; "
            "change that absence instead.",
            code="absence_overlaps",
        )
    return Absence.objects.create(carer=carer, starts_on=starts_on, ends_on=ends_on, reason=reason, recorded_by=actor)


@transaction.atomic
def absence_cancel(*, absence: Absence, actor: StaffMember) -> None:
    """The carer will work after all: the absence is removed."""
    carer = absence.carer
    _require_carer_manager(actor, carer.organisation_id)
    _lock_carer(carer)
    Absence.objects.filter(pk=absence.pk).delete()


# --- care agreements -------------------------------------------------------------------


def _visits_changed(care: CareAgreement, *, actor: StaffMember, summary: str, data: dict[str, object]) -> None:
    event_record(
        customer=care.customer,
        organisation=care.provider,
        kind=TimelineEvent.Kind.CARE_VISITS_CHANGED,
        actor=actor,
        summary=summary,
        data={"care_agreement": care.pk, **data},
    )


@transaction.atomic
def care_agreement_create(
    *,
    service_agreement: ServiceAgreement,
    address: str,
    latitude: float,
    longitude: float,
    actor: StaffMember,
    access_notes: str = "",
) -> CareAgreement:
    """Start arranging visits for an active service: where they happen and how to get in."""
    agreement = (
        ServiceAgreement.objects.select_for_update(of=("self",))
        .select_related("customer", "provider")
        .get(pk=service_agreement.pk)
    )
    _require_care_manager(actor, agreement)
    if agreement.status != ServiceAgreement.Status.ACTIVE:
        raise Conflict("This service has ended; visits can only be arranged for an active one.", code="service_ended")
    if CareAgreement.objects.filter(service_agreement=agreement).exists():
        raise Conflict("Visits are already arranged for this service; change them instead.", code="care_exists")
    lat, lon = _coordinates(latitude, longitude)
    care = CareAgreement.objects.create(
        service_agreement=agreement,
        customer=agreement.customer,
        provider=agreement.provider,
        address=_text(address, what="The address of the visits", limit=300, code="address_required"),
        latitude=lat,
        longitude=lon,
        access_notes=_text(access_notes, what="Access notes", limit=4000, code="notes_required", required=False),
    )
    _visits_changed(
        care,
        actor=actor,
        summary=f"{actor.display_name} started arranging visits at {care.address}.",
        data={"change": "created"},
    )
    return care


def _lock_care(care: CareAgreement) -> CareAgreement:
    return (
        CareAgreement.objects.select_for_update(of=("self",))
        .select_related("customer", "provider", "service_agreement")
        .get(pk=care.pk)
    )


def _provider_carers(care: CareAgreement, carers: Sequence[Carer]) -> list[Carer]:
    for carer in carers:
        if carer.organisation_id != care.provider_id:
            raise InvalidInput(
                f"{carer.staff.display_name} is not a carer of {care.provider.name}.", code="carer_other_organisation"
            )
    return list({c.pk: c for c in carers}.values())


@transaction.atomic
def care_agreement_update(
    *,
    care: CareAgreement,
    actor: StaffMember,
    address: str | _Unset = UNSET,
    latitude: float | _Unset = UNSET,
    longitude: float | _Unset = UNSET,
    access_notes: str | _Unset = UNSET,
    preferred_carers: Sequence[Carer] | _Unset = UNSET,
    excluded_carers: Sequence[Carer] | _Unset = UNSET,
) -> CareAgreement:
    """Change where visits happen, how to get in, or which carers the customer would like
    (preferred) or never wants (excluded). A carer cannot be both."""
    care = _lock_care(care)
    _require_care_manager(actor, care.service_agreement)
    changed: list[str] = []
    said: list[str] = []
    if not isinstance(address, _Unset):
        care.address = _text(address, what="The address of the visits", limit=300, code="address_required")
        changed.append("address")
        said.append(f"the address to {care.address}")
    if not isinstance(latitude, _Unset) or not isinstance(longitude, _Unset):
        lat = care.latitude if isinstance(latitude, _Unset) else latitude
        lon = care.longitude if isinstance(longitude, _Unset) else longitude
        care.latitude, care.longitude = _coordinates(lat, lon)
        changed += ["latitude", "longitude"]
        if isinstance(address, _Unset):
            said.append("where the address is on the map")
    if not isinstance(access_notes, _Unset):
        care.access_notes = _text(access_notes, what="Access notes", limit=4000, code="notes_required", required=False)
        changed.append("access_notes")
        said.append("how to get in")
    preferred = None if isinstance(preferred_carers, _Unset) else _provider_carers(care, preferred_carers)
    excluded = None if isinstance(excluded_carers, _Unset) else _provider_carers(care, excluded_carers)
    final_preferred = (
        {c.pk for c in preferred} if preferred is not None else set(care.preferred_carers.values_list("pk", flat=True))
    )
    final_excluded = (
        {c.pk for c in excluded} if excluded is not None else set(care.excluded_carers.values_list("pk", flat=True))
    )
    both = final_preferred & final_excluded
    if both:
        raise InvalidInput(
            "A carer cannot be both preferred and excluded; take them off one of the lists.",
            code="carer_preferred_and_excluded",
            details={"carers": sorted(both)},
        )
    if changed:
        care.save(update_fields=[*changed, "updated_at"])
    if preferred is not None:
        care.preferred_carers.set(preferred)
        names = ", ".join(c.staff.display_name for c in preferred) or "nobody in particular"
        said.append(f"the preferred carers to {names}")
    if excluded is not None:
        care.excluded_carers.set(excluded)
        said.append(f"the carers never to send ({len(excluded)})")
    lists = [name for name, value in (("preferred", preferred), ("excluded", excluded)) if value is not None]
    if said:
        _visits_changed(
            care,
            actor=actor,
            summary=f"{actor.display_name} changed " + "; ".join(said) + ".",
            data={"change": "updated", "fields": changed, "carer_lists": lists},
        )
    return care


# --- visit patterns --------------------------------------------------------------------


@dataclass(frozen=True)
class PatternData:
    """A recurring visit as typed in by the coordinator (see ``VisitPattern``)."""

    label: str
    weekdays: Sequence[int]
    duration_minutes: int
    preferred_from: time
    preferred_to: time
    acceptable_from: time
    acceptable_to: time
    valid_from: date
    valid_until: date | None = None
    skills: Sequence[str] = field(default_factory=tuple)
    carers_needed: int = 1
    sync: str = VisitPattern.Sync.SIMULTANEOUS
    gap_min_minutes: int = 0
    gap_max_minutes: int = 0


def _check_pattern(data: PatternData) -> dict[str, object]:
    label = _text(data.label, what="A name for the visit", limit=200, code="label_required")
    weekdays = sorted(set(data.weekdays))
    if not weekdays:
        raise InvalidInput("Choose at least one day of the week.", code="weekdays_required")
    if any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays):
        raise InvalidInput("Days are 0 (Monday) to 6 (Sunday).", code="weekday_invalid")
    if not 1 <= data.duration_minutes <= MAX_VISIT_MINUTES:
        raise InvalidInput("A visit lasts between 1 minute and 12 hours.", code="duration_invalid")
    if data.carers_needed not in (1, 2):
        raise InvalidInput("A visit needs one carer or two.", code="carers_needed_invalid")
    if data.sync not in VisitPattern.Sync.values:
        raise InvalidInput("Two carers come 'simultaneous' or 'sequential'.", code="sync_invalid")
    sync, gap_min, gap_max = data.sync, data.gap_min_minutes, data.gap_max_minutes
    if data.carers_needed == 1 or sync == VisitPattern.Sync.SIMULTANEOUS:
        # A gap only means something between two carers coming one after the other.
        sync = VisitPattern.Sync.SIMULTANEOUS if data.carers_needed == 1 else sync
        gap_min = gap_max = 0
    elif not 0 <= gap_min <= gap_max <= 240:
        raise InvalidInput(
            "The second carer comes between gap_min and gap_max minutes after the first (0 ≤ gap_min ≤ gap_max ≤ 240).",
            code="gap_invalid",
        )
    if not data.acceptable_from <= data.preferred_from <= data.preferred_to <= data.acceptable_to:
        raise InvalidInput(
            "The preferred start window must lie inside the acceptable one, each ending after it starts.",
            code="preferred_outside_acceptable",
        )
    if _minutes(data.acceptable_to) + data.duration_minutes + gap_max > MINUTES_IN_DAY:
        raise InvalidInput("A visit starting that late would run past midnight.", code="runs_past_midnight")
    if data.valid_until is not None and data.valid_until < data.valid_from:
        raise InvalidInput("The last day cannot be before the first.", code="valid_until_before_valid_from")
    return {
        "label": label,
        "weekdays": weekdays,
        "duration_minutes": data.duration_minutes,
        "carers_needed": data.carers_needed,
        "sync": sync,
        "gap_min_minutes": gap_min,
        "gap_max_minutes": gap_max,
        "preferred_from": data.preferred_from,
        "preferred_to": data.preferred_to,
        "acceptable_from": data.acceptable_from,
        "acceptable_to": data.acceptable_to,
        "valid_from": data.valid_from,
        "valid_until": data.valid_until,
    }


@transaction.atomic
def visit_pattern_add(*, care: CareAgreement, data: PatternData, actor: StaffMember) -> VisitPattern:
    """Add a recurring visit to the customer's care."""
    care = _lock_care(care)
    _require_care_manager(actor, care.service_agreement)
    if care.service_agreement.status != ServiceAgreement.Status.ACTIVE:
        raise Conflict("This service has ended; no visits can be added.", code="service_ended")
    fields = _check_pattern(data)
    skills = _skills(care.provider_id, data.skills)
    pattern = VisitPattern.objects.create(care_agreement=care, **fields)  # type: ignore[arg-type]
    pattern.skills.set(skills)
    _visits_changed(
        care,
        actor=actor,
        summary=f"{actor.display_name} added a visit: {pattern_words(pattern)}, from {pattern.valid_from:%-d %B %Y}.",
        data={"change": "pattern_added", "pattern": pattern.pk},
    )
    return pattern


def _lock_pattern(pattern: VisitPattern) -> VisitPattern:
    return (
        VisitPattern.objects.select_for_update(of=("self",))
        .select_related("care_agreement__customer", "care_agreement__provider", "care_agreement__service_agreement")
        .get(pk=pattern.pk)
    )


def _ended(pattern: VisitPattern, today: date) -> bool:
    return not pattern.is_active or (pattern.valid_until is not None and pattern.valid_until < today)


@transaction.atomic
def visit_pattern_change(*, pattern: VisitPattern, data: PatternData, actor: StaffMember) -> VisitPattern:
    """Change a recurring visit (all of it at once). Visits already planned keep their
    times until the plan is redone."""
    pattern = _lock_pattern(pattern)
    care = pattern.care_agreement
    _require_care_manager(actor, care.service_agreement)
    if _ended(pattern, _today()):
        raise Conflict("This visit has ended; add a new one instead.", code="visit_ended")
    before = pattern_words(pattern)
    fields = _check_pattern(data)
    skills = _skills(care.provider_id, data.skills)
    for name, value in fields.items():
        setattr(pattern, name, value)
    pattern.save(update_fields=[*fields, "updated_at"])
    pattern.skills.set(skills)
    _visits_changed(
        care,
        actor=actor,
        summary=f"{actor.display_name} changed a visit: it was {before}; it is now {pattern_words(pattern)}.",
        data={"change": "pattern_changed", "pattern": pattern.pk},
    )
    return pattern


@transaction.atomic
def visit_pattern_end(*, pattern: VisitPattern, last_day: date, actor: StaffMember) -> VisitPattern:
    """Stop a recurring visit after `last_day` (a day before it starts: it never happens)."""
    pattern = _lock_pattern(pattern)
    care = pattern.care_agreement
    _require_care_manager(actor, care.service_agreement)
    if _ended(pattern, _today()):
        raise Conflict("This visit has already ended.", code="visit_ended")
    if last_day < _today() - timedelta(days=1):
        raise InvalidInput(
            "A visit cannot be ended in the past; the last day is yesterday at the earliest.", code="end_in_past"
        )
    pattern.valid_until = last_day
    pattern.is_active = last_day >= pattern.valid_from
    pattern.save(update_fields=["valid_until", "is_active", "updated_at"])
    _visits_changed(
        care,
        actor=actor,
        summary=f"{actor.display_name} ended a visit: {pattern.label}, last on {last_day:%-d %B %Y}.",
        data={"change": "pattern_ended", "pattern": pattern.pk, "last_day": last_day.isoformat()},
    )
    return pattern


# --- the customer's preferred time -------------------------------------------------------


@dataclass(frozen=True)
class Windows:
    preferred_from: time
    preferred_to: time
    acceptable_from: time
    acceptable_to: time


def moved_windows(pattern: VisitPattern, *, preferred_from: time, preferred_to: time) -> Windows:
    """The windows after the customer moves the preferred one.

    The acceptable window moves with it, keeping the margins agreed around the preferred
    one (30 minutes earlier and an hour later stay 30 minutes earlier and an hour later),
    so a customer who moves bedtime from 19:00 to 21:00 is not put to bed at 18:30. It is
    cut at midnight (and early enough for the visit to finish by midnight), never so far
    that the new preferred window no longer fits inside it.
    """
    if preferred_to < preferred_from:
        raise InvalidInput(
            "The time you want them to arrive by must be after the earliest time.", code="window_backwards"
        )
    new_from, new_to = _minutes(preferred_from), _minutes(preferred_to)
    latest_start = MINUTES_IN_DAY - pattern.duration_minutes - pattern.gap_max_minutes
    if new_to > latest_start:
        raise InvalidInput(
            f"This visit takes {pattern.duration_minutes} minutes, so it must start by {hm(_time(latest_start))} "
            "to finish before midnight.",
            code="runs_past_midnight",
        )
    before = _minutes(pattern.preferred_from) - _minutes(pattern.acceptable_from)
    after = _minutes(pattern.acceptable_to) - _minutes(pattern.preferred_to)
    return Windows(
        preferred_from=preferred_from,
        preferred_to=preferred_to,
        acceptable_from=_time(max(0, new_from - before)),
        acceptable_to=_time(min(latest_start, new_to + after)),
    )


def _time_changer(
    *, customer: Customer, actor: StaffMember | None, trusted: TrustedPerson | None, agreement: ServiceAgreement
) -> str:
    """Check who is changing the time and say how the timeline signs it."""
    if actor is not None and trusted is not None:
        raise InvalidInput("A change is made by staff or by a trusted person, not both.", code="two_actors")
    if trusted is not None:
        if trusted.customer_id != customer.pk:
            raise PermissionDenied("You do not act for this customer.", code="not_your_customer")
        trusted = trusted_acting_check(trusted=trusted, scope=TIME_CHANGE_SCOPE)
        return trusted.acting_name
    if actor is not None:
        if not can_change_time_for_customer(actor, agreement):
            raise PermissionDenied(
                f"Only staff of {agreement.provider.name} can change this customer's visit times.",
                code="not_provider_staff",
            )
        return f"{actor.display_name} (for {customer.full_name})"
    return f"{customer.full_name} (customer)"


@transaction.atomic
def visit_time_change(
    *,
    pattern: VisitPattern,
    customer: Customer,
    preferred_from: time,
    preferred_to: time,
    actor: StaffMember | None = None,
    trusted: TrustedPerson | None = None,
    channel: str | None = None,
) -> VisitPattern:
    """The customer chooses when a regular visit should start.

    Done by the customer themselves (``actor`` and ``trusted`` both empty), by someone
    they trust who may ask for help for them, or by staff of the provider typing in what
    the customer asked for. The acceptable window follows (see ``moved_windows``). The
    timeline says what it was and what it is now, signed by whoever did it; the plan
    for the coming days is redone (a schedule run, queued in this same transaction so a
    refused change queues nothing).
    """
    from steward.visits.services import schedule_run_request

    pattern = _lock_pattern(pattern)
    care = pattern.care_agreement
    if care.customer_id != customer.pk:
        # Someone else's visit is simply not there for this customer.
        raise NotFound("There is no such regular visit among yours.", code="visit_not_found")
    agreement = care.service_agreement
    who = _time_changer(customer=customer, actor=actor, trusted=trusted, agreement=agreement)
    if agreement.status != ServiceAgreement.Status.ACTIVE:
        raise Conflict("This service has ended, so its visits can no longer be changed.", code="service_ended")
    today = _today()
    if _ended(pattern, today):
        raise Conflict("This visit has ended, so its time can no longer be changed.", code="visit_ended")
    if (pattern.preferred_from, pattern.preferred_to) == (preferred_from, preferred_to):
        raise InvalidInput(
            f"{pattern.label} is already {window_words(preferred_from, preferred_to)}.", code="same_time"
        )
    old = Windows(pattern.preferred_from, pattern.preferred_to, pattern.acceptable_from, pattern.acceptable_to)
    new = moved_windows(pattern, preferred_from=preferred_from, preferred_to=preferred_to)
    pattern.preferred_from, pattern.preferred_to = new.preferred_from, new.preferred_to
    pattern.acceptable_from, pattern.acceptable_to = new.acceptable_from, new.acceptable_to
    pattern.save(update_fields=["preferred_from", "preferred_to", "acceptable_from", "acceptable_to", "updated_at"])
    first_day = today + timedelta(days=1)
    last_day = today + timedelta(days=RESCHEDULE_DAYS)
    event_record(
        customer=care.customer,
        organisation=care.provider,
        kind=TimelineEvent.Kind.VISIT_TIME_CHANGED,
        actor=actor,
        actor_name=who,
        channel=channel or (TimelineEvent.Channel.PHONE if actor is not None else TimelineEvent.Channel.WEB),
        summary=(
            f"{who} changed when {pattern.label.lower()} should start: it was "
            f"{window_words(old.preferred_from, old.preferred_to)}, it is now "
            f"{window_words(new.preferred_from, new.preferred_to)}. The visit plan from "
            f"{first_day:%-d %B} will be redone."
        ),
        data={
            "care_agreement": care.pk,
            "pattern": pattern.pk,
            "before": {k: hm(v) for k, v in old.__dict__.items()},
            "after": {k: hm(v) for k, v in new.__dict__.items()},
            **({"trusted_person": trusted.pk} if trusted is not None else {}),
        },
    )
    schedule_run_request(
        organisation=care.provider,
        first_day=first_day,
        last_day=last_day,
        reason=f"{who} changed the preferred time of {pattern.label.lower()}."[:300],
        # Steward asks, for the customer: the staff member who typed the change in need
        # not be someone who plans the rota.
        actor=None,
    )
    _tell_coordinator(
        agreement=agreement, pattern=pattern, who=who, actor=actor, new=new, first_day=first_day, last_day=last_day
    )
    return pattern


def _tell_coordinator(
    *,
    agreement: ServiceAgreement,
    pattern: VisitPattern,
    who: str,
    actor: StaffMember | None,
    new: Windows,
    first_day: date,
    last_day: date,
) -> None:
    """The named person who answers for the service hears of the change at once (unless
    they typed it in themselves): the new plan is a draft until someone who plans
    publishes it."""
    from steward.alerts.continuity import agreement_answerer
    from steward.notifications.models import Notification
    from steward.notifications.services import notification_send

    person = agreement_answerer(agreement)
    if person is None or (actor is not None and person.pk == actor.pk):
        return
    notification_send(
        recipient=person,
        kind=Notification.Kind.VISIT_TIME_CHANGED,
        title=f"{who} changed when {pattern.label.lower()} should start",
        body=(
            f"It should now start {window_words(new.preferred_from, new.preferred_to)}. Steward is planning "
            f"{first_day:%A %-d %B} to {last_day:%A %-d %B} again: check the new drafts on the planning page "
            "and publish them, so the carers and the customer see the new time."
        ),
    )
