"""Reads about grants and the access log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from .models import AccessEvent, Grant, GrantReceipt


def grants_active_at(*, customer_id: int, at: datetime) -> QuerySet[Grant]:
    return Grant.objects.filter(customer_id=customer_id, starts_at__lte=at, revoked_at__isnull=True).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=at)
    )


def grant_covering(
    *,
    customer_id: int,
    organisation_id: int,
    team_id: int | None,
    purpose: str,
    categories: Iterable[str],
    at: datetime,
) -> Grant | None:
    """An active grant letting the organisation (or the team) use every one of
    `categories` for `purpose` at `at`, if there is one. A grant narrowed to a team
    covers only that team's members."""
    wanted = set(categories)
    candidates = grants_active_at(customer_id=customer_id, at=at).filter(
        Q(team__isnull=True) | Q(team_id=team_id), organisation_id=organisation_id, purpose=purpose
    )
    for grant in candidates.order_by("starts_at", "id"):
        # Categories are a short JSON list: compared here rather than with JSON operators,
        # which SQLite and PostgreSQL spell differently.
        if wanted <= set(grant.categories):
            return grant
    return None


def grants_of(*, customer_id: int) -> QuerySet[Grant]:
    return (
        Grant.objects.filter(customer_id=customer_id)
        .select_related("organisation", "team")
        .order_by("-starts_at", "-id")
    )


def receipts_of(*, customer_id: int) -> QuerySet[GrantReceipt]:
    return GrantReceipt.objects.filter(customer_id=customer_id).order_by("-at", "-id")


def access_log_of(*, customer_id: int) -> QuerySet[AccessEvent]:
    return AccessEvent.objects.filter(customer_id=customer_id).order_by("-seq")


def break_glass_report(*, organisation_id: int) -> QuerySet[AccessEvent]:
    """Emergency reads by an organisation's staff, newest first, for its supervisors."""
    return AccessEvent.objects.filter(
        organisation_id=organisation_id, outcome=AccessEvent.Outcome.BREAK_GLASS
    ).order_by("-at", "-id")


# --- the customer's side: their own grants, receipts and access log -------------------


def customer_grants(*, customer_id: int, state: str = "all", at: datetime | None = None) -> QuerySet[Grant]:
    """A customer's grants, newest first, with their organisation and team. `state`:
    'all', 'current' (active now or starting later) or 'past' (ended or revoked)."""
    qs = grants_of(customer_id=customer_id)
    if state == "all":
        return qs
    from django.utils import timezone  # imported here: this block is appended to the file

    at = at or timezone.now()
    current = Q(revoked_at__isnull=True) & (Q(ends_at__isnull=True) | Q(ends_at__gt=at))
    return qs.filter(current) if state == "current" else qs.exclude(current)


def customer_grant_get(*, customer_id: int, grant_id: int) -> Grant:
    """One of the customer's own grants; anyone else's is not found (not forbidden: the
    customer learns nothing about other people's grants)."""
    from steward.errors import NotFound

    grant = grants_of(customer_id=customer_id).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound("You have no permission with that number.", code="grant_not_found")
    return grant


def customer_receipts(*, customer_id: int) -> QuerySet[GrantReceipt]:
    return receipts_of(customer_id=customer_id).select_related("customer", "grant__organisation", "grant__team")


def customer_receipt_get(*, customer_id: int, receipt_id: int) -> GrantReceipt:
    from steward.errors import NotFound

    receipt = customer_receipts(customer_id=customer_id).filter(pk=receipt_id).first()
    if receipt is None:
        raise NotFound("You have no receipt with that number.", code="receipt_not_found")
    return receipt


def customer_access_log(
    *, customer_id: int, outcome: str | None = None, organisation_id: int | None = None
) -> QuerySet[AccessEvent]:
    """Every read of the customer's data by staff (allowed, refused or in an emergency),
    newest first. The rows carry the names they need, so no joins."""
    qs = access_log_of(customer_id=customer_id)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return qs
