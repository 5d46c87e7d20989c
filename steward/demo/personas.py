"""The named demo world: the same people appear in the demo, the docs and the tests.

Northshire Council (customer contact, adult social care, housing, council tax), two care
providers (Sunrise Care and CheapCare Ltd), and customers led by Mrs Amina Khan, 84,
who has home care and is vulnerable, and her daughter Sara.

`load_demo()` is idempotent: it finds what exists by stable usernames, slugs and codes
and creates only what is missing, so `make run` can call it every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from steward.accounts.models import User
from steward.customers.models import ContactPoint, Customer
from steward.customers.services import ContactPointData, customer_create
from steward.needs.models import Need
from steward.needs.services import need_create
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.services import organisation_create, staff_create, team_create, team_set_lead
from steward.requests.models import Request
from steward.requests.services import request_capture

DEMO_PASSWORD = "steward-demo"  # noqa: S105 - printed by `make run`; demo data only
ADMIN_USERNAME = "admin"

# organisation name, kind, teams
ORGANISATIONS = [
    (
        "Northshire Council",
        Organisation.Kind.COUNCIL,
        ["Executive", "Commissioning", "Customer Contact", "Adult Social Care", "Housing", "Council Tax"],
    ),
    ("Sunrise Care", Organisation.Kind.CARE_PROVIDER, ["Management", "Care Coordination"]),
    ("CheapCare Ltd", Organisation.Kind.CARE_PROVIDER, ["Management", "Care Coordination"]),
]


@dataclass(frozen=True)
class Person:
    username: str
    first: str
    last: str
    org: str
    team: str
    title: str
    supervisor: str | None
    lead: bool = False
    org_admin: bool = False


STAFF = [
    # Northshire Council
    Person(
        "helen.carter", "Helen", "Carter", "Northshire Council", "Executive", "Chief Executive", None, org_admin=True
    ),
    Person(
        "marcus.bell",
        "Marcus",
        "Bell",
        "Northshire Council",
        "Executive",
        "Director of Adult Social Care",
        "helen.carter",
    ),
    Person(
        "priya.shah",
        "Priya",
        "Shah",
        "Northshire Council",
        "Adult Social Care",
        "Team Lead, Adult Social Care",
        "marcus.bell",
        lead=True,
    ),
    Person("tom.reid", "Tom", "Reid", "Northshire Council", "Adult Social Care", "Care Coordinator", "priya.shah"),
    Person(
        "grace.okafor", "Grace", "Okafor", "Northshire Council", "Adult Social Care", "Care Coordinator", "priya.shah"
    ),
    Person(
        "rachel.green",
        "Rachel",
        "Green",
        "Northshire Council",
        "Commissioning",
        "Commissioner",
        "marcus.bell",
        lead=True,
    ),
    Person(
        "nadia.hussain",
        "Nadia",
        "Hussain",
        "Northshire Council",
        "Customer Contact",
        "Customer Contact Lead",
        "helen.carter",
        lead=True,
    ),
    Person("dan.evans", "Dan", "Evans", "Northshire Council", "Customer Contact", "Call Handler", "nadia.hussain"),
    Person(
        "owen.price", "Owen", "Price", "Northshire Council", "Housing", "Housing Team Lead", "helen.carter", lead=True
    ),
    Person("lucy.ward", "Lucy", "Ward", "Northshire Council", "Housing", "Housing Officer", "owen.price"),
    Person(
        "ben.taylor",
        "Ben",
        "Taylor",
        "Northshire Council",
        "Council Tax",
        "Council Tax Team Lead",
        "helen.carter",
        lead=True,
    ),
    Person("chloe.martin", "Chloe", "Martin", "Northshire Council", "Council Tax", "Revenues Officer", "ben.taylor"),
    # Sunrise Care
    Person("sam.osei", "Sam", "Osei", "Sunrise Care", "Management", "Registered Manager", None, org_admin=True),
    Person("jo.patel", "Jo", "Patel", "Sunrise Care", "Care Coordination", "Care Coordinator", "sam.osei", lead=True),
    Person("mia.jones", "Mia", "Jones", "Sunrise Care", "Care Coordination", "Care Coordinator", "jo.patel"),
    # CheapCare Ltd
    Person("gary.stone", "Gary", "Stone", "CheapCare Ltd", "Management", "Director", None, org_admin=True),
    Person("kim.lee", "Kim", "Lee", "CheapCare Ltd", "Care Coordination", "Coordinator", "gary.stone", lead=True),
]

# organisation, team, code, title, description, first response (min), resolution (min)
NEEDS = [
    (
        "Northshire Council",
        "Adult Social Care",
        "carer-did-not-come",
        "My carer didn't come",
        "A home-care visit was missed or very late.",
        60,
        24 * 60,
    ),
    (
        "Northshire Council",
        "Adult Social Care",
        "need-more-help-at-home",
        "I need more help at home",
        "Getting up, washing, meals, getting to bed.",
        24 * 60,
        14 * 24 * 60,
    ),
    (
        "Northshire Council",
        "Housing",
        "repair-needed",
        "Something in my home needs repairing",
        "Heating, leaks, damp, broken doors or windows.",
        8 * 60,
        7 * 24 * 60,
    ),
    (
        "Northshire Council",
        "Housing",
        "moving-house",
        "I'm moving house",
        "Tell us once; we update every service.",
        24 * 60,
        5 * 24 * 60,
    ),
    (
        "Northshire Council",
        "Council Tax",
        "cant-pay-bill",
        "I can't pay this bill",
        "Payment plans, discounts and support.",
        24 * 60,
        10 * 24 * 60,
    ),
    (
        "Sunrise Care",
        "Care Coordination",
        "change-visit-time",
        "I want my visit at a different time",
        "Earlier or later visits, or a different day.",
        4 * 60,
        3 * 24 * 60,
    ),
    (
        "Sunrise Care",
        "Care Coordination",
        "worried-about-care",
        "I'm worried about my care",
        "Anything about the care you receive.",
        2 * 60,
        5 * 24 * 60,
    ),
    (
        "CheapCare Ltd",
        "Care Coordination",
        "change-visit-time",
        "I want my visit at a different time",
        "Earlier or later visits, or a different day.",
        4 * 60,
        3 * 24 * 60,
    ),
]


@dataclass(frozen=True)
class CustomerPersona:
    key: str  # stable email used to find them again
    given: str
    family: str
    preferred: str
    born: date | None
    vulnerable: bool
    what_matters: str
    accessibility: str
    phone: str
    address: str
    postcode: str
    language: str = "en"


CUSTOMERS = [
    CustomerPersona(
        "amina.khan@example.org",
        "Amina",
        "Khan",
        "Mrs Khan",
        date(1942, 3, 14),
        True,
        "Being helped into bed at about 9pm, not at 7. Seeing the same carer. My daughter Sara knows everything.",
        "Hard of hearing: please phone Sara or write.",
        "01632 960111",
        "12 Mill Lane, Northshire",
        "NS1 4AB",
        "en",
    ),
    CustomerPersona(
        "sara.khan@example.org",
        "Sara",
        "Khan",
        "",
        date(1975, 8, 2),
        False,
        "Being kept in the loop about Mum.",
        "",
        "07700 900123",
        "4 Station Road, Northshire",
        "NS2 7CD",
    ),
    CustomerPersona(
        "george.wilson@example.org",
        "George",
        "Wilson",
        "",
        date(1950, 1, 20),
        False,
        "Paying what I owe without being chased every week.",
        "",
        "01632 960222",
        "8 Oak Street, Northshire",
        "NS3 1EF",
    ),
]


@dataclass
class DemoSummary:
    created: int
    admin_username: str
    password: str


def _ensure_organisations() -> dict[str, Organisation]:
    orgs: dict[str, Organisation] = {}
    for name, kind, teams in ORGANISATIONS:
        org = Organisation.objects.filter(name=name).first() or organisation_create(name=name, kind=kind, actor=None)
        orgs[name] = org
        for team_name in teams:
            if not org.teams.filter(name=team_name).exists():
                team_create(organisation=org, name=team_name, actor=None)
    return orgs


def _ensure_staff(orgs: dict[str, Organisation]) -> dict[str, StaffMember]:
    people: dict[str, StaffMember] = {}
    for p in STAFF:
        existing = StaffMember.objects.filter(user__username=p.username).first()
        if existing is None:
            org = orgs[p.org]
            existing = staff_create(
                organisation=org,
                username=p.username,
                first_name=p.first,
                last_name=p.last,
                email=f"{p.username}@{org.slug}.example",
                team=org.teams.get(name=p.team),
                supervisor=people[p.supervisor] if p.supervisor else None,
                job_title=p.title,
                is_org_admin=p.org_admin,
                password=DEMO_PASSWORD,
                actor=None,
            )
        people[p.username] = existing
        if p.lead and existing.team is not None and existing.team.lead_id is None:
            team_set_lead(team=existing.team, lead=existing, actor=None)
    return people


def _ensure_admin() -> None:
    if not User.objects.filter(username=ADMIN_USERNAME).exists():
        User.objects.create_superuser(
            ADMIN_USERNAME, "admin@steward.example", DEMO_PASSWORD, first_name="Site", last_name="Administrator"
        )


def _ensure_needs(orgs: dict[str, Organisation]) -> None:
    for org_name, team_name, code, title, desc, first, resolution in NEEDS:
        org = orgs[org_name]
        if not org.needs.filter(code=code).exists():
            need_create(
                organisation=org,
                team=org.teams.get(name=team_name),
                code=code,
                title=title,
                description=desc,
                first_response_minutes=first,
                resolution_minutes=resolution,
                actor=None,
            )


def _ensure_customers(people: dict[str, StaffMember]) -> dict[str, Customer]:
    customers: dict[str, Customer] = {}
    registrar = people["dan.evans"]
    for c in CUSTOMERS:
        point = (
            ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, normalized=c.key)
            .select_related("customer")
            .first()
        )
        if point is not None:
            customers[c.key] = point.customer
            continue
        customers[c.key] = customer_create(
            given_name=c.given,
            family_name=c.family,
            preferred_name=c.preferred,
            date_of_birth=c.born,
            language=c.language,
            accessibility_needs=c.accessibility,
            what_matters_to_me=c.what_matters,
            is_vulnerable=c.vulnerable,
            contact_points=[
                ContactPointData(kind="email", value=c.key, is_preferred=False),
                ContactPointData(kind="phone", value=c.phone, is_preferred=True),
                ContactPointData(kind="address", value=c.address, postcode=c.postcode),
            ],
            actor=registrar,
        )
    return customers


def _ensure_requests(people: dict[str, StaffMember], customers: dict[str, Customer]) -> None:
    """Mrs Khan's story so far: one request about a missed visit, taken by the call handler."""
    amina = customers["amina.khan@example.org"]
    if Request.objects.filter(customer=amina).exists():
        return
    council = Organisation.objects.get(name="Northshire Council")
    request_capture(
        customer=amina,
        need=Need.objects.get(organisation=council, code="carer-did-not-come"),
        channel="phone",
        description="My carer didn't come last night. I sat in my chair until my daughter came at eleven.",
        actor=people["dan.evans"],
    )
    george = customers["george.wilson@example.org"]
    request_capture(
        customer=george,
        need=Need.objects.get(organisation=council, code="cant-pay-bill"),
        channel="phone",
        description="My council tax went up and I can't pay it all this month. Can I spread it out?",
        actor=people["dan.evans"],
    )


@transaction.atomic
def load_demo() -> DemoSummary:
    before = StaffMember.objects.count() + Customer.objects.count() + Need.objects.count()
    orgs = _ensure_organisations()
    people = _ensure_staff(orgs)
    _ensure_admin()
    _ensure_needs(orgs)
    customers = _ensure_customers(people)
    _ensure_requests(people, customers)
    after = StaffMember.objects.count() + Customer.objects.count() + Need.objects.count()
    return DemoSummary(created=after - before, admin_username=ADMIN_USERNAME, password=DEMO_PASSWORD)


def team(org_name: str, team_name: str) -> Team:
    """Look up a demo team by names (for tests and docs)."""
    return Team.objects.get(organisation__name=org_name, name=team_name)


def staff(username: str) -> StaffMember:
    """Look up a demo staff member by username (for tests and docs)."""
    return StaffMember.objects.select_related("user", "organisation", "team", "supervisor").get(user__username=username)
