"""Reads about organisations, teams and staff."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from steward.errors import NotFound

from .models import Organisation, StaffMember, Team

# A reporting line deeper than this is a data error (a cycle slipped in by hand);
# stopping keeps a page from looping forever.
MAX_CHAIN_DEPTH = 20


def escalation_chains(people: Iterable[StaffMember]) -> dict[int, list[StaffMember]]:
    """For each person, the people they answer to, nearest first: supervisor, their
    supervisor, … up to the head of the organisation. Inactive people are skipped: a
    customer must be shown someone who can act.

    Walks the reporting lines level by level, one query per level for the whole batch,
    so a page listing many owners costs a handful of queries, not one per row.
    """
    people = list(people)
    known: dict[int, StaffMember] = {p.pk: p for p in people}
    frontier = {p.supervisor_id for p in people if p.supervisor_id is not None} - known.keys()
    depth = 0
    while frontier and depth < MAX_CHAIN_DEPTH:
        fetched = list(StaffMember.objects.filter(pk__in=frontier))
        known.update((s.pk, s) for s in fetched)
        frontier = {s.supervisor_id for s in fetched if s.supervisor_id is not None} - known.keys()
        depth += 1
    chains: dict[int, list[StaffMember]] = {}
    for person in people:
        chain: list[StaffMember] = []
        seen = {person.pk}
        sup_id = person.supervisor_id
        while sup_id is not None and sup_id not in seen and sup_id in known and len(seen) <= MAX_CHAIN_DEPTH:
            seen.add(sup_id)
            sup = known[sup_id]
            if sup.is_active:
                chain.append(sup)
            sup_id = sup.supervisor_id
        chains[person.pk] = chain
    return chains


def escalation_chain(staff: StaffMember) -> list[StaffMember]:
    """The people `staff` answers to, nearest first (see `escalation_chains`)."""
    return escalation_chains([staff])[staff.pk]


def organisation_head(*, organisation_id: int) -> StaffMember | None:
    """The active head of an organisation (the person who answers to nobody), if any."""
    return (
        StaffMember.objects.filter(organisation_id=organisation_id, is_active=True, supervisor__isnull=True)
        .order_by("id")
        .first()
    )


def first_active_supervisor(staff: StaffMember) -> StaffMember | None:
    chain = escalation_chain(staff)
    return chain[0] if chain else None


def staff_for_user(user: object) -> StaffMember | None:
    """The active staff member behind a signed-in user, or None."""
    staff = getattr(user, "staff", None) if getattr(user, "is_authenticated", False) else None
    if isinstance(staff, StaffMember) and staff.is_active:
        return staff
    return None


def organisation_list() -> QuerySet[Organisation]:
    return Organisation.objects.order_by("name")


def organisation_get(*, organisation_id: int) -> Organisation:
    try:
        return Organisation.objects.get(pk=organisation_id)
    except Organisation.DoesNotExist as exc:
        raise NotFound(f"There is no organisation with id {organisation_id}.") from exc


def team_list(*, organisation_id: int | None = None) -> QuerySet[Team]:
    qs = Team.objects.select_related("organisation", "lead").order_by("organisation__name", "name")
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return qs


def team_get(*, team_id: int) -> Team:
    try:
        return Team.objects.select_related("organisation", "lead").get(pk=team_id)
    except Team.DoesNotExist as exc:
        raise NotFound(f"There is no team with id {team_id}.") from exc


def staff_list_visible_to(*, viewer: StaffMember) -> QuerySet[StaffMember]:
    """Staff of the viewer's own organisation (platform superusers see everyone)."""
    qs = StaffMember.objects.select_related("user", "team", "supervisor", "organisation")
    if not viewer.user.is_superuser:
        qs = qs.filter(organisation_id=viewer.organisation_id)
    return qs.order_by("display_name", "id")


def staff_get(*, staff_id: int) -> StaffMember:
    try:
        return StaffMember.objects.select_related("user", "team", "supervisor", "organisation").get(pk=staff_id)
    except StaffMember.DoesNotExist as exc:
        raise NotFound(f"There is no staff member with id {staff_id}.") from exc


@dataclass(frozen=True)
class People:
    """The people a supervisor looks after: everyone whose reporting line leads up to
    them, at any depth, and the members of teams they lead (``staff_ids``), and the
    teams led by them or by those people (``team_ids``). Only their own organisation.
    Both empty: they supervise nobody."""

    staff_ids: frozenset[int]
    team_ids: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.staff_ids)


def people_of(supervisor: StaffMember) -> People:
    """Who `supervisor` answers for (see `People`). Walks the reporting lines downwards
    one level per query for the whole level, so the cost follows the organisation's
    depth, not its size."""
    org = supervisor.organisation_id
    # First level: direct reports and the members of teams they lead (one query, which
    # is all it costs for someone who supervises nobody).
    found = set(
        StaffMember.objects.filter(Q(supervisor=supervisor) | Q(team__lead=supervisor), organisation_id=org)
        .exclude(pk=supervisor.pk)
        .values_list("id", flat=True)
    )
    frontier = set(found)
    depth = 1
    while frontier and depth < MAX_CHAIN_DEPTH:
        below = set(
            StaffMember.objects.filter(supervisor_id__in=frontier, organisation_id=org).values_list("id", flat=True)
        )
        frontier = below - found - {supervisor.pk}
        found |= frontier
        depth += 1
    if not found:
        return People(frozenset(), frozenset())
    teams = Team.objects.filter(organisation_id=org, lead_id__in=found | {supervisor.pk}).values_list("id", flat=True)
    return People(frozenset(found), frozenset(teams))
