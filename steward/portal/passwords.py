"""An optional password for the portal, as an alternative to a one-time code.

It belongs to the email address (a customer's, or a trusted person's), is set only by
someone already signed in, is stored with Django's password hashers, and is tried under
the same kind of limits as codes: wrong tries counted per address and per IP in the
database, known and unknown addresses alike. A wrong password, an address with no
password and an unknown address all read the same (no account enumeration)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from steward.customers.contact_normalisation import normalise_email
from steward.errors import InvalidInput, PermissionDenied

from .models import PasswordAttempt, PortalPassword
from .selectors import address_is_known
from .services import LIMIT_WINDOW

WRONG_TRIES_PER_ADDRESS = 5
WRONG_TRIES_PER_IP = 10

_dummy_hash: str | None = None


def _dummy() -> str:
    # Checking against a real hash when there is no password takes as long as a real
    # check, so the time taken does not tell whether the address has one.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = make_password("not a password anyone has")
    return _dummy_hash


def has_password(*, email: str) -> bool:
    return PortalPassword.objects.filter(email=normalise_email(email)).exists()


@transaction.atomic
def password_set(*, email: str, new_password: str, current_password: str | None) -> PortalPassword:
    """Set or change the address's password. `current_password` is checked when given
    as required (None: the caller has just proved the address with a code)."""
    email = normalise_email(email)
    existing = PortalPassword.objects.select_for_update().filter(email=email).first()
    if (
        existing is not None
        and current_password is not None
        and not check_password(current_password, existing.password_hash)
    ):
        raise PermissionDenied("Your current password is not right.", code="wrong_password")
    try:
        validate_password(new_password)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), code="weak_password") from exc
    now = timezone.now()
    hashed = make_password(new_password)
    if existing is None:
        return PortalPassword.objects.create(email=email, password_hash=hashed, created_at=now, updated_at=now)
    existing.password_hash = hashed
    existing.updated_at = now
    existing.save(update_fields=["password_hash", "updated_at"])
    return existing


def password_remove(*, email: str) -> None:
    """Go back to codes only."""
    PortalPassword.objects.filter(email=normalise_email(email)).delete()


@dataclass(frozen=True)
class PasswordTried:
    """What trying a password came to: the address it signs in, or None; `limited`
    when there have been too many wrong tries (nothing was checked)."""

    email: str | None
    limited: bool


@transaction.atomic
def password_sign_in(*, email: str, password: str, ip: str | None, now: datetime | None = None) -> PasswordTried:
    now = now or timezone.now()
    email = normalise_email(email)
    recent = PasswordAttempt.objects.filter(created_at__gte=now - LIMIT_WINDOW)
    if recent.filter(email=email).count() >= WRONG_TRIES_PER_ADDRESS or (
        ip and recent.filter(ip=ip).count() >= WRONG_TRIES_PER_IP
    ):
        return PasswordTried(email=None, limited=True)
    stored = PortalPassword.objects.filter(email=email).first()
    matches = check_password(password, stored.password_hash if stored else _dummy())
    if stored is not None and matches and address_is_known(email=email):
        return PasswordTried(email=email, limited=False)
    PasswordAttempt.objects.create(email=email, ip=ip, created_at=now)
    return PasswordTried(email=None, limited=False)
