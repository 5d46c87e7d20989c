"""Reads about signing in: whether a username or network address is locked just now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import SignInLockout

USERNAME_MAX = 150


def username_key(username: str) -> str:
    """The username as counted for lockouts: trimmed and case-folded, so "Amira" and
    "amira " are one username to the counter (guessing cannot dodge it by case)."""
    return username.strip().casefold()[:USERNAME_MAX]


def sign_in_lock(*, username: str | None, address: str | None, now: datetime | None = None) -> SignInLockout | None:
    """The lock that stops this sign-in right now, if any: on the username, or on the
    address it comes from. The one running longest wins, so the page says the right time."""
    now = now or timezone.now()
    which = Q()
    if username:
        which |= Q(scope=SignInLockout.Scope.USERNAME, username=username_key(username))
    if address:
        which |= Q(scope=SignInLockout.Scope.ADDRESS, address=address)
    if not which:
        return None
    return SignInLockout.objects.filter(which, locked_until__gt=now).order_by("-locked_until", "-id").first()


def last_lock(*, username: str | None = None, address: str | None = None) -> SignInLockout | None:
    """The most recent lock of this username (already a key) or address, running or not."""
    if username is not None:
        qs = SignInLockout.objects.filter(scope=SignInLockout.Scope.USERNAME, username=username)
    else:
        qs = SignInLockout.objects.filter(scope=SignInLockout.Scope.ADDRESS, address=address)
    return qs.order_by("-locked_until", "-id").first()


def lockouts_of_staff(*, staff_ids: Iterable[int], since: datetime) -> QuerySet[SignInLockout]:
    """Lockouts of these staff members' accounts since `since`, newest first: for their
    supervisor, who may need to help them back in, or to ask who else was trying."""
    return (
        SignInLockout.objects.filter(
            scope=SignInLockout.Scope.USERNAME, user__staff__id__in=list(staff_ids), locked_at__gte=since
        )
        .select_related("user__staff")
        .order_by("-locked_at", "-id")
    )
