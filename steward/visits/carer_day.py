"""A carer's day: the visits of the published plan they go to, in order, with what they
need at each door. Read by the carer's day page in the console and ``GET /visits/my-day``.

Who may see it: the carer, the people they answer to, and the organisation's planners
(see ``attendance.may_act_for_carer``). Anyone else at the organisation is refused; staff
of another organisation are told there is no such carer.

The customer's name, address and access notes are the customer's data, so they come
through the read door (I5): one ``customer_data_read`` per customer on the day, for
*delivering care* (the purpose the provider's service grant covers), reading their
contact details and care plan. The purpose is not asked for: the plan is the reason the
reader is there, as for the owner of a request working on it. Each viewing leaves one
entry in each customer's access log. Without a grant covering it (the customer withdrew
it), the visit is still listed (the carer must know they have somewhere to be) but the
name, address and notes are withheld and the refusal is in the customer's access log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from steward.care.models import Carer
from steward.consent.services import customer_data_read
from steward.consent.vocabulary import DataCategory, Purpose
from steward.errors import NotFound, PermissionDenied
from steward.organisations.models import StaffMember

from .attendance import check_in_early_minutes, may_act_for_carer
from .models import Schedule, Visit, VisitAssignment

READ_CATEGORIES = (DataCategory.CONTACT_DETAILS.value, DataCategory.CARE_PLAN.value)
OPEN_STATUSES = (Visit.Status.PLANNED, Visit.Status.IN_PROGRESS, Visit.Status.MISSED)


@dataclass
class DayVisit:
    """One stop in the carer's day."""

    part: VisitAssignment
    visit: Visit
    customer_id: int
    # Empty when the read door refused them (``withheld`` says so).
    customer_name: str
    address: str
    access_notes: str
    withheld: bool
    other_carers: list[str]
    check_in_opens: datetime
    can_check_in: bool
    can_check_out: bool


@dataclass
class CarerDay:
    carer: Carer
    day: date
    schedule: Schedule | None  # the published plan, if there is one
    stops: list[DayVisit] = field(default_factory=list)

    @property
    def travel_minutes(self) -> int:
        return sum(s.part.travel_minutes for s in self.stops)


def carer_get_for(*, viewer: StaffMember, carer_id: int) -> Carer:
    """The carer, if ``viewer`` may see their day."""
    carer = Carer.objects.select_related("staff", "organisation").filter(pk=carer_id).first()
    if carer is None or carer.organisation_id != viewer.organisation_id:
        raise NotFound("There is no such carer in your organisation.", code="carer_not_found")
    if not may_act_for_carer(viewer, carer.staff):
        raise PermissionDenied(
            f"Only {carer.staff.display_name}, the people they answer to and the planners at "
            f"{carer.organisation.name} can see their visits.",
            code="not_your_carer",
        )
    return carer


def carer_of(staff: StaffMember) -> Carer | None:
    """The staff member's carer record, if they visit customers."""
    return Carer.objects.filter(staff=staff).select_related("staff", "organisation").first()


def carer_day(*, viewer: StaffMember, carer: Carer, day: date, channel: str, now: datetime | None = None) -> CarerDay:
    """The carer's published day (``carer`` from ``carer_get_for``), stops in the order
    they go, each customer read through the door on ``channel``."""
    now = now or timezone.now()
    schedule = Schedule.objects.filter(
        organisation_id=carer.organisation_id, day=day, status=Schedule.Status.PUBLISHED
    ).first()
    result = CarerDay(carer=carer, day=day, schedule=schedule)
    if schedule is None:
        return result
    parts = list(
        VisitAssignment.objects.filter(carer=carer, visit__schedule=schedule)
        .exclude(visit__status=Visit.Status.CANCELLED)
        .select_related("visit__pattern", "visit__care_agreement", "visit__customer")
        .prefetch_related(
            Prefetch("visit__assignments", queryset=VisitAssignment.objects.select_related("carer__staff"))
        )
        .order_by("route_order", "planned_start", "pk")
    )
    allowed: dict[int, bool] = {}
    for part in parts:
        customer_id = part.visit.customer_id
        if customer_id not in allowed:
            try:
                customer_data_read(
                    actor=viewer,
                    customer_id=customer_id,
                    purpose=Purpose.CARE_DELIVERY.value,
                    categories=READ_CATEGORIES,
                    resource="carer_day",
                    channel=channel,
                )
                allowed[customer_id] = True
            except PermissionDenied:
                allowed[customer_id] = False
    for part in parts:
        visit = part.visit
        readable = allowed[visit.customer_id]
        opens = part.planned_start - timedelta(minutes=check_in_early_minutes())
        result.stops.append(
            DayVisit(
                part=part,
                visit=visit,
                customer_id=visit.customer_id,
                customer_name=visit.customer.full_name if readable else "",
                address=visit.care_agreement.address if readable else "",
                access_notes=visit.care_agreement.access_notes if readable else "",
                withheld=not readable,
                other_carers=[a.carer.staff.display_name for a in visit.assignments.all() if a.pk != part.pk],
                check_in_opens=opens,
                can_check_in=part.checked_in_at is None and visit.status in OPEN_STATUSES and now >= opens,
                can_check_out=part.checked_in_at is not None and part.checked_out_at is None,
            )
        )
    return result
