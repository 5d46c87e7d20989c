"""The organisations, teams, staff and needs the benchmark dataset is built on.

Made through the real services (`organisation_create`, `team_create`, `staff_create`,
`team_set_lead`, `need_create`, `staff_deactivate`), so reporting lines, team leads and
deactivations are as valid as in production. It is small (a few hundred rows); the bulk
of the dataset (customers, requests, timeline) is written by `bench.dataset`.

Shape: three organisations, twenty teams, each organisation headed by a chief executive
with two directors under them; every other team has a lead answering to a director and
advisers answering to the lead. A few advisers have left (deactivated). Each team
answers for three needs. Teams differ in how much work comes their way (``weight``):
housing repairs are the busiest, as they tend to be.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from steward.needs.models import Need
from steward.needs.services import need_create
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.services import (
    organisation_create,
    staff_create,
    staff_deactivate,
    team_create,
    team_set_lead,
)

CUSTOMER_CONTACT = "Customer Contact"
LEADERSHIP = "Leadership"
LEADERSHIP_NEEDS = ("I want to make a complaint", "I want to speak to a manager", "I want to say thank you")


@dataclass(frozen=True)
class TeamSpec:
    name: str
    weight: int  # share of all requests routed to this team, relative to the others
    needs: tuple[str, ...]


@dataclass(frozen=True)
class OrganisationSpec:
    name: str
    kind: str
    teams: tuple[TeamSpec, ...]  # the first is the leadership team the head sits in


ORGANISATIONS: tuple[OrganisationSpec, ...] = (
    OrganisationSpec(
        "Northmoor Council",
        Organisation.Kind.COUNCIL,
        (
            TeamSpec(LEADERSHIP, 1, LEADERSHIP_NEEDS),
            TeamSpec(
                CUSTOMER_CONTACT,
                6,
                ("I have a general question", "I want to update my details", "I don't know who to ask"),
            ),
            TeamSpec(
                "Adult Social Care", 8, ("My carer didn't come", "I need help at home", "I'm worried about someone")
            ),
            TeamSpec(
                "Housing Needs",
                5,
                (
                    "I'm about to lose my home",
                    "I want to join the housing list",
                    "My temporary accommodation has a problem",
                ),
            ),
            TeamSpec("Council Tax", 9, ("I can't pay my council tax", "I've moved house", "I think my bill is wrong")),
            TeamSpec(
                "Waste and Recycling",
                7,
                ("My bin wasn't collected", "I need a new bin", "Someone dumped rubbish in my street"),
            ),
            TeamSpec(
                "Highways", 4, ("There's a pothole in my road", "A street light is out", "The pavement is blocked")
            ),
            TeamSpec(
                "Benefits",
                6,
                ("I need help paying my rent", "My benefit has stopped", "I want to apply for a discount"),
            ),
        ),
    ),
    OrganisationSpec(
        "Riverside Care",
        Organisation.Kind.CARE_PROVIDER,
        (
            TeamSpec(LEADERSHIP, 1, LEADERSHIP_NEEDS),
            TeamSpec(
                "Care Coordination",
                6,
                ("I need to change my visit times", "I want a different carer", "I'm going into hospital"),
            ),
            TeamSpec(
                "Home Care North", 5, ("My carer was late", "I need an extra visit", "My medication wasn't given")
            ),
            TeamSpec(
                "Home Care South",
                5,
                ("Nobody came to help me get up", "My carer rushed my visit", "I need help with shopping"),
            ),
            TeamSpec(
                "Reablement",
                3,
                ("I'm home from hospital and need help", "I want to be more independent", "I need equipment at home"),
            ),
            TeamSpec("Scheduling", 3, ("I want to cancel a visit", "I'm going on holiday", "My rota is wrong")),
        ),
    ),
    OrganisationSpec(
        "Hearth Housing Association",
        Organisation.Kind.HOUSING,
        (
            TeamSpec(LEADERSHIP, 1, LEADERSHIP_NEEDS),
            TeamSpec(
                "Repairs", 14, ("Something in my home is broken", "I have damp or mould", "My heating isn't working")
            ),
            TeamSpec(
                "Tenancy Services",
                4,
                ("I want to move home", "I want to add someone to my tenancy", "I want to end my tenancy"),
            ),
            TeamSpec(
                "Rent and Income",
                5,
                ("I'm behind with my rent", "I want to set up a payment plan", "My rent statement is wrong"),
            ),
            TeamSpec(
                "Estate Services",
                3,
                ("The communal areas need cleaning", "The lift is broken", "The grass needs cutting"),
            ),
            TeamSpec(
                "Anti-social Behaviour",
                3,
                ("My neighbour is too noisy", "Someone is threatening me", "There's drug dealing nearby"),
            ),
        ),
    ),
)

# (first reply, resolution) in minutes: an hour to a day to reply, a day to a fortnight to resolve.
SERVICE_LEVELS = ((60, 1440), (240, 2880), (480, 4320), (480, 10080), (1440, 10080), (1440, 20160))

FIRST_NAMES = (
    "Amina",
    "Sara",
    "Tom",
    "Grace",
    "Oliver",
    "Olivia",
    "Mohammed",
    "Aisha",
    "Jack",
    "Emily",
    "Harry",
    "Sophie",
    "George",
    "Ava",
    "Noah",
    "Isla",
    "Leo",
    "Mia",
    "Arthur",
    "Freya",
    "Yusuf",
    "Zainab",
    "Dylan",
    "Megan",
    "Rhys",
    "Ffion",
    "Kacper",
    "Zofia",
    "Ravi",
    "Priya",
    "Daniel",
    "Chloe",
    "Samuel",
    "Hannah",
    "Joseph",
    "Lily",
    "Adam",
    "Ruby",
    "Ibrahim",
    "Maryam",
    "Connor",
    "Niamh",
    "Kwame",
    "Abena",
    "Luca",
    "Elena",
    "Tariq",
    "Fatima",
)
FAMILY_NAMES = (
    "Khan",
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Roberts",
    "Johnson",
    "Lewis",
    "Walker",
    "Patel",
    "Hughes",
    "Green",
    "Wood",
    "Hall",
    "Clarke",
    "Ahmed",
    "Begum",
    "Nowak",
    "Kowalski",
    "Okafor",
    "Reid",
    "Shah",
    "Carter",
    "Bell",
    "Murphy",
    "O'Brien",
    "Mensah",
    "Rossi",
    "Hussain",
    "Jackson",
    "White",
    "Harris",
    "Martin",
    "Thompson",
    "Robinson",
    "Wright",
    "Edwards",
    "Turner",
    "Hill",
)

# Of the advisers (not heads, directors or leads), the share who have since left.
LEFT_SHARE = 0.04
DIRECTORS_PER_ORGANISATION = 2
MIN_TEAM_SIZE = 2  # a lead and one adviser


@dataclass
class World:
    """What requests can be routed to, as read back from the database."""

    organisations: list[Organisation]
    teams: list[Team]
    needs: list[Need]
    need_weights: list[float]  # relative share of requests per need, same order as `needs`
    members: dict[int, list[StaffMember]]  # team id -> everyone in the team, including leavers
    active_members: dict[int, list[StaffMember]]  # team id -> those who can own open work
    supervisor_names: dict[int, str] = field(default_factory=dict)  # staff id -> their supervisor's name
    customer_contact: list[StaffMember] = field(default_factory=list)  # active call handlers

    @classmethod
    def load(cls, organisation_names: Sequence[str] | None = None) -> World:
        """Read the world from the database: the organisations of `ORGANISATIONS`, or
        those named. (The bench's database also holds the transfer scenario's
        organisations, `bench.transfers`; requests are never routed to them.)"""
        names = list(organisation_names) if organisation_names is not None else [o.name for o in ORGANISATIONS]
        organisations = list(Organisation.objects.filter(name__in=names).order_by("id"))
        teams = list(Team.objects.filter(organisation__in=organisations).select_related("organisation").order_by("id"))
        needs = list(
            Need.objects.filter(is_active=True, organisation__in=organisations)
            .select_related("team__organisation")
            .order_by("id")
        )
        staff = list(StaffMember.objects.filter(organisation__in=organisations).order_by("id"))
        by_id = {s.pk: s for s in staff}
        members: dict[int, list[StaffMember]] = {t.pk: [] for t in teams}
        for person in staff:
            if person.team_id is not None:
                members[person.team_id].append(person)
        active = {team_id: [p for p in people if p.is_active] for team_id, people in members.items()}
        weights = {(o.name, t.name): t.weight / len(t.needs) for o in ORGANISATIONS for t in o.teams}
        need_weights = [weights.get((n.team.organisation.name, n.team.name), 1.0) for n in needs]
        contact_team_ids = {t.pk for t in teams if t.name == CUSTOMER_CONTACT}
        return cls(
            organisations=organisations,
            teams=teams,
            needs=needs,
            need_weights=need_weights,
            members=members,
            active_members=active,
            supervisor_names={s.pk: by_id[s.supervisor_id].display_name for s in staff if s.supervisor_id in by_id},
            customer_contact=[s for s in staff if s.is_active and s.team_id in contact_team_ids],
        )


def _team_sizes(staff_count: int) -> list[int]:
    """How many people each non-leadership team gets (lead included), by its weight."""
    specs = [t for o in ORGANISATIONS for t in o.teams[1:]]
    leadership = len(ORGANISATIONS) * (1 + DIRECTORS_PER_ORGANISATION)
    available = max(staff_count - leadership, 0)
    total_weight = sum(t.weight for t in specs)
    return [max(MIN_TEAM_SIZE, round(available * t.weight / total_weight)) for t in specs]


class _Names:
    """Hands out people's names and unique usernames."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def next(self) -> tuple[str, str, str]:
        self.count += 1
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(FAMILY_NAMES)
        username = f"{first}.{last}.{self.count}".lower().replace("'", "")
        return username, first, last


def world_build(*, staff_count: int = 300, seed: int = 42) -> World:
    """Create the organisations, teams, staff and needs through the services.

    ``staff_count`` is approximate: every team gets at least a lead and one adviser.
    """
    rng = random.Random(seed)
    names = _Names(rng)
    sizes = iter(_team_sizes(staff_count))
    advisers: list[StaffMember] = []
    for spec in ORGANISATIONS:
        org = organisation_create(name=spec.name, kind=spec.kind, actor=None)
        teams = [team_create(organisation=org, name=t.name, actor=None) for t in spec.teams]
        leadership = teams[0]
        username, first, last = names.next()
        head = staff_create(
            organisation=org,
            username=username,
            first_name=first,
            last_name=last,
            team=leadership,
            job_title="Chief Executive",
            is_org_admin=True,
            actor=None,
        )
        team_set_lead(team=leadership, lead=head, actor=None)
        directors = []
        for _ in range(DIRECTORS_PER_ORGANISATION):
            username, first, last = names.next()
            directors.append(
                staff_create(
                    organisation=org,
                    username=username,
                    first_name=first,
                    last_name=last,
                    team=leadership,
                    supervisor=head,
                    job_title="Director",
                    actor=None,
                )
            )
        for i, team in enumerate(teams[1:]):
            username, first, last = names.next()
            lead = staff_create(
                organisation=org,
                username=username,
                first_name=first,
                last_name=last,
                team=team,
                supervisor=directors[i % len(directors)],
                job_title=f"Team Lead, {team.name}",
                actor=None,
            )
            team_set_lead(team=team, lead=lead, actor=None)
            for _ in range(next(sizes) - 1):
                username, first, last = names.next()
                advisers.append(
                    staff_create(
                        organisation=org,
                        username=username,
                        first_name=first,
                        last_name=last,
                        team=team,
                        supervisor=lead,
                        job_title="Adviser",
                        actor=None,
                    )
                )
        for team, team_spec in zip(teams, spec.teams, strict=True):
            for title in team_spec.needs:
                first_response, resolution = rng.choice(SERVICE_LEVELS)
                need_create(
                    organisation=org,
                    title=title,
                    team=team,
                    first_response_minutes=first_response,
                    resolution_minutes=resolution,
                    actor=None,
                )
    # Leave every team at least one active adviser besides the lead.
    leavers = rng.sample(advisers, k=int(len(advisers) * LEFT_SHARE))
    remaining: dict[int | None, int] = {}
    for person in advisers:
        remaining[person.team_id] = remaining.get(person.team_id, 0) + 1
    for person in leavers:
        if remaining[person.team_id] > 1:
            staff_deactivate(staff=person, actor=None, reason="Left the organisation")
            remaining[person.team_id] -= 1
    return World.load()
