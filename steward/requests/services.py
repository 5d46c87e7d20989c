"""Every change to a request happens here, in one transaction with its timeline event.

Nothing else sets ``Request.owner`` or ``Request.status``. Each public function checks
who is acting and whether the change is allowed, then writes the change and the event
together, so a refused change leaves nothing behind (I7) and every change leaves a
trace on the customer's timeline (I4).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from steward.consent import minimal
from steward.consent.services import grants_ensure_bulk
from steward.customers.models import Customer
from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.needs.models import Need
from steward.notifications.models import Notification
from steward.notifications.services import notification_send
from steward.organisations.models import Organisation, StaffMember
from steward.organisations.selectors import escalation_chain, first_active_supervisor, organisation_head
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record

from .attachment_files import (
    attachment_storage,
    check_size,
    clean_filename,
    new_storage_name,
    sha256_of,
    size_in_words,
    sniff,
)
from .lifecycle import IN_PLAY, PLAIN_WORDS, Status, Trigger, check_transition
from .models import Attachment, Channel, Request
from .permissions import can_view, require_work_on
from .routing import RoutingDecision, route

if TYPE_CHECKING:
    from steward.trusted.models import TrustedPerson

logger = logging.getLogger(__name__)

MAX_TEXT = 20_000


def _clean_text(value: str, *, what: str, code: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{what} cannot be empty.", code=code)
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{what} is longer than {MAX_TEXT} characters.", code="text_too_long")
    return value


def _require_active(actor: StaffMember) -> None:
    if not actor.is_active:
        raise PermissionDenied(f"{actor.display_name} is deactivated.", code="staff_inactive")


def _next_due(request: Request) -> datetime | None:
    """The deadline a queue should sort by right now."""
    if request.status != Status.OPEN:
        return None
    if request.first_responded_at is None:
        return request.first_response_due
    return request.resolution_due


def _lock(request: Request) -> Request:
    """Re-read the request under a row lock so concurrent changes queue up."""
    return (
        Request.objects.select_for_update(of=("self",))
        .select_related("customer", "organisation", "need", "team", "owner")
        .get(pk=request.pk)
    )


def _owner_sentence(owner: StaffMember) -> str:
    chain = escalation_chain(owner)
    if not chain:
        return f"{owner.display_name} is looking after it."
    return f"{owner.display_name} is looking after it, and answers to {chain[0].display_name}."


# --- capture ------------------------------------------------------------------------


def _customer_voice(customer: Customer, trusted_person: TrustedPerson | None) -> str:
    """Who wrote, as the timeline shows it: the customer, or someone they trust for them."""
    if trusted_person is not None:
        return f"{trusted_person.name} (for {customer.full_name})"
    return f"{customer.full_name} (customer)"


def _trusted_data(trusted_person: TrustedPerson | None) -> dict[str, object]:
    return {"trusted_person": trusted_person.pk} if trusted_person is not None else {}


def _route_and_hold_owner(need: Need) -> RoutingDecision:
    """Route, then lock the chosen owner's row until the capture commits.

    `staff_deactivate` locks the same row, so a capture and a deactivation of the chosen
    owner queue up: either the capture commits first and the deactivation then moves the
    new request on, or the deactivation wins and the locked re-read finds the person
    inactive, and routing runs again (I1 under concurrency)."""
    for _ in range(3):
        decision = route(need=need)
        held = list(
            StaffMember.objects.select_for_update(no_key=True)
            .filter(pk=decision.owner.pk, is_active=True)
            .values_list("pk")
        )
        if held:
            return decision
    raise Conflict("Everyone who could answer for this is being changed right now; try again.", code="routing_busy")


@transaction.atomic
def request_capture(
    *,
    customer: Customer,
    need: Need,
    channel: str,
    description: str,
    actor: StaffMember | None,
    subject: str = "",
    trusted_person: TrustedPerson | None = None,
) -> Request:
    """Take down a customer's request and give it an owner straight away.

    Any active staff member of any team or organisation may capture any request (any
    door is the right door); ``actor=None`` means the customer asked directly, or
    someone they trust asked for them (``trusted_person``, checked by the caller). Routing
    picks a named owner in the need's team before the request is saved, so it is never
    ownerless, not even for a moment.
    """
    if actor is not None:
        _require_active(actor)
    if channel not in Channel.values:
        raise InvalidInput(
            f"Unknown channel {channel!r}; use one of {', '.join(Channel.values)}.", code="unknown_channel"
        )
    if not need.is_active:
        raise InvalidInput(f"“{need.title}” is no longer offered; choose another need.", code="need_inactive")
    description = _clean_text(description, what="What the customer said", code="description_required")
    subject = (subject or "").strip()[:200] or need.title
    decision = _route_and_hold_owner(need)
    now = timezone.now()
    request = Request(
        customer=customer,
        organisation_id=need.organisation_id,
        need=need,
        team=decision.team,
        owner=decision.owner,
        owner_since=now,
        status=Status.OPEN,
        channel=channel,
        subject=subject,
        description=description,
        captured_by=actor,
        first_response_due=now + timedelta(minutes=need.first_response_minutes),
        resolution_due=now + timedelta(minutes=need.resolution_minutes),
        created_at=now,
    )
    request.due_at = _next_due(request)
    request.save()
    organisation = need.organisation
    taker = actor.display_name if actor else customer.full_name
    event_record(
        customer=customer,
        organisation=organisation,
        request=request,
        kind=TimelineEvent.Kind.CAPTURED,
        channel=channel,
        actor=actor,
        actor_name=taker if actor else _customer_voice(customer, trusted_person),
        summary=(
            f"{taker} took down a request by {Channel(channel).label.lower()}: “{subject}”."
            if actor
            else f"{_customer_voice(customer, trusted_person)} asked for help online: “{subject}”."
            if trusted_person
            else f"{customer.full_name} asked for help online: “{subject}”."
        ),
        body=description,
        data={
            "need": need.code,
            "captured_by_organisation": actor.organisation_id if actor else None,
            **_trusted_data(trusted_person),
        },
        occurred_at=now,
    )
    event_record(
        customer=customer,
        organisation=organisation,
        request=request,
        kind=TimelineEvent.Kind.ROUTED,
        summary=f"Given to {decision.team.name}. {_owner_sentence(decision.owner)}",
        data={"team_id": decision.team.pk, "owner_id": decision.owner.pk, "reason": decision.reason},
        occurred_at=now,
    )
    minimal.ensure(
        minimal.for_request(
            customer_id=customer.pk, organisation_id=organisation.pk, request_id=request.pk, subject=subject
        ),
        customer=customer,
        organisation=organisation,
        actor=actor,
    )
    if actor is None or actor.pk != decision.owner.pk:
        notification_send(
            recipient=decision.owner,
            kind=Notification.Kind.OWNER_ASSIGNED,
            title=f"New request for you: {subject}",
            body=f"{customer.full_name} needs help: “{need.title}”. First reply due by "
            f"{timezone.localtime(request.first_response_due):%d %b %H:%M}.",
            request=request,
        )
    return request


# --- conversation -------------------------------------------------------------------


@transaction.atomic
def request_add_message(
    *,
    request: Request,
    actor: StaffMember | None,
    direction: str,
    body: str,
    channel: str,
    customer: Customer | None = None,
    trusted_person: TrustedPerson | None = None,
) -> TimelineEvent:
    """Record a message on the request.

    ``direction="out"``: a staff member wrote to the customer; the first one stops the
    first-response clock. ``direction="in"``: the customer said something (a staff
    member keys in what was said on the phone); it restarts a request that was waiting
    on them, and reopens a resolved one within the reopen window.

    ``actor=None`` means the customer wrote themselves (the portal): only ``"in"``, and
    only on their own request (``customer``), else it reads as not found; with
    ``trusted_person``, someone they trust wrote for them (checked by the caller).
    """
    if actor is None:
        if direction != "in" or customer is None or request.customer_id != customer.pk:
            raise NotFound(f"There is no request #{request.pk} of yours.", code="request_not_found")
    else:
        _require_active(actor)
    if direction not in {"in", "out"}:
        raise InvalidInput("A message goes 'in' (from the customer) or 'out' (to them).", code="unknown_direction")
    if channel not in Channel.values:
        raise InvalidInput(
            f"Unknown channel {channel!r}; use one of {', '.join(Channel.values)}.", code="unknown_channel"
        )
    body = _clean_text(body, what="A message", code="body_required")
    request = _lock(request)
    if actor is not None and not can_view(actor, request):
        raise PermissionDenied(f"Request #{request.pk} is not visible to you.", code="not_visible")
    if request.status == Status.CLOSED:
        raise Conflict(
            f"Request #{request.pk} is closed; capture a new request so someone answers for it.",
            code="request_closed",
        )
    now = timezone.now()
    customer = request.customer
    if direction == "out":
        assert actor is not None  # checked above: the customer only writes "in"
        require_work_on(actor, request)
        event = event_record(
            customer=customer,
            organisation=request.organisation,
            request=request,
            kind=TimelineEvent.Kind.MESSAGE_OUT,
            channel=channel,
            actor=actor,
            summary=f"{actor.display_name} wrote to {customer.known_as}.",
            body=body,
            occurred_at=now,
        )
        if request.first_responded_at is None:
            request.first_responded_at = now
            request.due_at = _next_due(request)
            request.save(update_fields=["first_responded_at", "due_at", "updated_at"])
        return event

    event = event_record(
        customer=customer,
        organisation=request.organisation,
        request=request,
        kind=TimelineEvent.Kind.MESSAGE_IN,
        channel=channel,
        actor=actor,
        actor_name=_customer_voice(customer, trusted_person),
        summary=(
            f"{customer.known_as} said (by {Channel(channel).label.lower()}, noted by {actor.display_name})."
            if actor
            else f"{_customer_voice(customer, trusted_person)} wrote online."
            if trusted_person
            else f"{customer.known_as} wrote online."
        ),
        body=body,
        data={"recorded_by": actor.pk if actor else None, **_trusted_data(trusted_person)},
        occurred_at=now,
    )
    if request.status == Status.WAITING:
        _transition(request, Status.OPEN, Trigger.CUSTOMER_REPLY, actor=None, reason="The customer replied.", now=now)
    elif request.status == Status.RESOLVED:
        _reopen_for_customer(
            request, reason="The customer replied after it was resolved, so it is open again.", now=now
        )
    return event


def _reopen_for_customer(request: Request, *, reason: str, now: datetime) -> None:
    """Reopen a locked, resolved request because the customer came back (counted in
    ``reopen_count``), if the reopen window has not passed."""
    window = timedelta(days=settings.STEWARD_REOPEN_WINDOW_DAYS)
    if request.resolved_at is not None and now - request.resolved_at > window:
        raise Conflict(
            f"Request #{request.pk} was resolved more than {settings.STEWARD_REOPEN_WINDOW_DAYS} days ago; "
            "capture a new request so someone answers for it.",
            code="reopen_window_passed",
        )
    _transition(request, Status.OPEN, Trigger.CUSTOMER_REPLY, actor=None, reason=reason, now=now)


@transaction.atomic
def request_customer_chase(
    *, request: Request, customer: Customer, body: str = "", trusted_person: TrustedPerson | None = None
) -> Request:
    """The customer says a resolved request is still not fixed: it opens again (within
    the reopen window), ``reopen_count`` counts that they had to chase, the timeline
    records it in their words, and it is back in the owner's queue."""
    request = _lock(request)
    if request.customer_id != customer.pk:
        raise NotFound(f"There is no request #{request.pk} of yours.", code="request_not_found")
    if request.status != Status.RESOLVED:
        raise Conflict(
            f"Request #{request.pk} is {PLAIN_WORDS[Status(request.status)]}, not resolved, so there is "
            "nothing to reopen.",
            code="not_resolved",
        )
    now = timezone.now()
    words = (body or "").strip()[:MAX_TEXT] or "This is still not fixed."
    _reopen_for_customer(request, reason="The customer says it is still not fixed.", now=now)
    event_record(
        customer=customer,
        organisation=request.organisation,
        request=request,
        kind=TimelineEvent.Kind.MESSAGE_IN,
        channel=TimelineEvent.Channel.WEB,
        actor=None,
        actor_name=_customer_voice(customer, trusted_person),
        summary=(
            f"{_customer_voice(customer, trusted_person) if trusted_person else customer.known_as} said it is "
            "still not fixed "
            f"(times reopened: {request.reopen_count})."
        ),
        body=words,
        data={
            "recorded_by": None,
            "chase": True,
            "reopen_count": request.reopen_count,
            **_trusted_data(trusted_person),
        },
        occurred_at=now,
    )
    # The owner hears it at once: a customer who had to chase must not wait for a queue refresh.
    if request.owner is not None:
        notification_send(
            recipient=request.owner,
            kind=Notification.Kind.CUSTOMER_CHASED,
            title=f"{customer.known_as} says request #{request.pk} is still not fixed",
            body=f"“{request.subject}” is open again (times reopened: {request.reopen_count}). "
            f"They said: {words[:500]}",
            request=request,
        )
    return request


@transaction.atomic
def request_add_note(
    *, request: Request, actor: StaffMember, body: str, corrects: TimelineEvent | None = None
) -> TimelineEvent:
    """An internal note for colleagues (not shown to the customer). With ``corrects``,
    the note is a correction of an earlier event: the earlier one stays as it was (I4)."""
    _require_active(actor)
    body = _clean_text(body, what="A note", code="body_required")
    request = _lock(request)
    if not can_view(actor, request):
        raise PermissionDenied(f"Request #{request.pk} is not visible to you.", code="not_visible")
    if corrects is not None:
        if corrects.request_id != request.pk:
            raise InvalidInput("A correction must refer to an event on the same request.", code="correction_mismatch")
        return event_record(
            customer=request.customer,
            organisation=request.organisation,
            request=request,
            kind=TimelineEvent.Kind.CORRECTION,
            actor=actor,
            summary=f"{actor.display_name} corrected an earlier entry ({corrects.summary[:120]}).",
            body=body,
            is_internal=corrects.is_internal,
            corrects=corrects,
        )
    return event_record(
        customer=request.customer,
        organisation=request.organisation,
        request=request,
        kind=TimelineEvent.Kind.NOTE,
        actor=actor,
        summary=f"{actor.display_name} added a note.",
        body=body,
        is_internal=True,
    )


# --- attachments --------------------------------------------------------------------


def customer_may_attach(request: Request, *, now: datetime) -> bool:
    """The customer may add a file to their request while it is in play, or within the
    reopen window after it was resolved or closed (the letter that arrived the day
    after)."""
    if request.status in IN_PLAY:
        return True
    finished = request.closed_at or request.resolved_at
    return finished is not None and now - finished <= timedelta(days=settings.STEWARD_REOPEN_WINDOW_DAYS)


def _check_may_attach(request: Request, *, actor: StaffMember | None, customer: Customer | None, now: datetime) -> None:
    if actor is None:
        if customer is None or request.customer_id != customer.pk:
            raise NotFound(f"There is no request #{request.pk} of yours.", code="request_not_found")
        if not customer_may_attach(request, now=now):
            raise Conflict(
                f"Request #{request.pk} was finished more than {settings.STEWARD_REOPEN_WINDOW_DAYS} days ago, so "
                "it no longer takes files. Ask for help again and add the file there.",
                code="request_closed_for_attachments",
            )
        return
    _require_active(actor)
    if not can_view(actor, request):
        raise PermissionDenied(f"Request #{request.pk} is not visible to you.", code="not_visible")
    require_work_on(actor, request)


def request_attach(
    *,
    request: Request,
    upload: File,  # type: ignore[type-arg]
    actor: StaffMember | None,
    customer: Customer | None = None,
    body: str = "",
    trusted_person: TrustedPerson | None = None,
) -> Attachment:
    """Add a photo or document to a request, with an ``attachment_added`` entry on the
    customer's timeline in the same transaction (and, with ``body``, the message it came
    with: from the customer, or to them from staff).

    ``actor=None`` means the customer added it themselves (``customer``): only on their
    own request, while it is in play or recently finished (`customer_may_attach`);
    ``trusted_person`` when someone they trust sends it for them (checked by the caller).
    Staff must be able to work on the request (`permissions.can_work_on`).

    What the file is comes from its bytes (`attachment_files.sniff`); too large, empty or
    of a kind we do not take is refused before anything is stored. The bytes are stored
    inside the transaction, after the checks; if anything after that fails, the stored
    file is deleted before the error goes on, so a refusal leaves no file behind. Call it
    on its own, not inside a larger transaction: a rollback of someone else's transaction
    after it returns would leave the file without its row.
    """
    size = int(upload.size or 0)
    check_size(size)
    kind = sniff(upload)
    filename = clean_filename(upload.name or "")
    digest = sha256_of(upload)
    storage = attachment_storage()
    stored: str | None = None
    try:
        with transaction.atomic():
            request = _lock(request)
            now = timezone.now()
            _check_may_attach(request, actor=actor, customer=customer, now=now)
            message = None
            if (body or "").strip():
                message = request_add_message(
                    request=request,
                    actor=actor,
                    customer=customer,
                    direction="in" if actor is None else "out",
                    body=body,
                    channel=Channel.WEB,
                    trusted_person=trusted_person if actor is None else None,
                )
            stored = storage.save(new_storage_name(), upload)
            # After the message, so the file follows the words it came with on the timeline.
            now = timezone.now()
            owner_customer = request.customer
            if actor is None and trusted_person is not None:
                who, by = _customer_voice(owner_customer, trusted_person), Attachment.AddedBy.TRUSTED_PERSON
                sentence = f"{trusted_person.name} added a {kind.words} for {owner_customer.known_as}"
            elif actor is None:
                who, by = owner_customer.full_name, Attachment.AddedBy.CUSTOMER
                sentence = f"{owner_customer.known_as} added a {kind.words}"
            else:
                who, by = actor.display_name, Attachment.AddedBy.STAFF
                sentence = f"{actor.display_name} added a {kind.words}"
            attachment = Attachment.objects.create(
                request=request,
                customer=owner_customer,
                message=message,
                added_by=by,
                added_by_staff=actor,
                added_by_name=who[:300],
                filename=filename,
                content_type=kind.content_type,
                size=size,
                sha256=digest,
                storage_name=stored,
                created_at=now,
            )
            event_record(
                customer=owner_customer,
                organisation=request.organisation,
                request=request,
                kind=TimelineEvent.Kind.ATTACHMENT_ADDED,
                channel=TimelineEvent.Channel.WEB if actor is None else TimelineEvent.Channel.SYSTEM,
                actor=actor,
                actor_name=_customer_voice(owner_customer, trusted_person) if actor is None else None,
                summary=f"{sentence}: “{filename}” ({size_in_words(size)}).",
                data={
                    "attachment": attachment.pk,
                    "size": size,
                    "content_type": kind.content_type,
                    **_trusted_data(trusted_person if actor is None else None),
                },
                occurred_at=now,
            )
    except BaseException:
        # No orphans: the row and its event are gone with the transaction, so the bytes go too.
        if stored is not None:
            storage.delete(stored)
        raise
    return attachment


# --- status -------------------------------------------------------------------------


def _status_sentence(status: str, customer: Customer) -> str:
    """Status as a timeline entry reads it: staff and the customer both read the timeline,
    so it speaks of the customer by name, not as "you"."""
    if status == Status.WAITING:
        return f"waiting for a reply from {customer.known_as}"
    return PLAIN_WORDS[Status(status)]


def _transition(
    request: Request, target: str, trigger: Trigger, *, actor: StaffMember | None, reason: str, now: datetime
) -> None:
    """Move a locked request to `target`, keeping the service clocks right, and record it."""
    previous = request.status
    check_transition(previous, target, trigger)
    fields = ["status", "due_at", "updated_at"]
    if target == Status.WAITING:
        request.paused_at = now
        fields.append("paused_at")
    if previous == Status.WAITING and request.paused_at is not None:
        # Waiting on the customer does not count against us: shift the clocks by the pause.
        paused_for = now - request.paused_at
        request.resolution_due += paused_for
        fields.append("resolution_due")
        if request.first_responded_at is None:
            request.first_response_due += paused_for
            fields.append("first_response_due")
        request.paused_at = None
        fields.append("paused_at")
    if target == Status.RESOLVED:
        request.resolved_at = now
        fields.append("resolved_at")
    if previous == Status.RESOLVED and target == Status.OPEN:
        request.reopen_count += 1
        request.resolved_at = None
        fields += ["reopen_count", "resolved_at"]
    if target == Status.CLOSED:
        request.closed_at = now
        fields.append("closed_at")
    request.status = target
    request.due_at = _next_due(request)
    request.save(update_fields=fields)
    who = actor.display_name if actor else "Steward"
    event_record(
        customer=request.customer,
        organisation=request.organisation,
        request=request,
        kind=TimelineEvent.Kind.STATUS_CHANGED,
        actor=actor,
        summary=f"{who} marked the request as {_status_sentence(target, request.customer)}. {reason}".strip(),
        data={"from": previous, "to": target, "trigger": trigger.value, "reason": reason},
        occurred_at=now,
    )


@transaction.atomic
def request_change_status(*, request: Request, status: str, actor: StaffMember, reason: str = "") -> Request:
    """A staff member moves the request along its lifecycle (see `lifecycle.TRANSITIONS`)."""
    _require_active(actor)
    request = _lock(request)
    if not can_view(actor, request):
        raise PermissionDenied(f"Request #{request.pk} is not visible to you.", code="not_visible")
    require_work_on(actor, request)
    _transition(request, status, Trigger.STAFF, actor=actor, reason=reason.strip()[:500], now=timezone.now())
    return request


# --- ownership ----------------------------------------------------------------------


def _change_owner(request: Request, new_owner: StaffMember, *, actor: StaffMember | None, reason: str) -> None:
    """Give a locked request to `new_owner` and say why on the timeline. The new owner's
    row is locked and re-read, so someone deactivated a moment ago is refused (I1)."""
    still_active = list(
        StaffMember.objects.select_for_update(no_key=True).filter(pk=new_owner.pk, is_active=True).values_list("pk")
    )
    if not still_active:
        raise InvalidInput(f"{new_owner.display_name} is deactivated.", code="staff_inactive")
    previous = request.owner
    now = timezone.now()
    request.owner = new_owner
    request.owner_since = now
    request.save(update_fields=["owner", "owner_since", "updated_at"])
    event_record(
        customer=request.customer,
        organisation=request.organisation,
        request=request,
        kind=TimelineEvent.Kind.OWNER_CHANGED,
        actor=actor,
        summary=(
            f"{new_owner.display_name} now looks after this request"
            f"{' instead of ' + previous.display_name if previous else ''}. {reason}"
        ).strip(),
        data={"from_owner": previous.pk if previous else None, "to_owner": new_owner.pk, "reason": reason},
        occurred_at=now,
    )
    notification_send(
        recipient=new_owner,
        kind=Notification.Kind.OWNER_ASSIGNED,
        title=f"Request #{request.pk} is now yours: {request.subject}",
        body=reason,
        request=request,
    )


def request_hand_over(
    *,
    request: Request,
    to: StaffMember,
    actor: StaffMember,
    summary: str,
    data: dict[str, object],
) -> Request:
    """Make `to` the owner because they accepted a handover (see `handovers.services`).

    The request moves with them to their organisation and team: from now on it is
    their organisation's to see and work on, the history travelling with it. Must run
    inside the caller's transaction, on a request the caller has locked."""
    if not to.is_active:
        raise InvalidInput(f"{to.display_name} is deactivated.", code="staff_inactive")
    team = to.team
    if team is None:
        raise Conflict(
            f"{to.display_name} is not in a team, so the request would have no queue; ask someone in a team to accept.",
            code="acceptor_has_no_team",
        )
    previous = request.owner
    now = timezone.now()
    request.owner = to
    request.owner_since = now
    request.organisation = to.organisation
    request.team = team
    request.save(update_fields=["owner", "owner_since", "organisation", "team", "updated_at"])
    event_record(
        customer=request.customer,
        organisation=to.organisation,
        request=request,
        kind=TimelineEvent.Kind.HANDOVER_ACCEPTED,
        actor=actor,
        summary=summary,
        data={**data, "from_owner": previous.pk if previous else None, "to_owner": to.pk},
        occurred_at=now,
    )
    return request


def requests_move_from_departing(
    *, departing: StaffMember, successor: StaffMember, actor: StaffMember | None, reason: str
) -> int:
    """Move every request a departing person owns and that is not closed to `successor`.
    Called by `staff_deactivate` inside its transaction. Closed requests keep the name of
    who last answered for them: that is history, not work."""
    moved = 0
    ids = list(
        Request.objects.filter(owner=departing)
        .exclude(status=Status.CLOSED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        request = _lock(Request(pk=pk))
        _change_owner(
            request,
            successor,
            actor=actor,
            reason=f"{departing.display_name} is no longer available ({reason}).",
        )
        moved += 1
    return moved


# --- sweeps -------------------------------------------------------------------------


@dataclass
class SweepReport:
    """What one sweep did; printed by `manage.py sweep` and the worker."""

    at: datetime
    repaired_owners: int = 0
    first_response_breaches: int = 0
    resolution_breaches: int = 0
    closed_after_window: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return self.repaired_owners + self.first_response_breaches + self.resolution_breaches + self.closed_after_window


SWEEP_BATCH = 500


def _escalate_breach(request: Request, *, which: str, due: datetime, at: datetime) -> None:
    owner = request.owner
    assert owner is not None  # open requests always have one (I1, DB constraint)
    target = first_active_supervisor(owner) or owner
    label = "first reply" if which == "first_response" else "resolution"
    due_local = timezone.localtime(due)
    event_record(
        customer=request.customer,
        organisation=request.organisation,
        request=request,
        kind=TimelineEvent.Kind.BREACHED,
        summary=f"The {label} was due by {due_local:%d %b %Y %H:%M} and was missed.",
        data={"which": which, "due": due.isoformat(), "swept_at": at.isoformat()},
        occurred_at=at,
    )
    if target.pk == owner.pk:
        summary = f"{owner.display_name} heads {request.organisation.name}, so the missed {label} stays with them."
    else:
        summary = f"Escalated to {target.display_name}, who {owner.display_name} answers to."
    event_record(
        customer=request.customer,
        organisation=request.organisation,
        request=request,
        kind=TimelineEvent.Kind.ESCALATED,
        summary=summary,
        data={"which": which, "escalated_to": target.pk, "owner": owner.pk},
        occurred_at=at,
    )
    notification_send(
        recipient=target,
        kind=Notification.Kind.BREACH_ESCALATED,
        title=f"Missed {label}: request #{request.pk} owned by {owner.display_name}",
        body=(
            f"{request.customer.full_name}'s request “{request.subject}” missed its {label} "
            f"(due {due_local:%d %b %Y %H:%M}). {owner.display_name} owns it and answers to you."
        ),
        request=request,
    )


def _sweep_breaches(*, at: datetime, which: str) -> int:
    due_field = f"{which}_due"
    breached_field = f"{which}_breached_at"
    filters = {"status": Status.OPEN, f"{due_field}__lt": at, f"{breached_field}__isnull": True}
    if which == "first_response":
        filters["first_responded_at__isnull"] = True
    ids = list(Request.objects.filter(**filters).order_by(due_field).values_list("pk", flat=True)[:SWEEP_BATCH])
    count = 0
    for pk in ids:
        with transaction.atomic():
            # Claiming with a conditional update makes the sweep idempotent, also when
            # two workers sweep at once: only one of them gets 1 back.
            claimed = Request.objects.filter(pk=pk, **filters).update(**{breached_field: at})
            if not claimed:
                continue
            request = _lock(Request(pk=pk))
            _escalate_breach(request, which=which, due=getattr(request, due_field), at=at)
            count += 1
    return count


def _repair_orphans(report: SweepReport) -> None:
    """I1 must hold; if an owner was deactivated behind the services' back (say in the
    database directly), hand their requests to the nearest active manager and say so."""
    # Start from the (few) inactive people rather than from the (many) requests, and name
    # the in-play statuses: `exclude(status=closed)` cannot use an index.
    inactive = StaffMember.objects.filter(is_active=False).values("pk")
    ids = list(
        Request.objects.filter(owner__in=inactive, status__in=IN_PLAY).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in ids:
        with transaction.atomic():
            request = _lock(Request(pk=pk))
            owner = request.owner
            if owner is None or owner.is_active:
                continue
            successor = first_active_supervisor(owner) or organisation_head(organisation_id=request.organisation_id)
            if successor is None:
                report.problems.append(
                    f"Request #{pk}: its owner is inactive and nobody at the organisation can take it."
                )
                logger.error("request %s has an inactive owner and no successor", pk)
                continue
            logger.warning("request %s had inactive owner %s; moving to %s", pk, owner.pk, successor.pk)
            try:
                _change_owner(
                    request,
                    successor,
                    actor=None,
                    reason=f"{owner.display_name} is no longer active, so the request moved to their manager.",
                )
            except InvalidInput:
                # The successor left while we chose them; the next sweep chooses again.
                report.problems.append(f"Request #{pk}: {successor.display_name} left while taking it over.")
                continue
            report.repaired_owners += 1


def _close_after_window(*, at: datetime) -> int:
    cutoff = at - timedelta(days=settings.STEWARD_REOPEN_WINDOW_DAYS)
    ids = list(
        Request.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff).values_list("pk", flat=True)[
            :SWEEP_BATCH
        ]
    )
    count = 0
    for pk in ids:
        with transaction.atomic():
            request = _lock(Request(pk=pk))
            if request.status != Status.RESOLVED or request.resolved_at is None or request.resolved_at >= cutoff:
                continue
            _transition(
                request,
                Status.CLOSED,
                Trigger.SWEEP,
                actor=None,
                reason=f"Nobody replied within {settings.STEWARD_REOPEN_WINDOW_DAYS} days of it being resolved.",
                now=at,
            )
            count += 1
    return count


def sla_sweep(*, at: datetime | None = None) -> SweepReport:
    """One pass of the periodic checks, as of `at` (default now); what it records is dated
    `at`, so `manage.py sweep --at …` tells a coherent story in demos. Idempotent: running it
    twice at the same time changes nothing the second time. Each request is handled in
    its own transaction, so an interrupted sweep keeps what it finished."""
    at = at or timezone.now()
    report = SweepReport(at=at)
    _repair_orphans(report)
    report.first_response_breaches = _sweep_breaches(at=at, which="first_response")
    report.resolution_breaches = _sweep_breaches(at=at, which="resolution")
    report.closed_after_window = _close_after_window(at=at)
    return report


# --- transfers between providers -----------------------------------------------------


def requests_hand_to_provider(
    *, owners: dict[int, StaffMember], from_provider_id: int, actor: StaffMember, at: datetime, why: str
) -> dict[int, int]:
    """Move each customer's requests that are not closed from `from_provider_id` to the
    named person who now answers for that customer (`owners`: customer id -> person),
    because a receiving provider accepted them in a transfer (see `transfers.services`).

    Like an accepted handover, each request moves to the new owner's organisation and
    team with its story, and the request's timeline says so. Open handover offers on
    these requests are withdrawn: they were made by someone who no longer answers for
    them. Must run inside the caller's transaction; returns customer id -> requests moved.
    """
    from steward.handovers.models import HandoverOffer  # handovers build on requests

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("requests_hand_to_provider must run inside the transfer's transaction.")
    for person in {p.pk: p for p in owners.values()}.values():
        if not person.is_active or person.team_id is None:
            raise Conflict(
                f"{person.display_name} cannot take requests (inactive or in no team).", code="owner_invalid"
            )
    # Only the four values each event needs: building whole rows with their owner and
    # organisation was half the time of accepting 10,000 clients (docs/performance.md).
    rows = list(
        Request.objects.select_for_update(of=("self",))
        .filter(customer_id__in=list(owners), organisation_id=from_provider_id)
        .exclude(status=Status.CLOSED)
        .order_by("id")
        .values_list("pk", "customer_id", "owner_id", "owner__display_name", "subject")
    )
    from_name = Organisation.objects.filter(pk=from_provider_id).values_list("name", flat=True).first() or ""
    moved: dict[int, int] = {}
    by_owner: dict[int, list[int]] = {}
    events: list[TimelineEvent] = []
    for request_id, customer_id, owner_id, owner_name, _subject in rows:
        new = owners[customer_id]
        by_owner.setdefault(new.pk, []).append(request_id)
        moved[customer_id] = moved.get(customer_id, 0) + 1
        events.append(
            TimelineEvent(
                customer_id=customer_id,
                organisation_id=new.organisation_id,
                request_id=request_id,
                kind=TimelineEvent.Kind.OWNER_CHANGED,
                actor=actor,
                actor_name=actor.display_name[:300],
                summary=(
                    f"{new.display_name} at {new.organisation.name} now looks after this request "
                    f"(it was with {owner_name or 'nobody'} at {from_name}; {why})."
                )[:500],
                data={"from_owner": owner_id, "to_owner": new.pk, "why": why},
                occurred_at=at,
            )
        )
    people = {p.pk: p for p in owners.values()}
    for owner_id, ids in by_owner.items():
        person = people[owner_id]
        Request.objects.filter(pk__in=ids).update(
            owner_id=owner_id,
            owner_since=at,
            organisation_id=person.organisation_id,
            team_id=person.team_id,
            updated_at=at,
        )
    TimelineEvent.objects.bulk_create(events, batch_size=500)
    grants_ensure_bulk(
        (
            minimal.for_request(
                customer_id=customer_id,
                organisation_id=owners[customer_id].organisation_id,
                request_id=request_id,
                subject=subject,
            )
            for request_id, customer_id, _owner, _name, subject in rows
        ),
        actor=actor,
    )
    stale = list(
        HandoverOffer.objects.filter(
            request_id__in=[row[0] for row in rows], status=HandoverOffer.Status.PENDING
        ).select_related("request")
    )
    if stale:
        HandoverOffer.objects.filter(pk__in=[o.pk for o in stale]).update(
            status=HandoverOffer.Status.WITHDRAWN,
            responded_at=at,
            response_reason=f"The request moved to another provider ({why}).",
        )
        TimelineEvent.objects.bulk_create(
            TimelineEvent(
                customer_id=o.request.customer_id,
                organisation_id=owners[o.request.customer_id].organisation_id,
                request_id=o.request_id,
                kind=TimelineEvent.Kind.HANDOVER_WITHDRAWN,
                actor_name="Steward",
                summary=f"An earlier offer of this request was withdrawn: it moved to another provider ({why})."[:500],
                data={"offer": o.pk},
                occurred_at=at,
            )
            for o in stale
        )
    return moved
