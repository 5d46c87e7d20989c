"""Factories for organisations, teams and staff. Staff are built through the service
so the reporting-line rules hold in tests as they do in production."""

from __future__ import annotations

from typing import Any

import factory

from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.services import staff_create, team_set_lead


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = Organisation.Kind.COUNCIL


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


_counter = iter(range(1, 10**9))


def make_staff(
    *,
    organisation: Organisation | None = None,
    team: Team | None = None,
    supervisor: StaffMember | None = None,
    first_name: str | None = None,
    last_name: str = "Tester",
    lead: bool = False,
    **kwargs: Any,
) -> StaffMember:
    """A staff member; the first one of an organisation is its head (no supervisor),
    later ones default to answering to that head."""
    if organisation is None:
        organisation = team.organisation if team is not None else OrganisationFactory()
    n = next(_counter)
    if supervisor is None:
        supervisor = organisation.staff.filter(is_active=True, supervisor__isnull=True).first()
    staff = staff_create(
        organisation=organisation,
        username=kwargs.pop("username", f"staff{n}"),
        first_name=first_name or f"Person{n}",
        last_name=last_name,
        email=kwargs.pop("email", f"staff{n}@example.org"),
        team=team,
        supervisor=supervisor,
        actor=None,
        **kwargs,
    )
    if lead and team is not None:
        team_set_lead(team=team, lead=staff, actor=None)
    return staff
