"""API for care: carers and their rota, care agreements and their regular visits (staff,
``/api/v1/care/...``), and the customer's own regular visits and preferred times
(``/api/v1/customer/visit-patterns``, customer token). Times of day are wall-clock times
in the organisation's time zone (Europe/London), written ``HH:MM``. See docs/care.md."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_customer, acting_staff, customer_auth
from steward.agreements.selectors import agreement_get_for
from steward.consent.reads import ReadPurpose, read_for
from steward.consent.vocabulary import DataCategory
from steward.customers.selectors import customer_ensure_exists
from steward.errors import NotFound
from steward.organisations.models import StaffMember
from steward.pagination import Page, PageParams, page_of
from steward.timeline.models import TimelineEvent

from . import selectors, services
from .models import Absence, CareAgreement, Carer, Shift, Skill, VisitPattern

router = Router(tags=["care"])
customer_router = Router(tags=["the customer's side"], auth=customer_auth)

Weekday = int


class SkillOut(Schema):
    id: int
    code: str
    name: str


class SkillIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=60, description="Short stable code, e.g. 'medication'.")
    name: str = Field(max_length=200, description="In plain words, e.g. 'Help with medication'.")


class ShiftIO(Schema):
    model_config = ConfigDict(extra="forbid")
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")
    starts_at: time
    ends_at: time
    break_minutes: int = Field(default=0, ge=0, le=240)
    break_earliest: time | None = Field(default=None, description="The break starts no earlier than this.")
    break_latest: time | None = Field(default=None, description="… and no later than this.")


class ShiftsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    shifts: list[ShiftIO] = Field(max_length=50, description="All of the carer's weekly shifts (replaces them).")


class CarerOut(Schema):
    id: int
    staff_id: int
    name: str
    is_active: bool
    skills: list[str]
    start_address: str
    start_latitude: float
    start_longitude: float
    travel_mode: str
    contracted_minutes_per_day: int | None
    shifts: list[ShiftIO]


class CarerIn(Schema):
    model_config = ConfigDict(extra="forbid")
    staff_id: int
    start_latitude: float
    start_longitude: float
    start_address: str = Field(default="", max_length=300)
    travel_mode: str = Field(default="car", description="car, walk, bicycle or public_transport.")
    contracted_minutes_per_day: int | None = None
    skills: list[str] = Field(default_factory=list, max_length=50, description="Skill codes.")


class CarerChangeIn(Schema):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")
    start_latitude: float | None = None
    start_longitude: float | None = None
    start_address: str | None = Field(default=None, max_length=300)
    travel_mode: str | None = None
    contracted_minutes_per_day: int | None = Field(default=None, description="null: the length of the day's shift.")
    skills: list[str] | None = Field(default=None, max_length=50)
    is_active: bool | None = None


class AbsenceOut(Schema):
    id: int
    carer_id: int
    starts_on: date
    ends_on: date
    reason: str


class AbsenceIn(Schema):
    model_config = ConfigDict(extra="forbid")
    starts_on: date
    ends_on: date = Field(description="The last day away (included).")
    reason: str = Field(default="", max_length=200)


class PatternOut(Schema):
    id: int
    label: str
    weekdays: list[Weekday]
    duration_minutes: int
    skills: list[str]
    carers_needed: int
    sync: str
    gap_min_minutes: int
    gap_max_minutes: int
    preferred_from: time
    preferred_to: time
    acceptable_from: time
    acceptable_to: time
    valid_from: date
    valid_until: date | None
    is_active: bool


class PatternIn(Schema):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(max_length=200, description="In the customer's words, e.g. 'Help getting up'.")
    weekdays: list[Weekday] = Field(max_length=7, description="0 = Monday … 6 = Sunday.")
    duration_minutes: int
    preferred_from: time = Field(description="The start window the customer wants…")
    preferred_to: time
    acceptable_from: time = Field(description="…inside the widest start window they accept.")
    acceptable_to: time
    valid_from: date
    valid_until: date | None = None
    skills: list[str] = Field(default_factory=list, max_length=20)
    carers_needed: int = Field(default=1, description="1, or 2 for a double-handed visit.")
    sync: str = Field(default="simultaneous", description="Two carers: simultaneous or sequential.")
    gap_min_minutes: int = Field(default=0, ge=0, description="Sequential: the second starts this many minutes…")
    gap_max_minutes: int = Field(default=0, ge=0, description="…to this many after the first.")


class PatternEndIn(Schema):
    model_config = ConfigDict(extra="forbid")
    last_day: date


class PreferredTimeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    preferred_from: time = Field(description="The earliest the visit should start, e.g. 21:00.")
    preferred_to: time = Field(description="The latest it should start, e.g. 21:30.")


class StaffPreferredTimeIn(PreferredTimeIn):
    channel: str = Field(default="phone", description="How the customer asked: phone, in_person, email, …")


class CareOut(Schema):
    id: int
    service_agreement_id: int
    customer_id: int
    provider_id: int
    coordinator: str
    address: str
    latitude: float
    longitude: float
    access_notes: str
    preferred_carer_ids: list[int]
    excluded_carer_ids: list[int]
    patterns: list[PatternOut]


class CareIn(Schema):
    model_config = ConfigDict(extra="forbid")
    service_agreement_id: int
    address: str = Field(max_length=300)
    latitude: float
    longitude: float
    access_notes: str = Field(default="", max_length=4000)


class CareChangeIn(Schema):
    """Only the fields given change; a carer cannot be both preferred and excluded."""

    model_config = ConfigDict(extra="forbid")
    address: str | None = Field(default=None, max_length=300)
    latitude: float | None = None
    longitude: float | None = None
    access_notes: str | None = Field(default=None, max_length=4000)
    preferred_carer_ids: list[int] | None = Field(default=None, max_length=50)
    excluded_carer_ids: list[int] | None = Field(default=None, max_length=50)


class WindowOut(Schema):
    starts: time = Field(description="Earliest start.")
    ends: time = Field(description="Latest start.")
    words: str


class MyVisitPatternOut(Schema):
    id: int
    label: str
    days: str = Field(description="In words, e.g. 'every day'.")
    weekdays: list[Weekday]
    duration_minutes: int
    carers_needed: int
    preferred: WindowOut = Field(description="When you want the carer to arrive.")
    acceptable: WindowOut = Field(description="The widest start window you accept; it moves with the preferred one.")
    provider: str
    coordinator: str = Field(description="Who to contact about your visits.")


# --- shaping ---------------------------------------------------------------------------


def _shift_out(s: Shift) -> dict[str, Any]:
    return {
        "weekday": s.weekday,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "break_minutes": s.break_minutes,
        "break_earliest": s.break_earliest,
        "break_latest": s.break_latest,
    }


def carer_out(carer: Carer) -> dict[str, Any]:
    return {
        "id": carer.pk,
        "staff_id": carer.staff_id,
        "name": carer.staff.display_name,
        "is_active": carer.is_active,
        "skills": sorted(s.code for s in carer.skills.all()),
        "start_address": carer.start_address,
        "start_latitude": carer.start_latitude,
        "start_longitude": carer.start_longitude,
        "travel_mode": carer.travel_mode,
        "contracted_minutes_per_day": carer.contracted_minutes_per_day,
        "shifts": [_shift_out(s) for s in sorted(carer.shifts.all(), key=lambda s: (s.weekday, s.starts_at))],
    }


def pattern_out(p: VisitPattern) -> dict[str, Any]:
    return {
        "id": p.pk,
        "label": p.label,
        "weekdays": p.weekdays,
        "duration_minutes": p.duration_minutes,
        "skills": sorted(s.code for s in p.skills.all()),
        "carers_needed": p.carers_needed,
        "sync": p.sync,
        "gap_min_minutes": p.gap_min_minutes,
        "gap_max_minutes": p.gap_max_minutes,
        "preferred_from": p.preferred_from,
        "preferred_to": p.preferred_to,
        "acceptable_from": p.acceptable_from,
        "acceptable_to": p.acceptable_to,
        "valid_from": p.valid_from,
        "valid_until": p.valid_until,
        "is_active": p.is_active,
    }


def care_out(care: CareAgreement) -> dict[str, Any]:
    return {
        "id": care.pk,
        "service_agreement_id": care.service_agreement_id,
        "customer_id": care.customer_id,
        "provider_id": care.provider_id,
        "coordinator": care.service_agreement.coordinator.display_name,
        "address": care.address,
        "latitude": care.latitude,
        "longitude": care.longitude,
        "access_notes": care.access_notes,
        "preferred_carer_ids": sorted(c.pk for c in care.preferred_carers.all()),
        "excluded_carer_ids": sorted(c.pk for c in care.excluded_carers.all()),
        "patterns": [pattern_out(p) for p in care.patterns.all()],
    }


def my_pattern_out(p: VisitPattern) -> dict[str, Any]:
    agreement = p.care_agreement.service_agreement
    return {
        "id": p.pk,
        "label": p.label,
        "days": services.days_words(p.weekdays),
        "weekdays": p.weekdays,
        "duration_minutes": p.duration_minutes,
        "carers_needed": p.carers_needed,
        "preferred": {
            "starts": p.preferred_from,
            "ends": p.preferred_to,
            "words": services.window_words(p.preferred_from, p.preferred_to),
        },
        "acceptable": {
            "starts": p.acceptable_from,
            "ends": p.acceptable_to,
            "words": services.window_words(p.acceptable_from, p.acceptable_to),
        },
        "provider": p.care_agreement.provider.name,
        "coordinator": agreement.coordinator.display_name,
    }


def _pattern_data(payload: PatternIn) -> services.PatternData:
    return services.PatternData(**payload.dict())


def _fresh_carer(actor: StaffMember, carer_id: int) -> dict[str, Any]:
    return carer_out(selectors.carer_get(actor=actor, carer_id=carer_id))


def _fresh_care(actor: StaffMember, care_id: int) -> dict[str, Any]:
    return care_out(selectors.care_get(actor=actor, care_id=care_id))


def _fresh_pattern(pattern_id: int) -> dict[str, Any]:
    found = VisitPattern.objects.prefetch_related("skills").get(pk=pattern_id)
    return pattern_out(found)


# --- skills and carers -----------------------------------------------------------------


@router.get("/care/skills", response=list[SkillOut], summary="Your organisation's skills, by name")
def list_skills(request: HttpRequest) -> list[Skill]:
    return list(selectors.skills_of(actor=acting_staff(request)))


@router.post("/care/skills", response={201: SkillOut}, summary="Add a skill (org admin or team lead)")
def create_skill(request: HttpRequest, payload: SkillIn) -> tuple[int, Skill]:
    actor = acting_staff(request)
    return 201, services.skill_create(
        organisation=actor.organisation, code=payload.code, name=payload.name, actor=actor
    )


@router.get("/care/carers", response=Page[CarerOut], summary="Your organisation's carers, by name")
def list_carers(request: HttpRequest, page: Query[PageParams], active: bool | None = None) -> dict[str, Any]:
    result = page_of(selectors.carers_of(actor=acting_staff(request), active=active), page)
    result["items"] = [carer_out(c) for c in result["items"]]
    return result


@router.post("/care/carers", response={201: CarerOut}, summary="Make a staff member a carer (org admin or team lead)")
def create_carer(request: HttpRequest, payload: CarerIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    staff = StaffMember.objects.filter(pk=payload.staff_id, organisation_id=actor.organisation_id).first()
    if staff is None:
        raise NotFound(f"There is no staff member {payload.staff_id} in your organisation.", code="staff_not_found")
    carer = services.carer_create(
        staff=staff,
        start_latitude=payload.start_latitude,
        start_longitude=payload.start_longitude,
        start_address=payload.start_address,
        travel_mode=payload.travel_mode,
        contracted_minutes_per_day=payload.contracted_minutes_per_day,
        skills=payload.skills,
        actor=actor,
    )
    return 201, _fresh_carer(actor, carer.pk)


@router.get("/care/carers/{carer_id}", response=CarerOut, summary="One carer")
def get_carer(request: HttpRequest, carer_id: int) -> dict[str, Any]:
    return _fresh_carer(acting_staff(request), carer_id)


@router.patch("/care/carers/{carer_id}", response=CarerOut, summary="Change a carer (only the fields given)")
def change_carer(request: HttpRequest, carer_id: int, payload: CarerChangeIn) -> dict[str, Any]:
    actor = acting_staff(request)
    carer = selectors.carer_get(actor=actor, carer_id=carer_id)
    # null clears only the contracted minutes; for the rest it means "leave as it is".
    given = {
        k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k == "contracted_minutes_per_day"
    }
    services.carer_update(carer=carer, actor=actor, **given)
    return _fresh_carer(actor, carer.pk)


@router.put("/care/carers/{carer_id}/shifts", response=CarerOut, summary="Replace a carer's weekly shifts")
def set_shifts(request: HttpRequest, carer_id: int, payload: ShiftsIn) -> dict[str, Any]:
    actor = acting_staff(request)
    carer = selectors.carer_get(actor=actor, carer_id=carer_id)
    services.carer_set_shifts(carer=carer, shifts=[services.ShiftData(**s.dict()) for s in payload.shifts], actor=actor)
    return _fresh_carer(actor, carer.pk)


@router.get("/care/carers/{carer_id}/absences", response=list[AbsenceOut], summary="A carer's absences")
def list_absences(request: HttpRequest, carer_id: int) -> list[Absence]:
    carer = selectors.carer_get(actor=acting_staff(request), carer_id=carer_id)
    return list(selectors.absences_of(carer=carer))


@router.post("/care/carers/{carer_id}/absences", response={201: AbsenceOut}, summary="Record days a carer is away")
def record_absence(request: HttpRequest, carer_id: int, payload: AbsenceIn) -> tuple[int, Absence]:
    actor = acting_staff(request)
    carer = selectors.carer_get(actor=actor, carer_id=carer_id)
    return 201, services.absence_record(
        carer=carer, starts_on=payload.starts_on, ends_on=payload.ends_on, reason=payload.reason, actor=actor
    )


@router.delete("/care/absences/{absence_id}", response={204: None}, summary="Cancel an absence")
def cancel_absence(request: HttpRequest, absence_id: int) -> tuple[int, None]:
    actor = acting_staff(request)
    services.absence_cancel(absence=selectors.absence_get(actor=actor, absence_id=absence_id), actor=actor)
    return 204, None


# --- care agreements and patterns ------------------------------------------------------


@router.post("/care/agreements", response={201: CareOut}, summary="Arrange visits for an active service")
def create_care(request: HttpRequest, payload: CareIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    agreement = agreement_get_for(actor=actor, agreement_id=payload.service_agreement_id)
    care = services.care_agreement_create(
        service_agreement=agreement,
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        access_notes=payload.access_notes,
        actor=actor,
    )
    return 201, _fresh_care(actor, care.pk)


@router.get("/care/agreements/{care_id}", response=CareOut, summary="One care agreement (needs a purpose)")
def get_care(request: HttpRequest, care_id: int, why: Query[ReadPurpose]) -> dict[str, Any]:
    actor = acting_staff(request)
    care = selectors.care_get(actor=actor, care_id=care_id)
    read_for(
        actor=actor,
        customer_id=care.customer_id,
        why=why,
        categories=[DataCategory.CARE_PLAN, DataCategory.CONTACT_DETAILS],
        resource=f"care:{care.pk}",
    )
    return care_out(care)


@router.get(
    "/customers/{customer_id}/care",
    response=list[CareOut],
    summary="A customer's care agreements with your organisation (needs a purpose)",
)
def customer_care(request: HttpRequest, customer_id: int, why: Query[ReadPurpose]) -> list[dict[str, Any]]:
    customer_ensure_exists(customer_id=customer_id)
    actor = acting_staff(request)
    read_for(
        actor=actor,
        customer_id=customer_id,
        why=why,
        categories=[DataCategory.CARE_PLAN, DataCategory.CONTACT_DETAILS],
        resource="care",
    )
    return [care_out(c) for c in selectors.care_for_customer(actor=actor, customer_id=customer_id)]


@router.patch("/care/agreements/{care_id}", response=CareOut, summary="Change a care agreement (fields given)")
def change_care(request: HttpRequest, care_id: int, payload: CareChangeIn) -> dict[str, Any]:
    actor = acting_staff(request)
    care = selectors.care_get(actor=actor, care_id=care_id)
    given = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k.endswith("_ids")}
    for key in ("preferred_carer_ids", "excluded_carer_ids"):
        if key in given:
            ids = given.pop(key) or []
            given[key.replace("_ids", "s")] = selectors.carers_get(actor=actor, carer_ids=ids)
    services.care_agreement_update(care=care, actor=actor, **given)
    return _fresh_care(actor, care.pk)


@router.post("/care/agreements/{care_id}/patterns", response={201: PatternOut}, summary="Add a regular visit")
def add_pattern(request: HttpRequest, care_id: int, payload: PatternIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    care = selectors.care_get(actor=actor, care_id=care_id)
    pattern = services.visit_pattern_add(care=care, data=_pattern_data(payload), actor=actor)
    return 201, _fresh_pattern(pattern.pk)


@router.put("/care/patterns/{pattern_id}", response=PatternOut, summary="Change a regular visit (all of it)")
def change_pattern(request: HttpRequest, pattern_id: int, payload: PatternIn) -> dict[str, Any]:
    actor = acting_staff(request)
    pattern = selectors.pattern_get(actor=actor, pattern_id=pattern_id)
    services.visit_pattern_change(pattern=pattern, data=_pattern_data(payload), actor=actor)
    return _fresh_pattern(pattern.pk)


@router.post("/care/patterns/{pattern_id}/end", response=PatternOut, summary="Stop a regular visit after a day")
def end_pattern(request: HttpRequest, pattern_id: int, payload: PatternEndIn) -> dict[str, Any]:
    actor = acting_staff(request)
    pattern = selectors.pattern_get(actor=actor, pattern_id=pattern_id)
    services.visit_pattern_end(pattern=pattern, last_day=payload.last_day, actor=actor)
    return _fresh_pattern(pattern.pk)


@router.put(
    "/care/patterns/{pattern_id}/preferred-time",
    response=PatternOut,
    summary="Type in the preferred time a customer asked for (any staff of the provider; redoes the plan)",
)
def staff_change_time(request: HttpRequest, pattern_id: int, payload: StaffPreferredTimeIn) -> dict[str, Any]:
    actor = acting_staff(request)
    pattern = selectors.pattern_get(actor=actor, pattern_id=pattern_id)
    channel = payload.channel if payload.channel in TimelineEvent.Channel.values else TimelineEvent.Channel.PHONE
    services.visit_time_change(
        pattern=pattern,
        customer=pattern.care_agreement.customer,
        preferred_from=payload.preferred_from,
        preferred_to=payload.preferred_to,
        actor=actor,
        channel=channel,
    )
    return _fresh_pattern(pattern.pk)


# --- the customer's side ---------------------------------------------------------------


@customer_router.get(
    "/customer/visit-patterns",
    response=list[MyVisitPatternOut],
    summary="My regular visits, with when I want them and the widest window I accept",
)
def my_visit_patterns(request: HttpRequest) -> list[dict[str, Any]]:
    return [my_pattern_out(p) for p in selectors.customer_patterns(customer=acting_customer(request))]


@customer_router.put(
    "/customer/visit-patterns/{pattern_id}/preferred-time",
    response=MyVisitPatternOut,
    summary="Choose when a regular visit should start (the plan for the coming days is redone)",
)
def change_my_visit_time(request: HttpRequest, pattern_id: int, payload: PreferredTimeIn) -> dict[str, Any]:
    customer = acting_customer(request)
    pattern = selectors.customer_pattern(customer=customer, pattern_id=pattern_id)
    services.visit_time_change(
        pattern=pattern,
        customer=customer,
        preferred_from=payload.preferred_from,
        preferred_to=payload.preferred_to,
    )
    return my_pattern_out(selectors.customer_pattern(customer=customer, pattern_id=pattern_id))
