"""Notifying a named person."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction

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
