"""API: planning an organisation's visits (``/api/v1/schedule-runs``, ``/api/v1/schedules``).

Staff who may plan (see ``permissions.can_plan``) start a run for their organisation's
days (202: it is planned in the background; poll the run for progress), read each day's
plans and their reports, move one visit of a draft by hand (``adjust.draft_visit_move``)
or swap the carers of two (``adjust.draft_visits_swap``), and publish a draft. Another
organisation's runs and schedules are not found.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_staff

from . import adjust, selectors, services
from .models import Schedule, ScheduleRun
from .reports import ScheduleReport

router = Router(tags=["visit schedules"])


class RunIn(Schema):
    model_config = ConfigDict(extra="forbid")

    first_day: date
    last_day: date = Field(description="Inclusive; at most 7 days from the first.")
    reason: str = Field(default="", max_length=300, description="Why, in plain words.")
    seed: int = Field(default=0, ge=0, description="The same seed and data give the same plan.")
    time_limit_seconds: int | None = Field(
        default=None,
        description="How long the engine may search each day; default STEWARD_SCHEDULE_TIME_LIMIT_SECONDS.",
    )


class ScheduleOut(Schema):
    id: int
    day: date
    status: str
    status_label: str
    run_id: int | None
    published_at: datetime | None
    published_by: str | None
    figures: dict[str, Any] = Field(description="The day's report figures as planned (see the report).")


class RunOut(Schema):
    id: int
    status: str
    status_label: str
    first_day: date
    last_day: date
    seed: int
    time_limit_seconds: int
    progress_percent: int
    progress_message: str
    reason: str
    requested_by: str | None = Field(description="Empty when Steward started it.")
    error: str
    summary: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    schedules: list[ScheduleOut]


class CarerFiguresOut(Schema):
    carer_id: int
    name: str
    visits: int
    care_minutes: int
    travel_minutes: int
    overtime_minutes: int


class UnplacedOut(Schema):
    visit_id: int
    day: date
    customer_id: int
    customer_name: str
    label: str
    preferred_start: datetime
    preferred_end: datetime
    reason_code: str
    reason: str
    detail: str


class OutsideOut(Schema):
    visit_id: int
    day: date
    customer_id: int
    customer_name: str
    label: str
    preferred_start: datetime
    preferred_end: datetime
    planned_start: datetime
    minutes_outside: int
    carers: list[str]


class ReportOut(Schema):
    schedule_ids: list[int]
    days: list[date]
    visits: int
    planned: int
    unplaced: int
    in_preferred: int
    percent_in_preferred: float | None = Field(description="Of all visits, unplaced ones included.")
    minutes_outside: int
    max_minutes_outside: int
    with_usual_carer: int
    with_usual_carer_known: int
    continuity_percent: float | None
    travel_minutes: int
    overtime_minutes: int
    carers: list[CarerFiguresOut]
    unplaced_visits: list[UnplacedOut]
    outside_visits: list[OutsideOut] = Field(description="Planned away from the preferred window, furthest first.")


class DayQuery(Schema):
    day: date


class RangeQuery(Schema):
    first_day: date
    last_day: date


def schedule_out(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": schedule.pk,
        "day": schedule.day,
        "status": schedule.status,
        "status_label": schedule.get_status_display(),
        "run_id": schedule.run_id,
        "published_at": schedule.published_at,
        "published_by": schedule.published_by.display_name if schedule.published_by else None,
        "figures": (schedule.summary or {}).get("figures", {}),
    }


def run_out(run: ScheduleRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "first_day": run.first_day,
        "last_day": run.last_day,
        "seed": run.seed,
        "time_limit_seconds": run.time_limit_seconds,
        "progress_percent": run.progress_percent,
        "progress_message": run.progress_message,
        "reason": run.reason,
        "requested_by": run.requested_by.display_name if run.requested_by else None,
        "error": run.error,
        "summary": run.summary,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "schedules": [schedule_out(s) for s in selectors.run_schedules(run=run)],
    }


def report_out(report: ScheduleReport) -> dict[str, Any]:
    return {
        **report.figures(),
        "schedule_ids": report.schedule_ids,
        "days": report.days,
        "carers": [vars(c) for c in report.carers],
        "unplaced_visits": [vars(u) for u in report.unplaced_visits],
        "outside_visits": [vars(o) for o in report.outside_visits],
    }


@router.post("/schedule-runs", response={202: RunOut}, summary="Plan days (in the background)")
def run_start(request: HttpRequest, payload: RunIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    run = services.schedule_run_request(
        organisation=actor.organisation,
        first_day=payload.first_day,
        last_day=payload.last_day,
        reason=payload.reason,
        actor=actor,
        seed=payload.seed,
        time_limit_seconds=payload.time_limit_seconds,
    )
    return 202, run_out(selectors.run_get(actor=actor, run_id=run.pk))


@router.get("/schedule-runs/{run_id}", response=RunOut, summary="A run: status, progress and its drafts")
def run_detail(request: HttpRequest, run_id: int) -> dict[str, Any]:
    return run_out(selectors.run_get(actor=acting_staff(request), run_id=run_id))


@router.get("/schedules", response=list[ScheduleOut], summary="Every plan for a day (published first)")
def schedules_of_day(request: HttpRequest, query: Query[DayQuery]) -> list[dict[str, Any]]:
    return [schedule_out(s) for s in selectors.schedules_for_day(actor=acting_staff(request), day=query.day)]


@router.get("/schedules/{schedule_id}/report", response=ReportOut, summary="How well a plan honours preferences")
def schedule_report(request: HttpRequest, schedule_id: int) -> dict[str, Any]:
    from .reports import schedule_report as report_of

    schedule = selectors.schedule_get(actor=acting_staff(request), schedule_id=schedule_id)
    return report_out(report_of(schedules=[schedule]))


@router.get("/schedule-report", response=ReportOut, summary="The published plans' report over days")
def published_report(request: HttpRequest, query: Query[RangeQuery]) -> dict[str, Any]:
    report = selectors.published_report(actor=acting_staff(request), first_day=query.first_day, last_day=query.last_day)
    return report_out(report)


@router.post("/schedules/{schedule_id}/publish", response=ScheduleOut, summary="Make a draft the day's plan")
def publish(request: HttpRequest, schedule_id: int) -> dict[str, Any]:
    actor = acting_staff(request)
    schedule = selectors.schedule_get(actor=actor, schedule_id=schedule_id)
    return schedule_out(services.schedule_publish(schedule=schedule, actor=actor))


class MoveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    carer_ids: list[int] = Field(description="The carer, or the two carers of a double-handed visit.")
    start: str = Field(
        description='When the (first) carer starts: "HH:MM" on the plan\'s day, or an ISO date and time.'
    )


class PartOut(Schema):
    carer_id: int
    name: str
    position: int
    planned_start: datetime
    planned_end: datetime
    travel_minutes: int
    route_order: int


class MovedVisitOut(Schema):
    id: int
    schedule_id: int
    status: str
    planned_start: datetime | None
    minutes_outside_preferred: int
    with_usual_carer: bool | None
    parts: list[PartOut]
    figures: dict[str, Any] = Field(description="The day's report figures after the move.")


@router.post(
    "/schedules/{schedule_id}/visits/{visit_id}/move",
    response=MovedVisitOut,
    summary="Move one visit of a draft to other carers or another time (or place an unplaced one)",
)
def visit_move(request: HttpRequest, schedule_id: int, visit_id: int, payload: MoveIn) -> dict[str, Any]:
    actor = acting_staff(request)
    schedule = selectors.schedule_get(actor=actor, schedule_id=schedule_id)
    visit = selectors.schedule_visit_get(schedule=schedule, visit_id=visit_id)
    carers = selectors.carers_get(actor=actor, carer_ids=payload.carer_ids)
    start = adjust.move_start(day=schedule.day, text=payload.start)
    moved = adjust.draft_visit_move(visit=visit, carers=carers, start=start, actor=actor)
    schedule.refresh_from_db(fields=["summary"])
    return _moved_out(moved, schedule)


def _moved_out(moved: Any, schedule: Schedule) -> dict[str, Any]:
    return {
        "id": moved.pk,
        "schedule_id": schedule.pk,
        "status": moved.status,
        "planned_start": moved.planned_start,
        "minutes_outside_preferred": moved.minutes_outside_preferred,
        "with_usual_carer": moved.with_usual_carer,
        "parts": [
            {
                "carer_id": a.carer_id,
                "name": a.carer.staff.display_name,
                "position": a.position,
                "planned_start": a.planned_start,
                "planned_end": a.planned_end,
                "travel_minutes": a.travel_minutes,
                "route_order": a.route_order,
            }
            for a in moved.assignments.select_related("carer__staff").order_by("position")
        ],
        "figures": (schedule.summary or {}).get("figures", {}),
    }


class SwapIn(Schema):
    model_config = ConfigDict(extra="forbid")

    with_visit_id: int = Field(description="The other visit of the same draft; it takes this visit's carers.")


class SwappedOut(Schema):
    visits: list[MovedVisitOut] = Field(description="This visit, then the other, each with its new carers.")
    figures: dict[str, Any] = Field(description="The day's report figures after the swap.")


@router.post(
    "/schedules/{schedule_id}/visits/{visit_id}/swap",
    response=SwappedOut,
    summary="Swap the carers of two visits of a draft, each keeping its times",
)
def visits_swap(request: HttpRequest, schedule_id: int, visit_id: int, payload: SwapIn) -> dict[str, Any]:
    actor = acting_staff(request)
    schedule = selectors.schedule_get(actor=actor, schedule_id=schedule_id)
    visit = selectors.schedule_visit_get(schedule=schedule, visit_id=visit_id)
    other = selectors.schedule_visit_get(schedule=schedule, visit_id=payload.with_visit_id)
    pair = adjust.draft_visits_swap(visit=visit, other=other, actor=actor)
    schedule.refresh_from_db(fields=["summary"])
    return {
        "visits": [_moved_out(v, schedule) for v in pair],
        "figures": (schedule.summary or {}).get("figures", {}),
    }
