"""Who may see and resolve an alert.

An alert is addressed to one named person. They, and the people they answer to (who
must be able to act when they cannot), may see and resolve it. An administrator of the
alert's organisation may see it, to know what is waiting, but resolves it only if they
are in that line.
"""

from __future__ import annotations

from steward.organisations.models import StaffMember
from steward.organisations.selectors import escalation_chain

from .models import Alert


def _assignee_chain(alert: Alert) -> list[StaffMember]:
    # Pages ask "may they see it?" and then "may they resolve it?": read the line once.
    chain: list[StaffMember] | None = getattr(alert, "_assignee_chain", None)
    if chain is None:
        chain = escalation_chain(alert.assigned_to)
        alert._assignee_chain = chain  # type: ignore[attr-defined]
    return chain


def can_resolve(actor: StaffMember, alert: Alert) -> bool:
    if not actor.is_active:
        return False
    if actor.pk == alert.assigned_to_id:
        return True
    return actor in _assignee_chain(alert)


def can_see(actor: StaffMember, alert: Alert) -> bool:
    if not actor.is_active:
        return False
    if actor.is_org_admin and actor.organisation_id == alert.organisation_id:
        return True
    return can_resolve(actor, alert)
