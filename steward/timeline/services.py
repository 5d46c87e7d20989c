"""Writing to the timeline. Only other services call this, inside their own
transaction, so an event is written if and only if the change it records is."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .models import TimelineEvent

if TYPE_CHECKING:
    from steward.customers.models import Customer
    from steward.organisations.models import Organisation, StaffMember
    from steward.requests.models import Request


def event_record(
    *,
    customer: Customer,
    organisation: Organisation,
    kind: str,
    summary: str,
    actor: StaffMember | None = None,
    actor_name: str | None = None,
    request: Request | None = None,
    channel: str = TimelineEvent.Channel.SYSTEM,
    body: str = "",
    is_internal: bool = False,
    data: dict[str, Any] | None = None,
    corrects: TimelineEvent | None = None,
    occurred_at: datetime | None = None,
) -> TimelineEvent:
    """Append one event. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record must run inside the service's transaction.")
    if actor_name is None:
        actor_name = actor.display_name if actor is not None else "Steward"
    return TimelineEvent.objects.create(
        customer=customer,
        organisation=organisation,
        request=request,
        kind=kind,
        channel=channel,
        actor=actor,
        actor_name=actor_name[:300],
        summary=summary[:500],
        body=body,
        is_internal=is_internal,
        data=data or {},
        corrects=corrects,
        occurred_at=occurred_at or timezone.now(),
    )
