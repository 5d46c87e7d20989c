"""Who may see and work on a request.

Seeing: staff of the organisation the request belongs to (the consent work will widen
this through customer-issued grants, in `timeline.selectors.visible_organisation_ids`).
Working on it (messages to the customer, status changes): the owner, the people the
owner answers to, members of the routed team, and the organisation's administrators.
Anyone who can see it may add an internal note.
"""

from __future__ import annotations

from steward.errors import PermissionDenied
from steward.organisations.models import StaffMember
from steward.organisations.selectors import escalation_chain

from .models import Request


def can_view(staff: StaffMember, request: Request) -> bool:
    return staff.is_active and request.organisation_id == staff.organisation_id


def can_work_on(staff: StaffMember, request: Request) -> bool:
    if not can_view(staff, request):
        return False
    if staff.pk == request.owner_id or staff.team_id == request.team_id or staff.is_org_admin:
        return True
    return request.owner is not None and staff in escalation_chain(request.owner)


def require_work_on(staff: StaffMember, request: Request) -> None:
    if not can_work_on(staff, request):
        raise PermissionDenied(
            f"Only the owner, their managers or the {request.team.name} team can do that on request #{request.pk}.",
            code="not_allowed_on_request",
        )
