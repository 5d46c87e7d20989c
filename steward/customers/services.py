"""Registering customers and their contact points."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from steward.errors import InvalidInput, PermissionDenied
from steward.organisations.models import Organisation, StaffMember
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record

from .contact_normalisation import (
    looks_like_email,
    normalise_email,
    normalise_phone,
    normalise_postcode,
)
from .models import ContactPoint, Customer, NameWord
from .name_folding import fold_name, name_words


@dataclass(frozen=True)
class ContactPointData:
    kind: str
    value: str
    postcode: str = ""
    is_preferred: bool = False


def _search_name(given: str, family: str, preferred: str) -> str:
    return fold_name(" ".join(p for p in (given, family, preferred) if p))[:460]


def customer_search_keys_write(*, customers: Iterable[Customer]) -> None:
    """Set each customer's ``search_name`` from their name and replace their `NameWord`
    rows, so search finds them by their name as it now is. Every service that sets or
    changes a name calls this in its transaction (and so must anything that writes
    customers in bulk, such as the demo data)."""
    customers = list(customers)
    if not customers:
        return
    for customer in customers:
        customer.search_name = _search_name(customer.given_name, customer.family_name, customer.preferred_name)
    Customer.objects.bulk_update(customers, ["search_name"], batch_size=500)
    NameWord.objects.filter(customer__in=customers).delete()
    NameWord.objects.bulk_create(
        [NameWord(customer=c, word=w) for c in customers for w in name_words(c.search_name)], batch_size=1000
    )


def _contact_point(customer: Customer, data: ContactPointData) -> ContactPoint:
    value = data.value.strip()
    if not value:
        raise InvalidInput(f"A {data.kind} contact point needs a value.", code="contact_value_required")
    postcode = ""
    if data.kind == ContactPoint.Kind.EMAIL:
        if not looks_like_email(value):
            raise InvalidInput(f"{value!r} does not look like an email address.", code="invalid_email")
        normalized = normalise_email(value)
    elif data.kind == ContactPoint.Kind.PHONE:
        normalized = normalise_phone(value)
        if len(normalized) < 6:
            raise InvalidInput(f"{value!r} does not look like a phone number.", code="invalid_phone")
    elif data.kind == ContactPoint.Kind.ADDRESS:
        postcode = normalise_postcode(data.postcode)
        normalized = " ".join(value.lower().split())
    else:
        raise InvalidInput(
            f"Unknown contact point kind {data.kind!r}; use email, phone or address.", code="unknown_contact_kind"
        )
    return ContactPoint(
        customer=customer,
        kind=data.kind,
        value=value,
        normalized=normalized[:500],
        postcode=postcode,
        is_preferred=data.is_preferred,
    )


@transaction.atomic
def customer_create(
    *,
    given_name: str,
    family_name: str = "",
    preferred_name: str = "",
    date_of_birth: date | None = None,
    language: str = "en",
    accessibility_needs: str = "",
    what_matters_to_me: str = "",
    is_vulnerable: bool = False,
    contact_points: list[ContactPointData] | None = None,
    actor: StaffMember | None,
    organisation: Organisation | None = None,
) -> Customer:
    """Register a person. The registering organisation becomes a steward of the record,
    not its owner; the first timeline event says who registered them."""
    if actor is not None:
        if not actor.is_active:
            raise PermissionDenied(f"{actor.display_name} is deactivated.", code="staff_inactive")
        organisation = actor.organisation
    if organisation is None:
        raise InvalidInput("Say which organisation is registering the customer.", code="organisation_required")
    given_name, family_name, preferred_name = given_name.strip(), family_name.strip(), preferred_name.strip()
    if not given_name:
        raise InvalidInput("A customer needs at least a given name.", code="given_name_required")
    language = (language or "en").strip()
    if not language or len(language) > 35:
        raise InvalidInput("Language must be a language tag such as en, cy or ur.", code="invalid_language")
    customer = Customer.objects.create(
        given_name=given_name,
        family_name=family_name,
        preferred_name=preferred_name,
        date_of_birth=date_of_birth,
        language=language,
        accessibility_needs=accessibility_needs.strip(),
        what_matters_to_me=what_matters_to_me.strip(),
        is_vulnerable=is_vulnerable,
        search_name=_search_name(given_name, family_name, preferred_name),
    )
    NameWord.objects.bulk_create([NameWord(customer=customer, word=w) for w in name_words(customer.search_name)])
    points = [_contact_point(customer, cp) for cp in contact_points or []]
    ContactPoint.objects.bulk_create(points)
    event_record(
        customer=customer,
        organisation=organisation,
        kind=TimelineEvent.Kind.CUSTOMER_REGISTERED,
        actor=actor,
        summary=f"{customer.full_name} was registered by {actor.display_name if actor else organisation.name}.",
    )
    return customer
