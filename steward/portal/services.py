"""Changes made from the customer's portal: signing in with a one-time code, and the
customer's own words on their requests, or those of someone they trust, for them (which
go through the requests services, so the portal and the console follow the same rules)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from steward.customers.contact_normalisation import normalise_email
from steward.customers.models import Customer
from steward.needs.models import Need
from steward.requests import services as request_services
from steward.requests.models import Attachment, Channel, Request
from steward.timeline.models import TimelineEvent
from steward.trusted.models import TrustedPerson
from steward.trusted.permissions import Scope
from steward.trusted.selectors import trusts_for_email
from steward.trusted.services import trusted_acting_check

from .models import CodeRequest, SignInCode
from .selectors import code_requests_since, customer_for_email

logger = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
LIMIT_WINDOW = timedelta(minutes=15)
CODES_PER_ADDRESS = 3
CODES_PER_IP = 10


def _hash(*, email: str, code: str) -> str:
    return salted_hmac("steward.portal.sign-in-code", f"{email}:{code}", algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class CodeAsked:
    """What asking for a code came to. `limited` is the only thing a page may tell the
    person; whether a code was sent is never shown (no account enumeration)."""

    limited: bool
    sent: bool


@transaction.atomic
def sign_in_code_request(*, email: str, ip: str | None, now: datetime | None = None) -> CodeAsked:
    """Email a one-time code if `email` is a customer's address, within the limits
    (per address and per IP, counted in the database, known and unknown addresses
    alike)."""
    now = now or timezone.now()
    email = normalise_email(email)
    by_email, by_ip = code_requests_since(email=email, ip=ip, since=now - LIMIT_WINDOW)
    if by_email >= CODES_PER_ADDRESS or by_ip >= CODES_PER_IP:
        return CodeAsked(limited=True, sent=False)
    customer = customer_for_email(email=email)
    trust = None if customer is not None else trusts_for_email(email=email, at=now).first()
    known = customer is not None or trust is not None
    CodeRequest.objects.create(email=email, ip=ip, created_at=now, sent=known)
    if not known:
        return CodeAsked(limited=False, sent=False)
    hello = customer.known_as if customer is not None else trust.name if trust is not None else ""
    # A new code replaces any earlier one still waiting.
    SignInCode.objects.filter(email=email, used_at__isnull=True, voided_at__isnull=True).update(voided_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    SignInCode.objects.create(
        customer=customer,
        email=email,
        code_hash=_hash(email=email, code=code),
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    send_mail(
        subject="Your Steward sign-in code",
        message=(
            f"Hello {hello},\n\n"
            f"Your code to sign in to Steward is {code}\n\n"
            f"It works once, for {minutes} minutes. If you did not ask for it, you can ignore this email: "
            "nobody can sign in without the code.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )
    return CodeAsked(limited=False, sent=True)


@transaction.atomic
def sign_in_code_check(*, email: str, code: str, now: datetime | None = None) -> str | None:
    """The address the code signs in (normalised), or None (wrong, expired, used or
    voided: the caller says one thing for all of these). A wrong code counts against the
    latest code for the address; the fifth wrong try voids it. Whose requests the
    address may then see is `selectors.portal_choices`."""
    now = now or timezone.now()
    email = normalise_email(email)
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    pending = (
        SignInCode.objects.select_for_update()
        .filter(email=email, used_at__isnull=True, voided_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if pending is None or pending.expires_at <= now:
        return None
    if len(code) == 6 and constant_time_compare(pending.code_hash, _hash(email=email, code=code)):
        pending.used_at = now
        pending.save(update_fields=["used_at"])
        return email
    pending.attempts += 1
    fields = ["attempts"]
    if pending.attempts >= MAX_ATTEMPTS:
        pending.voided_at = now
        fields.append("voided_at")
    pending.save(update_fields=fields)
    return None


def _acting(trusted: TrustedPerson | None, scope: str) -> TrustedPerson | None:
    # Checked again under a row lock in the same transaction as the change: a trust
    # revoked a moment ago stops the action, not just the next page.
    return trusted_acting_check(trusted=trusted, scope=scope) if trusted is not None else None


@transaction.atomic
def portal_ask_for_help(
    *, customer: Customer, need: Need, description: str, trusted: TrustedPerson | None = None
) -> Request:
    """The customer (or someone they trust, for them) asks for help: captured by web
    with no staff member, routed to a named owner at once."""
    return request_services.request_capture(
        customer=customer,
        need=need,
        channel=Channel.WEB,
        description=description,
        actor=None,
        trusted_person=_acting(trusted, Scope.ASK),
    )


@transaction.atomic
def portal_reply(
    *, customer: Customer, request: Request, body: str, trusted: TrustedPerson | None = None
) -> TimelineEvent:
    """The customer (or someone they trust) writes on their request (reopens a resolved
    one within the window)."""
    return request_services.request_add_message(
        request=request,
        actor=None,
        customer=customer,
        direction="in",
        body=body,
        channel=Channel.WEB,
        trusted_person=_acting(trusted, Scope.REPLY),
    )


@transaction.atomic
def portal_attach(
    *,
    customer: Customer,
    request: Request,
    upload: File,  # type: ignore[type-arg]
    body: str = "",
    trusted: TrustedPerson | None = None,
) -> Attachment:
    """The customer (or someone they trust, for them) sends a photo or document, with
    their message if they wrote one."""
    return request_services.request_attach(
        request=request,
        upload=upload,
        actor=None,
        customer=customer,
        body=body,
        trusted_person=_acting(trusted, Scope.REPLY),
    )


@transaction.atomic
def portal_still_not_fixed(
    *, customer: Customer, request: Request, body: str = "", trusted: TrustedPerson | None = None
) -> Request:
    """ "This is still not fixed": reopens a resolved request and counts the chase."""
    return request_services.request_customer_chase(
        request=request, customer=customer, body=body, trusted_person=_acting(trusted, Scope.REPLY)
    )
