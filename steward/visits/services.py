"""Planning and publishing visits: every change to runs and schedules goes through here.

- ``schedule_run_request`` asks for the organisation's days to be (re)planned. The run is
  queued and planned in the background (``tasks.schedule_run_task``); a run already
  waiting for the same organisation is reused (and widened) rather than duplicated, so a
  burst of customers changing their preferred times makes one run, not many.
- ``schedule_publish`` makes a draft the plan carers follow for that day.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from steward.errors import InvalidInput, PermissionDenied
from steward.organisations.models import Organisation, StaffMember

from .models import ScheduleRun
from .permissions import can_plan

MAX_RUN_DAYS = 7
MAX_TIME_LIMIT_SECONDS = 600


def default_time_limit_seconds() -> int:
    return int(getattr(settings, "STEWARD_SCHEDULE_TIME_LIMIT_SECONDS", 30))


def _check_days(first_day: date, last_day: date, *, today: date) -> None:
    if last_day < first_day:
        raise InvalidInput("The last day must not be before the first day.", code="days_not_ordered")
    if (last_day - first_day).days + 1 > MAX_RUN_DAYS:
        raise InvalidInput(f"Plan at most {MAX_RUN_DAYS} days at a time.", code="too_many_days")
    if first_day < today:
        raise InvalidInput("Days that have passed cannot be planned; start today or later.", code="day_in_past")


def schedule_run_request(
    *,
    organisation: Organisation,
    first_day: date,
    last_day: date,
    reason: str,
    actor: StaffMember | None = None,
    seed: int = 0,
    time_limit_seconds: int | None = None,
) -> ScheduleRun:
    """Ask for the organisation's visits on ``first_day``–``last_day`` (inclusive) to be planned.

    ``actor`` is the staff member asking (they must be allowed to plan, see
    ``permissions.can_plan``), or None when Steward asks by itself, e.g. after a customer
    changed their preferred time. The run is planned in the background once this
    transaction commits; its drafts wait for someone to publish them.

    A run still *waiting to start* for the same organisation and seed whose days overlap
    or touch the requested ones is reused: its days are widened to cover both, as long as
    that stays within seven days. Otherwise a new run is queued.
    """
    if actor is not None and not can_plan(actor, organisation_id=organisation.pk):
        raise PermissionDenied(
            "Only an administrator, a team lead or a service coordinator of this organisation can plan its visits.",
            code="not_a_planner",
        )
    _check_days(first_day, last_day, today=timezone.localdate())
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise InvalidInput("The reason must be under 300 characters.", code="text_too_long")
    if seed < 0 or seed > 2**31 - 1:
        raise InvalidInput("The seed must be a whole number from 0 to 2147483647.", code="invalid_seed")
    limit = default_time_limit_seconds() if time_limit_seconds is None else time_limit_seconds
    if not 1 <= limit <= MAX_TIME_LIMIT_SECONDS:
        raise InvalidInput(
            f"The time limit must be between 1 and {MAX_TIME_LIMIT_SECONDS} seconds.", code="invalid_time_limit"
        )

    with transaction.atomic():
        reused = _widen_queued_run(
            organisation=organisation, first_day=first_day, last_day=last_day, seed=seed, time_limit=limit
        )
        if reused is not None:
            return reused
        run = ScheduleRun.objects.create(
            organisation=organisation,
            first_day=first_day,
            last_day=last_day,
            seed=seed,
            time_limit_seconds=limit,
            requested_by=actor,
            reason=reason or "Planned on request.",
            progress_message="Waiting to start.",
        )
        from .tasks import schedule_run_task  # the task calls back into this app

        transaction.on_commit(partial(schedule_run_task.enqueue, run.pk))
        return run


def _widen_queued_run(
    *, organisation: Organisation, first_day: date, last_day: date, seed: int, time_limit: int
) -> ScheduleRun | None:
    """The queued run that can take these days too (widened in place), or None."""
    candidates = ScheduleRun.objects.select_for_update().filter(
        organisation=organisation,
        status=ScheduleRun.Status.QUEUED,
        seed=seed,
        first_day__lte=last_day + timedelta(days=1),
        last_day__gte=first_day - timedelta(days=1),
    )
    for run in candidates.order_by("created_at", "id"):
        new_first, new_last = min(run.first_day, first_day), max(run.last_day, last_day)
        if (new_last - new_first).days + 1 > MAX_RUN_DAYS:
            continue
        if (new_first, new_last) == (run.first_day, run.last_day) and time_limit <= run.time_limit_seconds:
            return run
        # Conditional on still being queued: a worker that claimed it in the meantime
        # plans the days it read, so the request then gets a run of its own.
        widened = ScheduleRun.objects.filter(pk=run.pk, status=ScheduleRun.Status.QUEUED).update(
            first_day=new_first, last_day=new_last, time_limit_seconds=max(time_limit, run.time_limit_seconds)
        )
        if widened:
            run.refresh_from_db()
            return run
    return None
