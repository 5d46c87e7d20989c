"""Raising, resolving and passing on alerts.

An alert is addressed to one named person and stays in their queue until someone
resolves it, with words saying what was done. Raising is idempotent: at most one alert
per (kind, subject) is open (a partial unique constraint), so sweeps can raise the same
alert every minute and two workers can raise it at the same moment; the second gets the
first one's alert back and nothing else happens.

An alert about a customer is on their timeline as a staff-only entry (``is_internal``),
worded plainly: "a check on Mrs Khan is due", never "safeguarding concern".
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.notifications.models import Notification
from steward.notifications.services import notification_send
from steward.organisations.models import Organisation, StaffMember
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record

from .models import Alert
from .permissions import can_resolve

if TYPE_CHECKING:
    from steward.customers.models import Customer
    from steward.requests.models import Request

MAX_RESOLUTION = 1000


def _lock(alert_id: int) -> Alert:
    """Lock the alert's row, then read it with its people. (A locking read joined to the
    assignee would lose the row on PostgreSQL when a concurrent sweep had just passed it
    on: the re-check joins the new row to the old person.)"""
    Alert.objects.select_for_update().filter(pk=alert_id).values_list("pk").first()
    return Alert.objects.select_related("assigned_to", "organisation", "customer", "request").get(pk=alert_id)


def _raise(
    *,
    kind: str,
    subject: str,
    assigned_to: StaffMember,
    organisation: Organisation,
    title: str,
    detail: str = "",
    customer: Customer | None = None,
    request: Request | None = None,
    timeline_summary: str = "",
    at: datetime | None = None,
) -> tuple[Alert, bool]:
    """`alert_raise`, also saying whether the alert is new (sweeps count them)."""
    if kind not in Alert.Kind.values:
        raise InvalidInput(f"Unknown alert kind {kind!r}.", code="unknown_alert_kind")
    subject = (subject or "").strip()
    title = (title or "").strip()
    if not subject or len(subject) > 100:
        raise InvalidInput("An alert needs a subject of at most 100 characters.", code="invalid_subject")
    if not title:
        raise InvalidInput("An alert needs a title.", code="title_required")
    existing = Alert.objects.filter(kind=kind, subject=subject, status=Alert.Status.OPEN).first()
    if existing is not None:
        return existing, False
    if not assigned_to.is_active:
        raise InvalidInput(f"{assigned_to.display_name} is deactivated.", code="assignee_inactive")
    if assigned_to.organisation_id != organisation.pk:
        raise InvalidInput(
            f"{assigned_to.display_name} does not work for {organisation.name}.", code="assignee_other_organisation"
        )
    at = at or timezone.now()
    try:
        with transaction.atomic():  # a savepoint: losing the race below must not spoil the caller's transaction
            alert = Alert.objects.create(
                kind=kind,
                subject=subject,
                assigned_to=assigned_to,
                organisation=organisation,
                customer=customer,
                request=request,
                title=title[:300],
                detail=detail,
                raised_at=at,
            )
    except IntegrityError:
        # Someone raised the same alert a moment ago (the partial unique constraint
        # made us wait for them): theirs is the one.
        raced = Alert.objects.filter(kind=kind, subject=subject, status=Alert.Status.OPEN).first()
        if raced is None:
            raise
        return raced, False
    if customer is not None:
        event_record(
            customer=customer,
            organisation=organisation,
            request=request,
            kind=TimelineEvent.Kind.ALERT_RAISED,
            summary=timeline_summary or f"{assigned_to.display_name} was asked to follow up: {alert.title}",
            is_internal=True,
            data={"alert": alert.pk, "alert_kind": kind, "assigned_to": assigned_to.pk},
            occurred_at=at,
        )
    notification_send(
        recipient=assigned_to,
        kind=Notification.Kind.ALERT_RAISED,
        title=alert.title,
        body=detail,
        request=request,
    )
    return alert, True


@transaction.atomic
def alert_raise(
    *,
    kind: str,
    subject: str,
    assigned_to: StaffMember,
    organisation: Organisation,
    title: str,
    detail: str = "",
    customer: Customer | None = None,
    request: Request | None = None,
    timeline_summary: str = "",
    at: datetime | None = None,
) -> Alert:
    """Put something in a named person's queue: `assigned_to`, who works for
    `organisation`, must look at it. ``subject`` says what it is about in a stable form
    (``agreement:12``, ``transfer:3``, ``request:7:team:2``).

    If an alert of this kind about this subject is already open, it is returned as it is
    and nothing changes (not the assignee, not the words). Otherwise the alert is saved,
    the person is notified, and, when it concerns a customer, a staff-only entry goes on
    their timeline (``timeline_summary``, or one made from the title)."""
    alert, _ = _raise(
        kind=kind,
        subject=subject,
        assigned_to=assigned_to,
        organisation=organisation,
        title=title,
        detail=detail,
        customer=customer,
        request=request,
        timeline_summary=timeline_summary,
        at=at,
    )
    return alert


def _record_resolution(alert: Alert, *, actor: StaffMember | None, resolution: str, at: datetime) -> None:
    if alert.customer is None:
        return
    who = actor.display_name if actor is not None else "Steward"
    event_record(
        customer=alert.customer,
        organisation=alert.organisation,
        request=alert.request,
        kind=TimelineEvent.Kind.ALERT_RESOLVED,
        actor=actor,
        summary=f"{who} closed the follow-up “{alert.title}”: {resolution}",
        is_internal=True,
        data={"alert": alert.pk, "alert_kind": alert.kind},
        occurred_at=at,
    )


@transaction.atomic
def alert_resolve(*, alert: Alert, actor: StaffMember, resolution: str) -> Alert:
    """The assignee, or someone they answer to, says what was done about it."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise InvalidInput("Say what was done, so whoever reads this later knows.", code="resolution_required")
    if len(resolution) > MAX_RESOLUTION:
        raise InvalidInput(f"Keep the resolution under {MAX_RESOLUTION} characters.", code="text_too_long")
    alert = _lock(alert.pk)
    if not can_resolve(actor, alert):
        raise PermissionDenied(
            f"Only {alert.assigned_to.display_name} or the people they answer to can resolve this alert.",
            code="not_allowed_on_alert",
        )
    if alert.status != Alert.Status.OPEN:
        raise Conflict("This alert is already resolved.", code="alert_not_open")
    now = timezone.now()
    alert.status = Alert.Status.RESOLVED
    alert.resolved_at = now
    alert.resolved_by = actor
    alert.resolution = resolution
    alert.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
    _record_resolution(alert, actor=actor, resolution=resolution, at=now)
    return alert


def alert_auto_resolve(*, alert: Alert, resolution: str, at: datetime | None = None) -> bool:
    """A sweep found that what the alert was about no longer holds ("Contact recorded on
    3 Mar"). Claimed with a conditional update, so two sweeps resolve it once; returns
    whether this call did. Runs in its own transaction or the caller's."""
    at = at or timezone.now()
    with transaction.atomic():
        claimed = Alert.objects.filter(pk=alert.pk, status=Alert.Status.OPEN).update(
            status=Alert.Status.RESOLVED, resolved_at=at, resolution=resolution[:MAX_RESOLUTION]
        )
        if not claimed:
            return False
        _record_resolution(_lock(alert.pk), actor=None, resolution=resolution, at=at)
    return True


def alerts_resolve_subject(*, kind: str, subject: str, resolution: str, at: datetime | None = None) -> Alert | None:
    """Resolve the open alert of this kind about this subject, if there is one (for
    services whose own state says the matter is settled). Returns it, or None."""
    alert = Alert.objects.filter(kind=kind, subject=subject, status=Alert.Status.OPEN).first()
    if alert is None or not alert_auto_resolve(alert=alert, resolution=resolution, at=at):
        return None
    alert.refresh_from_db()
    return alert


def alert_reassign(alert: Alert, *, to: StaffMember, why: str, at: datetime | None = None) -> None:
    """Give an open (locked) alert to someone else because its person cannot act on it;
    they are notified and, for a customer, the timeline says who follows it up now."""
    at = at or timezone.now()
    previous = alert.assigned_to
    alert.assigned_to = to
    alert.organisation_id = to.organisation_id
    alert.save(update_fields=["assigned_to", "organisation"])
    if alert.customer is not None:
        event_record(
            customer=alert.customer,
            organisation=to.organisation,
            request=alert.request,
            kind=TimelineEvent.Kind.OWNER_CHANGED,
            summary=f"{to.display_name} now follows up “{alert.title}” (it was with {previous.display_name}; {why}).",
            is_internal=True,
            data={"alert": alert.pk, "from": previous.pk, "to": to.pk},
            occurred_at=at,
        )
    notification_send(
        recipient=to,
        kind=Notification.Kind.ALERT_RAISED,
        title=f"Now yours: {alert.title}",
        body=f"{previous.display_name} can no longer act on it ({why}). {alert.detail}".strip(),
        request=alert.request,
    )


def alerts_move_from_departing(*, departing: StaffMember, successor: StaffMember, reason: str) -> int:
    """Every open alert of a person who is leaving goes to their successor. Called by
    `staff_deactivate` inside its transaction, so no alert waits on someone who left."""
    moved = 0
    for alert_id in (
        Alert.objects.filter(assigned_to=departing, status=Alert.Status.OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        alert_reassign(_lock(alert_id), to=successor, why=f"{departing.display_name} is no longer available: {reason}")
        moved += 1
    return moved


SWEEP_BATCH = 500


def alerts_repair_assignees(*, at: datetime) -> tuple[int, list[str]]:
    """No open alert may wait on someone who cannot act. Alerts of people deactivated
    behind the services' back go to their nearest active manager, else the head of the
    organisation. Returns how many moved, and the problems nobody could take."""
    from steward.organisations.selectors import first_active_supervisor, organisation_head

    inactive = StaffMember.objects.filter(is_active=False).values("pk")
    ids = list(
        Alert.objects.filter(status=Alert.Status.OPEN, assigned_to__in=inactive)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    moved, problems = 0, []
    for pk in ids:
        with transaction.atomic():
            alert = _lock(pk)
            gone = alert.assigned_to
            if alert.status != Alert.Status.OPEN or gone.is_active:
                continue
            successor = first_active_supervisor(gone) or organisation_head(organisation_id=gone.organisation_id)
            if successor is None:
                problems.append(
                    f"Alert #{pk}: {gone.display_name} is inactive and nobody at the organisation can take it."
                )
                continue
            alert_reassign(alert, to=successor, why=f"{gone.display_name} is no longer active", at=at)
            moved += 1
    return moved, problems
