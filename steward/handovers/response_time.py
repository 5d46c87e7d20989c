"""How long a receiver has to answer a handover offer.

The need's setting wins, then the sending organisation's, else one working day: the
same time on the next weekday (Saturday and Sunday are skipped, in the organisation's
time zone). Bank holidays are not modelled yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from steward.requests.models import Request


def next_working_day(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    local += timedelta(days=1)
    while local.weekday() >= 5:  # Saturday, Sunday
        local += timedelta(days=1)
    return local


def respond_by_for(request: Request, *, now: datetime) -> datetime:
    minutes = request.need.handover_response_minutes or request.organisation.handover_response_minutes
    if minutes:
        return now + timedelta(minutes=minutes)
    return next_working_day(now)
