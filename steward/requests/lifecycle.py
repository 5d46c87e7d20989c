"""The lifecycle of a request, as data: every legal move is in `TRANSITIONS`, and
`check_transition` is the one place that consults it.

    open ⇄ waiting on customer        (service clocks pause while waiting)
    open / waiting → resolved
    resolved → open                    (a customer reply within the reopen window, or staff)
    resolved → closed                  (staff, or the sweep once the window has passed)
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models

from steward.errors import Conflict


class Status(models.TextChoices):
    OPEN = "open", "Open"
    WAITING = "waiting_on_customer", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Every status but closed: what queues show and what must have an active owner (I1).
IN_PLAY = [Status.OPEN, Status.WAITING, Status.RESOLVED]


class Trigger(StrEnum):
    """What causes a move: a staff member deciding, the customer replying, or the sweep."""

    STAFF = "staff"
    CUSTOMER_REPLY = "customer_reply"
    SWEEP = "sweep"


TRANSITIONS: dict[tuple[str, str], frozenset[Trigger]] = {
    (Status.OPEN, Status.WAITING): frozenset({Trigger.STAFF}),
    (Status.WAITING, Status.OPEN): frozenset({Trigger.STAFF, Trigger.CUSTOMER_REPLY}),
    (Status.OPEN, Status.RESOLVED): frozenset({Trigger.STAFF}),
    (Status.WAITING, Status.RESOLVED): frozenset({Trigger.STAFF}),
    (Status.RESOLVED, Status.OPEN): frozenset({Trigger.STAFF, Trigger.CUSTOMER_REPLY}),
    (Status.RESOLVED, Status.CLOSED): frozenset({Trigger.STAFF, Trigger.SWEEP}),
}

# How the customer reads each status.
PLAIN_WORDS = {
    Status.OPEN: "being worked on",
    Status.WAITING: "waiting for a reply from you",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
}


def allowed_targets(current: str, trigger: Trigger) -> list[str]:
    return [to for (frm, to), triggers in TRANSITIONS.items() if frm == current and trigger in triggers]


def check_transition(current: str, target: str, trigger: Trigger) -> None:
    """Raise a coded `Conflict` unless `trigger` may move a request from `current` to `target`."""
    if target not in Status.values:
        raise Conflict(f"{target!r} is not a request status.", code="unknown_status")
    if current == target:
        raise Conflict(f"The request is already {Status(current).label.lower()}.", code="status_unchanged")
    if trigger in TRANSITIONS.get((current, target), frozenset()):
        return
    options = allowed_targets(current, trigger)
    hint = (
        " From here it can become: " + ", ".join(Status(t).label.lower() for t in options) + "."
        if options
        else " Nothing can change it from here."
    )
    raise Conflict(
        f"A request that is {Status(current).label.lower()} cannot become {Status(target).label.lower()}.{hint}",
        code="invalid_transition",
    )
