"""Factories for carers and care agreements, written straight to the tables so tests of
other apps (the schedule, the portal) can build a care world without the care services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from steward.agreements.models import ServiceAgreement
from steward.care.models import CareAgreement, Carer, Shift, Skill, VisitPattern
from steward.organisations.models import Organisation, StaffMember

# A small town centre: places are spread a few kilometres around this point.
TOWN = (53.4808, -2.2426)


def make_skill(*, organisation: Organisation, code: str, name: str | None = None) -> Skill:
    skill, _ = Skill.objects.get_or_create(
        organisation=organisation, code=code, defaults={"name": name or code.replace("-", " ").capitalize()}
    )
    return skill


def make_carer(
    *,
    staff: StaffMember,
    skills: Iterable[str] = (),
    place: tuple[float, float] = TOWN,
    shift: tuple[time, time] | None = (time(7, 0), time(15, 0)),
    weekdays: Iterable[int] = range(7),
    break_minutes: int = 0,
    **kwargs: object,
) -> Carer:
    """A carer working ``shift`` on ``weekdays`` (every day by default), starting at ``place``."""
    carer = Carer.objects.create(
        staff=staff,
        organisation=staff.organisation,
        start_latitude=place[0],
        start_longitude=place[1],
        **kwargs,  # type: ignore[arg-type]
    )
    carer.skills.set([make_skill(organisation=staff.organisation, code=code) for code in skills])
    if shift is not None:
        Shift.objects.bulk_create(
            Shift(
                carer=carer,
                weekday=day,
                starts_at=shift[0],
                ends_at=shift[1],
                break_minutes=break_minutes,
                break_earliest=time(11, 0) if break_minutes else None,
                break_latest=time(13, 0) if break_minutes else None,
            )
            for day in weekdays
        )
    return carer


def make_care_agreement(
    *, agreement: ServiceAgreement, place: tuple[float, float] = TOWN, address: str = "1 High Street"
) -> CareAgreement:
    return CareAgreement.objects.create(
        service_agreement=agreement,
        customer_id=agreement.customer_id,
        provider_id=agreement.provider_id,
        address=address,
        latitude=place[0],
        longitude=place[1],
    )


def make_pattern(
    *,
    care: CareAgreement,
    label: str = "Help getting up",
    preferred: tuple[time, time] = (time(8, 0), time(8, 30)),
    acceptable: tuple[time, time] = (time(7, 30), time(9, 30)),
    duration_minutes: int = 30,
    weekdays: Iterable[int] = range(7),
    skills: Iterable[str] = (),
    valid_from: date = date(2026, 1, 1),
    **kwargs: object,
) -> VisitPattern:
    """A daily visit preferred at 08:00–08:30, acceptable 07:30–09:30, unless told otherwise."""
    pattern = VisitPattern.objects.create(
        care_agreement=care,
        label=label,
        weekdays=list(weekdays),
        duration_minutes=duration_minutes,
        preferred_from=preferred[0],
        preferred_to=preferred[1],
        acceptable_from=acceptable[0],
        acceptable_to=acceptable[1],
        valid_from=valid_from,
        **kwargs,  # type: ignore[arg-type]
    )
    pattern.skills.set([make_skill(organisation=care.provider, code=code) for code in skills])
    return pattern
