"""API: my notifications (escalations and new work addressed to me by name)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from steward.accounts.auth import acting_staff
from steward.pagination import Page, PageParams, page_of

from .selectors import notifications_for

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
