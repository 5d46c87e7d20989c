"""Who may offer, answer and withdraw a handover."""

from __future__ import annotations

from steward.organisations.models import StaffMember
from steward.organisations.selectors import escalation_chain
from steward.requests.models import Request

from .models import HandoverOffer


def can_offer(actor: StaffMember, request: Request) -> bool:
    """The owner, or someone the owner answers to."""
    if not actor.is_active or request.owner is None:
        return False
    return actor.pk == request.owner_id or actor in escalation_chain(request.owner)


def can_answer(actor: StaffMember, offer: HandoverOffer) -> bool:
    """The named person; any active member of the team; any active member of the
    organisation who is in a team (the request needs a queue to land in)."""
    if not actor.is_active:
        return False
    if offer.target == HandoverOffer.Target.PERSON:
        return actor.pk == offer.to_staff_id
    if offer.target == HandoverOffer.Target.TEAM:
        return actor.team_id == offer.to_team_id
    return actor.organisation_id == offer.to_organisation_id


def can_withdraw(actor: StaffMember, offer: HandoverOffer) -> bool:
    if not actor.is_active:
        return False
    if actor.pk in (offer.sender_id, offer.offered_by_id):
        return True
    return actor in escalation_chain(offer.sender)


def can_see(actor: StaffMember, offer: HandoverOffer) -> bool:
    """Receivers (to decide, they read the story first), and the sending side."""
    return (
        can_answer(actor, offer)
        or can_withdraw(actor, offer)
        or (actor.is_active and actor.organisation_id == offer.request.organisation_id)
    )
