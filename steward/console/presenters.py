"""Turning requests into what a member of staff reads on a page: status in plain words,
which clock matters and whether it has run out, who answers for what.

Nothing here queries the database except through selectors; views hand in what they
have read and templates get simple, ready-to-print values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.timesince import timesince, timeuntil

from steward.handovers.models import HandoverOffer
from steward.needs.models import Need
from steward.organisations.models import StaffMember, Team
from steward.organisations.selectors import escalation_chain
from steward.requests.lifecycle import Status, Trigger, allowed_targets
from steward.requests.models import Request
from steward.requests.permissions import can_view
from steward.transfers.selectors import WaitingTransfer

# How staff read each status (the customer-facing words live in `lifecycle.PLAIN_WORDS`).
STATUS_WORDS: dict[str, str] = {
    Status.OPEN: "Being worked on",
    Status.WAITING: "Waiting for the customer to reply",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
}

# What the button that moves a request *to* each status says.
ACTION_WORDS: dict[str, str] = {
    Status.OPEN: "Back to being worked on",
    Status.WAITING: "Wait for the customer",
    Status.RESOLVED: "Mark as resolved",
    Status.CLOSED: "Close the request",
}

WHEN = "D j M, H:i"


def when(moment: datetime) -> str:
    """A moment in the organisation's time zone, e.g. "Fri 12 Jun, 14:05"."""
    return date_format(timezone.localtime(moment), WHEN)


def _until(due: datetime, now: datetime) -> str:
    if due <= now:
        return f"overdue by {timesince(due, now, depth=1)}"
    return f"in {timeuntil(due, now, depth=1)}"


@dataclass(frozen=True)
class Due:
    """The deadline that matters now for a request, ready to print."""

    label: str
    at: datetime | None
    overdue: bool
    phrase: str


def due_now(request: Request, now: datetime) -> Due:
    if request.due_at is None:
        if request.status == Status.WAITING:
            return Due("Clock paused while we wait for the customer", None, False, "")
        return Due("No deadline running", None, False, "")
    label = "First reply due" if request.first_responded_at is None else "Resolution due"
    return Due(label, request.due_at, request.due_at <= now, _until(request.due_at, now))


@dataclass(frozen=True)
class WorkRow:
    request: Request
    status_words: str
    due: Due


def work_rows(requests: Iterable[Request], now: datetime) -> list[WorkRow]:
    return [WorkRow(r, STATUS_WORDS[r.status], due_now(r, now)) for r in requests]


@dataclass(frozen=True)
class Clock:
    """One service clock (first reply, or resolution) and how it stands."""

    name: str
    due: datetime
    state: str  # running | overdue | met | met-late | paused | stopped
    words: str
    done_at: datetime | None = None


def _clock(name: str, due: datetime, done_at: datetime | None, request: Request, now: datetime) -> Clock:
    if done_at is not None:
        if done_at <= due:
            return Clock(name, due, "met", "Met on time", done_at)
        return Clock(name, due, "met-late", f"Met {timesince(due, done_at, depth=1)} late", done_at)
    if request.status == Status.WAITING:
        return Clock(name, due, "paused", "Paused while we wait for the customer")
    if request.status != Status.OPEN:
        return Clock(name, due, "stopped", "Stopped")
    if due <= now:
        return Clock(name, due, "overdue", f"Overdue by {timesince(due, now, depth=1)}")
    return Clock(name, due, "running", f"Due in {timeuntil(due, now, depth=1)}")


def clocks(request: Request, now: datetime) -> list[Clock]:
    return [
        _clock("First reply", request.first_response_due, request.first_responded_at, request, now),
        _clock("Resolution", request.resolution_due, request.resolved_at, request, now),
    ]


@dataclass(frozen=True)
class StatusMove:
    status: str
    words: str


def status_moves(request: Request) -> list[StatusMove]:
    """The moves a member of staff may make from here (the lifecycle table decides)."""
    return [StatusMove(s, ACTION_WORDS[s]) for s in allowed_targets(request.status, Trigger.STAFF)]


@dataclass(frozen=True)
class NeedGroup:
    organisation: str
    needs: list[Need]


def need_groups(needs: Iterable[Need], *, own_organisation_id: int) -> list[NeedGroup]:
    """Needs grouped by the organisation that meets them, the capturer's own first, then
    the others in the order given: any door is the right door."""
    groups: dict[int, NeedGroup] = {}
    for need in needs:
        group = groups.setdefault(need.organisation_id, NeedGroup(need.organisation.name, []))
        group.needs.append(need)
    return sorted(groups.values(), key=lambda g: g is not groups.get(own_organisation_id))


def _person(staff: StaffMember) -> dict[str, str]:
    return {"name": staff.display_name, "job_title": staff.job_title}


def capture_confirmation(request: Request, capturer: StaffMember) -> dict[str, Any]:
    """What the call handler tells the customer after capturing, built from the
    request `request_capture` returned: the capturer may work for another
    organisation and so may not be able to open the request afterwards.

    Plain strings only, so it can wait in the session for the page after the redirect.
    """
    owner = request.owner
    if owner is None:  # pragma: no cover - a captured request always has an owner (I1)
        raise ValueError("A captured request has no owner.")
    chain = escalation_chain(owner)
    customer = request.customer
    return {
        "request_id": request.pk,
        "subject": request.subject,
        "customer_id": customer.pk,
        "customer_name": customer.full_name,
        "customer_known_as": customer.known_as,
        "need_title": request.need.title,
        "organisation_name": request.need.organisation.name,
        "team_name": request.team.name,
        "owner": _person(owner),
        "chain": [_person(p) for p in chain],
        "first_reply_due": when(request.first_response_due),
        "capturer_can_open": can_view(capturer, request),
    }


def receiver_choices(
    teams: Iterable[Team], people: Iterable[tuple[int, str, str, int, str]], *, exclude_staff_id: int | None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The "offer it to" choices, one group per organisation: the organisation itself,
    then its teams, then its people (the current owner left out). Only organisations
    with a team are listed: an offer to one is accepted by someone in a team there.

    ``people`` are ``handover_receiver_rows()``: (id, name, job title, organisation id, team name)."""
    groups: dict[int, tuple[str, list[tuple[str, str]], list[tuple[str, str]]]] = {}
    for team in teams:
        org = team.organisation
        _, team_rows, _ = groups.setdefault(org.pk, (org.name, [], []))
        team_rows.append((f"team:{team.pk}", f"The {team.name} team"))
    for person_id, name, job_title, organisation_id, team_name in people:
        if person_id == exclude_staff_id or organisation_id not in groups:
            continue
        title = f", {job_title}" if job_title else ""
        groups[organisation_id][2].append((f"person:{person_id}", f"{name}{title} ({team_name})"))
    return [
        (name, [(f"organisation:{org_id}", f"Anyone at {name}"), *team_rows, *people_rows])
        for org_id, (name, team_rows, people_rows) in sorted(groups.items(), key=lambda g: g[1][0])
    ]


@dataclass(frozen=True)
class OfferRow:
    """A handover offer, ready to print: who it is for and how long is left to answer."""

    offer: HandoverOffer
    late: bool
    phrase: str  # "in 3 hours" / "overdue by 2 hours"


def offer_rows(offers: Iterable[HandoverOffer], now: datetime) -> list[OfferRow]:
    return [OfferRow(o, o.respond_by <= now, _until(o.respond_by, now)) for o in offers]


@dataclass(frozen=True)
class TransferRow:
    """Clients of one transfer waiting for an answer, ready to print."""

    waiting: WaitingTransfer
    late: bool
    phrase: str  # "in 2 days" / "overdue by 1 hour"


def transfer_rows(waiting: Iterable[WaitingTransfer], now: datetime) -> list[TransferRow]:
    return [TransferRow(w, w.first_due <= now, _until(w.first_due, now)) for w in waiting]
