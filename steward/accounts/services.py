"""Issuing and revoking API tokens (staff tokens, and customers' tokens for their side of
the API), and counting failed sign-ins towards a lockout."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from steward.customers.models import Customer

from .models import ApiToken, CustomerToken, SignInFailure, SignInLockout, User
from .selectors import last_lock, sign_in_lock, username_key

logger = logging.getLogger("steward.security")

TOKEN_PREFIX = "stw_"  # noqa: S105 - a public marker, not a secret
CUSTOMER_TOKEN_PREFIX = "stc_"  # noqa: S105 - a public marker, not a secret


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user: User, label: str = "") -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the raw token (shown once)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, label=label, prefix=raw[:10], digest=token_digest(raw))
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


@transaction.atomic
def customer_token_issue(*, customer: Customer, label: str = "") -> tuple[CustomerToken, str]:
    """Create a token acting as `customer` on /api/v1/customer/...; returns the row and
    the raw token (shown once). It opens no staff endpoint."""
    raw = CUSTOMER_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = CustomerToken.objects.create(customer=customer, label=label, prefix=raw[:10], digest=token_digest(raw))
    return token, raw


@transaction.atomic
def customer_token_revoke(*, token: CustomerToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


# --- failed sign-ins and lockouts -------------------------------------------------------


@dataclass(frozen=True)
class LockoutRules:
    """How many failures lock what, and for how long (from the settings)."""

    max_failures: int
    max_failures_per_address: int
    window: timedelta
    lockout: timedelta


def lockout_rules() -> LockoutRules:
    return LockoutRules(
        max_failures=settings.STEWARD_SIGN_IN_MAX_FAILURES,
        max_failures_per_address=settings.STEWARD_SIGN_IN_MAX_FAILURES_PER_ADDRESS,
        window=timedelta(minutes=settings.STEWARD_SIGN_IN_WINDOW_MINUTES),
        lockout=timedelta(minutes=settings.STEWARD_SIGN_IN_LOCKOUT_MINUTES),
    )


def _counted_since(lock: SignInLockout | None, window_start: datetime) -> datetime:
    # Failures before the last lock ran out were paid for by that lock.
    return max(window_start, lock.locked_until) if lock is not None else window_start


@transaction.atomic
def sign_in_failure_record(*, username: str, address: str | None) -> SignInLockout | None:
    """Count a failed sign-in for `username` (as typed, whether or not it exists) from
    `address`. Returns the lock this failure brought about, if any.

    While the username or address is locked nothing is counted: the sign-in was refused
    without looking at the password, so it told the person nothing."""
    key = username_key(username)
    now = timezone.now()
    if sign_in_lock(username=key, address=address, now=now) is not None:
        return None
    rules = lockout_rules()
    window_start = now - rules.window
    # Keep the table small: nothing older than the window is ever counted again.
    SignInFailure.objects.filter(at__lt=window_start).delete()
    SignInFailure.objects.create(username=key, address=address, at=now)

    locked: SignInLockout | None = None
    last_user_lock = last_lock(username=key)
    failures = SignInFailure.objects.filter(
        username=key, cleared=False, at__gte=_counted_since(last_user_lock, window_start)
    ).count()
    if failures >= rules.max_failures:
        locked = SignInLockout.objects.create(
            scope=SignInLockout.Scope.USERNAME,
            username=key,
            address=address,
            user=User.objects.filter(username__iexact=key).order_by("id").first(),
            failures=failures,
            locked_at=now,
            locked_until=now + rules.lockout,
        )
        logger.warning("Sign-in locked for username %r after %d failures (last from %s).", key, failures, address)
    if address is not None:
        last_address_lock = last_lock(address=address)
        from_address = SignInFailure.objects.filter(
            address=address, at__gte=_counted_since(last_address_lock, window_start)
        ).count()
        if from_address >= rules.max_failures_per_address:
            locked = SignInLockout.objects.create(
                scope=SignInLockout.Scope.ADDRESS,
                address=address,
                failures=from_address,
                locked_at=now,
                locked_until=now + rules.lockout,
            )
            logger.warning("Sign-in locked for address %s after %d failures.", address, from_address)
    return locked


@transaction.atomic
def sign_in_succeeded(*, username: str) -> None:
    """A correct password clears the username's count of failures (not the address's:
    one good account must not wipe out someone else's guessing)."""
    SignInFailure.objects.filter(username=username_key(username), cleared=False).update(cleared=True)
