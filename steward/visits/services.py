"""Planning and publishing visits: every change to runs and schedules goes through here.

- ``schedule_run_request`` asks for the organisation's days to be (re)planned. The run is
  queued and planned in the background (``tasks.schedule_run_task``); a run already
  waiting for the same organisation is reused (and widened) rather than duplicated, so a
  burst of customers changing their preferred times makes one run, not many.
- ``schedule_publish`` makes a draft the plan carers follow for that day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.organisations.models import Organisation, StaffMember
from steward.timeline.models import TimelineEvent

from .models import Schedule, ScheduleRun, Visit, VisitAssignment
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


# --- publishing ----------------------------------------------------------------------

# Visits that have begun, ended or were missed are history: they stay with the day whatever
# is published after them (with their check-ins and alerts).
UNDER_WAY = (Visit.Status.IN_PROGRESS, Visit.Status.DONE, Visit.Status.MISSED)


def schedule_publish(*, schedule: Schedule, actor: StaffMember) -> Schedule:
    """Make a draft the day's plan: carers follow it and customers are told their times.

    The schedule published before for that day is *superseded*: its visits that have not
    started go with it. A visit already under way, done or missed in it (a carer checked
    in, or the missed-visit alert was raised) is **moved** to the new schedule with its
    check-ins, replacing the draft's visit of the same pattern, because what happened must
    stay on the day's plan.

    Each customer whose visits change (times, carers, or a visit now unplaced) gets a
    *visits planned* entry on their timeline, in plain words, in the same transaction.

    Refused (Conflict) for a schedule that is not a draft, for a day that has passed, and
    for a draft made before a plan that has since been published for the same day (it was
    planned on older information: plan again).
    """
    if not can_plan(actor, organisation_id=schedule.organisation_id):
        raise PermissionDenied(
            "Only an administrator, a team lead or a service coordinator of this organisation can publish its visits.",
            code="not_a_planner",
        )
    with transaction.atomic():
        # Lock every schedule of the day, oldest first, so two publishers queue up here.
        day_schedules = list(
            Schedule.objects.select_for_update()
            .filter(organisation_id=schedule.organisation_id, day=schedule.day)
            .order_by("pk")
        )
        draft = next((s for s in day_schedules if s.pk == schedule.pk), None)
        if draft is None:
            raise NotFound("There is no such schedule.", code="schedule_not_found")
        if draft.status != Schedule.Status.DRAFT:
            raise Conflict(f"This plan is already {draft.get_status_display().lower()}.", code="schedule_not_draft")
        if draft.day < timezone.localdate():
            raise Conflict("This day has passed; its plan can no longer be changed.", code="day_in_past")
        newer = [
            s
            for s in day_schedules
            if s.pk > draft.pk and s.status in (Schedule.Status.PUBLISHED, Schedule.Status.SUPERSEDED)
        ]
        if newer:
            raise Conflict(
                "A newer plan for this day was published after this draft was made. Plan the day again.",
                code="draft_out_of_date",
            )
        previous = next((s for s in day_schedules if s.status == Schedule.Status.PUBLISHED), None)
        before = _customer_days(previous) if previous is not None else {}
        now = timezone.now()
        if previous is not None:
            Schedule.objects.filter(pk=previous.pk).update(status=Schedule.Status.SUPERSEDED)
            _carry_over_visits_under_way(previous=previous, draft=draft)
        Schedule.objects.filter(pk=draft.pk).update(
            status=Schedule.Status.PUBLISHED, published_at=now, published_by=actor
        )
        draft.status, draft.published_at, draft.published_by = Schedule.Status.PUBLISHED, now, actor
        after = _customer_days(draft)
        _tell_customers(schedule=draft, before=before, after=after, actor=actor, at=now)
    return draft


def _carry_over_visits_under_way(*, previous: Schedule, draft: Schedule) -> None:
    under_way = list(
        Visit.objects.filter(schedule=previous)
        .filter(Q(status__in=UNDER_WAY) | Q(assignments__checked_in_at__isnull=False))
        .distinct()
        .values_list("pk", "pattern_id")
    )
    if not under_way:
        return
    Visit.objects.filter(schedule=draft, pattern_id__in=[pattern for _, pattern in under_way]).delete()
    Visit.objects.filter(pk__in=[pk for pk, _ in under_way]).update(schedule=draft)


# What a customer sees of their day: (pattern, start, carers' first names, unplaced) per visit.
CustomerDay = list[tuple[int, str, tuple[str, ...], bool]]


def _customer_days(schedule: Schedule) -> dict[int, CustomerDay]:
    days: dict[int, CustomerDay] = defaultdict(list)
    visits = (
        Visit.objects.filter(schedule=schedule)
        .exclude(status=Visit.Status.CANCELLED)
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=VisitAssignment.objects.select_related("carer__staff").order_by("position"),
            )
        )
        .order_by("customer_id", "preferred_start", "pk")
    )
    for visit in visits:
        start = visit.planned_start or visit.preferred_start
        names = tuple(_first_name(a.carer.staff.display_name) for a in visit.assignments.all())
        days[visit.customer_id].append(
            (visit.pattern_id, f"{timezone.localtime(start):%H:%M}", names, visit.status == Visit.Status.UNPLACED)
        )
    return days


def _first_name(display_name: str) -> str:
    # Customers know their carers by first name; surnames stay with the organisation.
    return (display_name.split() or ["your carer"])[0]


def _names(names: tuple[str, ...]) -> str:
    return " and ".join(names) if names else "a carer"


def _day_words(schedule: Schedule) -> str:
    return f"{schedule.day:%A} {schedule.day.day} {schedule.day:%B}"


def visits_sentence(*, schedule: Schedule, visits: CustomerDay) -> str:
    """The customer's day in plain words.

    E.g. "Your visits on Tuesday 24 November: 08:10 with Alice; 20:00 with Bob and Sam."
    """
    placed = [f"{start} with {_names(names)}" for _, start, names, unplaced in visits if not unplaced]
    unplaced = [start for _, start, _, is_unplaced in visits if is_unplaced]
    parts = []
    if placed:
        parts.append(f"Your visits on {_day_words(schedule)}: " + "; ".join(placed) + ".")
    elif not unplaced:
        parts.append(f"You have no visits planned on {_day_words(schedule)}.")
    if unplaced:
        times = ", ".join(unplaced)
        parts.append(
            f"We could not yet arrange your visit{'s' if len(unplaced) > 1 else ''} around {times} on "
            f"{_day_words(schedule)}; your coordinator is working on it and will tell you."
        )
    return " ".join(parts)


def _tell_customers(
    *,
    schedule: Schedule,
    before: dict[int, CustomerDay],
    after: dict[int, CustomerDay],
    actor: StaffMember,
    at: datetime,
) -> None:
    changed = sorted(c for c in set(before) | set(after) if before.get(c) != after.get(c))
    TimelineEvent.objects.bulk_create(
        (
            TimelineEvent(
                customer_id=customer_id,
                organisation_id=schedule.organisation_id,
                kind=TimelineEvent.Kind.VISITS_PLANNED,
                actor=actor,
                actor_name=actor.display_name[:300],
                summary=visits_sentence(schedule=schedule, visits=after.get(customer_id, []))[:500],
                data={"schedule_id": schedule.pk, "day": schedule.day.isoformat()},
                occurred_at=at,
            )
            for customer_id in changed
        ),
        batch_size=500,
    )
