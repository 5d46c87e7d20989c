"""Attendance: a carer checking in when they arrive at a customer's home and out when they leave.

Who may record it: the carer the part is assigned to (the staff member who is that
carer), or, on their behalf (a phone with no signal, a forgotten tap), a *planner* of
the provider (an organisation administrator, a team lead, or the coordinator of a service
there) or someone in the carer's reporting line. The customer's timeline says when
somebody else recorded it ("recorded by Lena Lead for Bob Baker").

The rules:

- only a visit on a **published** schedule can be checked in to (a draft is not the
  plan yet; a replaced plan is not the plan any more). Checking *out* of a part already
  checked in stays possible after the plan was replaced, so nobody is stuck in a visit;
- a part is checked in once and out once, and out only after in;
- check-in opens ``STEWARD_VISIT_CHECK_IN_EARLY_MINUTES`` (default 60) before the part's
  planned start: early enough for a carer whose previous visit was short, not so early
  that a tap at breakfast reads as an arrival. There is no latest time: a late arrival
  is recorded, never refused (the customer was seen), and called late once past the
  missed-visit grace (``STEWARD_VISIT_GRACE_MINUTES``);
- a recorded time (``at``) may not be in the future; check-out may not be before check-in.

The visit follows its parts: *in progress* when the first carer arrives, *done* when
every part has checked out. A carer of a visit for two who never came does not hold it
open for ever: once the sweep has reported them missing (``visits.missed``), the visit
is done when everyone who came has left, and the check-out says who did not come (the
alert stays open for the named person). If they come after all, their check-in opens
the visit again. Both events are contact with the customer in person
(``VISIT_CHECKED_IN`` counts for the continuity checks, see
``agreements.selectors.CONTACT_KINDS``).

A late arrival after the visit was reported **missed** (``visits.missed``) turns it
back to in progress and resolves the missed-visit alert with what happened ("Bob Baker
arrived at 10:12, 2 h 12 min after the planned 08:00"), so the coordinator's queue holds
only visits that really did not happen; the customer's "did not happen" entry stays on
their timeline (it is append-only) and is followed by the arrival.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from steward.alerts.models import Alert
from steward.alerts.services import alert_auto_resolve
from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.organisations.models import StaffMember
from steward.organisations.selectors import escalation_chain
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record

from .missed import grace_minutes, visit_is_over
from .models import Schedule, Visit, VisitAssignment
from .permissions import can_plan

# A recorded time a few seconds ahead of the server's clock (a phone's clock) is "now".
CLOCK_TOLERANCE = timedelta(minutes=2)


def check_in_early_minutes() -> int:
    """How long before a part's planned start its carer may check in."""
    return int(settings.STEWARD_VISIT_CHECK_IN_EARLY_MINUTES)


def may_act_for_carer(actor: StaffMember, carer_staff: StaffMember) -> bool:
    """Whether ``actor`` may see a carer's day and record attendance for them: the carer
    themself, someone they answer to, or a planner of their organisation."""
    if not actor.is_active:
        return False
    if actor.pk == carer_staff.pk:
        return True
    if actor.organisation_id != carer_staff.organisation_id:
        return False
    return actor in escalation_chain(carer_staff) or can_plan(actor, organisation_id=carer_staff.organisation_id)


def _lock(assignment_id: int) -> VisitAssignment:
    """Lock the visit, then its part (in that order, as every writer here does), and
    read them with what the rules and the timeline need."""
    visit_id = VisitAssignment.objects.filter(pk=assignment_id).values_list("visit_id", flat=True).first()
    if visit_id is None:
        raise NotFound("There is no such visit on your schedule.", code="assignment_not_found")
    Visit.objects.select_for_update().filter(pk=visit_id).values_list("pk").first()
    VisitAssignment.objects.select_for_update().filter(pk=assignment_id).values_list("pk").first()
    return VisitAssignment.objects.select_related(
        "carer__staff",
        "visit__schedule",
        "visit__customer",
        "visit__organisation",
        "visit__pattern",
        "visit__missed_alert",
        "missed_alert",
    ).get(pk=assignment_id)


def _check_actor(actor: StaffMember, part: VisitAssignment) -> bool:
    """Raise unless ``actor`` may record this part; say whether it is on the carer's behalf."""
    carer_staff = part.carer.staff
    if not actor.is_active:
        raise PermissionDenied(f"{actor.display_name} is deactivated.", code="staff_inactive")
    if actor.pk == carer_staff.pk:
        return False
    if actor.organisation_id != part.visit.organisation_id:
        # Not-visible reads as not-found: other organisations cannot probe visit numbers.
        raise NotFound("There is no such visit on your schedule.", code="assignment_not_found")
    if not may_act_for_carer(actor, carer_staff):
        raise PermissionDenied(
            f"Only {carer_staff.display_name}, the people they answer to, or a planner at "
            f"{part.visit.organisation.name} can record their visits.",
            code="not_your_visit",
        )
    return True


def _when(at: datetime | None) -> datetime:
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + CLOCK_TOLERANCE:
        raise InvalidInput("The time recorded cannot be in the future.", code="time_in_future")
    return at


def _hm(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def _late_words(arrived: datetime, planned: datetime) -> str:
    minutes = int((arrived - planned).total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def _who(actor: StaffMember, carer_staff: StaffMember, on_behalf: bool) -> str:
    return f" (recorded by {actor.display_name} for {carer_staff.display_name})" if on_behalf else ""


@transaction.atomic
def visit_check_in(*, assignment: VisitAssignment, actor: StaffMember, at: datetime | None = None) -> VisitAssignment:
    """The carer arrived at the customer's home for their part in the visit, at ``at``
    (default now)."""
    at = _when(at)
    part = _lock(assignment.pk)
    visit = part.visit
    on_behalf = _check_actor(actor, part)
    carer_staff = part.carer.staff
    if visit.schedule.status != Schedule.Status.PUBLISHED:
        raise Conflict(
            "This visit is not on the published plan, so it cannot be checked in to. Check today's plan.",
            code="schedule_not_published",
        )
    if part.checked_in_at is not None:
        raise Conflict(
            f"{carer_staff.display_name} already checked in to this visit at {_hm(part.checked_in_at)}.",
            code="already_checked_in",
        )
    # A carer reported missing may still come after the others left (the visit was
    # closed without them): their arrival opens it again.
    reopens = visit.status == Visit.Status.DONE and part.missed_alert_id is not None
    if visit.status not in (Visit.Status.PLANNED, Visit.Status.IN_PROGRESS, Visit.Status.MISSED) and not reopens:
        raise Conflict(f"This visit is {visit.get_status_display().lower()}.", code="visit_not_open")
    opens = part.planned_start - timedelta(minutes=check_in_early_minutes())
    if at < opens:
        raise Conflict(
            f"Check-in for this visit opens at {_hm(opens)}, {check_in_early_minutes()} minutes before "
            f"the planned {_hm(part.planned_start)}.",
            code="too_early",
        )
    was_missed = visit.status == Visit.Status.MISSED
    part.checked_in_at = at
    part.save(update_fields=["checked_in_at"])
    if visit.status != Visit.Status.IN_PROGRESS:
        visit.status = Visit.Status.IN_PROGRESS
        visit.save(update_fields=["status", "updated_at"])
    planned = _hm(part.planned_start)
    # Late: after the grace the missed-visits sweep gives, whether or not it has run yet.
    late = was_missed or at - part.planned_start > timedelta(minutes=grace_minutes())
    summary = f"{carer_staff.display_name} arrived for your {planned} visit ({visit.pattern.label}) at {_hm(at)}"
    if late:
        summary += f", {_late_words(at, part.planned_start)} late"
    event_record(
        customer=visit.customer,
        organisation=visit.organisation,
        kind=TimelineEvent.Kind.VISIT_CHECKED_IN,
        actor=actor,
        channel=TimelineEvent.Channel.IN_PERSON,
        summary=summary + "." + _who(actor, carer_staff, on_behalf),
        data={
            "visit": visit.pk,
            "assignment": part.pk,
            "carer": part.carer_id,
            "on_behalf": on_behalf,
            "recorded_at": timezone.now().isoformat(),
        },
        occurred_at=at,
    )
    missing = part.missed_alert  # the visit began without this carer, who comes now
    if missing is not None and missing.status == Alert.Status.OPEN:
        alert_auto_resolve(
            alert=missing,
            resolution=(
                f"{carer_staff.display_name} arrived at {_hm(at)}, {_late_words(at, part.planned_start)} after "
                f"the planned {planned}{_who(actor, carer_staff, on_behalf)}."
            ),
            at=at,
        )
    alert = visit.missed_alert
    if was_missed and alert is not None and alert.status == Alert.Status.OPEN:
        alert_auto_resolve(
            alert=alert,
            resolution=(
                f"{carer_staff.display_name} arrived at {_hm(at)}, {_late_words(at, part.planned_start)} after "
                f"the planned {planned}{_who(actor, carer_staff, on_behalf)}. Check with "
                f"{visit.customer.known_as} that all is well."
            ),
            at=at,
        )
    return part


@transaction.atomic
def visit_check_out(*, assignment: VisitAssignment, actor: StaffMember, at: datetime | None = None) -> VisitAssignment:
    """The carer left the customer's home at ``at`` (default now), their part done."""
    at = _when(at)
    part = _lock(assignment.pk)
    visit = part.visit
    on_behalf = _check_actor(actor, part)
    carer_staff = part.carer.staff
    if visit.schedule.status == Schedule.Status.DRAFT:
        raise Conflict("This visit is not on the published plan.", code="schedule_not_published")
    if part.checked_in_at is None:
        raise Conflict(
            f"{carer_staff.display_name} has not checked in to this visit yet: check in first.",
            code="not_checked_in",
        )
    if part.checked_out_at is not None:
        raise Conflict(
            f"{carer_staff.display_name} already checked out of this visit at {_hm(part.checked_out_at)}.",
            code="already_checked_out",
        )
    if at < part.checked_in_at:
        raise InvalidInput(
            f"Check-out cannot be before the check-in at {_hm(part.checked_in_at)}.", code="out_before_in"
        )
    part.checked_out_at = at
    part.save(update_fields=["checked_out_at"])
    others = list(VisitAssignment.objects.filter(visit=visit).exclude(pk=part.pk).select_related("carer__staff"))
    ended = visit_is_over(others)
    if ended:
        visit.status = Visit.Status.DONE
        visit.save(update_fields=["status", "updated_at"])
    stayed = int((at - part.checked_in_at).total_seconds() // 60)
    never_came = [o.carer.staff.display_name for o in others if o.checked_in_at is None]
    # A visit for two that ends with a carer never come says so where the customer reads it.
    without = ""
    if ended and never_came:
        without = f" The visit is over without {' and '.join(never_came)}, who did not come."
    event_record(
        customer=visit.customer,
        organisation=visit.organisation,
        kind=TimelineEvent.Kind.VISIT_CHECKED_OUT,
        actor=actor,
        channel=TimelineEvent.Channel.IN_PERSON,
        summary=(
            f"{carer_staff.display_name} left at {_hm(at)} after {stayed} minutes "
            f"({visit.pattern.label}).{_who(actor, carer_staff, on_behalf)}{without}"
        ),
        data={"visit": visit.pk, "assignment": part.pk, "carer": part.carer_id, "on_behalf": on_behalf},
        occurred_at=at,
    )
    return part
