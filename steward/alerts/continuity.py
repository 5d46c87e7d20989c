"""Continuity checks: nobody vulnerable is left without contact, and no active service is
left without a named coordinator who can act.

A customer flagged vulnerable, with an active service agreement, whom nobody has been in
touch with for longer than the agreement's ``contact_interval_days`` gets a *no contact*
alert in a named person's queue: the agreement's coordinator, else the lead of the
agreement's team, else the head of the provider. "In touch" is any contact on the
customer's timeline, from any organisation (`agreements.selectors.CONTACT_KINDS`),
counted from the start of the service when there has been none.

The sweep finds every overdue agreement with one query (`agreements_overdue_for_contact`),
however many customers there are; each alert is then raised in its own transaction under
the agreement's row lock, after checking again, so two workers sweeping at once raise it
once (and the alerts' partial unique constraint would refuse a second anyway).

An alert resolves itself at the next sweep once someone has been in touch (within the
interval), the service has ended, or the customer is no longer flagged vulnerable. When a
person resolves it by hand ("she is in hospital, her daughter told us"), the clock starts
again from that moment: the next alert comes one interval later if there is still no
contact, not at the next minute.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import (
    CharField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, Greatest, Substr
from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.agreements.selectors import CONTACT_KINDS, last_contact_at
from steward.agreements.services import agreement_repair_coordinator
from steward.errors import DomainError
from steward.organisations.models import StaffMember
from steward.organisations.selectors import organisation_head
from steward.timeline.models import TimelineEvent

from .models import Alert
from .services import SWEEP_BATCH, _raise, alert_auto_resolve, alerts_repair_assignees

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "agreement:"


def agreement_subject(agreement_id: int) -> str:
    """The stable subject of alerts about one agreement."""
    return f"{SUBJECT_PREFIX}{agreement_id}"


class Days(Func):
    """A whole number of days as an interval, on SQLite (microseconds, as Django stores
    durations there) and on PostgreSQL (``make_interval``)."""

    output_field = DurationField()
    template = "(%(expressions)s * 86400000000)"

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="make_interval(days => %(expressions)s)", **extra)


def _alerts_about_outer_agreement() -> QuerySet[Alert]:
    # The subject is built from the outer agreement's id, so the lookup runs on the
    # (kind, subject) indexes.
    subject = Concat(Value(SUBJECT_PREFIX), Cast(OuterRef("pk"), CharField()), output_field=CharField())
    return Alert.objects.filter(kind=Alert.Kind.NO_CONTACT, subject=subject)


def _with_contact_due(qs: QuerySet[ServiceAgreement]) -> QuerySet[ServiceAgreement]:
    """Annotate ``last_contact`` and ``contact_due_at``: one interval after the latest of
    the start of the service, the last contact, and the last time someone resolved a no
    contact alert about it."""
    last_resolved = (
        _alerts_about_outer_agreement()
        .filter(status=Alert.Status.RESOLVED)
        .order_by("-resolved_at")
        .values("resolved_at")[:1]
    )
    return qs.annotate(last_contact=last_contact_at(), last_alert_resolved=Subquery(last_resolved)).annotate(
        contact_due_at=ExpressionWrapper(
            Greatest(
                F("started_at"),
                Coalesce(F("last_contact"), F("started_at")),
                Coalesce(F("last_alert_resolved"), F("started_at")),
            )
            + Days(F("contact_interval_days")),
            output_field=DateTimeField(),
        )
    )


def agreements_overdue_for_contact(*, at: datetime) -> QuerySet[ServiceAgreement]:
    """Active services to vulnerable customers whom nobody has been in touch with for
    longer than the agreement's interval as of `at`, and that have no open no-contact
    alert yet; the longest overdue first. One query, with the timeline and alerts read
    through correlated subqueries on their indexes."""
    return (
        _with_contact_due(
            ServiceAgreement.objects.filter(status=ServiceAgreement.Status.ACTIVE, customer__is_vulnerable=True)
        )
        .filter(Q(contact_due_at__lt=at))
        .exclude(Exists(_alerts_about_outer_agreement().filter(status=Alert.Status.OPEN)))
        .order_by(F("contact_due_at").asc(), "pk")
    )


@dataclass
class ContinuityReport:
    """What one continuity sweep did; printed by `manage.py sweep` and the worker."""

    at: datetime
    coordinators_repaired: int = 0
    alerts_reassigned: int = 0
    no_contact_raised: int = 0
    no_contact_resolved: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return self.coordinators_repaired + self.alerts_reassigned + self.no_contact_raised + self.no_contact_resolved


def agreement_answerer(agreement: ServiceAgreement) -> StaffMember | None:
    """Who an alert about an agreement (no contact, a missed visit) goes to: the
    coordinator, else the team's lead, else the head of the provider."""
    if agreement.coordinator.is_active:
        return agreement.coordinator
    lead = agreement.team.lead
    if lead is not None and lead.is_active and lead.organisation_id == agreement.provider_id:
        return lead
    return organisation_head(organisation_id=agreement.provider_id)


def _day(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%a %d %b %Y}"


def _raise_no_contact(agreement: ServiceAgreement, *, at: datetime) -> bool:
    customer = agreement.customer
    person = agreement_answerer(agreement)
    if person is None:
        raise DomainError(
            f"Agreement #{agreement.pk}: {customer.full_name} needs contact but nobody at "
            f"{agreement.provider.name} is active to be told.",
            code="no_one_to_alert",
        )
    last: datetime | None = getattr(agreement, "last_contact", None)
    since = last if last is not None and last > agreement.started_at else agreement.started_at
    days = max((at - since).days, agreement.contact_interval_days)
    since_words = (
        f"since {_day(since)}" if since != agreement.started_at else f"since the service started on {_day(since)}"
    )
    detail = (
        f"{customer.full_name} is flagged as vulnerable and receives “{agreement.service}” from "
        f"{agreement.provider.name}. Nobody has visited, called or written to them {since_words} "
        f"({days} days; this service asks for contact at least every {agreement.contact_interval_days} days). "
        "Please get in touch, record the visit or call, and resolve this alert saying what you found."
    )
    _, created = _raise(
        kind=Alert.Kind.NO_CONTACT,
        subject=agreement_subject(agreement.pk),
        assigned_to=person,
        organisation=agreement.provider,
        customer=customer,
        title=f"Check on {customer.full_name}: no contact for {days} days",
        detail=detail,
        timeline_summary=(
            f"A check-in with {customer.known_as} is due: no visit, call or message {since_words}. "
            f"{person.display_name} at {agreement.provider.name} has been asked to get in touch."
        ),
        at=at,
    )
    return created


def _sweep_no_contact(report: ContinuityReport) -> None:
    at = report.at
    overdue = agreements_overdue_for_contact(at=at)
    ids = list(overdue.values_list("pk", flat=True)[:SWEEP_BATCH])
    for pk in ids:
        with transaction.atomic():
            # Lock the agreement, then look again: contact may have been recorded, or the
            # service ended, since the list was read.
            locked = ServiceAgreement.objects.select_for_update().filter(pk=pk).values_list("pk").first()
            agreement = (
                overdue.filter(pk=pk).select_related("customer", "provider", "coordinator", "team__lead").first()
                if locked
                else None
            )
            if agreement is None:
                continue
            try:
                if _raise_no_contact(agreement, at=at):
                    report.no_contact_raised += 1
            except DomainError as exc:
                report.problems.append(exc.message)
                logger.error("no-contact alert for agreement %s could not be raised: %s", pk, exc.message)


def _resolvable_no_contact(*, at: datetime) -> QuerySet[Alert]:
    """Open no-contact alerts whose agreement is no longer overdue: someone has been in
    touch, the service ended, or the customer is no longer flagged vulnerable."""
    agreement_id = Cast(Substr("subject", len(SUBJECT_PREFIX) + 1), IntegerField())
    still_overdue = _with_contact_due(
        ServiceAgreement.objects.filter(
            pk=OuterRef("agreement_id"), status=ServiceAgreement.Status.ACTIVE, customer__is_vulnerable=True
        )
    ).filter(Q(contact_due_at__lt=at))
    return (
        Alert.objects.filter(kind=Alert.Kind.NO_CONTACT, status=Alert.Status.OPEN)
        .annotate(agreement_id=agreement_id)
        .exclude(Exists(still_overdue))
        .order_by("pk")
    )


def _why_settled(alert: Alert, agreement_id: int) -> str:
    agreement = ServiceAgreement.objects.select_related("customer", "provider").filter(pk=agreement_id).first()
    if agreement is None or agreement.status != ServiceAgreement.Status.ACTIVE:
        when = f" on {_day(agreement.ended_at)}" if agreement is not None and agreement.ended_at else ""
        return f"The service ended{when}."
    if not agreement.customer.is_vulnerable:
        return f"{agreement.customer.full_name} is no longer flagged as vulnerable."
    contact = (
        TimelineEvent.objects.filter(customer_id=agreement.customer_id, kind__in=CONTACT_KINDS)
        .order_by("-occurred_at", "-id")
        .only("occurred_at", "summary")
        .first()
    )
    if contact is None:
        return "Contact is no longer overdue."
    return f"Contact on {timezone.localtime(contact.occurred_at):%a %d %b %Y at %H:%M}: {contact.summary}"


def _resolve_settled(report: ContinuityReport) -> None:
    for alert in list(_resolvable_no_contact(at=report.at)[:SWEEP_BATCH]):
        agreement_id: int = alert.agreement_id  # type: ignore[attr-defined]  # annotated from the subject
        if alert_auto_resolve(alert=alert, resolution=_why_settled(alert, agreement_id), at=report.at):
            report.no_contact_resolved += 1


def _repair_coordinators(report: ContinuityReport) -> None:
    """An active service never waits on a coordinator who cannot act. Someone deactivated
    behind the services' back: their manager (or the team lead, or the head) takes it,
    is told through an alert, and the sweep reports it as a problem to look into."""
    inactive = StaffMember.objects.filter(is_active=False).values("pk")
    ids = list(
        ServiceAgreement.objects.filter(status=ServiceAgreement.Status.ACTIVE, coordinator__in=inactive)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in ids:
        try:
            with transaction.atomic():
                repaired = agreement_repair_coordinator(agreement_id=pk)
                if repaired is None:
                    continue
                agreement, previous = repaired
                coordinator = agreement.coordinator
                _raise(
                    kind=Alert.Kind.OWNER_REPAIRED,
                    subject=agreement_subject(pk),
                    assigned_to=coordinator,
                    organisation=agreement.provider,
                    customer=agreement.customer,
                    title=f"You now coordinate {agreement.service} for {agreement.customer.full_name}",
                    detail=(
                        f"{previous.display_name} coordinated it but is no longer active, and nobody handed it "
                        f"over. Check on {agreement.customer.known_as} and name the right coordinator if it "
                        "should not be you; then resolve this alert."
                    ),
                    timeline_summary=(
                        f"{coordinator.display_name} was asked to check the service and its coordination, "
                        f"after {previous.display_name} left."
                    ),
                    at=report.at,
                )
        except DomainError as exc:
            report.problems.append(f"Agreement #{pk}: {exc.message}")
            logger.error("agreement %s has an inactive coordinator and no successor", pk)
            continue
        logger.warning("agreement %s had inactive coordinator %s; moved to %s", pk, previous.pk, coordinator.pk)
        report.problems.append(
            f"Agreement #{pk}: {previous.display_name} was inactive but still coordinated it; "
            f"{coordinator.display_name} does now."
        )
        report.coordinators_repaired += 1


def continuity_sweep(*, at: datetime | None = None) -> ContinuityReport:
    """One pass of the continuity checks as of `at` (default now), dated `at`: repair
    coordinators and alert assignees who cannot act, raise no-contact alerts, resolve
    those that no longer hold. Idempotent; each change in its own transaction."""
    at = at or timezone.now()
    report = ContinuityReport(at=at)
    _repair_coordinators(report)
    report.alerts_reassigned, problems = alerts_repair_assignees(at=at)
    report.problems += problems
    _sweep_no_contact(report)
    _resolve_settled(report)
    return report
