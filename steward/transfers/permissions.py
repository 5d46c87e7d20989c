"""Who may run a transfer, answer for its clients, and read its report."""

from __future__ import annotations

from steward.organisations.models import StaffMember
from steward.organisations.selectors import escalation_chain

from .models import Transfer


def can_manage(actor: StaffMember, transfer: Transfer) -> bool:
    """The named commissioner, whoever opened the transfer, the people the commissioner
    answers to, and administrators of the commissioning organisation."""
    if not actor.is_active or actor.organisation_id != transfer.commissioning_organisation_id:
        return False
    if actor.pk in (transfer.commissioner_id, transfer.created_by_id) or actor.is_org_admin:
        return True
    return actor in escalation_chain(transfer.commissioner)


def can_answer_for(actor: StaffMember, *, to_provider_id: int | None) -> bool:
    """Any active member of a team at the receiving provider: the clients need a queue
    to land in, and the person accepting must be someone who can act."""
    return actor.is_active and actor.team_id is not None and actor.organisation_id == to_provider_id


def role_in(actor: StaffMember, transfer: Transfer, *, receiver_ids: set[int]) -> str | None:
    """How the actor sees the transfer: ``commissioner`` (everything, may decide),
    ``provider`` (the provider losing the clients: everything, read only), ``receiver``
    (only the clients offered to their organisation), or None (nothing)."""
    if not actor.is_active:
        return None
    if actor.organisation_id == transfer.commissioning_organisation_id:
        return "commissioner"
    if actor.organisation_id == transfer.from_provider_id:
        return "provider"
    if actor.organisation_id in receiver_ids:
        return "receiver"
    return None
