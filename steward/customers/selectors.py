"""Finding customers. Any active staff member may look a customer up, because any door
is the right door; what they may then read of the customer's story is decided by the
timeline and request selectors."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from steward.errors import InvalidInput, NotFound

from .contact_normalisation import (
    looks_like_email,
    looks_like_phone,
    looks_like_postcode,
    normalise_email,
    normalise_phone,
    normalise_postcode,
)
from .models import ContactPoint, ContactPreferences, Customer
from .preferences import PreferencesView, preferences_view


def _with_contacts(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    return qs.prefetch_related(
        Prefetch("contact_points", queryset=ContactPoint.objects.order_by("kind", "-is_preferred", "id"))
    )


def customer_get(*, customer_id: int) -> Customer:
    try:
        return _with_contacts(Customer.objects.all()).get(pk=customer_id)
    except Customer.DoesNotExist as exc:
        raise NotFound(f"There is no customer with id {customer_id}.", code="customer_not_found") from exc


def customer_ensure_exists(*, customer_id: int) -> None:
    """Raise not-found for an unknown customer (one cheap query, nothing loaded)."""
    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound(f"There is no customer with id {customer_id}.", code="customer_not_found")


def customer_search(*, query: str) -> QuerySet[Customer]:
    """Customers matching an email address, phone number, postcode or name.

    The kind of query is recognised from its shape: ``amina@example.org`` looks up the
    email; ``07700 900123`` the phone; ``LS1 4AP`` the postcode; anything else matches
    every word against the name.
    """
    query = (query or "").strip()
    if len(query) < 2:
        raise InvalidInput("Type at least two characters to search.", code="query_too_short")
    if looks_like_email(query):
        ids = ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, normalized=normalise_email(query))
    elif looks_like_phone(query):
        ids = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, normalized=normalise_phone(query))
    elif looks_like_postcode(query):
        ids = ContactPoint.objects.filter(kind=ContactPoint.Kind.ADDRESS, postcode=normalise_postcode(query))
    else:
        qs = Customer.objects.all()
        for word in query.lower().split()[:5]:
            qs = qs.filter(search_name__contains=word)
        return _with_contacts(qs.order_by("family_name", "given_name", "id"))
    return _with_contacts(
        Customer.objects.filter(pk__in=ids.values("customer_id")).order_by("family_name", "given_name", "id")
    )


def preferences_for(*, customer: Customer) -> PreferencesView:
    """The customer's contact preferences with their words; the defaults (nothing
    chosen, Europe/London) when they have never set any. At most one query."""
    try:
        preferences = customer.contact_preferences
    except ContactPreferences.DoesNotExist:
        preferences = ContactPreferences(customer=customer)
    return preferences_view(customer, preferences)


def customer_with_preferences(*, customer_id: int) -> Customer:
    """The customer with their contact preferences (if any) in one query."""
    try:
        return Customer.objects.select_related("contact_preferences").get(pk=customer_id)
    except Customer.DoesNotExist as exc:
        raise NotFound(f"There is no customer with id {customer_id}.", code="customer_not_found") from exc
