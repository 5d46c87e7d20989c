"""Offering, accepting, declining, withdrawing and expiring handovers.

Every step is one transaction with its timeline event, written in plain words the
customer can read ("Your request was offered to Sunrise Care; Jo Patel is still looking
after it until they accept"). Until acceptance nothing about ownership changes (I2).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from steward.consent import minimal
from steward.consent.services import grants_end_automatic
from steward.consent.vocabulary import Purpose
from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.notifications.models import Notification
from steward.notifications.services import notification_send
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.selectors import first_active_supervisor, organisation_head
from steward.requests.lifecycle import Status as RequestStatus
from steward.requests.models import Request
from steward.requests.services import request_hand_over
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record

from .models import HandoverOffer
from .permissions import can_answer, can_offer, can_withdraw
from .response_time import respond_by_for

logger = logging.getLogger(__name__)

MAX_NOTE = 20_000
TEAM_NOTIFY_LIMIT = 20


def _lock_offer(offer: HandoverOffer) -> HandoverOffer:
    # Request first, then offer: every path takes the two locks in this order.
    Request.objects.select_for_update(of=("self",)).filter(pk=offer.request_id).values_list("pk").first()
    return (
        HandoverOffer.objects.select_for_update(of=("self",))
        .select_related(
            "request__customer",
            "request__owner",
            "request__organisation",
            "request__need",
            "sender",
            "to_staff",
            "to_team",
            "to_organisation",
        )
        .get(pk=offer.pk)
    )


def _receivers(offer: HandoverOffer) -> list[StaffMember]:
    """Who is told that an offer is waiting: the person, else the team lead (or the team),
    else the head of the receiving organisation."""
    if offer.to_staff is not None:
        return [offer.to_staff]
    if offer.to_team is not None:
        lead = offer.to_team.lead
        if lead is not None and lead.is_active:
            return [lead]
        return list(offer.to_team.members.filter(is_active=True).order_by("id")[:TEAM_NOTIFY_LIMIT])
    head = organisation_head(organisation_id=offer.to_organisation_id)
    return [head] if head is not None else []


def _notify_receivers(offer: HandoverOffer, *, kind: str, title: str, body: str) -> None:
    for person in _receivers(offer):
        notification_send(recipient=person, kind=kind, title=title, body=body, request=offer.request)


def _event(offer: HandoverOffer, *, kind: str, actor: StaffMember | None, summary: str, at: datetime) -> None:
    event_record(
        customer=offer.request.customer,
        organisation=offer.request.organisation,
        request=offer.request,
        kind=kind,
        actor=actor,
        summary=summary,
        data={"offer": offer.pk, "target": offer.target, "to_organisation": offer.to_organisation_id},
        occurred_at=at,
    )


def _tell_sender_side(offer: HandoverOffer, *, title: str, body: str) -> None:
    """A declined or expired offer: the sender still owns it, and their supervisor is told
    by name (I2) so the request cannot stall between two desks."""
    recipients = [offer.sender]
    supervisor = first_active_supervisor(offer.sender)
    if supervisor is not None:
        recipients.append(supervisor)
    for person in recipients:
        if person.is_active:
            notification_send(
                recipient=person,
                kind=Notification.Kind.HANDOVER_NOT_ACCEPTED,
                title=title,
                body=body,
                request=offer.request,
            )


def _withdraw_stale(request: Request, *, now: datetime) -> None:
    """An open offer whose sender no longer owns the request (they left and their work
    moved on) no longer means anything: withdraw it so the new owner can decide."""
    for stale in HandoverOffer.objects.filter(request=request, status=HandoverOffer.Status.PENDING).exclude(
        sender_id=request.owner_id
    ):
        stale.status = HandoverOffer.Status.WITHDRAWN
        stale.responded_at = now
        stale.response_reason = "The person who offered it no longer looks after the request."
        stale.save(update_fields=["status", "responded_at", "response_reason"])
        _event(
            stale,
            kind=TimelineEvent.Kind.HANDOVER_WITHDRAWN,
            actor=None,
            summary=f"The offer to {stale.target_label} was withdrawn: {stale.sender.display_name} "
            "no longer looks after this request.",
            at=now,
        )


@transaction.atomic
def handover_offer(
    *,
    request: Request,
    actor: StaffMember,
    reason: str,
    note_for_receiver: str = "",
    to_staff: StaffMember | None = None,
    to_team: Team | None = None,
    to_organisation: Organisation | None = None,
) -> HandoverOffer:
    """Offer the request to one named person, one team, or one organisation.

    The owner, or someone the owner answers to, may offer. The owner keeps answering for
    the request, and stays the name the customer sees, until a receiver accepts.
    """
    targets = [t for t in (to_staff, to_team, to_organisation) if t is not None]
    if len(targets) != 1:
        raise InvalidInput("Offer the request to exactly one person, team or organisation.", code="one_target_needed")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why you are handing this request over.", code="reason_required")
    if len(reason) > 500 or len(note_for_receiver) > MAX_NOTE:
        raise InvalidInput("The reason or the note is too long.", code="text_too_long")
    request = (
        Request.objects.select_for_update(of=("self",))
        .select_related("customer", "owner", "organisation", "need")
        .get(pk=request.pk)
    )
    if request.status == RequestStatus.CLOSED:
        raise Conflict(f"Request #{request.pk} is closed; there is nothing to hand over.", code="request_closed")
    owner = request.owner
    assert owner is not None  # open requests always have one (I1)
    if not can_offer(actor, request):
        raise PermissionDenied(
            f"Only {owner.display_name} or the people they answer to can hand this request over.",
            code="not_owner_or_manager",
        )
    now = timezone.now()
    _withdraw_stale(request, now=now)
    if HandoverOffer.objects.filter(request=request, status=HandoverOffer.Status.PENDING).exists():
        raise Conflict(
            f"Request #{request.pk} already has an offer waiting for an answer; withdraw it first.",
            code="offer_already_open",
        )

    if to_staff is not None:
        if not to_staff.is_active:
            raise InvalidInput(f"{to_staff.display_name} is deactivated.", code="receiver_inactive")
        if to_staff.pk == owner.pk:
            raise InvalidInput(f"{owner.display_name} already looks after this request.", code="already_owner")
        target, organisation, team = HandoverOffer.Target.PERSON, to_staff.organisation, to_staff.team
    elif to_team is not None:
        if not to_team.members.filter(is_active=True).exists():
            raise Conflict(f"Nobody in {to_team.name} is active to accept it.", code="receiver_has_nobody")
        target, organisation, team = HandoverOffer.Target.TEAM, to_team.organisation, to_team
    else:
        assert to_organisation is not None
        if not to_organisation.staff.filter(is_active=True, team__isnull=False).exists():
            raise Conflict(f"Nobody at {to_organisation.name} is active to accept it.", code="receiver_has_nobody")
        target, organisation, team = HandoverOffer.Target.ORGANISATION, to_organisation, None

    offer = HandoverOffer.objects.create(
        request=request,
        sender=owner,
        offered_by=actor,
        target=target,
        to_organisation=organisation,
        to_team=team if target != HandoverOffer.Target.ORGANISATION else None,
        to_staff=to_staff,
        reason=reason,
        note_for_receiver=note_for_receiver.strip(),
        respond_by=respond_by_for(request, now=now),
        created_at=now,
    )
    minimal.ensure(
        minimal.for_handover_offer(
            customer_id=request.customer_id,
            organisation_id=organisation.pk,
            request_id=request.pk,
            subject=request.subject,
            from_name=request.organisation.name,
            ends_at=offer.respond_by,
        ),
        customer=request.customer,
        organisation=organisation,
        actor=actor,
    )
    _event(
        offer,
        kind=TimelineEvent.Kind.HANDOVER_OFFERED,
        actor=actor,
        summary=f"Your request was offered to {offer.target_label}; {owner.display_name} is still looking "
        "after it until they accept.",
        at=now,
    )
    _notify_receivers(
        offer,
        kind=Notification.Kind.HANDOVER_OFFERED,
        title=f"Request offered to {'you' if offer.to_staff else offer.target_label}: {request.subject}",
        body=f"{actor.display_name} asks you to take over {request.customer.full_name}'s request "
        f"“{request.subject}”. Why: {reason}. Please answer by "
        f"{timezone.localtime(offer.respond_by):%a %d %b %H:%M}.",
    )
    return offer


@transaction.atomic
def handover_accept(*, offer: HandoverOffer, actor: StaffMember) -> HandoverOffer:
    """A receiver accepts: they become the owner, named, with the story so far."""
    offer = _lock_offer(offer)
    _require_pending(offer)
    if not can_answer(actor, offer):
        raise PermissionDenied(f"This offer is for {offer.target_label}, not for you.", code="not_the_receiver")
    now = timezone.now()
    if now > offer.respond_by:
        raise Conflict(
            "The time to answer this offer has passed; ask the sender to offer it again.", code="offer_expired"
        )
    request = offer.request
    if request.status == RequestStatus.CLOSED or request.owner_id != offer.sender_id:
        raise Conflict("This offer is out of date: the request has changed hands or closed.", code="offer_stale")
    sender = offer.sender
    request_hand_over(
        request=request,
        to=actor,
        actor=actor,
        summary=f"{actor.display_name} at {actor.organisation.name} accepted and now looks after your request "
        f"(it was with {sender.display_name}).",
        data={"offer": offer.pk, "reason": offer.reason},
    )
    minimal.ensure(
        minimal.for_request(
            customer_id=request.customer_id,
            organisation_id=actor.organisation_id,
            request_id=request.pk,
            subject=request.subject,
        ),
        customer=request.customer,
        organisation=actor.organisation,
        actor=actor,
    )
    offer.status = HandoverOffer.Status.ACCEPTED
    offer.responded_at = now
    offer.responded_by = actor
    offer.save(update_fields=["status", "responded_at", "responded_by"])
    notification_send(
        recipient=sender,
        kind=Notification.Kind.HANDOVER_ANSWERED,
        title=f"{actor.display_name} accepted request #{request.pk}",
        body=f"{actor.display_name} at {actor.organisation.name} now looks after “{request.subject}”.",
        request=request,
    )
    return offer


@transaction.atomic
def handover_decline(*, offer: HandoverOffer, actor: StaffMember, reason: str) -> HandoverOffer:
    """A receiver says no, with a reason. The sender keeps it; their supervisor is told."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why you are declining, so the sender can find the right place.", code="reason_required")
    offer = _lock_offer(offer)
    _require_pending(offer)
    if not can_answer(actor, offer):
        raise PermissionDenied(f"This offer is for {offer.target_label}, not for you.", code="not_the_receiver")
    now = timezone.now()
    offer.status = HandoverOffer.Status.DECLINED
    offer.responded_at = now
    offer.responded_by = actor
    offer.response_reason = reason[:500]
    offer.save(update_fields=["status", "responded_at", "responded_by", "response_reason"])
    _end_offer_grant(offer, why="They declined the offer of your request.")
    _event(
        offer,
        kind=TimelineEvent.Kind.HANDOVER_DECLINED,
        actor=actor,
        summary=f"{offer.target_label} could not take your request ({reason[:200]}); "
        f"{offer.sender.display_name} is still looking after it.",
        at=now,
    )
    _tell_sender_side(
        offer,
        title=f"Handover of request #{offer.request_id} declined by {actor.display_name}",
        body=f"{actor.display_name} declined “{offer.request.subject}”: {reason}. "
        f"{offer.sender.display_name} still owns it and needs to find another way.",
    )
    return offer


@transaction.atomic
def handover_withdraw(*, offer: HandoverOffer, actor: StaffMember, reason: str = "") -> HandoverOffer:
    """The sender (or someone they answer to) takes the offer back."""
    offer = _lock_offer(offer)
    _require_pending(offer)
    if not can_withdraw(actor, offer):
        raise PermissionDenied(
            "Only the sender or the people they answer to can withdraw this offer.", code="not_sender"
        )
    now = timezone.now()
    offer.status = HandoverOffer.Status.WITHDRAWN
    offer.responded_at = now
    offer.responded_by = actor
    offer.response_reason = (reason or "").strip()[:500]
    offer.save(update_fields=["status", "responded_at", "responded_by", "response_reason"])
    _end_offer_grant(offer, why="The offer of your request to them was withdrawn.")
    _event(
        offer,
        kind=TimelineEvent.Kind.HANDOVER_WITHDRAWN,
        actor=actor,
        summary=f"The offer to {offer.target_label} was withdrawn; {offer.sender.display_name} is still looking "
        "after your request.",
        at=now,
    )
    return offer


def _end_offer_grant(offer: HandoverOffer, *, why: str) -> None:
    """The receiver's time-limited read, made with the offer, ends with it."""
    grants_end_automatic(
        customer_id=offer.request.customer_id,
        organisation_id=offer.to_organisation_id,
        purpose=Purpose.SERVICE_PROVISION,
        ends_at=offer.respond_by,
        why=why,
    )


def _require_pending(offer: HandoverOffer) -> None:
    if offer.status != HandoverOffer.Status.PENDING:
        raise Conflict(
            f"This offer is no longer waiting for an answer (it is {offer.get_status_display().lower()}).",
            code="offer_not_open",
        )


@dataclass
class HandoverSweepReport:
    expired: int = 0
    reminded: int = 0


# Receivers are reminded once when this little time is left to answer.
REMIND_BEFORE = timedelta(hours=2)


def _remind_expiring(*, at: datetime, report: HandoverSweepReport) -> None:
    soon = HandoverOffer.objects.filter(
        status=HandoverOffer.Status.PENDING,
        reminded_at__isnull=True,
        respond_by__gte=at,
        respond_by__lt=at + REMIND_BEFORE,
    )
    for pk in list(soon.order_by("respond_by").values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            # Claimed with a conditional update: one reminder, however many workers sweep.
            if not soon.filter(pk=pk).update(reminded_at=at):
                continue
            offer = _lock_offer(HandoverOffer.objects.only("pk", "request_id").get(pk=pk))
            _notify_receivers(
                offer,
                kind=Notification.Kind.HANDOVER_EXPIRING,
                title=f"Please answer by {timezone.localtime(offer.respond_by):%H:%M}: {offer.request.subject}",
                body=f"{offer.sender.display_name} offered {offer.request.customer.full_name}'s request to "
                f"{offer.target_label}. If nobody accepts or declines by "
                f"{timezone.localtime(offer.respond_by):%a %d %b %H:%M}, it stays with them "
                "and their manager is told.",
            )
            report.reminded += 1


def handover_sweep(*, at: datetime | None = None) -> HandoverSweepReport:
    """Expire offers nobody answered in time: the sender keeps the request, the event is
    on the timeline and the sender's supervisor is told by name (I2); remind receivers of
    offers about to expire. Idempotent, each offer claimed with a conditional update in
    its own transaction."""
    at = at or timezone.now()
    report = HandoverSweepReport()
    _remind_expiring(at=at, report=report)
    ids = list(
        HandoverOffer.objects.filter(status=HandoverOffer.Status.PENDING, respond_by__lt=at)
        .order_by("respond_by")
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        with transaction.atomic():
            claimed = HandoverOffer.objects.filter(
                pk=pk, status=HandoverOffer.Status.PENDING, respond_by__lt=at
            ).update(status=HandoverOffer.Status.EXPIRED, responded_at=at)
            if not claimed:
                continue
            offer = _lock_offer(HandoverOffer.objects.only("pk", "request_id").get(pk=pk))
            _event(
                offer,
                kind=TimelineEvent.Kind.HANDOVER_EXPIRED,
                actor=None,
                summary=f"{offer.target_label} did not answer in time; {offer.sender.display_name} is still "
                "looking after your request.",
                at=at,
            )
            _tell_sender_side(
                offer,
                title=f"Nobody accepted request #{offer.request_id} in time",
                body=f"The offer of “{offer.request.subject}” to {offer.target_label} expired unanswered. "
                f"{offer.sender.display_name} still owns it.",
            )
            report.expired += 1
    return report


__all__ = [
    "HandoverSweepReport",
    "handover_accept",
    "handover_decline",
    "handover_offer",
    "handover_sweep",
    "handover_withdraw",
]
