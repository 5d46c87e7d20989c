"""Carrying out a schedule run: claim it, plan each day, save a draft schedule per day.

Only the worker that moves the run from *waiting* to *planning* (a conditional update)
plans it; running the task again, or from a second worker, changes nothing. Progress is
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
from datetime import timedelta
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


def _engine() -> Solve:
    from steward.scheduling.care_solver import solve_care  # owned by the engine

    return solve_care


def _work_bound() -> dict[str, int]:
    """``STEWARD_SCHEDULE_ITERATIONS``, when set, bounds the search by work instead of time:
    the same seed and data then give the same plan on any machine, however busy."""
    iterations = getattr(settings, "STEWARD_SCHEDULE_ITERATIONS", None)
    return {"iterations": int(iterations)} if iterations is not None else {}


def run_claim(*, run_id: int) -> bool:
    """Move a waiting run to *planning*; False if it was not waiting (another worker has it, or it ended)."""
    return bool(
        ScheduleRun.objects.filter(pk=run_id, status=ScheduleRun.Status.QUEUED).update(
            status=ScheduleRun.Status.RUNNING,
            started_at=timezone.now(),
            progress_percent=0,
            progress_message="Starting.",
        )
    )


class _Progress:
    """Writes the run's progress, at most about once a second (and always at a day's end)."""

    def __init__(self, run_id: int, days: int) -> None:
        self.run_id = run_id
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
        ScheduleRun.objects.filter(pk=self.run_id, status=ScheduleRun.Status.RUNNING).update(
            progress_percent=max(0, min(100, percent)), progress_message=message[:300]
        )

    def engine(self, percent: int, message: str) -> None:
        """The engine's callback: its percent of the current day, scaled into the run's."""
        overall = int((self.day_index * 100 + max(0, min(100, percent))) / self.days)
        # Never 100 before the last draft is saved: 100 means "done".
        self.write(min(overall, 99), f"{self.day_words}: {message}" if message else self.day_words)


def run_execute(*, run_id: int, solve: Solve | None = None, travel_matrix: TravelMatrix | None = None) -> str:
    """Plan a run's days (see the module doc); returns the run's status afterwards."""
    if not run_claim(run_id=run_id):
        status = ScheduleRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
        return str(status or "missing")
    run = ScheduleRun.objects.select_related("organisation").get(pk=run_id)
    days = [run.first_day + timedelta(days=i) for i in range((run.last_day - run.first_day).days + 1)]
    progress = _Progress(run.pk, len(days))
    figures: list[dict[str, Any]] = []
    day = days[0]
    try:
        engine = solve or _engine()
        for index, day in enumerate(days):
            progress.day_index = index
            progress.day_words = f"{day:%A %-d %B}"
            progress.write(int(index * 100 / len(days)), f"{progress.day_words}: reading visits and carers", force=True)
            built = build_care_problem(organisation=run.organisation, day=day, travel_matrix=travel_matrix)
            plan = engine(
                built.problem,
                seed=run.seed,
                time_limit=float(run.time_limit_seconds),
                progress=progress.engine,
                **_work_bound(),
            )
            schedule = schedule_save_plan(run=run, built=built, plan=plan)
            figures.append({"day": day.isoformat(), "schedule_id": schedule.pk, **schedule.summary["figures"]})
            progress.write(
                int((index + 1) * 100 / len(days)) if index + 1 < len(days) else 99,
                f"{progress.day_words}: planned",
                force=True,
            )
    except Exception as exc:  # a failed run must say so on its page, whatever went wrong
        logger.exception("Schedule run %s failed on %s", run.pk, day)
        ScheduleRun.objects.filter(pk=run.pk).update(
            status=ScheduleRun.Status.FAILED,
            finished_at=timezone.now(),
            summary={"days": figures},
            error=_failure_words(day=day, planned=len(figures), exc=exc)[:1000],
        )
        return ScheduleRun.Status.FAILED
    ScheduleRun.objects.filter(pk=run.pk).update(
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


def schedule_save_plan(*, run: ScheduleRun, built: BuiltProblem, plan: CarePlan) -> Schedule:
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
