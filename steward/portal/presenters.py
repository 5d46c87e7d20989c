"""How a request reads to the customer: status in plain words, who looks after it and
whom they answer to, and what happens next by when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from steward.organisations.models import StaffMember
from steward.requests.lifecycle import Status
from steward.requests.models import Request

PLAIN_STATUS = {
    Status.OPEN: "Being worked on",
    Status.WAITING: "Waiting for a reply from you",
    Status.RESOLVED: "Sorted, we think",
    Status.CLOSED: "Closed",
}


def when(at: datetime) -> str:
    return timezone.localtime(at).strftime("%A %-d %B at %-H:%M")


@dataclass(frozen=True)
class RequestView:
    request: Request
    status_words: str
    owner_name: str
    owner_role: str
    chain: list[StaffMember]
    next_step: str
    due: datetime | None
    can_reply: bool
    can_say_not_fixed: bool


def reopen_until(request: Request) -> datetime | None:
    if request.resolved_at is None:
        return None
    return request.resolved_at + timedelta(days=settings.STEWARD_REOPEN_WINDOW_DAYS)


def present(request: Request, chain: list[StaffMember], *, now: datetime | None = None) -> RequestView:
    now = now or timezone.now()
    owner = request.owner
    name = owner.display_name if owner else "Nobody now"
    due: datetime | None = None
    can_reopen = False
    if request.status == Status.OPEN and request.first_responded_at is None:
        due = request.first_response_due
        step = f"{name} will reply to you by {when(due)}."
    elif request.status == Status.OPEN:
        due = request.resolution_due
        step = f"{name} aims to have this sorted by {when(due)}."
    elif request.status == Status.WAITING:
        step = f"{name} is waiting for a reply from you. Write below; the clock is paused until you do."
    elif request.status == Status.RESOLVED:
        until = reopen_until(request)
        can_reopen = until is None or now <= until
        step = (
            f"{name} thinks this is sorted. If it is not, tell us by {when(until)} and it opens again."
            if until and can_reopen
            else f"{name} thinks this is sorted. If it is not, ask for help again."
        )
        due = until if can_reopen else None
    else:
        step = "This request is closed. If you still need help, ask for help again and someone will answer for it."
    return RequestView(
        request=request,
        status_words=PLAIN_STATUS.get(Status(request.status), request.status),
        owner_name=name,
        owner_role=(owner.job_title or "") if owner else "",
        chain=chain,
        next_step=step,
        due=due,
        can_reply=request.status in (Status.OPEN, Status.WAITING) or (request.status == Status.RESOLVED and can_reopen),
        can_say_not_fixed=request.status == Status.RESOLVED and can_reopen,
    )
