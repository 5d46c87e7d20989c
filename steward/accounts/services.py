"""Issuing and revoking API tokens: staff tokens, and customers' tokens for their side of the API."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from steward.customers.models import Customer

from .models import ApiToken, CustomerToken, User

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
