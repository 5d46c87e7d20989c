"""A small world for request tests: one organisation with a head, a team with a lead and
two members, a need routed to the team and a customer."""

from __future__ import annotations

from dataclasses import dataclass

from steward.customers.models import Customer
from steward.customers.tests.factories import make_customer
from steward.needs.models import Need
from steward.needs.tests.factories import make_need
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.tests.factories import OrganisationFactory, TeamFactory, make_staff


@dataclass
class World:
    org: Organisation
    head: StaffMember
    team: Team
    lead: StaffMember
    alice: StaffMember
    bob: StaffMember
    need: Need
    customer: Customer


def make_world(name: str = "") -> World:
    org = OrganisationFactory(**({"name": name} if name else {}))
    head = make_staff(organisation=org, first_name="Hana", last_name="Head")
    team = TeamFactory(organisation=org)
    lead = make_staff(team=team, supervisor=head, first_name="Lena", last_name="Lead", lead=True)
    alice = make_staff(team=team, supervisor=lead, first_name="Alice", last_name="Able")
    bob = make_staff(team=team, supervisor=lead, first_name="Bob", last_name="Baker")
    need = make_need(team=team, title="My carer didn't come")
    customer = make_customer(organisation=org)
    return World(org=org, head=head, team=team, lead=lead, alice=alice, bob=bob, need=need, customer=customer)
