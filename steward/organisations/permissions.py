"""Who may set up an organisation: its administrators, and platform superusers."""

from __future__ import annotations

from steward.errors import PermissionDenied

from .models import Organisation, StaffMember


def is_platform_admin(actor: StaffMember) -> bool:
    return bool(actor.user.is_superuser)


def require_org_admin(actor: StaffMember, organisation: Organisation) -> None:
    if is_platform_admin(actor):
        return
    if actor.is_org_admin and actor.organisation_id == organisation.pk:
        return
    raise PermissionDenied(
        f"Only an administrator of {organisation.name} can change how it is set up.",
        code="not_org_admin",
    )
