"""How well a schedule honours what customers asked for, computed from the stored rows.

For one schedule or several (e.g. a week's published days):

- **in preferred window**: visits whose planned start is inside the customer's preferred
  window, as a share of *all* the day's visits (an unplaced visit counts against it, so a
  schedule cannot look good by leaving visits out); **minutes outside** adds up how far
  the others are from it;
- **continuity**: placed visits that one of the customer's usual carers makes, as a share
  of the placed visits of customers who have usual carers (a new customer has none yet);
- per **carer**: visits, minutes of care, travel (to each visit and back home at the end
  of the day, as planned) and overtime beyond their contracted minutes;
- every **unplaced** visit with its reason in plain words.

Cancelled visits are left out. A fixed number of queries, whatever the number of days or
visits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Sum

from .models import Schedule, Visit, VisitAssignment


@dataclass
class CarerFigures:
    carer_id: int
    name: str
    visits: int = 0
    care_minutes: int = 0
    travel_minutes: int = 0
    overtime_minutes: int = 0


@dataclass
class UnplacedVisit:
    visit_id: int
    day: date
    customer_id: int
    customer_name: str
    label: str
    preferred_start: datetime
    preferred_end: datetime
    reason_code: str
    reason: str  # in plain words
    detail: str


@dataclass
class ScheduleReport:
    schedule_ids: list[int]
    days: list[date]
    visits: int = 0
    planned: int = 0
    unplaced: int = 0
    in_preferred: int = 0
    minutes_outside: int = 0
    max_minutes_outside: int = 0
    with_usual_carer: int = 0
    with_usual_carer_known: int = 0
    travel_minutes: int = 0
    overtime_minutes: int = 0
    carers: list[CarerFigures] = field(default_factory=list)
    unplaced_visits: list[UnplacedVisit] = field(default_factory=list)

    @property
    def percent_in_preferred(self) -> float | None:
        return round(100 * self.in_preferred / self.visits, 1) if self.visits else None

    @property
    def continuity_percent(self) -> float | None:
        if not self.with_usual_carer_known:
            return None
        return round(100 * self.with_usual_carer / self.with_usual_carer_known, 1)

    def figures(self) -> dict[str, Any]:
        """The headline figures as plain data (stored as a schedule's and a run's summary)."""
        return {
            "visits": self.visits,
            "planned": self.planned,
            "unplaced": self.unplaced,
            "in_preferred": self.in_preferred,
            "percent_in_preferred": self.percent_in_preferred,
            "minutes_outside": self.minutes_outside,
            "max_minutes_outside": self.max_minutes_outside,
            "with_usual_carer": self.with_usual_carer,
            "with_usual_carer_known": self.with_usual_carer_known,
            "continuity_percent": self.continuity_percent,
            "travel_minutes": self.travel_minutes,
            "overtime_minutes": self.overtime_minutes,
        }


PLACED = (Visit.Status.PLANNED, Visit.Status.IN_PROGRESS, Visit.Status.DONE, Visit.Status.MISSED)


def schedule_report(*, schedules: Sequence[Schedule]) -> ScheduleReport:
    """The report over ``schedules`` (one per day, usually); see the module doc for each figure."""
    ids = [s.pk for s in schedules]
    report = ScheduleReport(schedule_ids=ids, days=sorted({s.day for s in schedules}))
    visits = Visit.objects.filter(schedule_id__in=ids).exclude(status=Visit.Status.CANCELLED)
    for status, outside, usual in visits.values_list("status", "minutes_outside_preferred", "with_usual_carer"):
        report.visits += 1
        if status == Visit.Status.UNPLACED:
            report.unplaced += 1
            continue
        report.planned += 1
        report.minutes_outside += outside
        report.max_minutes_outside = max(report.max_minutes_outside, outside)
        report.in_preferred += outside == 0
        if usual is not None:
            report.with_usual_carer_known += 1
            report.with_usual_carer += usual

    # Route figures the planner stored (travel home, overtime), by carer id as a string (JSON).
    routes: dict[int, dict[str, int]] = defaultdict(lambda: {"travel_home_minutes": 0, "overtime_minutes": 0})
    for schedule in schedules:
        for carer_id, figures in (schedule.summary or {}).get("routes", {}).items():
            route = routes[int(carer_id)]
            route["travel_home_minutes"] += int(figures.get("travel_home_minutes", 0))
            route["overtime_minutes"] += int(figures.get("overtime_minutes", 0))

    per_carer = (
        VisitAssignment.objects.filter(visit__schedule_id__in=ids, visit__status__in=PLACED)
        .values("carer_id", "carer__staff__display_name")
        .annotate(n=Count("id"), care=Sum("visit__duration_minutes"), travel=Sum("travel_minutes"))
        .order_by("carer__staff__display_name", "carer_id")
    )
    for row in per_carer:
        route = routes.get(row["carer_id"], {"travel_home_minutes": 0, "overtime_minutes": 0})
        report.carers.append(
            CarerFigures(
                carer_id=row["carer_id"],
                name=row["carer__staff__display_name"],
                visits=row["n"],
                care_minutes=row["care"] or 0,
                travel_minutes=(row["travel"] or 0) + route["travel_home_minutes"],
                overtime_minutes=route["overtime_minutes"],
            )
        )
    report.travel_minutes = sum(c.travel_minutes for c in report.carers)
    report.overtime_minutes = sum(c.overtime_minutes for c in report.carers)

    unplaced = (
        Visit.objects.filter(schedule_id__in=ids, status=Visit.Status.UNPLACED)
        .select_related("customer", "pattern")
        .order_by("day", "preferred_start", "id")
    )
    for visit in unplaced:
        report.unplaced_visits.append(
            UnplacedVisit(
                visit_id=visit.pk,
                day=visit.day,
                customer_id=visit.customer_id,
                customer_name=visit.customer.full_name,
                label=visit.pattern.label,
                preferred_start=visit.preferred_start,
                preferred_end=visit.preferred_end,
                reason_code=visit.unplaced_reason,
                reason=visit.get_unplaced_reason_display(),
                detail=visit.unplaced_detail,
            )
        )
    return report
