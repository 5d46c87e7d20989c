"""Reading handover offers: inboxes and one offer with the story behind it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from steward.errors import NotFound, PermissionDenied
from steward.organisations.models import StaffMember, Team
from steward.timeline.models import TimelineEvent
from steward.timeline.selectors import timeline_for_request

from .models import HandoverOffer
from .permissions import can_see

RELATED = (
    "request__customer",
    "request__need",
    "request__owner",
    "request__organisation",
    "sender",
    "offered_by",
    "to_staff",
    "to_team",
    "to_organisation",
)
# Lists join only what each row shows first and fetch the receivers in one more query
# each, when there are rows at all: PostgreSQL spent 9-17 ms *planning* the ten-table
# join on every My work page, even with no offer waiting (docs/performance.md).
LIST_JOINED = ("request__customer", "request__need", "request__organisation", "sender", "offered_by")
LIST_PREFETCHED = ("request__owner", "to_staff", "to_team", "to_organisation")


def _listed(qs: QuerySet[HandoverOffer]) -> QuerySet[HandoverOffer]:
    return qs.select_related(*LIST_JOINED).prefetch_related(*LIST_PREFETCHED).order_by("respond_by", "id")


def handover_inbox(*, staff: StaffMember) -> QuerySet[HandoverOffer]:
    """Offers waiting for `staff` to answer: to them by name, to their team, or to their
    organisation; the soonest to expire first."""
    mine = Q(target=HandoverOffer.Target.PERSON, to_staff=staff)
    if staff.team_id is not None:
        mine |= Q(target=HandoverOffer.Target.TEAM, to_team_id=staff.team_id)
        mine |= Q(target=HandoverOffer.Target.ORGANISATION, to_organisation_id=staff.organisation_id)
    return _listed(HandoverOffer.objects.filter(mine, status=HandoverOffer.Status.PENDING))


def handover_team_inbox(*, staff: StaffMember, team: Team) -> QuerySet[HandoverOffer]:
    """Offers waiting for a team (including to its members by name)."""
    if team.organisation_id != staff.organisation_id:
        raise PermissionDenied(f"{team.name} belongs to another organisation.", code="team_not_visible")
    return _listed(
        HandoverOffer.objects.filter(Q(to_team=team) | Q(to_staff__team=team), status=HandoverOffer.Status.PENDING)
    )


def handovers_sent(*, staff: StaffMember) -> QuerySet[HandoverOffer]:
    """Offers `staff` made or is the sender of, still waiting."""
    return _listed(
        HandoverOffer.objects.filter(Q(sender=staff) | Q(offered_by=staff), status=HandoverOffer.Status.PENDING)
    )


def handover_get_for(*, staff: StaffMember, offer_id: int) -> HandoverOffer:
    offer = HandoverOffer.objects.select_related(*RELATED).filter(pk=offer_id).first()
    if offer is None or not can_see(staff, offer):
        raise NotFound(f"There is no handover offer {offer_id} that you can see.", code="offer_not_found")
    return offer


def handover_story(*, offer: HandoverOffer) -> QuerySet[TimelineEvent]:
    """What the customer has told us and what happened, for a receiver to read before
    accepting, so the customer never re-tells it. The sender's internal notes stay
    with the sender: what the receiver needs from colleagues is the offer's own note.
    (The customer's grants will narrow this further when consent lands.)"""
    return timeline_for_request(request_id=offer.request_id).filter(is_internal=False)


def handovers_of_request(*, request_id: int) -> QuerySet[HandoverOffer]:
    return HandoverOffer.objects.filter(request_id=request_id).select_related(*RELATED).order_by("-created_at", "-id")


def handover_receiver_rows() -> QuerySet[StaffMember, tuple[int, str, str, int, str]]:
    """People an offer can name, as ``(id, display name, job title, organisation id, team
    name)``: active staff in a team, in every organisation (someone without a team could
    not accept, the request would have no queue). Callers slice it.

    Hundreds of people fill the "Offer it to" list on every request page: plain rows
    of what the list shows, no model instances (docs/performance.md, "Pages")."""
    return (
        StaffMember.objects.filter(is_active=True, team__isnull=False)
        .order_by("organisation__name", "display_name", "id")
        .values_list("id", "display_name", "job_title", "organisation_id", "team__name")
    )


def handovers_expiring_among(
    *, staff_ids: Iterable[int], team_ids: Iterable[int], until: datetime
) -> QuerySet[HandoverOffer]:
    """Offers still waiting whose answer is due by `until`, that these people sent or
    must answer (to one of them by name, or to one of these teams): a supervisor's
    chance to act before an offer expires and the request is left where it was."""
    staff_ids, team_ids = list(staff_ids), list(team_ids)
    return (
        HandoverOffer.objects.filter(
            Q(sender_id__in=staff_ids) | Q(to_staff_id__in=staff_ids) | Q(to_team_id__in=team_ids),
            status=HandoverOffer.Status.PENDING,
            respond_by__lte=until,
        )
        .select_related(*RELATED)
        .order_by("respond_by", "id")
    )
