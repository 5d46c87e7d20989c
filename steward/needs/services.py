"""Maintaining the needs catalogue."""

from __future__ import annotations

from typing import Final

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from steward.errors import Conflict, InvalidInput
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.permissions import require_org_admin

from .models import Need, NeedTeamChange

MAX_MINUTES = 60 * 24 * 365


class _Unset:
    """Marks an argument the caller did not give (``None`` may be a value)."""


UNSET: Final = _Unset()


def _check_service_levels(first_response_minutes: int, resolution_minutes: int) -> None:
    if first_response_minutes <= 0:
        raise InvalidInput("The first-response time must be at least one minute.", code="invalid_service_level")
    if resolution_minutes < first_response_minutes:
        raise InvalidInput(
            "The resolution time cannot be shorter than the first-response time.", code="invalid_service_level"
        )
    if resolution_minutes > MAX_MINUTES:
        raise InvalidInput("Service levels cannot be longer than a year.", code="invalid_service_level")


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
    _check_service_levels(first_response_minutes, resolution_minutes)
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


@transaction.atomic
def need_update(
    *,
    need: Need,
    actor: StaffMember | None,
    title: str | None = None,
    description: str | None = None,
    team: Team | None = None,
    first_response_minutes: int | None = None,
    resolution_minutes: int | None = None,
    handover_response_minutes: int | _Unset | None = UNSET,
) -> Need:
    """Change how a need reads, where it is routed, or its service levels (arguments not
    given stay as they are). Only the organisation's administrators may.

    New service levels apply to requests captured from now on; requests under way keep
    the clocks they were given. A new team receives new requests from now on; requests
    already in the old team stay with their named owners (nothing moves without an
    accepted offer), and the sweep asks each owner whether to offer theirs to the new
    team (`alerts.team_needs`). The change of team is recorded (`NeedTeamChange`)."""
    need = Need.objects.select_for_update(of=("self",)).select_related("organisation", "team").get(pk=need.pk)
    if actor is not None:
        require_org_admin(actor, need.organisation)
    fields: list[str] = []
    if title is not None:
        title = title.strip()
        if not title:
            raise InvalidInput("A need needs a title, in the customer's words.", code="title_required")
        if len(title) > 200:
            raise InvalidInput("Keep the title to 200 characters.", code="text_too_long")
        need.title = title
        fields.append("title")
    if description is not None:
        need.description = description.strip()
        fields.append("description")
    if first_response_minutes is not None or resolution_minutes is not None:
        first = first_response_minutes if first_response_minutes is not None else need.first_response_minutes
        resolution = resolution_minutes if resolution_minutes is not None else need.resolution_minutes
        _check_service_levels(first, resolution)
        need.first_response_minutes, need.resolution_minutes = first, resolution
        fields += ["first_response_minutes", "resolution_minutes"]
    if not isinstance(handover_response_minutes, _Unset):
        if handover_response_minutes is not None and not 1 <= handover_response_minutes <= MAX_MINUTES:
            raise InvalidInput(
                "The handover response time must be between one minute and a year.", code="invalid_service_level"
            )
        need.handover_response_minutes = handover_response_minutes
        fields.append("handover_response_minutes")
    previous_team = need.team
    if team is not None and team.pk != need.team_id:
        if team.organisation_id != need.organisation_id:
            raise InvalidInput(f"{team.name} belongs to another organisation.", code="team_other_organisation")
        need.team = team
        fields.append("team")
        NeedTeamChange.objects.create(
            need=need, from_team=previous_team, to_team=team, changed_at=timezone.now(), changed_by=actor
        )
    if fields:
        need.save(update_fields=[*fields, "updated_at"])
    return need
