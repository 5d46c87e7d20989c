"""Registering customers and their contact points."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.organisations.models import Organisation, StaffMember
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record

from .contact_normalisation import (
    looks_like_email,
    normalise_email,
    normalise_phone,
    normalise_postcode,
)
from .models import ContactPoint, ContactPreferences, Customer, NameWord
from .name_folding import fold_name, name_words
from .preferences import (
    ACCESS_OTHER_MAX,
    LANGUAGE_NAMES,
    WHAT_MATTERS_MAX,
    PreferencesData,
    is_time_zone,
)


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


# What each part of the preferences is called when the timeline says what changed.
PREFERENCE_PARTS = {
    "channels": "how to contact them",
    "quiet_hours": "quiet hours",
    "language": "language",
    "time_zone": "time zone",
    "access_needs": "accessibility needs",
    "what_matters_to_me": "what matters to them",
}


def _preference_errors(data: PreferencesData) -> dict[str, str]:
    """Every problem with `data`, by field, in words the customer can act on."""
    errors: dict[str, str] = {}
    unknown = [c for c in data.channels if c not in ContactPreferences.Channel.values]
    if unknown:
        errors["channels"] = (
            f"{', '.join(unknown)} is not a way we can contact you; choose from "
            f"{', '.join(ContactPreferences.Channel.values)}."
        )
    elif len(set(data.channels)) != len(data.channels):
        errors["channels"] = "Give each way of contacting you only once."
    if (data.quiet_from is None) != (data.quiet_to is None):
        missing = "quiet_to" if data.quiet_to is None else "quiet_from"
        errors[missing] = "Give both the start and the end of your quiet hours, or neither."
    elif data.quiet_from is not None and data.quiet_from == data.quiet_to:
        errors["quiet_to"] = "Your quiet hours must end at a different time from when they start."
    if data.language not in LANGUAGE_NAMES:
        errors["language"] = f"Choose a language from the list ({', '.join(LANGUAGE_NAMES)})."
    if not is_time_zone(data.time_zone):
        named = data.time_zone or "An empty name"
        errors["time_zone"] = f"{named} is not a time zone we know; use a name such as Europe/London."
    unknown_needs = [n for n in data.access_needs if n not in ContactPreferences.AccessNeed.values]
    if unknown_needs:
        errors["access_needs"] = (
            f"{', '.join(unknown_needs)} is not on the list; choose from "
            f"{', '.join(ContactPreferences.AccessNeed.values)}, and describe anything else in your own words."
        )
    if len(data.access_other.strip()) > ACCESS_OTHER_MAX:
        errors["access_other"] = f"Keep other needs under {ACCESS_OTHER_MAX:,} characters."
    if len(data.what_matters_to_me.strip()) > WHAT_MATTERS_MAX:
        errors["what_matters_to_me"] = f"Keep what matters to you under {WHAT_MATTERS_MAX:,} characters."
    return errors


def _home_organisation(customer: Customer) -> Organisation:
    """The organisation a change the customer makes themselves is recorded against: the
    one that registered them, else (an imported record) the one of their oldest entry."""
    events = TimelineEvent.objects.filter(customer=customer).select_related("organisation")
    first = (
        events.filter(kind=TimelineEvent.Kind.CUSTOMER_REGISTERED).order_by("occurred_at", "id").first()
        or events.order_by("occurred_at", "id").first()
    )
    if first is None:
        raise Conflict("This record has no story yet to add the change to.", code="customer_without_timeline")
    return first.organisation


@transaction.atomic
def preferences_update(*, customer: Customer, data: PreferencesData) -> ContactPreferences:
    """The customer sets how and when to be contacted, in which language, what helps
    them take part and what matters to them, all at once. Refused as a whole, with a
    message per field (``details["fields"]``), when anything is wrong. A change writes a
    timeline entry the customer and staff see, naming which parts changed (not their
    contents); saving the same choices again changes nothing."""
    errors = _preference_errors(data)
    if errors:
        raise InvalidInput(" ".join(errors.values()), code="preferences_invalid", details={"fields": errors})
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    preferences = ContactPreferences.objects.filter(customer=locked).first() or ContactPreferences(customer=locked)
    before = {
        "channels": list(preferences.channels),
        "quiet_hours": (preferences.quiet_from, preferences.quiet_to),
        "language": locked.language,
        "time_zone": preferences.time_zone,
        "access_needs": (sorted(preferences.access_needs), locked.accessibility_needs),
        "what_matters_to_me": locked.what_matters_to_me,
    }
    access_needs = [n for n in ContactPreferences.AccessNeed.values if n in set(data.access_needs)]
    after = {
        "channels": list(data.channels),
        "quiet_hours": (data.quiet_from, data.quiet_to),
        "language": data.language,
        "time_zone": data.time_zone,
        "access_needs": (sorted(access_needs), data.access_other.strip()),
        "what_matters_to_me": data.what_matters_to_me.strip(),
    }
    changed = [part for part in PREFERENCE_PARTS if before[part] != after[part]]
    if not changed:
        return preferences
    preferences.channels = list(data.channels)
    preferences.quiet_from, preferences.quiet_to = data.quiet_from, data.quiet_to
    preferences.time_zone = data.time_zone
    preferences.access_needs = access_needs
    preferences.save()
    locked.language = data.language
    locked.accessibility_needs = data.access_other.strip()
    locked.what_matters_to_me = data.what_matters_to_me.strip()
    locked.save(update_fields=["language", "accessibility_needs", "what_matters_to_me", "updated_at"])
    words = [PREFERENCE_PARTS[part] for part in changed]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    event_record(
        customer=locked,
        organisation=_home_organisation(locked),
        kind=TimelineEvent.Kind.PREFERENCES_CHANGED,
        actor_name=locked.full_name,
        channel=TimelineEvent.Channel.WEB,
        summary=f"{locked.full_name} changed their contact preferences: {listed}.",
        data={"changed": changed},
    )
    # The caller's object reads the new values too.
    customer.language = locked.language
    customer.accessibility_needs = locked.accessibility_needs
    customer.what_matters_to_me = locked.what_matters_to_me
    return preferences
