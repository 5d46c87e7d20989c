"""The access log's hash chain: how each event's hash is made, and how a chain is checked.

Each customer's events are numbered from 1; an event's hash is SHA-256 over the previous
event's hash and a canonical JSON of the event's fields (the first event chains from
sixty-four zeros). Changing, removing or reordering any event changes every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from .models import AccessEvent

GENESIS = "0" * 64


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest() if text else ""


def hashed_fields(event: AccessEvent) -> dict[str, Any]:
    fields = {
        "customer": event.customer_id,
        "seq": event.seq,
        "staff": event.staff_id,
        "staff_name": event.staff_name,
        "organisation": event.organisation_id,
        "organisation_name": event.organisation_name,
        "purpose": event.purpose,
        "categories": sorted(event.categories),
        "resource": event.resource,
        "channel": event.channel,
        "outcome": event.outcome,
        "grant": event.grant_id,
        "reason_digest": event.reason_digest,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    # A staff read hashes exactly the fields it always did, so chains written before
    # trusted people existed still verify; a trusted person's read adds who they are.
    if event.actor_kind != AccessEvent.ActorKind.STAFF:
        fields["actor_kind"] = event.actor_kind
        fields["trusted_person"] = event.trusted_person_id
        # Their name is not hashed: it is what the customer told us about someone else,
        # and erasing the customer erases it; the id in the hash still says who it was.
        del fields["staff_name"]
    return fields


def event_hash(prev_hash: str, event: AccessEvent) -> str:
    payload = json.dumps(hashed_fields(event), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    customer_id: int
    seq: int
    why: str


def verify_chain(customer_id: int) -> BrokenLink | None:
    """The first broken link in one customer's chain, or None if it holds."""
    prev = GENESIS
    expected_seq = 1
    for event in AccessEvent.objects.filter(customer_id=customer_id).order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return BrokenLink(customer_id, expected_seq, f"event {expected_seq} is missing (found {event.seq})")
        if event.prev_hash != prev:
            return BrokenLink(customer_id, event.seq, "it does not point at the event before it")
        if event.hash != event_hash(prev, event):
            return BrokenLink(customer_id, event.seq, "its contents do not match its hash")
        prev = event.hash
        expected_seq += 1
    return None
