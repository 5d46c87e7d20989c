"""Notifying a named person."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from .models import Notification
from .tasks import notification_email

if TYPE_CHECKING:
    from steward.organisations.models import StaffMember
    from steward.requests.models import Request


def notification_send(
    *, recipient: StaffMember, kind: str, title: str, body: str = "", request: Request | None = None
) -> Notification:
    """Record a notification for `recipient` and email it once the transaction commits."""
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, title=title[:300], body=body, request=request
    )
    transaction.on_commit(partial(notification_email.enqueue, notification.pk))
    return notification


@transaction.atomic
def notification_mark_read(*, notification: Notification, actor: StaffMember) -> Notification:
    """The recipient has seen it. Only the recipient may mark their own notifications."""
    from steward.errors import NotFound

    if notification.recipient_id != actor.pk:
        raise NotFound(f"There is no notification {notification.pk} for you.", code="notification_not_found")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
