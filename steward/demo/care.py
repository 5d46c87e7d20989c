"""The demo's home care at CheapCare Ltd (issue 6): skills, seven carers in a new "Home
Carers" team with shifts and start places around the town, and visits for Mrs Khan and
five other clients: mornings, lunches and bedtimes, one client needing two carers with a
hoist.

Mrs Khan wants help into bed at 21:00–21:30, not at 7 ("what matters to me"); her
daughter Sara may change it for her in the portal (she may ask for help for her).

Written with the care services (org admin Gary Stone sets up the carers, coordinator
Kim Lee the visits), so the timeline reads as it would for real. Idempotent: each piece
is looked up by a stable key (usernames, skill codes, the service agreement) first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from steward.agreements.models import ServiceAgreement
from steward.care.models import CareAgreement, Carer, Skill
from steward.care.services import (
    PatternData,
    ShiftData,
    care_agreement_create,
    care_agreement_update,
    carer_create,
    carer_set_shifts,
    skill_create,
    visit_pattern_add,
)
from steward.customers.models import ContactPoint, Customer
from steward.organisations.models import Organisation, StaffMember
from steward.organisations.services import staff_create, team_create, team_set_lead

PROVIDER = "CheapCare Ltd"
CARERS_TEAM = "Home Carers"
# The middle of the demo town; every place is within about 4 km of it.
TOWN = (53.4808, -2.2426)
VALID_FROM = date(2026, 1, 1)

SKILLS = [
    ("personal-care", "Personal care: washing and dressing"),
    ("medication", "Help with medication"),
    ("meals", "Preparing meals"),
    ("hoist", "Moving someone with a hoist"),
]

EARLY = (time(7, 0), time(14, 0), time(10, 30), time(12, 0))  # start, end, break window
LATE = (time(15, 0), time(22, 30), time(18, 0), time(19, 30))
DAY = (time(9, 0), time(17, 0), time(12, 0), time(13, 30))


@dataclass(frozen=True)
class DemoCarer:
    username: str
    first: str
    last: str
    place: tuple[float, float]  # offset from TOWN, in degrees
    travel_mode: str
    skills: tuple[str, ...]
    shifts: tuple[tuple[time, time, time, time], ...]  # worked every day of the week


CARERS = [
    DemoCarer("ruth.adams", "Ruth", "Adams", (0.010, 0.012), "car", ("personal-care", "medication", "meals"), (EARLY,)),
    DemoCarer("joy.mensah", "Joy", "Mensah", (-0.008, 0.020), "car", ("personal-care", "medication", "hoist"), (LATE,)),
    DemoCarer("tariq.aziz", "Tariq", "Aziz", (0.015, -0.010), "car", ("personal-care", "hoist"), (EARLY, LATE)),
    DemoCarer("nina.kowalski", "Nina", "Kowalski", (-0.012, -0.015), "car", ("personal-care", "medication"), (LATE,)),
    DemoCarer("peter.lewis", "Peter", "Lewis", (0.004, -0.004), "walk", ("meals", "personal-care"), (DAY,)),
    DemoCarer("hope.bennett", "Hope", "Bennett", (0.020, 0.005), "public_transport", ("meals", "medication"), (DAY,)),
    DemoCarer(
        "sean.murphy", "Sean", "Murphy", (-0.018, 0.002), "car", ("personal-care", "hoist", "medication"), (EARLY,)
    ),
    DemoCarer("amara.obi", "Amara", "Obi", (0.002, 0.018), "car", ("personal-care", "medication"), (EARLY,)),
]


@dataclass(frozen=True)
class DemoVisit:
    label: str
    preferred: tuple[time, time]
    acceptable: tuple[time, time]
    minutes: int
    skills: tuple[str, ...]
    carers: int = 1


MORNING = DemoVisit(
    "Help getting up", (time(8, 0), time(8, 30)), (time(7, 30), time(9, 30)), 45, ("personal-care", "medication")
)
# People want their help at different times: an early riser, a late one; lunch at noon
# or at one. The demo's week can honour all of them, as a well-run provider would.
EARLY_MORNING = DemoVisit(
    "Help getting up", (time(7, 30), time(8, 0)), (time(7, 0), time(9, 0)), 45, ("personal-care", "medication")
)
LATE_MORNING = DemoVisit(
    "Help getting up", (time(9, 15), time(9, 45)), (time(8, 45), time(10, 30)), 45, ("personal-care", "medication")
)
LUNCH = DemoVisit("Lunch", (time(12, 30), time(13, 0)), (time(12, 0), time(14, 0)), 30, ("meals",))
EARLY_LUNCH = DemoVisit("Lunch", (time(12, 0), time(12, 30)), (time(11, 30), time(13, 30)), 30, ("meals",))
LATE_LUNCH = DemoVisit("Lunch", (time(13, 0), time(13, 30)), (time(12, 30), time(14, 0)), 30, ("meals",))
BEDTIME = DemoVisit("Help into bed", (time(20, 0), time(20, 30)), (time(19, 30), time(21, 30)), 30, ("personal-care",))
AMINA_BEDTIME = DemoVisit(
    "Help into bed", (time(21, 0), time(21, 30)), (time(20, 30), time(22, 0)), 30, ("personal-care", "medication")
)
HOIST_MORNING = DemoVisit(
    "Getting up with the hoist",
    (time(8, 30), time(9, 0)),
    (time(8, 0), time(10, 0)),
    45,
    ("personal-care", "hoist"),
    carers=2,
)
HOIST_BEDTIME = DemoVisit(
    "Into bed with the hoist",
    (time(20, 30), time(21, 0)),
    (time(20, 0), time(21, 30)),
    45,
    ("personal-care", "hoist"),
    carers=2,
)


@dataclass(frozen=True)
class DemoCare:
    email: str  # the customer, by their email address
    street: str
    place: tuple[float, float]  # offset from TOWN
    visits: tuple[DemoVisit, ...]
    access: str = ""
    preferred: tuple[str, ...] = ()  # carer usernames


def _care_plan() -> list[DemoCare]:
    from .personas import generated_clients  # personas calls this module: import late

    clients = generated_clients()

    def _generated(n: int) -> str:
        return clients[n].key

    return [
        DemoCare(
            "amina.khan@example.org",
            "12 Mill Lane, Northshire",
            (0.006, 0.008),
            (MORNING, LUNCH, AMINA_BEDTIME),
            access="Key safe by the back door; Sara has the code. Knock loudly: Mrs Khan is hard of hearing.",
            preferred=("ruth.adams", "joy.mensah"),
        ),
        DemoCare(
            _generated(10),
            "3 Canal Street, Northshire",
            (-0.010, 0.004),
            (HOIST_MORNING, EARLY_LUNCH, HOIST_BEDTIME),
            access="Hoist and sling in the front bedroom.",
        ),
        DemoCare(_generated(11), "41 Church Road, Northshire", (0.012, -0.006), (EARLY_MORNING, BEDTIME)),
        DemoCare(_generated(12), "7 Park Avenue, Northshire", (-0.004, -0.012), (LATE_MORNING, LATE_LUNCH)),
        DemoCare(_generated(13), "22 Station Road, Northshire", (0.016, 0.014), (MORNING, EARLY_LUNCH, BEDTIME)),
        DemoCare(_generated(14), "9 Oak Street, Northshire", (-0.014, 0.016), (LUNCH, BEDTIME)),
    ]


def _at(offset: tuple[float, float]) -> tuple[float, float]:
    return round(TOWN[0] + offset[0], 5), round(TOWN[1] + offset[1], 5)


def _ensure_skills(provider: Organisation, admin: StaffMember) -> None:
    have = set(Skill.objects.filter(organisation=provider).values_list("code", flat=True))
    for code, name in SKILLS:
        if code not in have:
            skill_create(organisation=provider, code=code, name=name, actor=admin)


def _ensure_carers(provider: Organisation, admin: StaffMember, password: str) -> dict[str, Carer]:
    team = provider.teams.filter(name=CARERS_TEAM).first() or team_create(
        organisation=provider, name=CARERS_TEAM, actor=None
    )
    existing = {
        c.staff.user.username: c for c in Carer.objects.filter(organisation=provider).select_related("staff__user")
    }
    carers: dict[str, Carer] = {}
    for n, person in enumerate(CARERS):
        if person.username in existing:
            carers[person.username] = existing[person.username]
            continue
        staff = StaffMember.objects.filter(user__username=person.username).first() or staff_create(
            organisation=provider,
            username=person.username,
            first_name=person.first,
            last_name=person.last,
            email=f"{person.username}@{provider.slug}.example",
            team=team,
            supervisor=team.lead or StaffMember.objects.get(user__username="kim.lee"),
            job_title="Carer",
            password=password,
            actor=None,
        )
        if n == 0 and team.lead_id is None:
            team_set_lead(team=team, lead=staff, actor=None)
            team.refresh_from_db()
        lat, lon = _at(person.place)
        carer = carer_create(
            staff=staff,
            start_latitude=lat,
            start_longitude=lon,
            start_address=f"{person.first}'s home",
            travel_mode=person.travel_mode,
            skills=person.skills,
            actor=admin,
        )
        carer_set_shifts(
            carer=carer,
            shifts=[
                ShiftData(day, start, end, 30, break_from, break_to)
                for day in range(7)
                for start, end, break_from, break_to in person.shifts
            ],
            actor=admin,
        )
        carers[person.username] = carer
    return carers


def _ensure_care_agreements(provider: Organisation, carers: dict[str, Carer]) -> None:
    plan = _care_plan()
    customers = {
        cp.normalized: cp.customer
        for cp in ContactPoint.objects.filter(
            kind=ContactPoint.Kind.EMAIL, normalized__in=[c.email for c in plan]
        ).select_related("customer")
    }
    agreements = {
        a.customer_id: a
        for a in ServiceAgreement.objects.filter(
            provider=provider, status=ServiceAgreement.Status.ACTIVE, customer__in=list(customers.values())
        ).select_related("coordinator", "customer", "provider")
    }
    done = set(
        CareAgreement.objects.filter(service_agreement__in=list(agreements.values())).values_list(
            "service_agreement_id", flat=True
        )
    )
    for item in plan:
        customer: Customer | None = customers.get(item.email)
        agreement = agreements.get(customer.pk) if customer is not None else None
        if agreement is None or agreement.pk in done:
            continue  # not a client of the provider any more (e.g. transferred), or already set up
        coordinator = agreement.coordinator
        lat, lon = _at(item.place)
        care = care_agreement_create(
            service_agreement=agreement,
            address=item.street,
            latitude=lat,
            longitude=lon,
            access_notes=item.access,
            actor=coordinator,
        )
        for visit in item.visits:
            visit_pattern_add(
                care=care,
                data=PatternData(
                    label=visit.label,
                    weekdays=list(range(7)),
                    duration_minutes=visit.minutes,
                    preferred_from=visit.preferred[0],
                    preferred_to=visit.preferred[1],
                    acceptable_from=visit.acceptable[0],
                    acceptable_to=visit.acceptable[1],
                    valid_from=VALID_FROM,
                    skills=visit.skills,
                    carers_needed=visit.carers,
                ),
                actor=coordinator,
            )
        if item.preferred:
            care_agreement_update(
                care=care, preferred_carers=[carers[u] for u in item.preferred if u in carers], actor=coordinator
            )


def ensure_care(*, password: str) -> None:
    """CheapCare Ltd's carers and its clients' visits, if not there yet."""
    provider = Organisation.objects.filter(name=PROVIDER).first()
    admin = StaffMember.objects.filter(user__username="gary.stone").first()
    if provider is None or admin is None:
        return
    _ensure_skills(provider, admin)
    carers = _ensure_carers(provider, admin, password)
    _ensure_care_agreements(provider, carers)
