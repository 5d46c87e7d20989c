"""The named demo world: the same people appear in the demo, the docs and the tests.

Northshire Council (customer contact, adult social care, housing, council tax), four care
providers (CheapCare Ltd, Sunrise Care, Meadow Homecare and Riverside Care), and customers
led by Mrs Amina Khan, 84, who is vulnerable and has home care from CheapCare Ltd,
commissioned by the council, and her daughter Sara.

CheapCare Ltd has 214 clients in all (Mrs Khan and 213 generated people, all with home
care commissioned by Northshire Council, some with a request or two under way): PRODUCT.md's
scenario "the council ends its contract with CheapCare Ltd: 214 clients are transferred to
three other providers" can be played through with the transfers pages and API.

CheapCare Ltd also has seven carers and visits arranged for Mrs Khan (help into bed at
21:00–21:30, as she wants) and five others, one needing two carers (`steward/demo/care.py`).

`load_demo()` is idempotent: it finds what exists by stable usernames, slugs, codes and
email addresses and creates only what is missing, so `make run` can call it every time.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from steward.accounts.models import User
from steward.agreements.models import ServiceAgreement
from steward.agreements.services import agreement_start
from steward.consent.minimal import grants_backfill
from steward.customers.contact_normalisation import normalise_email, normalise_phone, normalise_postcode
from steward.customers.models import ContactPoint, Customer
from steward.customers.services import ContactPointData, _search_name, customer_create, customer_search_keys_write
from steward.demo.care import ensure_care
from steward.needs.models import Need
from steward.needs.services import need_create
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.selectors import escalation_chain
from steward.organisations.services import organisation_create, staff_create, team_create, team_set_lead
from steward.requests.models import Request
from steward.requests.services import request_capture
from steward.timeline.models import TimelineEvent
from steward.trusted.models import TrustedPerson
from steward.trusted.permissions import Scope
from steward.trusted.services import trusted_person_add

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
    ("Meadow Homecare", Organisation.Kind.CARE_PROVIDER, ["Management", "Care Coordination"]),
    ("Riverside Care", Organisation.Kind.CARE_PROVIDER, ["Management", "Care Coordination"]),
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
    Person("dev.sharma", "Dev", "Sharma", "CheapCare Ltd", "Care Coordination", "Coordinator", "kim.lee"),
    Person("ellie.brooks", "Ellie", "Brooks", "CheapCare Ltd", "Care Coordination", "Coordinator", "kim.lee"),
    # Meadow Homecare
    Person(
        "fiona.walsh", "Fiona", "Walsh", "Meadow Homecare", "Management", "Registered Manager", None, org_admin=True
    ),
    Person(
        "ravi.kumar",
        "Ravi",
        "Kumar",
        "Meadow Homecare",
        "Care Coordination",
        "Care Coordinator",
        "fiona.walsh",
        lead=True,
    ),
    Person("hannah.scott", "Hannah", "Scott", "Meadow Homecare", "Care Coordination", "Carer", "ravi.kumar"),
    # Riverside Care
    Person("david.okoye", "David", "Okoye", "Riverside Care", "Management", "Director", None, org_admin=True),
    Person(
        "sophie.turner",
        "Sophie",
        "Turner",
        "Riverside Care",
        "Care Coordination",
        "Care Coordinator",
        "david.okoye",
        lead=True,
    ),
    Person("liam.hughes", "Liam", "Hughes", "Riverside Care", "Care Coordination", "Carer", "sophie.turner"),
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
    (
        "CheapCare Ltd",
        "Care Coordination",
        "worried-about-care",
        "I'm worried about my care",
        "Anything about the care you receive.",
        2 * 60,
        5 * 24 * 60,
    ),
    (
        "Meadow Homecare",
        "Care Coordination",
        "change-visit-time",
        "I want my visit at a different time",
        "Earlier or later visits, or a different day.",
        4 * 60,
        3 * 24 * 60,
    ),
    (
        "Riverside Care",
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


# --- service agreements ----------------------------------------------------------------

COUNCIL = "Northshire Council"
CHEAPCARE = "CheapCare Ltd"
CHEAPCARE_CLIENTS = 214  # Mrs Khan and the generated clients
CHEAPCARE_COORDINATORS = ("kim.lee", "dev.sharma", "ellie.brooks")
OVERDUE_CLIENTS = 2  # vulnerable clients nobody has visited for 9 days: the first sweep alerts their coordinator

# (weight, given names, family names): names that go together, so the generated clients
# read like real people of Northshire.
# fmt: off
NAME_GROUPS: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        60,
        (
            "Margaret", "Dorothy", "Joan", "Patricia", "Betty", "Irene", "Eileen", "Doreen", "Sheila", "Maureen",
            "Jean", "Brenda", "Pauline", "Valerie", "Elsie", "Edna", "Mavis", "Winifred", "Iris", "Peter", "John",
            "David", "Michael", "Brian", "Kenneth", "Derek", "Roy", "Alan", "Colin", "Dennis", "Raymond", "Leslie",
            "Stanley", "Arthur", "Harold", "Albert", "Frank", "Walter", "Ernest", "Bernard",
        ),
        (
            "Hughes", "Roberts", "Thompson", "Walker", "Wright", "Robinson", "Wood", "Harrison", "Clarke",
            "Jackson", "Lewis", "Morgan", "Cooper", "Ward", "Bailey", "Bell", "Phillips", "Watson", "Richardson",
            "Marshall", "Fletcher", "Holmes", "Barker", "Lloyd", "Jenkins", "Pearce", "Mason", "Chapman", "Dixon",
            "Hunt", "Palmer", "Ellis", "Atkinson", "Pritchard",
        ),
    ),
    (
        12,
        (
            "Gurpreet", "Harjit", "Yusuf", "Farida", "Rukhsana", "Abdul", "Nasreen", "Mohammed", "Shabnam", "Iqbal",
        ),
        (
            "Sandhu", "Gill", "Begum", "Hussain", "Ahmed", "Akhtar", "Bibi", "Dhillon", "Rahman", "Malik",
        ),
    ),
    (
        8,
        (
            "Bronwen", "Dafydd", "Gwen", "Siobhan", "Declan", "Bridget", "Eamon", "Rhys", "Nia", "Padraig",
        ),
        (
            "Davies", "Griffiths", "Owen", "Murphy", "O'Brien", "Kelly", "Campbell", "Stewart", "Doyle", "Jones",
        ),
    ),
    (
        6,
        (
            "Wojciech", "Halina", "Zofia", "Tadeusz", "Krystyna", "Stanisław",
        ),
        (
            "Nowak", "Kowalski", "Wiśniewski", "Kamińska", "Lewandowski", "Zielińska",
        ),
    ),
    (
        6,
        (
            "Precious", "Winston", "Hyacinth", "Lloyd", "Gloria", "Desmond", "Kwame", "Abena",
        ),
        (
            "Mensah", "Boateng", "Campbell-Reid", "Francis", "Clarke", "Asante", "Grant", "Henry",
        ),
    ),
)
# fmt: on
STREETS = (
    "Church Street, Northshire",
    "Victoria Road, Northshire",
    "Mill Close, Eastbrook",
    "Station Avenue, Westford",
    "Orchard Way, Northshire",
    "The Green, Little Hadley",
    "Queen's Terrace, Eastbrook",
    "Canal Side, Westford",
)
SERVICES = (
    "Home care, 2 visits a day",
    "Home care, 4 visits a day",
    "Morning visit and medication",
    "Evening visit, help into bed",
    "Home care, 1 visit a day",
)
REQUEST_STORIES = {
    "change-visit-time": (
        "Could my morning visit be after nine? I'm not ready at seven.",
        "Can the evening visit come later? I don't want to be put to bed at seven.",
        "I have a hospital appointment on Thursday morning; can the visit move to the afternoon?",
        "My daughter comes on Sundays, so I'd like the lunchtime call moved that day.",
    ),
    "worried-about-care": (
        "A different carer every day, and nobody knows where anything is.",
        "The carer was in and out in ten minutes and didn't help me wash.",
        "Nobody came on Tuesday evening and nobody rang to say.",
        "The carer didn't put my tablets out this morning.",
    ),
}


@dataclass(frozen=True)
class DemoRequest:
    need_code: str
    story: str
    hours_ago: float
    by_phone: bool


@dataclass(frozen=True)
class GeneratedClient:
    """One of CheapCare Ltd's generated clients: the same people every time (seeded)."""

    n: int
    key: str  # email address, to find them again
    given: str
    family: str
    born: date
    vulnerable: bool
    phone: str
    address: str
    postcode: str
    service: str
    interval_days: int
    started_days_ago: int
    last_visit_days_ago: float
    coordinator: str
    requests: tuple[DemoRequest, ...]


def generated_clients() -> list[GeneratedClient]:
    """CheapCare Ltd's clients besides Mrs Khan: plausible, varied and always the same."""
    rng = random.Random(214)  # noqa: S311 - demo data, seeded so it is the same every time
    clients = []
    for n in range(CHEAPCARE_CLIENTS - 1):
        _, given_names, family_names = rng.choices(NAME_GROUPS, weights=[g[0] for g in NAME_GROUPS])[0]
        given, family = rng.choice(given_names), rng.choice(family_names)
        overdue = n < OVERDUE_CLIENTS
        interval = rng.choice((7, 7, 7, 3, 14))
        wants = 0 if overdue else rng.choices((0, 1, 2), weights=(55, 35, 10))[0]
        requests = tuple(
            DemoRequest(
                need_code=(code := rng.choice(tuple(REQUEST_STORIES))),
                story=rng.choice(REQUEST_STORIES[code]),
                hours_ago=round(rng.uniform(0.5, 40), 2),
                by_phone=rng.random() < 0.7,
            )
            for _ in range(wants)
        )
        plain = unicodedata.normalize("NFKD", f"{given}.{family}".lower().replace("ł", "l"))
        slug = "".join(c for c in plain if c.isascii() and (c.isalnum() or c == "."))
        clients.append(
            GeneratedClient(
                n=n,
                key=f"{slug}.{n:03d}@example.net",
                given=given,
                family=family,
                born=date(rng.randint(1926, 1960), rng.randint(1, 12), rng.randint(1, 28)),
                vulnerable=overdue or rng.random() < 0.4,
                phone=f"01632 960{300 + n:03d}",
                address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                postcode=f"NS{4 + n % 6} {1 + n % 9}{chr(65 + n % 26)}{chr(65 + (n * 7) % 26)}",
                service=rng.choice(SERVICES),
                interval_days=7 if overdue else interval,
                started_days_ago=rng.randint(30, 900),
                last_visit_days_ago=9.0 if overdue else round(rng.uniform(0.1, min(interval, 5) - 0.5), 2),
                coordinator=CHEAPCARE_COORDINATORS[n % len(CHEAPCARE_COORDINATORS)],
                requests=requests,
            )
        )
    return clients


def _ensure_khan_agreement(people: dict[str, StaffMember], customers: dict[str, Customer]) -> None:
    """Mrs Khan's home care: CheapCare Ltd provides it, the council commissioned it, Kim Lee
    coordinates it. (Once she has had any service, this is left alone: a transfer may have
    moved her on.)"""
    amina = customers["amina.khan@example.org"]
    if ServiceAgreement.objects.filter(customer=amina).exists():
        return
    kim = people["kim.lee"]
    assert kim.team is not None
    now = timezone.now()
    agreement_start(
        customer=amina,
        team=kim.team,
        coordinator=kim,
        service="Home care, 2 visits a day",
        commissioner=Organisation.objects.get(name=COUNCIL),
        contact_interval_days=7,
        started_at=now - timedelta(days=240),
        actor=people["rachel.green"],
    )
    visit = now - timedelta(days=2, hours=3)
    TimelineEvent.objects.create(
        customer=amina,
        organisation=kim.organisation,
        kind=TimelineEvent.Kind.CONTACT_RECORDED,
        channel=TimelineEvent.Channel.IN_PERSON,
        actor=kim,
        actor_name=kim.display_name,
        summary=f"{kim.display_name} visited {amina.known_as}.",
        body="Morning visit. Mrs Khan was cheerful; Sara had done the shopping.",
        data={"agreement": ServiceAgreement.objects.get(customer=amina).pk, "contact": "visit"},
        occurred_at=visit,
    )


def _ensure_sara_trusted(customers: dict[str, Customer]) -> None:
    """Mrs Khan lets her daughter Sara see and reply to her requests and ask for help
    for her (Sara signs in with her own address, and picks whose requests to look at)."""
    amina = customers["amina.khan@example.org"]
    if TrustedPerson.objects.filter(customer=amina, email="sara.khan@example.org").exists():
        return
    trusted_person_add(
        customer=amina,
        name="Sara Khan",
        email="sara.khan@example.org",
        relationship="daughter",
        scopes=[Scope.SEE_REQUESTS, Scope.REPLY, Scope.ASK, Scope.SEE_PRIVACY],
    )


def _event(
    customer: Customer, organisation: Organisation, kind: str, summary: str, at: datetime, **extra: object
) -> TimelineEvent:
    actor = extra.pop("actor", None)
    assert actor is None or isinstance(actor, StaffMember)
    actor_name = extra.pop("actor_name", None) or (actor.display_name if actor else "Steward")
    return TimelineEvent(
        customer=customer,
        organisation=organisation,
        kind=kind,
        actor=actor,
        actor_name=str(actor_name)[:300],
        summary=summary[:500],
        occurred_at=at,
        **extra,  # type: ignore[arg-type]
    )


def _ensure_cheapcare_clients(people: dict[str, StaffMember]) -> None:
    """CheapCare Ltd's generated clients, written in bulk so `load_demo` stays quick, with
    the same rows and timeline events the services would have written: registered by
    the council, service started, last visit, and requests captured, routed and (when
    they have been waiting a while) answered."""
    wanted = generated_clients()
    have = set(
        ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, normalized__in=[c.key for c in wanted]).values_list(
            "normalized", flat=True
        )
    )
    missing = [c for c in wanted if c.key not in have]
    if not missing:
        return
    now = timezone.now()
    council = Organisation.objects.get(name=COUNCIL)
    cheapcare = Organisation.objects.get(name=CHEAPCARE)
    registrar = people["rachel.green"]
    needs = {n.code: n for n in Need.objects.filter(organisation=cheapcare).select_related("team")}
    coordinators = {u: people[u] for u in CHEAPCARE_COORDINATORS}
    answers_to = {u: escalation_chain(p) for u, p in coordinators.items()}

    customers = Customer.objects.bulk_create(
        Customer(
            given_name=c.given,
            family_name=c.family,
            date_of_birth=c.born,
            is_vulnerable=c.vulnerable,
            search_name=_search_name(c.given, c.family, ""),
        )
        for c in missing
    )
    customer_search_keys_write(customers=customers)
    ContactPoint.objects.bulk_create(
        point
        for c, customer in zip(missing, customers, strict=True)
        for point in (
            ContactPoint(
                customer=customer, kind=ContactPoint.Kind.EMAIL, value=c.key, normalized=normalise_email(c.key)
            ),
            ContactPoint(
                customer=customer,
                kind=ContactPoint.Kind.PHONE,
                value=c.phone,
                normalized=normalise_phone(c.phone),
                is_preferred=True,
            ),
            ContactPoint(
                customer=customer,
                kind=ContactPoint.Kind.ADDRESS,
                value=c.address,
                normalized=" ".join(c.address.lower().split()),
                postcode=normalise_postcode(c.postcode),
            ),
        )
    )
    agreements = ServiceAgreement.objects.bulk_create(
        ServiceAgreement(
            customer=customer,
            provider=cheapcare,
            commissioner=council,
            team=coordinators[c.coordinator].team,
            coordinator=coordinators[c.coordinator],
            service=c.service,
            contact_interval_days=c.interval_days,
            started_at=now - timedelta(days=c.started_days_ago),
        )
        for c, customer in zip(missing, customers, strict=True)
    )
    events: list[TimelineEvent] = []
    planned: list[tuple[Customer, GeneratedClient, DemoRequest, Request]] = []
    for c, customer, agreement in zip(missing, customers, agreements, strict=True):
        coordinator = coordinators[c.coordinator]
        events += [
            _event(
                customer,
                council,
                TimelineEvent.Kind.CUSTOMER_REGISTERED,
                f"{customer.full_name} was registered by {registrar.display_name}.",
                agreement.started_at - timedelta(days=2),
                actor=registrar,
            ),
            _event(
                customer,
                cheapcare,
                TimelineEvent.Kind.SERVICE_STARTED,
                f"{cheapcare.name} started providing {c.service}; {coordinator.display_name} coordinates it.",
                agreement.started_at,
                actor=registrar,
                data={"agreement": agreement.pk, "coordinator": coordinator.pk},
            ),
            _event(
                customer,
                cheapcare,
                TimelineEvent.Kind.CONTACT_RECORDED,
                f"{coordinator.display_name} visited {customer.known_as}.",
                now - timedelta(days=c.last_visit_days_ago),
                actor=coordinator,
                channel=TimelineEvent.Channel.IN_PERSON,
                data={"agreement": agreement.pk, "contact": "visit"},
            ),
        ]
        for wanted_request in c.requests:
            need = needs[wanted_request.need_code]
            created = now - timedelta(hours=wanted_request.hours_ago)
            answered = created + timedelta(hours=1) if wanted_request.hours_ago >= 1.5 else None
            first_due = created + timedelta(minutes=need.first_response_minutes)
            resolution_due = created + timedelta(minutes=need.resolution_minutes)
            request = Request(
                customer=customer,
                organisation=cheapcare,
                need=need,
                team=need.team,
                owner=coordinator,
                owner_since=created,
                status="open",
                channel="phone" if wanted_request.by_phone else "web",
                subject=need.title,
                description=wanted_request.story,
                captured_by=coordinator if wanted_request.by_phone else None,
                first_response_due=first_due,
                resolution_due=resolution_due,
                due_at=resolution_due if answered else first_due,
                first_responded_at=answered,
                created_at=created,
            )
            planned.append((customer, c, wanted_request, request))
    requests = Request.objects.bulk_create(r for *_, r in planned)
    for (customer, c, wanted_request, _), request in zip(planned, requests, strict=True):
        owner = coordinators[c.coordinator]
        chain = answers_to[c.coordinator]
        by_phone = wanted_request.by_phone
        events += [
            _event(
                customer,
                cheapcare,
                TimelineEvent.Kind.CAPTURED,
                f"{owner.display_name} took down a request by phone: “{request.subject}”."
                if by_phone
                else f"{customer.full_name} asked for help online: “{request.subject}”.",
                request.created_at,
                actor=owner if by_phone else None,
                actor_name=None if by_phone else f"{customer.full_name} (customer)",
                request=request,
                channel=request.channel,
                body=request.description,
                data={"need": request.need.code, "captured_by_organisation": cheapcare.pk if by_phone else None},
            ),
            _event(
                customer,
                cheapcare,
                TimelineEvent.Kind.ROUTED,
                f"Given to {request.team.name}. {owner.display_name} is looking after it"
                + (f", and answers to {chain[0].display_name}." if chain else "."),
                request.created_at,
                request=request,
                data={
                    "team_id": request.team_id,
                    "owner_id": owner.pk,
                    "reason": f"{request.team.name} handles “{request.need.title}”; "
                    f"{owner.display_name} coordinates {customer.known_as}'s care.",
                },
            ),
        ]
        if request.first_responded_at is not None:
            events.append(
                _event(
                    customer,
                    cheapcare,
                    TimelineEvent.Kind.MESSAGE_OUT,
                    f"{owner.display_name} wrote to {customer.known_as}.",
                    request.first_responded_at,
                    actor=owner,
                    request=request,
                    channel="phone",
                    body=f"Thank you for telling us, {customer.known_as}. I'm sorting it out and will ring you "
                    "back today to confirm.",
                )
            )
    TimelineEvent.objects.bulk_create(events, batch_size=500)


@transaction.atomic
def load_demo() -> DemoSummary:
    before = StaffMember.objects.count() + Customer.objects.count() + Need.objects.count()
    orgs = _ensure_organisations()
    people = _ensure_staff(orgs)
    _ensure_admin()
    _ensure_needs(orgs)
    customers = _ensure_customers(people)
    _ensure_requests(people, customers)
    _ensure_khan_agreement(people, customers)
    _ensure_sara_trusted(customers)
    _ensure_cheapcare_clients(people)
    ensure_care(password=DEMO_PASSWORD)
    # The clients written in bulk above (and any demo database made before grants)
    # get the minimal grants the services give new work.
    grants_backfill()
    after = StaffMember.objects.count() + Customer.objects.count() + Need.objects.count()
    return DemoSummary(created=after - before, admin_username=ADMIN_USERNAME, password=DEMO_PASSWORD)


def team(org_name: str, team_name: str) -> Team:
    """Look up a demo team by names (for tests and docs)."""
    return Team.objects.get(organisation__name=org_name, name=team_name)


def staff(username: str) -> StaffMember:
    """Look up a demo staff member by username (for tests and docs)."""
    return StaffMember.objects.select_related("user", "organisation", "team", "supervisor").get(user__username=username)
