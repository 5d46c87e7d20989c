"""Maintaining the needs catalogue."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from steward.errors import Conflict, InvalidInput
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.permissions import require_org_admin

from .models import Need


@transaction.atomic
def need_create(
    *,
    organisation: Organisation,
    title: str,
    team: Team,
    first_response_minutes: int,
    resolution_minutes: int,
    description: str = "",
    code: str = "",
    actor: StaffMember | None,
) -> Need:
    """Add a need to an organisation's catalogue, routed to one of its teams."""
    if actor is not None:
        require_org_admin(actor, organisation)
    title = title.strip()
    if not title:
        raise InvalidInput("A need needs a title, in the customer's words.", code="title_required")
    if team.organisation_id != organisation.pk:
        raise InvalidInput(f"{team.name} belongs to another organisation.", code="team_other_organisation")
    if first_response_minutes <= 0:
        raise InvalidInput("The first-response time must be at least one minute.", code="invalid_service_level")
    if resolution_minutes < first_response_minutes:
        raise InvalidInput(
            "The resolution time cannot be shorter than the first-response time.", code="invalid_service_level"
        )
    code = slugify(code or title)[:80]
    if organisation.needs.filter(code=code).exists():
        raise Conflict(f"{organisation.name} already has a need with code {code}.", code="duplicate_need")
    return Need.objects.create(
        organisation=organisation,
        title=title,
        description=description.strip(),
        code=code,
        team=team,
        first_response_minutes=first_response_minutes,
        resolution_minutes=resolution_minutes,
    )
