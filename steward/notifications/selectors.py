"""Reading a staff member's notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from steward.organisations.models import StaffMember

from .models import Notification


def notifications_for(*, staff: StaffMember, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=staff).select_related("request")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")
