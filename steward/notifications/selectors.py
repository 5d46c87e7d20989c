"""Reading a staff member's notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from steward.errors import NotFound
from steward.organisations.models import StaffMember

from .models import Notification


def notifications_for(*, staff: StaffMember, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=staff).select_related("request")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def notification_get(*, notification_id: int, staff: StaffMember) -> Notification:
    """One of `staff`'s own notifications; anyone else's reads as not found."""
    notification = Notification.objects.filter(pk=notification_id, recipient=staff).first()
    if notification is None:
        raise NotFound(f"There is no notification {notification_id} for you.", code="notification_not_found")
    return notification
