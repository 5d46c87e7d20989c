"""Naming, changing and ending trusted people. Only the customer does these (from the
portal or the customer's API); each writes a timeline entry the customer and the staff
of the organisation holding their story can read, in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from steward.consent.services import trusted_read_record
from steward.customers.contact_normalisation import normalise_email
from steward.customers.models import ContactPoint, Customer
from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record

from .models import TrustedPerson
from .permissions import NEEDS, SCOPE_PHRASES, Scope, scope_order
from .selectors import story_organisation


def _listed(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _clean_scopes(scopes: Sequence[str]) -> list[str]:
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown:
        raise InvalidInput(f"Unknown permission {unknown[0]!r}; use {', '.join(Scope.values)}.", code="unknown_scope")
    if not scopes:
        raise InvalidInput("Choose at least one thing they may do for you.", code="scopes_required")
    for scope, needed in NEEDS.items():
        if scope in scopes and needed not in scopes:
            raise InvalidInput(
                f"To {SCOPE_PHRASES[Scope(scope)]}, they also need to {SCOPE_PHRASES[needed]}.",
                code="scope_needs_another",
            )
    return scope_order(list(scopes))


def _clean_text(value: str, *, what: str, limit: int, code: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{what} is needed.", code=code)
    if len(value) > limit:
        raise InvalidInput(f"{what} must be under {limit} characters.", code="text_too_long")
    return value


def _clean_ends_at(ends_at: datetime | None, *, now: datetime) -> datetime | None:
    if ends_at is not None and ends_at <= now:
        raise InvalidInput("The end date must be in the future.", code="ends_in_past")
    return ends_at


def _until(ends_at: datetime | None) -> str:
    if ends_at is None:
        return "until you end it"
    return f"until {timezone.localtime(ends_at):%-d %B %Y}"


def _record(trusted: TrustedPerson, *, kind: str, summary: str, now: datetime) -> None:
    customer = trusted.customer
    organisation = story_organisation(customer_id=customer.pk)
    if organisation is None:  # every customer is registered by an organisation, which starts their story
        raise Conflict("This customer has no story to record this in.", code="no_story")
    event_record(
        customer=customer,
        organisation=organisation,
        kind=kind,
        channel=TimelineEvent.Channel.WEB,
        actor_name=f"{customer.full_name} (customer)",
        summary=summary,
        data={
            "trusted_person": trusted.pk,
            "scopes": trusted.scopes,
            "ends_at": trusted.ends_at.isoformat() if trusted.ends_at else None,
        },
        occurred_at=now,
    )


def _what_they_may(trusted: TrustedPerson) -> str:
    return _listed([SCOPE_PHRASES[Scope(s)] for s in scope_order(trusted.scopes)])


@transaction.atomic
def trusted_person_add(
    *,
    customer: Customer,
    name: str,
    email: str,
    relationship: str,
    scopes: Sequence[str],
    ends_at: datetime | None = None,
) -> TrustedPerson:
    """The customer names someone to act for them, saying what they may do and, if they
    like, until when. They sign in to the portal with their own email address."""
    now = timezone.now()
    name = _clean_text(name, what="Their name", limit=200, code="name_required")
    relationship = _clean_text(relationship, what="Who they are to you", limit=100, code="relationship_required")
    email = normalise_email(_clean_text(email, what="Their email address", limit=254, code="email_required"))
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput("Enter an email address like name@example.org.", code="email_invalid") from exc
    cleaned = _clean_scopes(scopes)
    ends_at = _clean_ends_at(ends_at, now=now)
    # The customer's row lock keeps two adds of the same person from racing each other.
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if ContactPoint.objects.filter(customer=customer, kind=ContactPoint.Kind.EMAIL, normalized=email).exists():
        raise InvalidInput(
            "That is your own email address. Give the email address of the person you trust.", code="own_email"
        )
    existing = TrustedPerson.objects.filter(customer=customer, email=email, revoked_at__isnull=True).first()
    if existing is not None:
        raise Conflict(
            f"{existing.name} already has access with that email address. Change what they may do instead.",
            code="already_trusted",
        )
    trusted = TrustedPerson.objects.create(
        customer=customer,
        name=name,
        email=email,
        relationship=relationship,
        scopes=cleaned,
        ends_at=ends_at,
        created_at=now,
        updated_at=now,
    )
    _record(
        trusted,
        kind=TimelineEvent.Kind.TRUSTED_PERSON_ADDED,
        summary=f"{customer.full_name} named {name} ({relationship}) as a trusted person, who may "
        f"{_what_they_may(trusted)}, {_until(ends_at)}.",
        now=now,
    )
    return trusted


def _lock(trusted: TrustedPerson) -> TrustedPerson:
    return TrustedPerson.objects.select_for_update(of=("self",)).select_related("customer").get(pk=trusted.pk)


@transaction.atomic
def trusted_person_change(
    *,
    trusted: TrustedPerson,
    customer: Customer,
    scopes: Sequence[str],
    ends_at: datetime | None,
) -> TrustedPerson:
    """The customer changes what a trusted person may do, or until when (a new end date
    gives access back to someone whose access had ended)."""
    now = timezone.now()
    trusted = _lock(trusted)
    if trusted.customer_id != customer.pk:
        raise PermissionDenied("Only the customer who named them can change this.", code="not_your_trusted_person")
    if trusted.revoked_at is not None:
        raise Conflict(f"You have already ended {trusted.name}'s access. Add them again instead.", code="trust_revoked")
    trusted.scopes = _clean_scopes(scopes)
    trusted.ends_at = _clean_ends_at(ends_at, now=now)
    trusted.updated_at = now
    trusted.save(update_fields=["scopes", "ends_at", "updated_at"])
    _record(
        trusted,
        kind=TimelineEvent.Kind.TRUSTED_PERSON_CHANGED,
        summary=f"{customer.full_name} changed what {trusted.name} ({trusted.relationship}) may do: now "
        f"{_what_they_may(trusted)}, {_until(trusted.ends_at)}.",
        now=now,
    )
    return trusted


@transaction.atomic
def trusted_person_revoke(*, trusted: TrustedPerson, customer: Customer) -> TrustedPerson:
    """The customer ends a trusted person's access now. If they are signed in, the
    portal stops them acting for the customer at their next click."""
    now = timezone.now()
    trusted = _lock(trusted)
    if trusted.customer_id != customer.pk:
        raise PermissionDenied("Only the customer who named them can end this.", code="not_your_trusted_person")
    if trusted.revoked_at is not None:
        raise Conflict(f"{trusted.name}'s access was already ended.", code="trust_revoked")
    trusted.revoked_at = now
    trusted.revoked_by = customer.full_name
    trusted.updated_at = now
    trusted.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    _record(
        trusted,
        kind=TimelineEvent.Kind.TRUSTED_PERSON_REVOKED,
        summary=f"{customer.full_name} ended {trusted.name}'s ({trusted.relationship}) access. "
        f"{trusted.name} can no longer act for them.",
        now=now,
    )
    return trusted


@transaction.atomic
def trusted_acting_check(*, trusted: TrustedPerson, scope: str) -> TrustedPerson:
    """Lock the trust and check it still holds and allows `scope`: called inside the
    transaction of whatever the trusted person is about to do, so a revocation a moment
    earlier stops it."""
    trusted = _lock(trusted)
    if not trusted.is_current(timezone.now()):
        raise PermissionDenied(
            f"{trusted.customer.full_name} has ended your access, so you can no longer act for them.",
            code="trust_ended",
        )
    if not trusted.may(scope):
        raise PermissionDenied(
            f"{trusted.customer.full_name} has not asked you to {SCOPE_PHRASES[Scope(scope)]}.", code="scope_missing"
        )
    return trusted


def trusted_read(*, trusted: TrustedPerson, resource: str, categories: Sequence[str]) -> None:
    """Put a trusted person's read of the customer's data in the customer's access log."""
    trusted_read_record(
        customer_id=trusted.customer_id,
        trusted_person=trusted,
        name=trusted.name,
        categories=list(categories),
        resource=resource,
    )
