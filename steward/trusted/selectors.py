"""Reads about trusted people: whom a customer trusts, and whom an email address may act
for (what the portal's sign-in offers)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from steward.customers.contact_normalisation import normalise_email
from steward.errors import NotFound
from steward.organisations.models import Organisation
from steward.timeline.models import TimelineEvent

from .models import TrustedPerson


def _current(at: datetime) -> Q:
    return Q(revoked_at__isnull=True) & (Q(ends_at__isnull=True) | Q(ends_at__gt=at))


def trusted_people_of(
    *, customer_id: int, current_only: bool = False, at: datetime | None = None
) -> QuerySet[TrustedPerson]:
    """Everyone the customer has named, current first, then ended or revoked ones, by name."""
    qs = TrustedPerson.objects.filter(customer_id=customer_id).select_related("customer")
    if current_only:
        qs = qs.filter(_current(at or timezone.now()))
    return qs.order_by("revoked_at", "name", "id")


def trusted_person_of_customer(*, customer_id: int, trusted_id: int) -> TrustedPerson:
    """One of the customer's own trusted people; anyone else's reads as not found."""
    found = trusted_people_of(customer_id=customer_id).filter(pk=trusted_id).first()
    if found is None:
        raise NotFound("You have no trusted person with that number.", code="trusted_person_not_found")
    return found


def trusts_for_email(*, email: str, at: datetime | None = None) -> QuerySet[TrustedPerson]:
    """Every current trust given to this address: the customers its owner may act for."""
    return (
        TrustedPerson.objects.filter(_current(at or timezone.now()), email=normalise_email(email))
        .select_related("customer")
        .order_by("customer__family_name", "customer__given_name", "id")
    )


def current_trust(*, trusted_id: int, customer_id: int, email: str, at: datetime | None = None) -> TrustedPerson | None:
    """The trust a portal session acts under, if it still holds for that customer and
    address (revoked or ended: None, and the session stops acting for them)."""
    return (
        TrustedPerson.objects.filter(
            _current(at or timezone.now()), pk=trusted_id, customer_id=customer_id, email=email
        )
        .select_related("customer")
        .first()
    )


def story_organisation(*, customer_id: int) -> Organisation | None:
    """The organisation whose timeline holds the customer's own decisions about trusted
    people: the one that registered them (the first entry of their story)."""
    first = (
        TimelineEvent.objects.filter(customer_id=customer_id)
        .select_related("organisation")
        .order_by("occurred_at", "id")
        .first()
    )
    return first.organisation if first is not None else None
