"""Carrying out a schedule run: claim it, plan each day, save a draft schedule per day.

Only the worker that moves the run from *waiting* to *planning* (a conditional update)
plans it; running the task again, or from a second worker, changes nothing. A run whose
worker died while planning (still *planning* well beyond its time budget) may be taken
over (``runs_resume_stale``, for the periodic sweep): it plans only the days it had not
saved yet. Progress is
written to the run as the engine reports it (at most about once a second, in its own
short transaction, so the page polling it sees it at once). Each day's draft is saved
in one transaction; if planning a day fails, the run is marked failed with the reason in
plain words, and the drafts of the days already planned stay (they are valid plans).

The engine is deterministic for a seed when its search is bounded by work
(``STEWARD_SCHEDULE_ITERATIONS``): the same seed, days and data then give the same drafts.
Bounded by time only (the default, ``time_limit_seconds``), a busier machine may search
less and find a different plan of the same or lower quality.
"""

from __future__ import annotations

import logging
import time as clock
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from steward.scheduling.care_problem import CarePlan, CareProblem, Part

from .models import Schedule, ScheduleRun, Visit, VisitAssignment
from .problem_build import BuiltProblem, TravelMatrix, build_care_problem
from .reports import schedule_report

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0


class Solve(Protocol):
    def __call__(
        self,
        problem: CareProblem,
        *,
        seed: int = ...,
        time_limit: float = ...,
        progress: Callable[[int, str], None] | None = ...,
        iterations: int | None = ...,
    ) -> CarePlan: ...


class PlanRefused(Exception):
    """The engine returned a plan that breaks a hard rule (the independent checker says
    which). Never saved: a draft must be one a planner can publish as it stands."""


def checked(solve: Solve) -> Solve:
    """``solve``, with every plan it returns put through the independent checker
    (``care_check.check_care_plan``: windows, skills, shifts, breaks, travel, pairs, no
    overlaps) before anything is saved. Raises PlanRefused on the first broken rule."""
    from steward.scheduling.care_check import check_care_plan

    def solve_and_check(problem: CareProblem, **kwargs: Any) -> CarePlan:
        plan = solve(problem, **kwargs)
        errors = check_care_plan(problem, plan)
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise PlanRefused(f"the engine's plan broke a rule: {errors[0]}{more}; it was not saved")
        return plan

    return solve_and_check


def _engine() -> Solve:
    from steward.scheduling.care_solver import solve_care  # owned by the engine

    return checked(solve_care)


def _work_bound() -> dict[str, int]:
    """``STEWARD_SCHEDULE_ITERATIONS``, when set, bounds the search by work instead of time:
    the same seed and data then give the same plan on any machine, however busy."""
    iterations = getattr(settings, "STEWARD_SCHEDULE_ITERATIONS", None)
    return {"iterations": int(iterations)} if iterations is not None else {}


# A run still *planning* this long after its last start, beyond its own time budget,
# lost its worker (a deploy, a crash): it may be claimed again and resumes.
STALE_AFTER = timedelta(minutes=10)


def _stale_before(run: ScheduleRun, now: datetime) -> datetime:
    days = (run.last_day - run.first_day).days + 1
    return now - STALE_AFTER - timedelta(seconds=days * run.time_limit_seconds)


def run_claim(*, run_id: int) -> datetime | None:
    """Move a waiting run to *planning* (or take over one whose worker died). Returns the
    claim (the new ``started_at``, which the worker's writes are conditional on), or None
    if another worker has it or it has ended."""
    now = timezone.now()
    claim = {"status": ScheduleRun.Status.RUNNING, "started_at": now, "progress_percent": 0}
    if ScheduleRun.objects.filter(pk=run_id, status=ScheduleRun.Status.QUEUED).update(
        **claim, progress_message="Starting."
    ):
        return now
    run = ScheduleRun.objects.filter(pk=run_id, status=ScheduleRun.Status.RUNNING).first()
    if run is None or run.started_at is None or run.started_at >= _stale_before(run, now):
        return None
    # Conditional on the start we read: of two workers taking it over, one wins.
    taken = ScheduleRun.objects.filter(pk=run_id, status=ScheduleRun.Status.RUNNING, started_at=run.started_at).update(
        **claim, progress_message="Starting again: the worker planning it stopped."
    )
    return now if taken else None


class LostClaim(Exception):
    """Another worker took the run over (this one was thought dead): stop without writing."""


def runs_resume_stale(*, now: datetime | None = None) -> list[int]:
    """Queue again every run whose worker died while planning it (for the periodic sweep);
    the task then plans only the days it had not saved yet. Returns the runs' ids."""
    from .tasks import schedule_run_task

    now = now or timezone.now()
    resumed = []
    for run in ScheduleRun.objects.filter(status=ScheduleRun.Status.RUNNING, started_at__isnull=False):
        if run.started_at is not None and run.started_at < _stale_before(run, now):
            schedule_run_task.enqueue(run.pk)
            resumed.append(run.pk)
    return resumed


class _Progress:
    """Writes the run's progress, at most about once a second (and always at a day's end)."""

    def __init__(self, run_id: int, days: int, claim: datetime) -> None:
        self.run_id = run_id
        self.claim = claim
        self.days = days
        self.day_index = 0
        self.day_words = ""
        self._last_write = 0.0
        self._last_percent = -1

    def write(self, percent: int, message: str, *, force: bool = False) -> None:
        now = clock.monotonic()
        if not force and (now - self._last_write < PROGRESS_EVERY_SECONDS or percent == self._last_percent):
            return
        self._last_write, self._last_percent = now, percent
        ScheduleRun.objects.filter(pk=self.run_id, status=ScheduleRun.Status.RUNNING, started_at=self.claim).update(
            progress_percent=max(0, min(100, percent)), progress_message=message[:300]
        )

    def engine(self, percent: int, message: str) -> None:
        """The engine's callback: its percent of the current day, scaled into the run's."""
        overall = int((self.day_index * 100 + max(0, min(100, percent))) / self.days)
        # Never 100 before the last draft is saved: 100 means "done".
        self.write(min(overall, 99), f"{self.day_words}: {message}" if message else self.day_words)


def run_execute(*, run_id: int, solve: Solve | None = None, travel_matrix: TravelMatrix | None = None) -> str:
    """Plan a run's days (see the module doc); returns the run's status afterwards."""
    claim = run_claim(run_id=run_id)
    if claim is None:
        status = ScheduleRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
        return str(status or "missing")
    run = ScheduleRun.objects.select_related("organisation").get(pk=run_id)
    days = [run.first_day + timedelta(days=i) for i in range((run.last_day - run.first_day).days + 1)]
    progress = _Progress(run.pk, len(days), claim)
    ours = ScheduleRun.objects.filter(pk=run.pk, status=ScheduleRun.Status.RUNNING, started_at=claim)
    figures: list[dict[str, Any]] = []
    day = days[0]
    try:
        engine = solve or _engine()
        saved = {s.day: s for s in Schedule.objects.filter(run=run)}  # days planned before a worker died
        for index, day in enumerate(days):
            progress.day_index = index
            progress.day_words = f"{day:%A %-d %B}"
            if day in saved:
                figures.append({"day": day.isoformat(), "schedule_id": saved[day].pk, **saved[day].summary["figures"]})
                continue
            progress.write(int(index * 100 / len(days)), f"{progress.day_words}: reading visits and carers", force=True)
            built = build_care_problem(organisation=run.organisation, day=day, travel_matrix=travel_matrix, run=run)
            plan = engine(
                built.problem,
                seed=run.seed,
                time_limit=float(run.time_limit_seconds),
                progress=progress.engine,
                **_work_bound(),
            )
            schedule = schedule_save_plan(run=run, built=built, plan=plan, claim=claim)
            figures.append({"day": day.isoformat(), "schedule_id": schedule.pk, **schedule.summary["figures"]})
            progress.write(
                int((index + 1) * 100 / len(days)) if index + 1 < len(days) else 99,
                f"{progress.day_words}: planned",
                force=True,
            )
    except LostClaim:
        logger.warning("Schedule run %s was taken over by another worker; this one stops.", run.pk)
        return str(ScheduleRun.objects.filter(pk=run.pk).values_list("status", flat=True).first())
    except Exception as exc:  # a failed run must say so on its page, whatever went wrong
        logger.exception("Schedule run %s failed on %s", run.pk, day)
        ours.update(
            status=ScheduleRun.Status.FAILED,
            finished_at=timezone.now(),
            summary={"days": figures},
            error=_failure_words(day=day, planned=len(figures), exc=exc)[:1000],
        )
        return ScheduleRun.Status.FAILED
    ours.update(
        status=ScheduleRun.Status.DONE,
        finished_at=timezone.now(),
        progress_percent=100,
        progress_message=f"Done: {len(days)} day{'s' if len(days) != 1 else ''} planned. Check the drafts and publish.",
        summary=_run_summary(figures),
    )
    return ScheduleRun.Status.DONE


def _failure_words(*, day: Any, planned: int, exc: Exception) -> str:
    kept = (
        f" The {planned} day{'s' if planned != 1 else ''} before it were planned and can be published."
        if planned
        else ""
    )
    return f"Planning {day:%A %-d %B} failed: {exc}.{kept} Try again; if it fails again, tell your administrator."


def _run_summary(days: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {
        key: sum(int(d.get(key) or 0) for d in days)
        for key in (
            "visits",
            "planned",
            "unplaced",
            "in_preferred",
            "minutes_outside",
            "with_usual_carer",
            "with_usual_carer_known",
            "travel_minutes",
            "overtime_minutes",
        )
    }
    totals["percent_in_preferred"] = (
        round(100 * totals["in_preferred"] / totals["visits"], 1) if totals["visits"] else None
    )
    totals["continuity_percent"] = (
        round(100 * totals["with_usual_carer"] / totals["with_usual_carer_known"], 1)
        if totals["with_usual_carer_known"]
        else None
    )
    return {**totals, "days": days}


def _outside(start: int, window: tuple[int, int]) -> int:
    return max(0, window[0] - start) + max(0, start - window[1])


def schedule_save_plan(
    *, run: ScheduleRun, built: BuiltProblem, plan: CarePlan, claim: datetime | None = None
) -> Schedule:
    """Save the engine's plan for a day as a draft schedule of the run: every visit, placed or not.

    A visit the engine did not mention at all is saved unplaced ("no carer free") rather
    than dropped: what the customer needs is never silently lost.
    """
    order: dict[tuple[str, int], int] = {}
    travel_to_visits: dict[int, int] = defaultdict(int)
    for pv in plan.visits:
        for part in pv.parts:
            travel_to_visits[part.carer] += part.travel_before
    routes: dict[str, dict[str, int | None]] = {}
    for route in plan.routes:
        for position, key in enumerate(route.visits, start=1):
            order[(key, route.carer)] = position
        routes[str(route.carer)] = {
            "travel_minutes": route.travel_minutes,
            "travel_home_minutes": max(0, route.travel_minutes - travel_to_visits[route.carer]),
            "overtime_minutes": route.overtime_minutes,
            "break_start": route.break_start,
        }
    by_key = {pv.key: pv for pv in plan.visits}

    with transaction.atomic():
        if claim is not None and not (
            ScheduleRun.objects.select_for_update()
            .filter(pk=run.pk, status=ScheduleRun.Status.RUNNING, started_at=claim)
            .exists()
        ):
            raise LostClaim()
        schedule = Schedule.objects.create(organisation=run.organisation, day=built.day, run=run)
        visits: list[Visit] = []
        parts: list[tuple[int, str, Part]] = []  # (index of the visit, its key, the part)
        for need in built.problem.visits:
            pattern = built.patterns[need.key]
            care = pattern.care_agreement
            found = by_key.get(need.key)
            visit = Visit(
                schedule=schedule,
                pattern=pattern,
                care_agreement=care,
                customer_id=care.customer_id,
                organisation=run.organisation,
                day=built.day,
                preferred_start=built.instant(need.preferred[0]),
                preferred_end=built.instant(need.preferred[1]),
                acceptable_start=built.instant(need.acceptable[0]),
                acceptable_end=built.instant(need.acceptable[1]),
                duration_minutes=need.duration,
            )
            if found is not None and found.parts:
                first = min(part.start for part in found.parts)
                visit.planned_start = built.instant(first)
                visit.status = Visit.Status.PLANNED
                visit.minutes_outside_preferred = _outside(first, need.preferred)
                if need.usual_carers:
                    visit.with_usual_carer = any(part.carer in need.usual_carers for part in found.parts)
                in_order = sorted(found.parts, key=lambda p: (p.start, p.carer))
                parts.extend((len(visits), need.key, part) for part in in_order)
            else:
                visit.status = Visit.Status.UNPLACED
                reason = found.unplaced if found is not None else None
                visit.unplaced_reason = reason.value if reason else Visit.UnplacedReason.NO_CARER_FREE
                detail = found.unplaced_detail if found is not None else "The planner returned no place for it."
                visit.unplaced_detail = detail[:500]
            visits.append(visit)
        Visit.objects.bulk_create(visits)
        assignments = []
        positions: dict[int, int] = {}
        for index, key, part in parts:
            visit = visits[index]
            positions[index] = positions.get(index, 0) + 1
            start = built.instant(part.start)
            assignments.append(
                VisitAssignment(
                    visit=visit,
                    carer_id=part.carer,
                    position=positions[index],
                    planned_start=start,
                    planned_end=start + timedelta(minutes=visit.duration_minutes),
                    travel_minutes=part.travel_before,
                    route_order=order.get((key, part.carer), positions[index]),
                )
            )
        VisitAssignment.objects.bulk_create(assignments)
        schedule.summary = {"routes": routes, "objective": plan.objective, "metrics": dict(plan.metrics)}
        schedule.summary["figures"] = schedule_report(schedules=[schedule]).figures()
        schedule.save(update_fields=["summary"])
    return schedule
