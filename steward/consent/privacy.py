"""Privacy requests (export and erasure) on the statutory clock, in a named person's queue.

GDPR Art. 12(3): a request is answered "without undue delay and in any event within one
month of receipt". The clock (`due_for`) runs to the corresponding date of the next month
(31 January → the last day of February), to the end of that local day. Opening a request
puts it in the queue of the organisation's data-protection lead (`data_protection_lead`)
with a notification; `privacy_sweep` reminds them a week before the deadline and, once it
has passed, escalates by name to the person they answer to.

Services here change state; `customer_export` (export.py) and `customer_erase`
(erasure.py) do the work.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from steward.customers.models import Customer
from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.notifications.models import Notification
from steward.notifications.services import notification_send
from steward.organisations.models import Organisation, StaffMember
from steward.organisations.selectors import escalation_chain, first_active_supervisor, organisation_head

from .models import PrivacyRequest

OPEN_STATUSES = (PrivacyRequest.Status.RECEIVED, PrivacyRequest.Status.IN_PROGRESS)
REMIND_BEFORE = timedelta(days=7)


def add_one_month(day: date) -> date:
    """The corresponding date of the next month; the month's last day when there is none
    (31 January → 28 or 29 February, 31 March → 30 April)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_for(received_at: datetime) -> datetime:
    """The end of the local day one calendar month after `received_at`."""
    local = timezone.localtime(received_at)
    last_day = add_one_month(local.date())
    return timezone.make_aware(datetime.combine(last_day, time(23, 59, 59)), local.tzinfo)


def data_protection_lead(organisation: Organisation) -> StaffMember | None:
    """Who answers an organisation's privacy requests: its longest-standing active
    administrator (they set the organisation up and answer for how it handles data),
    else its head. None when the organisation has nobody active."""
    admin = (
        StaffMember.objects.filter(organisation=organisation, is_active=True, is_org_admin=True).order_by("id").first()
    )
    return admin or organisation_head(organisation_id=organisation.pk)


def _kind_words(kind: str) -> str:
    return "a copy of their data" if kind == PrivacyRequest.Kind.EXPORT else "erasure of their data"


@transaction.atomic
def privacy_request_open(
    *,
    customer: Customer,
    kind: str,
    actor: StaffMember | None,
    organisation: Organisation | None = None,
    received_at: datetime | None = None,
) -> PrivacyRequest:
    """Record that `customer` asked `organisation` (the actor's, when staff took it down)
    for an export or erasure. It goes to the organisation's data-protection lead by name,
    due one calendar month after receipt."""
    if kind not in PrivacyRequest.Kind.values:
        raise InvalidInput(
            f"'{kind}' is not a privacy request; use one of {', '.join(PrivacyRequest.Kind.values)}.",
            code="privacy_kind_unknown",
        )
    if actor is not None:
        if not actor.is_active:
            raise PermissionDenied(f"{actor.display_name} is deactivated.", code="staff_inactive")
        organisation = actor.organisation
    if organisation is None:
        raise InvalidInput("Say which organisation the customer asked.", code="organisation_required")
    lead = data_protection_lead(organisation)
    if lead is None:
        raise Conflict(
            f"Nobody at {organisation.name} is active to answer a privacy request.", code="no_owner_available"
        )
    received_at = received_at or timezone.now()
    request = PrivacyRequest.objects.create(
        customer=customer,
        organisation=organisation,
        kind=kind,
        received_at=received_at,
        due_at=due_for(received_at),
        assigned_to=lead,
        opened_by=actor,
    )
    notification_send(
        recipient=lead,
        kind=Notification.Kind.ALERT_RAISED,
        title=f"Privacy request #{request.pk}: a customer asked for {_kind_words(kind)}",
        body=f"Customer #{customer.pk} asked {organisation.name} for {_kind_words(kind)}. "
        f"The law gives us until {timezone.localtime(request.due_at):%d %B %Y}; it is yours to answer.",
    )
    return request


def may_act_on(request: PrivacyRequest, actor: StaffMember) -> bool:
    """The assignee, anyone they answer to, whoever it was escalated to, or an
    administrator of the organisation."""
    if not actor.is_active:
        return False
    if actor.pk in (request.assigned_to_id, request.escalated_to_id):
        return True
    if actor.organisation_id == request.organisation_id and actor.is_org_admin:
        return True
    return any(person.pk == actor.pk for person in escalation_chain(request.assigned_to))


def lock_open(request: PrivacyRequest, actor: StaffMember) -> PrivacyRequest:
    """The request, locked, if `actor` may act on it and it is still open."""
    locked = PrivacyRequest.objects.select_for_update().select_related("assigned_to").get(pk=request.pk)
    if not may_act_on(locked, actor):
        raise NotFound(f"There is no privacy request {request.pk} for you.", code="privacy_request_not_found")
    if locked.status not in OPEN_STATUSES:
        raise Conflict(f"Privacy request #{locked.pk} is already {locked.status}.", code="privacy_request_closed")
    return locked


@transaction.atomic
def privacy_request_start(*, request: PrivacyRequest, actor: StaffMember) -> PrivacyRequest:
    request = lock_open(request, actor)
    request.status = PrivacyRequest.Status.IN_PROGRESS
    request.save(update_fields=["status"])
    return request


@transaction.atomic
def privacy_request_complete_export(
    *, request: PrivacyRequest, actor: StaffMember, outcome: str = ""
) -> PrivacyRequest:
    """Record that the export was given to the customer (the document itself is made by
    `export.customer_export`)."""
    request = lock_open(request, actor)
    if request.kind != PrivacyRequest.Kind.EXPORT:
        raise Conflict("An erasure is completed by erasing (customer_erase).", code="privacy_kind_mismatch")
    request.status = PrivacyRequest.Status.DONE
    request.completed_at = timezone.now()
    request.completed_by = actor
    request.outcome = (outcome or "").strip()[:2000] or "The export was given to the customer."
    request.save(update_fields=["status", "completed_at", "completed_by", "outcome"])
    return request


@transaction.atomic
def privacy_request_refuse(*, request: PrivacyRequest, actor: StaffMember, reason: str) -> PrivacyRequest:
    """Refuse, with the reason the customer will be given (Art. 12(4)), e.g. a legal
    duty to keep the record. Write it without the customer's name or contact details."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why, in words the customer will read.", code="reason_required")
    request = lock_open(request, actor)
    request.status = PrivacyRequest.Status.REFUSED
    request.completed_at = timezone.now()
    request.completed_by = actor
    request.outcome = reason[:2000]
    request.save(update_fields=["status", "completed_at", "completed_by", "outcome"])
    return request


def privacy_requests_for(*, staff: StaffMember) -> QuerySet[PrivacyRequest]:
    """The open privacy requests in `staff`'s queue (assigned to them, or escalated to
    them), the nearest deadline first."""
    return (
        PrivacyRequest.objects.filter(Q(assigned_to=staff) | Q(escalated_to=staff), status__in=OPEN_STATUSES)
        .select_related("organisation", "assigned_to")
        .order_by("due_at", "id")
    )


@dataclass
class PrivacySweepReport:
    reminded: int = 0
    escalated: int = 0
    reassigned: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"reminded": self.reminded, "escalated": self.escalated, "reassigned": self.reassigned}


def _claim(pk: int, **changes: object) -> bool:
    """Set `changes` on an open request whose flags are still unset: one conditional
    UPDATE, so two sweeps at once do the work once."""
    unset = {f"{name}__isnull": True for name in changes if name.endswith("_at")}
    return PrivacyRequest.objects.filter(pk=pk, status__in=OPEN_STATUSES, **unset).update(**changes) == 1


def privacy_sweep(at: datetime | None = None) -> PrivacySweepReport:
    """Hand requests whose assignee left to the organisation's lead now; remind the
    assignee seven days before the deadline; escalate an overdue request by name to the
    person the assignee answers to (or, for someone who answers to nobody, tell them it
    is overdue). Each request in its own transaction; safe to run again."""
    at = at or timezone.now()
    report = PrivacySweepReport()
    orphaned = PrivacyRequest.objects.filter(status__in=OPEN_STATUSES, assigned_to__is_active=False)
    for request in orphaned.select_related("organisation"):
        with transaction.atomic():
            lead = data_protection_lead(request.organisation)
            if lead is None:
                continue
            if PrivacyRequest.objects.filter(pk=request.pk, assigned_to_id=request.assigned_to_id).update(
                assigned_to=lead
            ):
                report.reassigned += 1
                notification_send(
                    recipient=lead,
                    kind=Notification.Kind.OWNER_ASSIGNED,
                    title=f"Privacy request #{request.pk} is yours now: the person answering it has left",
                    body=f"Due {timezone.localtime(request.due_at):%d %B %Y}.",
                )
    due_soon = PrivacyRequest.objects.filter(
        status__in=OPEN_STATUSES, reminded_at__isnull=True, due_at__lte=at + REMIND_BEFORE, due_at__gt=at
    ).select_related("assigned_to")
    for request in due_soon:
        with transaction.atomic():
            if _claim(request.pk, reminded_at=at):
                report.reminded += 1
                notification_send(
                    recipient=request.assigned_to,
                    kind=Notification.Kind.ALERT_RAISED,
                    title=f"Privacy request #{request.pk} is due on {timezone.localtime(request.due_at):%d %B %Y}",
                    body="A week is left on the legal deadline for this customer's request.",
                )
    overdue = PrivacyRequest.objects.filter(
        status__in=OPEN_STATUSES, escalated_at__isnull=True, due_at__lte=at
    ).select_related("assigned_to")
    for request in overdue:
        with transaction.atomic():
            above = first_active_supervisor(request.assigned_to)
            if not _claim(request.pk, escalated_at=at, escalated_to=above):
                continue
            report.escalated += 1
            who = request.assigned_to.display_name
            notification_send(
                recipient=above or request.assigned_to,
                kind=Notification.Kind.BREACH_ESCALATED,
                title=f"Privacy request #{request.pk} is overdue: {who} has not answered it",
                body=f"It was due on {timezone.localtime(request.due_at):%d %B %Y}. "
                + (f"{who} answers to you." if above else "Nobody is above you to escalate to."),
            )
    return report
