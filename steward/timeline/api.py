"""API shapes for timeline events (the endpoints live with customers and requests)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema

from .models import TimelineEvent


class TimelineEventOut(Schema):
    id: int
    occurred_at: datetime
    kind: str
    channel: str
    request_id: int | None
    organisation_id: int
    actor_id: int | None
    actor_name: str
    summary: str
    body: str
    is_internal: bool
    corrects_id: int | None
    data: dict[str, Any]


def event_out(event: TimelineEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "occurred_at": event.occurred_at,
        "kind": event.kind,
        "channel": event.channel,
        "request_id": event.request_id,
        "organisation_id": event.organisation_id,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "summary": event.summary,
        "body": event.body,
        "is_internal": event.is_internal,
        "corrects_id": event.corrects_id,
        "data": event.data,
    }
