"""Missed visits: a planned visit nobody checked in to in time is reported, to a named person.

A visit of a **published** schedule, still *planned* (no carer has checked in), is
*missed* once its deadline has passed:

    deadline = min(acceptable_end, max(planned_start + grace, preferred_end))

with ``grace`` = ``STEWARD_VISIT_GRACE_MINUTES`` (default 30). In words: the carer has
the grace period after the planned start, and never less than the customer's preferred
window (a visit planned at 08:00 in an 08:00–08:30 window is not missed at 08:29
however short the grace); but once the acceptable window has closed (the latest start
the customer accepts), it is missed even if the grace has not run out.

Reporting it, in one transaction per visit:

- the visit becomes ``missed`` (claimed with a conditional ``UPDATE … WHERE status =
  'planned'``, so two workers sweeping at once report it once, and a carer checking in
  at the same moment either wins, and nothing is reported, or arrives just after and
  turns the report into a late arrival, see ``visits.attendance``);
- a *missed visit* alert (subject ``visit:<id>``) goes to the care agreement's
  coordinator, else the lead of the agreement's team, else the head of the provider
  (the same fallbacks as the continuity checks), who is notified; it is staff-only on
  the customer's timeline;
- the customer's timeline says, plainly: "Your 08:00 visit (Help getting up) did not
  happen. Alice Able (coordinator) has been told and will be in touch."

The candidates are found with one query (on the planned-visits index); a sweep handles
at most ``SWEEP_BATCH`` of them and the next sweep, a minute later, the rest.

**A second carer who does not come.** A double-handed visit where one carer checked in
is in progress, not missed; but one carer must not do alone what needs two (a hoist).
So a carer's part of a visit *in progress* that nobody checked in to, ``grace`` minutes
after the part's planned start, raises its own alert (subject
``visit:<id>:carer:<position>``) to the same named person, and the customer's timeline
says who has not arrived. Each part is reported once (claimed under a row lock, and
``VisitAssignment.missed_alert`` set in the same transaction); the carer checking in
later resolves it (``visits.attendance``). Once reported, the absent carer no longer
holds the visit open: it is *done* when everyone who came has left (at their check-out,
or at the report if they left before it), and the customer's timeline says so
(``visit_is_over``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from steward.agreements.models import ServiceAgreement

# The continuity checks' rule for who answers for an agreement when its coordinator
# cannot: one rule for every alert about a service.
from steward.alerts.continuity import agreement_answerer
from steward.alerts.models import Alert
from steward.alerts.services import SWEEP_BATCH, _raise
from steward.errors import DomainError
from steward.organisations.models import StaffMember
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record

from .models import Schedule, Visit, VisitAssignment

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "visit:"


def grace_minutes() -> int:
    """How long after its planned start a visit may begin before it counts as missed."""
    return int(settings.STEWARD_VISIT_GRACE_MINUTES)


def visit_subject(visit_id: int) -> str:
    """The stable subject of the missed-visit alert about one visit."""
    return f"{SUBJECT_PREFIX}{visit_id}"


def visit_deadline(visit: Visit) -> datetime:
    """When a planned visit nobody checked in to becomes missed (see the module)."""
    assert visit.planned_start is not None
    return min(visit.acceptable_end, max(visit.planned_start + timedelta(minutes=grace_minutes()), visit.preferred_end))


def _overdue(now: datetime) -> Q:
    # deadline <= now, with deadline = min(A, max(P + g, E)), written as comparisons of
    # columns with constants so both databases use the planned-visits index and no
    # date arithmetic: min(A, X) <= now  ⇔  A <= now or X <= now, and
    # max(P + g, E) <= now  ⇔  P <= now - g and E <= now.
    return Q(acceptable_end__lte=now) | Q(
        planned_start__lte=now - timedelta(minutes=grace_minutes()), preferred_end__lte=now
    )


def visits_missed_at(now: datetime) -> QuerySet[Visit]:
    """Planned visits of published schedules, with nobody checked in, whose deadline has
    passed at ``now``: the earliest planned first. One query."""
    return (
        Visit.objects.filter(status=Visit.Status.PLANNED, schedule__status=Schedule.Status.PUBLISHED)
        .filter(_overdue(now))
        .order_by("planned_start", "pk")
    )


def part_subject(visit_id: int, position: int) -> str:
    """The stable subject of the alert about one carer's part of a visit not coming."""
    return f"{SUBJECT_PREFIX}{visit_id}:carer:{position}"


def parts_missing_at(now: datetime) -> QuerySet[VisitAssignment]:
    """Carers' parts, not yet reported, of published visits in progress (someone came)
    that nobody checked in to ``grace`` minutes after the part's planned start. One query."""
    in_progress = Visit.objects.filter(
        status=Visit.Status.IN_PROGRESS, schedule__status=Schedule.Status.PUBLISHED
    ).values("pk")  # few at any moment, on their own index: the parts are found from them
    return VisitAssignment.objects.filter(
        visit__in=in_progress,
        checked_in_at__isnull=True,
        missed_alert__isnull=True,
        planned_start__lte=now - timedelta(minutes=grace_minutes()),
    ).order_by("planned_start", "pk")


@dataclass
class MissedVisitsReport:
    """What one missed-visits sweep did; printed by `manage.py sweep` and the worker."""

    at: datetime
    missed: int = 0
    parts_missing: int = 0  # carers who did not come to a visit another carer began
    problems: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return self.missed + self.parts_missing


def _role(person: StaffMember, agreement: ServiceAgreement) -> str:
    if person.pk == agreement.coordinator_id:
        return "coordinator"
    if agreement.team.lead_id == person.pk:
        return "team lead"
    return "manager"


def _who_answers(visit: Visit, what: str) -> tuple[StaffMember, str]:
    """The person to tell about ``what`` went wrong at the visit, and their role in words;
    a DomainError (the sweep rolls back and says so) when nobody at the provider is active."""
    agreement = visit.care_agreement.service_agreement
    person = agreement_answerer(agreement)
    if person is None:
        raise DomainError(
            f"Visit #{visit.pk}: {what} but nobody at {agreement.provider.name} is active to be told.",
            code="no_one_to_alert",
        )
    return person, _role(person, agreement)


def _report(visit: Visit, *, at: datetime) -> None:
    """Raise the alert and tell the customer, for a visit this sweep just claimed."""
    customer = visit.customer
    person, role = _who_answers(visit, f"{customer.full_name}'s visit was missed")
    assert visit.planned_start is not None
    planned = f"{timezone.localtime(visit.planned_start):%H:%M}"
    day = f"{timezone.localtime(visit.planned_start):%a %d %b}"
    carers = [a.carer.staff.display_name for a in visit.assignments.all()]
    who_went = " and ".join(carers) if carers else "nobody"
    alert, _ = _raise(
        kind=Alert.Kind.MISSED_VISIT,
        subject=visit_subject(visit.pk),
        assigned_to=person,
        organisation=visit.organisation,
        customer=customer,
        title=f"Visit missed: {customer.full_name}, {day} {planned} ({visit.pattern.label})",
        detail=(
            f"Nobody checked in to {customer.full_name}'s {planned} visit on {day} "
            f"({visit.pattern.label}, at {visit.care_agreement.address}); {who_went} "
            f"{'was' if len(carers) < 2 else 'were'} planned to go. Call {customer.known_as} and the carer, "
            "arrange a visit if it is still needed, and resolve this alert saying what happened. "
            "If the carer did go but forgot to check in, record their check-in on their day page: "
            "that resolves this alert."
        ),
        timeline_summary=(
            f"The {planned} visit was missed: nobody checked in. {person.display_name} ({role}) was asked to follow up."
        ),
        at=at,
    )
    Visit.objects.filter(pk=visit.pk).update(missed_alert=alert)
    event_record(
        customer=customer,
        organisation=visit.organisation,
        kind=TimelineEvent.Kind.VISIT_MISSED,
        summary=(
            f"Your {planned} visit ({visit.pattern.label}) did not happen. "
            f"{person.display_name} ({role}) has been told and will be in touch."
        ),
        data={"visit": visit.pk, "alert": alert.pk, "told": person.pk},
        occurred_at=at,
    )


def _report_part(part: VisitAssignment, *, at: datetime) -> None:
    """Raise the alert about a carer not coming to a visit another carer began, and tell
    the customer, for a part this sweep just claimed."""
    visit = part.visit
    customer = visit.customer
    person, role = _who_answers(visit, f"a carer did not come to {customer.full_name}'s visit")
    planned = f"{timezone.localtime(part.planned_start):%H:%M}"
    day = f"{timezone.localtime(part.planned_start):%a %d %b}"
    absent = part.carer.staff.display_name
    parts = list(visit.assignments.select_related("carer__staff"))
    came = [a.carer.staff.display_name for a in parts if a.checked_in_at is not None]
    present = " and ".join(came) or "Another carer"
    alert, _ = _raise(
        kind=Alert.Kind.MISSED_VISIT,
        subject=part_subject(visit.pk, part.position),
        assigned_to=person,
        organisation=visit.organisation,
        customer=customer,
        title=f"Carer missing: {absent} at {customer.full_name}, {day} {planned} ({visit.pattern.label})",
        detail=(
            f"{present} checked in to {customer.full_name}'s visit on {day} ({visit.pattern.label}, at "
            f"{visit.care_agreement.address}), which needs two carers; {absent}, "
            f"planned for {planned}, has not checked in. What needs two must not be done by one alone: call "
            f"{absent} and {present}, send someone else if needed, and resolve this alert saying what "
            f"happened. If {absent} is there but forgot to check in, record the check-in on their day page: "
            "that resolves this alert."
        ),
        timeline_summary=(
            f"{absent} did not arrive for the {planned} visit, which needs two carers. "
            f"{person.display_name} ({role}) was asked to follow up."
        ),
        at=at,
    )
    VisitAssignment.objects.filter(pk=part.pk).update(missed_alert=alert)
    # Whoever came may have left already: then the visit is over (see visit_is_over).
    ended = visit_is_over(a for a in parts if a.pk != part.pk)
    if ended:
        Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.DONE, updated_at=at)
    over = f" {present} has left since, so the visit is over." if ended else ""
    event_record(
        customer=customer,
        organisation=visit.organisation,
        kind=TimelineEvent.Kind.VISIT_MISSED,
        summary=(
            f"Your visit ({visit.pattern.label}) needs two carers and {absent} has not arrived "
            f"(planned for {planned}).{over} {person.display_name} ({role}) has been told and will be in touch."
        ),
        data={"visit": visit.pk, "assignment": part.pk, "alert": alert.pk, "told": person.pk},
        occurred_at=at,
    )


def visit_is_over(parts: Iterable[VisitAssignment]) -> bool:
    """Whether a visit is over, judged on its carers' ``parts`` other than the one that
    just changed (a carer leaving, or a carer just reported missing): nobody is still
    there, and nobody is still due. A carer who never
    checked in is due until the missed-visits sweep has reported them missing; after
    that the visit ends when everyone who came has left (it does not wait, in progress,
    for someone who is not coming; the alert to the named person stays open)."""
    return not any(
        (p.checked_in_at is not None and p.checked_out_at is None)
        or (p.checked_in_at is None and p.missed_alert_id is None)
        for p in parts
    )


def _parts_sweep(now: datetime, report: MissedVisitsReport) -> None:
    ids = list(parts_missing_at(now).values_list("pk", flat=True)[:SWEEP_BATCH])
    for pk in ids:
        try:
            with transaction.atomic():
                # The claim: lock the visit, then the part (the order check-in uses),
                # and go on only if the part is still unreported and nobody came for it.
                visit_id = VisitAssignment.objects.filter(pk=pk).values_list("visit_id", flat=True).first()
                if visit_id is None:
                    continue  # the plan was replaced since the list was read
                Visit.objects.select_for_update().filter(pk=visit_id).values_list("pk").first()
                part = (
                    VisitAssignment.objects.select_for_update(of=("self",))
                    .select_related(
                        "carer__staff",
                        "visit__schedule",
                        "visit__customer",
                        "visit__organisation",
                        "visit__pattern",
                        "visit__care_agreement__service_agreement__coordinator",
                        "visit__care_agreement__service_agreement__provider",
                        "visit__care_agreement__service_agreement__team__lead",
                    )
                    .filter(pk=pk, checked_in_at__isnull=True, missed_alert__isnull=True)
                    .first()
                )
                if (
                    part is None
                    or part.visit.status != Visit.Status.IN_PROGRESS
                    or part.visit.schedule.status != Schedule.Status.PUBLISHED
                ):
                    continue
                _report_part(part, at=now)
        except DomainError as exc:
            report.problems.append(exc.message)
            logger.error("missing carer at visit part %s could not be reported: %s", pk, exc.message)
            continue
        report.parts_missing += 1


def missed_visits_sweep(now: datetime | None = None) -> MissedVisitsReport:
    """Report every visit missed as of ``now`` (default now), each in its own
    transaction. Idempotent: a visit is reported once, however many workers sweep."""
    now = now or timezone.now()
    report = MissedVisitsReport(at=now)
    ids = list(visits_missed_at(now).values_list("pk", flat=True)[:SWEEP_BATCH])
    for pk in ids:
        try:
            with transaction.atomic():
                # The claim, on the visit's own row (no join, so PostgreSQL re-checks it
                # after waiting for a concurrent writer): one sweep wins, and only while
                # nobody has checked in.
                claimed = (
                    Visit.objects.filter(pk=pk, status=Visit.Status.PLANNED)
                    .filter(_overdue(now))
                    .update(status=Visit.Status.MISSED, updated_at=now)
                )
                if not claimed:
                    continue
                visit = (
                    Visit.objects.select_related(
                        "schedule",
                        "customer",
                        "organisation",
                        "pattern",
                        "care_agreement__service_agreement__coordinator",
                        "care_agreement__service_agreement__provider",
                        "care_agreement__service_agreement__team__lead",
                    )
                    .prefetch_related("assignments__carer__staff")
                    .get(pk=pk)
                )
                if visit.schedule.status != Schedule.Status.PUBLISHED:
                    # The plan was replaced since the list was read: not this plan's visit to report.
                    transaction.set_rollback(True)
                    continue
                _report(visit, at=now)
        except DomainError as exc:
            # Rolled back: the visit stays planned and the next sweep tries again, while
            # the problem is printed for someone to fix (nobody active at the provider).
            report.problems.append(exc.message)
            logger.error("missed visit %s could not be reported: %s", pk, exc.message)
            continue
        report.missed += 1
    _parts_sweep(now, report)
    return report
