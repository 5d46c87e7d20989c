"""API: my notifications (escalations and new work addressed to me by name)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from steward.accounts.auth import acting_staff
from steward.pagination import Page, PageParams, page_of

from .selectors import notification_get, notifications_for
from .services import notification_mark_read

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    request_id: int | None
    created_at: datetime
    read_at: datetime | None


@router.get("/notifications", response=Page[NotificationOut])
def my_notifications(request: HttpRequest, page: Query[PageParams], unread_only: bool = False) -> dict[str, Any]:
    return page_of(notifications_for(staff=acting_staff(request), unread_only=unread_only), page)


@router.post("/notifications/{notification_id}/read", response=NotificationOut, summary="Mark one of mine as read")
def mark_read(request: HttpRequest, notification_id: int) -> Any:
    staff = acting_staff(request)
    return notification_mark_read(
        notification=notification_get(notification_id=notification_id, staff=staff), actor=staff
    )
