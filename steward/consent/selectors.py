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
