"""Factories for schedules and visits, written straight to the tables so tests of other
apps (attendance, the portal, the console) can build a planned day without the scheduler.

``make_planned_day`` is the short way: a provider (from ``make_care_world``) whose
coordinator Alice and colleague Bob are carers, the client's care agreement with one
daily pattern (08:00–08:30 preferred, 07:30–09:30 acceptable) and a published schedule
for ``day`` with that visit given to Bob at 08:00.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.alerts.tests.factories import CareWorld, make_care_world
from steward.care.models import CareAgreement, Carer, VisitPattern
from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern
from steward.organisations.models import Organisation, StaffMember
from steward.visits.models import Schedule, Visit, VisitAssignment


def local_instant(day: date, at: time) -> datetime:
    """The aware instant of wall-clock time ``at`` on ``day`` in the organisation's time zone."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(settings.TIME_ZONE))


def make_schedule(
    *, organisation: Organisation, day: date, status: str = Schedule.Status.PUBLISHED, **kwargs: object
) -> Schedule:
    """A schedule for ``organisation``'s ``day``, published unless told otherwise."""
    if status == Schedule.Status.PUBLISHED:
        kwargs.setdefault("published_at", timezone.now())
    return Schedule.objects.create(organisation=organisation, day=day, status=status, **kwargs)  # type: ignore[arg-type]


def make_visit(
    *,
    schedule: Schedule,
    pattern: VisitPattern,
    carers: Sequence[Carer] = (),
    planned_start: time | datetime | None = None,
    status: str = Visit.Status.PLANNED,
    travel_minutes: int | Iterable[int] = 0,
    **kwargs: object,
) -> Visit:
    """One visit of ``pattern`` on the schedule's day, given to ``carers`` (1 or 2).

    Windows are the pattern's wall-clock times on that day in ``settings.TIME_ZONE``.
    ``planned_start`` (a time of day or an instant) defaults to the start of the preferred
    window. Each carer gets an assignment (position 1, 2) from the planned start for the
    visit's duration, next in their ``route_order`` on that schedule. With no carers and
    ``status="unplaced"`` the visit is unplaced ("no carer free" unless told otherwise).
    """
    day = schedule.day
    care = pattern.care_agreement
    unplaced = status == Visit.Status.UNPLACED
    if unplaced:
        start: datetime | None = None
        kwargs.setdefault("unplaced_reason", Visit.UnplacedReason.NO_CARER_FREE)
    elif isinstance(planned_start, datetime):
        start = planned_start
    else:
        start = local_instant(day, planned_start or pattern.preferred_from)
    visit = Visit.objects.create(
        schedule=schedule,
        pattern=pattern,
        care_agreement=care,
        customer_id=care.customer_id,
        organisation_id=schedule.organisation_id,
        day=day,
        preferred_start=local_instant(day, pattern.preferred_from),
        preferred_end=local_instant(day, pattern.preferred_to),
        acceptable_start=local_instant(day, pattern.acceptable_from),
        acceptable_end=local_instant(day, pattern.acceptable_to),
        duration_minutes=pattern.duration_minutes,
        planned_start=start,
        status=status,
        **kwargs,  # type: ignore[arg-type]
    )
    travels = [travel_minutes] * len(carers) if isinstance(travel_minutes, int) else list(travel_minutes)
    for position, (carer, travel) in enumerate(zip(carers, travels, strict=True), start=1):
        assert start is not None, "an unplaced visit has no carers"
        earlier = VisitAssignment.objects.filter(carer=carer, visit__schedule=schedule).count()
        VisitAssignment.objects.create(
            visit=visit,
            carer=carer,
            position=position,
            planned_start=start,
            planned_end=start + timedelta(minutes=pattern.duration_minutes),
            travel_minutes=travel,
            route_order=earlier + 1,
        )
    return visit


@dataclass
class PlannedDay:
    world: CareWorld  # provider: head Hana, lead Lena, Alice (coordinator, a carer) and Bob (a carer)
    alice: Carer
    bob: Carer
    care: CareAgreement
    pattern: VisitPattern
    schedule: Schedule
    visit: Visit
    day: date
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def assignment(self) -> VisitAssignment:
        """Bob's part in the day's visit."""
        return self.visit.assignments.get(position=1)


def make_planned_day(
    *,
    day: date | None = None,
    at: time = time(8, 0),
    schedule_status: str = Schedule.Status.PUBLISHED,
    carers_needed: int = 1,
    world: CareWorld | None = None,
) -> PlannedDay:
    """A published day (today in the local time zone unless told) with one visit to the
    client at ``at``, given to Bob (and Alice too when ``carers_needed`` is 2)."""
    world = world or make_care_world()
    day = day or timezone.localdate()
    alice = make_carer(staff=world.provider.alice)
    bob = make_carer(staff=world.provider.bob, place=(53.49, -2.25))
    care = make_care_agreement(agreement=world.agreement, address="12 Mill Lane, Northshire")
    care.access_notes = "Key safe by the back door: 1234."
    care.save(update_fields=["access_notes"])
    pattern = make_pattern(care=care, carers_needed=carers_needed)
    schedule = make_schedule(organisation=world.provider.org, day=day, status=schedule_status)
    carers = [bob, alice] if carers_needed == 2 else [bob]
    visit = make_visit(schedule=schedule, pattern=pattern, carers=carers, planned_start=at, travel_minutes=12)
    return PlannedDay(
        world=world, alice=alice, bob=bob, care=care, pattern=pattern, schedule=schedule, visit=visit, day=day
    )


def ensure_carer_day(*, staff: StaffMember, agreement: ServiceAgreement, day: date) -> Carer:
    """For page sweeps over the demo: ``staff`` is a carer with two visits to the
    agreement's customer on the published plan for ``day``, using what the demo already
    has (a carer record, the care agreement, the day's plan) when it has it."""
    carer = Carer.objects.filter(staff=staff).first() or make_carer(staff=staff)
    care = CareAgreement.objects.filter(service_agreement=agreement).first() or make_care_agreement(
        agreement=agreement, address="14 Elm Road"
    )
    schedule = Schedule.objects.filter(
        organisation_id=agreement.provider_id, day=day, status=Schedule.Status.PUBLISHED
    ).first() or make_schedule(organisation=agreement.provider, day=day)
    morning = make_pattern(care=care, label="Help getting up")
    evening = make_pattern(
        care=care, label="Help into bed", preferred=(time(21, 0), time(21, 30)), acceptable=(time(20, 30), time(22, 0))
    )
    make_visit(schedule=schedule, pattern=morning, carers=[carer], travel_minutes=10)
    make_visit(schedule=schedule, pattern=evening, carers=[carer], travel_minutes=10)
    return carer


def add_customers_to_day(pd: PlannedDay, n: int, *, carers_needed: int = 1) -> None:
    """``n`` more customers of the day's provider, each with a visit on ``pd``'s schedule
    (given to a new carer, and Alice too when ``carers_needed`` is 2) and an unplaced
    lunch visit: what the query-count guards of the schedule pages grow the day with."""
    from steward.customers.tests.factories import make_customer
    from steward.organisations.tests.factories import make_staff

    org = pd.world.provider.org
    for i in range(n):
        carer = make_carer(staff=make_staff(team=pd.world.provider.team, first_name=f"Carer{i}{n}"))
        agreement = ServiceAgreement.objects.create(
            customer=make_customer(organisation=org),
            provider=org,
            team=pd.world.provider.team,
            coordinator=pd.world.provider.alice,
            service="Home care",
            started_at=pd.world.agreement.started_at,
        )
        pattern = make_pattern(care=make_care_agreement(agreement=agreement), carers_needed=carers_needed)
        make_visit(schedule=pd.schedule, pattern=pattern, carers=[carer, pd.alice][:carers_needed])
        lunch = make_pattern(care=pattern.care_agreement, label="Lunch")
        make_visit(schedule=pd.schedule, pattern=lunch, status=Visit.Status.UNPLACED)
