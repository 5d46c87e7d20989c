"""Reads about service agreements."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from steward.errors import NotFound
from steward.organisations.models import StaffMember
from steward.timeline.models import TimelineEvent

from .models import ServiceAgreement
from .permissions import can_see_agreement

# What counts as being in touch with a customer, whoever it was (any organisation): they
# asked for something, they told us something, we wrote to them, or someone visited or
# called (`contact_record`). The continuity checks look for these.
CONTACT_KINDS = (
    TimelineEvent.Kind.CAPTURED,
    TimelineEvent.Kind.MESSAGE_IN,
    TimelineEvent.Kind.MESSAGE_OUT,
    TimelineEvent.Kind.CONTACT_RECORDED,
    # A carer at the door is contact in person (steward.visits.attendance).
    TimelineEvent.Kind.VISIT_CHECKED_IN,
)


def last_contact_at(customer_ref: str | OuterRef = "customer_id") -> Subquery:
    """When someone was last in touch with the customer of the outer row: a correlated
    subquery that walks the customer's timeline index newest first and stops at the
    first contact."""
    ref = OuterRef(customer_ref) if isinstance(customer_ref, str) else customer_ref
    return Subquery(
        TimelineEvent.objects.filter(customer_id=ref, kind__in=CONTACT_KINDS)
        .order_by("-occurred_at", "-id")
        .values("occurred_at")[:1]
    )


def _base() -> QuerySet[ServiceAgreement]:
    return ServiceAgreement.objects.select_related(
        "customer", "provider", "commissioner", "team", "coordinator"
    ).annotate(last_contact_at=last_contact_at())


def agreement_get_for(*, actor: StaffMember, agreement_id: int) -> ServiceAgreement:
    """One agreement, if the actor's organisation provides or commissioned it (others get
    not-found, so ids do not reveal who receives care where)."""
    agreement = _base().filter(pk=agreement_id).first()
    if agreement is None or not can_see_agreement(actor, agreement):
        raise NotFound(f"There is no service agreement {agreement_id} you can see.", code="agreement_not_found")
    return agreement


def agreements_for_customer(*, actor: StaffMember, customer_id: int) -> QuerySet[ServiceAgreement]:
    """The customer's agreements that the actor's organisation provides or commissioned."""
    org = actor.organisation_id
    return _base().filter(Q(provider_id=org) | Q(commissioner_id=org), customer_id=customer_id)


def active_agreements_from(*, provider_id: int, commissioner_id: int | None = None) -> QuerySet[ServiceAgreement]:
    qs = ServiceAgreement.objects.filter(provider_id=provider_id, status=ServiceAgreement.Status.ACTIVE)
    if commissioner_id is not None:
        qs = qs.filter(commissioner_id=commissioner_id)
    return qs
