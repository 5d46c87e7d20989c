"""Who may start, change and record contact on a service agreement."""

from __future__ import annotations

from steward.organisations.models import StaffMember

from .models import ServiceAgreement


def can_manage(actor: StaffMember, *, provider_id: int, commissioner_id: int | None) -> bool:
    """Staff of the provider, or of the organisation that commissioned the service."""
    return actor.is_active and actor.organisation_id in (provider_id, commissioner_id)


def can_manage_agreement(actor: StaffMember, agreement: ServiceAgreement) -> bool:
    return can_manage(actor, provider_id=agreement.provider_id, commissioner_id=agreement.commissioner_id)


def can_see_agreement(actor: StaffMember, agreement: ServiceAgreement) -> bool:
    return can_manage_agreement(actor, agreement)
