"""How the API knows who is asking: a bearer token, or the signed-in console session.
Either way the endpoint receives the acting `StaffMember` as ``request.auth``.

The customer's side (``/api/v1/customer/...``) has its own door: a customer token, and
the endpoint receives the acting `Customer`. The two never open each other's doors: a
staff token (or console session) is not a customer, and a customer token is not staff."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from steward.customers.models import Customer
from steward.organisations.models import StaffMember
from steward.organisations.selectors import staff_for_user

from .models import ApiToken, CustomerToken
from .services import token_digest

# Writing last_used_at on every call would turn each read into a write; once a minute is
# plenty to tell whether a token is still in use.
LAST_USED_RESOLUTION_SECONDS = 60


class StaffBearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> StaffMember | None:
        row = (
            ApiToken.objects.select_related("user__staff__organisation")
            .filter(digest=token_digest(token), revoked_at__isnull=True)
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        staff = staff_for_user(row.user)
        if staff is None:
            return None
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return staff


class StaffSession(SessionAuth):
    """The console's session cookie (CSRF-checked by Ninja for unsafe methods)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return staff_for_user(user) if user else None


api_auth = [StaffBearer(), StaffSession()]


def acting_staff(request: HttpRequest) -> StaffMember:
    """The staff member an authenticated API call acts as (set by the auth classes above)."""
    staff = getattr(request, "auth", None)
    if not isinstance(staff, StaffMember):  # every router runs behind api_auth; this is a wiring error
        raise RuntimeError("API endpoint reached without an authenticated staff member.")
    return staff


class CustomerBearer(HttpBearer):
    """A customer's token (``manage.py issue_customer_token <customer_id>``); staff
    tokens are a different table, so they never match here."""

    def authenticate(self, request: HttpRequest, token: str) -> Customer | None:
        row = (
            CustomerToken.objects.select_related("customer")
            .filter(digest=token_digest(token), revoked_at__isnull=True)
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            CustomerToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return row.customer


customer_auth = [CustomerBearer()]


def acting_customer(request: HttpRequest) -> Customer:
    """The customer a call on the customer's side acts as (set by `CustomerBearer`)."""
    customer = getattr(request, "auth", None)
    if not isinstance(customer, Customer):  # routers of the customer's side run behind customer_auth
        raise RuntimeError("Customer endpoint reached without an authenticated customer.")
    return customer
