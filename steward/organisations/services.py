"""Setting up organisations, teams and staff, and deactivating staff safely."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from steward.accounts.models import User
from steward.errors import Conflict, InvalidInput, PermissionDenied

from .models import Organisation, StaffMember, Team
from .permissions import is_platform_admin, require_org_admin
from .selectors import escalation_chain, first_active_supervisor


def _unique_slug(base: str, taken: set[str]) -> str:
    slug = slugify(base)[:70] or "item"
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


@transaction.atomic
def organisation_create(*, name: str, kind: str, actor: StaffMember | None) -> Organisation:
    """Register a new organisation. Only platform administrators may do this
    (``actor=None`` is the system itself: the demo loader and management commands)."""
    if actor is not None and not is_platform_admin(actor):
        raise PermissionDenied("Only a platform administrator can register organisations.", code="not_platform_admin")
    name = name.strip()
    if not name:
        raise InvalidInput("An organisation needs a name.", code="name_required")
    if kind not in Organisation.Kind.values:
        raise InvalidInput(f"Unknown organisation kind {kind!r}.", code="unknown_kind")
    if Organisation.objects.filter(name__iexact=name).exists():
        raise Conflict(f"An organisation called {name} already exists.", code="duplicate_organisation")
    slug = _unique_slug(name, set(Organisation.objects.values_list("slug", flat=True)))
    return Organisation.objects.create(name=name, kind=kind, slug=slug)


@transaction.atomic
def team_create(*, organisation: Organisation, name: str, actor: StaffMember | None) -> Team:
    if actor is not None:
        require_org_admin(actor, organisation)
    name = name.strip()
    if not name:
        raise InvalidInput("A team needs a name.", code="name_required")
    if organisation.teams.filter(name__iexact=name).exists():
        raise Conflict(f"{organisation.name} already has a team called {name}.", code="duplicate_team")
    slug = _unique_slug(name, set(organisation.teams.values_list("slug", flat=True)))
    return Team.objects.create(organisation=organisation, name=name, slug=slug)


@transaction.atomic
def team_set_lead(*, team: Team, lead: StaffMember | None, actor: StaffMember | None) -> Team:
    if actor is not None:
        require_org_admin(actor, team.organisation)
    if lead is not None:
        if lead.team_id != team.pk:
            raise InvalidInput(f"{lead.display_name} is not a member of {team.name}.", code="lead_not_member")
        if not lead.is_active:
            raise InvalidInput(f"{lead.display_name} is deactivated.", code="staff_inactive")
    team.lead = lead
    team.save(update_fields=["lead", "updated_at"])
    return team


def _check_supervisor(*, staff_org_id: int, supervisor: StaffMember | None, staff: StaffMember | None) -> None:
    if supervisor is None:
        return
    if supervisor.organisation_id != staff_org_id:
        raise InvalidInput("A supervisor must work for the same organisation.", code="supervisor_other_organisation")
    if not supervisor.is_active:
        raise InvalidInput(f"{supervisor.display_name} is deactivated.", code="supervisor_inactive")
    if staff is not None and (supervisor.pk == staff.pk or staff in escalation_chain(supervisor)):
        raise InvalidInput(
            f"{supervisor.display_name} already answers to {staff.display_name}; "
            "a reporting line cannot go round in a circle.",
            code="supervisor_cycle",
        )


@transaction.atomic
def staff_create(
    *,
    organisation: Organisation,
    username: str,
    first_name: str,
    last_name: str,
    email: str = "",
    team: Team | None = None,
    supervisor: StaffMember | None = None,
    job_title: str = "",
    is_org_admin: bool = False,
    password: str | None = None,
    actor: StaffMember | None,
) -> StaffMember:
    """Add a person to an organisation. Everyone but the head has a supervisor."""
    if actor is not None:
        require_org_admin(actor, organisation)
    username = username.strip()
    if not username:
        raise InvalidInput("A staff member needs a username to sign in with.", code="username_required")
    if not (first_name.strip() or last_name.strip()):
        raise InvalidInput("A staff member needs a name: customers are shown it.", code="name_required")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"The username {username} is already taken.", code="duplicate_username")
    if team is not None and team.organisation_id != organisation.pk:
        raise InvalidInput(f"{team.name} belongs to another organisation.", code="team_other_organisation")
    _check_supervisor(staff_org_id=organisation.pk, supervisor=supervisor, staff=None)
    if supervisor is None and organisation.staff.filter(is_active=True, supervisor__isnull=True).exists():
        raise InvalidInput(
            f"{organisation.name} already has a head; everyone else needs a supervisor.",
            code="supervisor_required",
        )
    user = User(username=username, first_name=first_name.strip(), last_name=last_name.strip(), email=email.strip())
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return StaffMember.objects.create(
        user=user,
        organisation=organisation,
        team=team,
        supervisor=supervisor,
        job_title=job_title.strip(),
        display_name=user.get_full_name(),
        is_org_admin=is_org_admin,
    )


@transaction.atomic
def staff_set_supervisor(
    *, staff: StaffMember, supervisor: StaffMember | None, actor: StaffMember | None
) -> StaffMember:
    if actor is not None:
        require_org_admin(actor, staff.organisation)
    _check_supervisor(staff_org_id=staff.organisation_id, supervisor=supervisor, staff=staff)
    staff.supervisor = supervisor
    staff.save(update_fields=["supervisor", "updated_at"])
    return staff


@transaction.atomic
def staff_deactivate(
    *,
    staff: StaffMember,
    actor: StaffMember | None,
    reason: str,
    successor: StaffMember | None = None,
) -> StaffMember:
    """A person leaves or loses access. Their open requests move to a named successor
    (by default their nearest active supervisor), each with a timeline event; their
    direct reports now answer to that successor. Refused if nobody could take over,
    because an open request must never be left without an owner (I1)."""
    from steward.agreements.services import agreements_move_from_departing  # agreements build on staff
    from steward.alerts.services import alerts_move_from_departing  # alerts build on staff
    from steward.requests.services import requests_move_from_departing  # requests builds on staff
    from steward.transfers.services import transfers_move_from_departing  # transfers build on staff

    # Deactivations in one organisation go one at a time, each taking the organisation's
    # lock first: two cannot deadlock, and each sees what the one before it did.
    list(Organisation.objects.select_for_update(no_key=True).filter(pk=staff.organisation_id).values_list("pk"))
    staff = StaffMember.objects.select_for_update(of=("self",)).select_related("user", "organisation").get(pk=staff.pk)
    allowed = actor is None or (
        actor.is_active
        and (
            actor in escalation_chain(staff)
            or is_platform_admin(actor)
            or (actor.is_org_admin and actor.organisation_id == staff.organisation_id)
        )
    )
    if not allowed:
        raise PermissionDenied(
            f"Only {staff.display_name}'s managers or an administrator can deactivate them.",
            code="not_allowed_to_deactivate",
        )
    if not staff.is_active:
        raise Conflict(f"{staff.display_name} is already deactivated.", code="already_inactive")
    if not reason.strip():
        raise InvalidInput("Say why this person is being deactivated.", code="reason_required")
    if successor is None:
        successor = first_active_supervisor(staff)
    else:
        successor = StaffMember.objects.get(pk=successor.pk)  # as it is now, not as the caller loaded it
        if successor.pk == staff.pk or not successor.is_active:
            raise InvalidInput("The successor must be another active staff member.", code="successor_invalid")
        if successor.organisation_id != staff.organisation_id:
            raise InvalidInput(
                "The successor must work for the same organisation.", code="successor_other_organisation"
            )
    reports = list(staff.direct_reports.filter(is_active=True))
    has_open = (
        staff.owned_requests.exclude(status="closed").exists()
        or staff.coordinated_agreements.filter(status="active").exists()
        # A commissioner's unfinished transfers: declined clients must escalate to someone.
        or staff.transfers_commissioned.exclude(status="complete").exists()
        or staff.alerts.filter(status="open").exists()
    )
    if successor is None and (reports or has_open):
        raise Conflict(
            f"{staff.display_name} has no active supervisor to take over their work; name a successor.",
            code="successor_required",
        )
    # A successor from further down the departing person's line takes their place in it;
    # keeping their own supervisor would make the reporting line go round in a circle.
    successor_was_below = successor is not None and staff in escalation_chain(successor)
    now = timezone.now()
    for report in reports:
        # The successor keeps their own supervisor; everyone else now answers to the successor.
        if successor is not None and report.pk != successor.pk:
            report.supervisor = successor
        else:
            report.supervisor = staff.supervisor
        report.save(update_fields=["supervisor", "updated_at"])
    if successor is not None and successor_was_below:
        successor.supervisor = staff.supervisor
        successor.save(update_fields=["supervisor", "updated_at"])
    Team.objects.filter(lead=staff).update(lead=None, updated_at=now)
    if successor is not None:
        requests_move_from_departing(departing=staff, successor=successor, actor=actor, reason=reason.strip())
        agreements_move_from_departing(departing=staff, successor=successor, reason=reason.strip())
        alerts_move_from_departing(departing=staff, successor=successor, reason=reason.strip())
        transfers_move_from_departing(departing=staff, successor=successor)
    staff.is_active = False
    staff.deactivated_at = now
    staff.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    staff.user.is_active = False
    staff.user.save(update_fields=["is_active"])
    staff.user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
    return staff
