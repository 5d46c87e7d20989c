"""Who may use the portal, and as whom.

Signing in (a one-time code) proves an email address. That address may look at its own
requests (when it is one customer's) and at those of every customer who trusts it; the
session keeps which one it is looking at now (``portal_customer_id``) and, when acting
for someone else, the trust it acts under (``portal_trust_id``). Every page checks, at
every request, that the trust still holds and allows that page (`PAGE_SCOPES`); a
revoked or ended trust stops the session acting for that customer there and then.

A staff session (Django auth) never counts as a customer, and a portal session signs
nobody in to the console."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from steward.consent.vocabulary import DataCategory
from steward.customers.models import Customer
from steward.trusted.models import TrustedPerson
from steward.trusted.permissions import SCOPE_PHRASES, Scope
from steward.trusted.selectors import current_trust
from steward.trusted.services import trusted_read

from .selectors import Choice, portal_customer

P = ParamSpec("P")
SESSION_KEY = "portal_customer_id"
TRUST_KEY = "portal_trust_id"
EMAIL_KEY = "portal_email"
NAME_KEY = "portal_name"
CHOICES_KEY = "portal_has_choices"
SIGNED_IN_BY_KEY = "portal_signed_in_by"
PENDING_EMAIL_KEY = "portal_pending_email"

CustomerView = Callable[Concatenate[HttpRequest, Customer, P], HttpResponse]

# What a trusted person needs to open each page (by URL name). A page not listed is the
# customer's alone (their trusted people, withdrawing a permission, downloading their
# record, their account): someone acting for them is refused it.
PAGE_SCOPES: dict[str, Scope] = {
    "my-requests": Scope.SEE_REQUESTS,
    "request": Scope.SEE_REQUESTS,
    "request-file": Scope.SEE_REQUESTS,
    "request-reply": Scope.REPLY,
    "request-not-fixed": Scope.REPLY,
    "ask": Scope.ASK,
    "privacy": Scope.SEE_PRIVACY,
    # Visits: seeing them is like seeing requests; changing a time is asking for
    # something on the customer's behalf (docs/care.md).
    "visits": Scope.SEE_REQUESTS,
    "visit-time": Scope.ASK,
}

# A trusted person's look at these pages goes in the customer's access log:
# (resource, data categories shown). ``{request_id}`` is filled from the URL.
LOGGED_READS: dict[str, tuple[str, list[str]]] = {
    "my-requests": ("requests", [DataCategory.MESSAGES]),
    "request": ("request:{request_id}", [DataCategory.MESSAGES]),
    "request-file": ("request:{request_id}:file:{attachment_id}", [DataCategory.MESSAGES]),
    "privacy": ("privacy", []),
    "visits": ("visits", [DataCategory.CARE_PLAN]),
}


@dataclass(frozen=True)
class PortalUser:
    """Who is using the portal on this request: the signed-in person (``name``) and the
    customer whose record they are looking at, with the trust they act under when that
    is not themselves."""

    customer: Customer
    trusted: TrustedPerson | None
    name: str
    has_choices: bool

    @property
    def acting_for_someone(self) -> bool:
        return self.trusted is not None

    def may(self, scope: str) -> bool:
        return self.trusted is None or self.trusted.may(scope)


def sign_in(request: HttpRequest, email: str, choices: list[Choice], *, by: str = "code") -> None:
    """A fresh session (new key, nothing carried over, any staff sign-in ended) for the
    address; when it may look at only one record, that one is chosen straight away.
    `by`: "code" or "password" (changing a password signed in by one asks for it)."""
    request.session.flush()
    request.session[EMAIL_KEY] = email
    request.session[SIGNED_IN_BY_KEY] = by
    request.session[CHOICES_KEY] = len(choices) > 1
    if choices:
        own = next((c for c in choices if c.trusted is None), None)
        first = choices[0]
        request.session[NAME_KEY] = (
            own.customer.full_name if own else first.trusted.name if first.trusted else first.customer.full_name
        )
    if len(choices) == 1:
        choose(request, choices[0])


def choose(request: HttpRequest, choice: Choice) -> None:
    """Look at `choice`'s record from now on (new session key: a change of whom you act for)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = choice.customer.pk
    if choice.trusted is None:
        request.session.pop(TRUST_KEY, None)
    else:
        request.session[TRUST_KEY] = choice.trusted.pk


def stop_acting(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(TRUST_KEY, None)


def landing(user: PortalUser | None) -> str:
    """The first page worth showing after choosing whose record to look at."""
    if user is None or user.may(Scope.SEE_REQUESTS):
        return "portal:my-requests"
    return "portal:privacy"


def _refused(request: HttpRequest, user: PortalUser, scope: Scope | None) -> HttpResponse:
    owner = user.customer.full_name
    what = "Only they can use this page." if scope is None else f"They have not asked you to {SCOPE_PHRASES[scope]}."
    return page(request, user.customer, "portal/refused.html", {"owner": owner, "what": what}, status=403)


def _resolve(request: HttpRequest) -> PortalUser | HttpResponse:
    customer_id = request.session.get(SESSION_KEY)
    email = request.session.get(EMAIL_KEY)
    if not isinstance(customer_id, int):
        if email:
            return redirect("portal:choose")
        if customer_id is not None or request.session.get(TRUST_KEY) is not None:
            request.session.flush()
        return redirect("portal:sign-in")
    trust_id = request.session.get(TRUST_KEY)
    trusted = None
    if trust_id is not None:
        trusted = current_trust(trusted_id=trust_id, customer_id=customer_id, email=email or "")
        if trusted is None:
            stop_acting(request)
            messages.warning(
                request,
                "The person you were acting for has ended your access, or it has come to its end date. "
                "You can no longer see their requests.",
            )
            return redirect("portal:choose")
        customer = trusted.customer
    else:
        found = portal_customer(customer_id=customer_id)
        if found is None:
            request.session.flush()
            return redirect("portal:sign-in")
        customer = found
    return PortalUser(
        customer=customer,
        trusted=trusted,
        name=request.session.get(NAME_KEY) or customer.full_name,
        has_choices=bool(request.session.get(CHOICES_KEY)),
    )


def customer_required(view: CustomerView[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """The view runs for the customer whose record the session is looking at, after the
    checks above; someone acting for them is held to `PAGE_SCOPES`, and their looks at
    the customer's requests are logged in the customer's access log."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return render(request, "portal/staff_session.html", status=403)
        user = _resolve(request)
        if isinstance(user, HttpResponse):
            return user
        request.portal = user  # type: ignore[attr-defined]
        url_name = request.resolver_match.url_name if request.resolver_match else None
        trusted = user.trusted
        if trusted is not None:
            scope = PAGE_SCOPES.get(url_name or "")
            if scope is None or not trusted.may(scope):
                return _refused(request, user, scope)
        response = view(request, user.customer, *args, **kwargs)
        if trusted is not None and request.method == "GET" and response.status_code == 200:
            logged = LOGGED_READS.get(url_name or "")
            if logged is not None:
                resource, categories = logged
                trusted_read(trusted=trusted, resource=resource.format(**kwargs), categories=categories)
        return response

    return wrapper


def signed_in_address(request: HttpRequest) -> str | None:
    """The address this portal session signed in with (None: not signed in that way)."""
    email = request.session.get(EMAIL_KEY)
    return email if isinstance(email, str) and email else None


def portal_user_if_any(request: HttpRequest) -> PortalUser | None:
    """Whose record the session is looking at, for pages that belong to the signed-in
    address itself (its account) and only show the usual header."""
    if SESSION_KEY not in request.session:
        return None
    user = _resolve(request)
    if isinstance(user, HttpResponse):
        return None
    request.portal = user  # type: ignore[attr-defined]
    return user


def portal_user(request: HttpRequest) -> PortalUser | None:
    return getattr(request, "portal", None)


def page(
    request: HttpRequest,
    customer: Customer | None,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        template,
        {"customer": customer, "portal": portal_user(request), **(context or {})},
        status=status,
    )


def not_found(request: HttpRequest, customer: Customer, message: str) -> HttpResponse:
    """A 404 page saying, in words, what could not be found among the customer's things."""
    return page(request, customer, "portal/not_found.html", {"message": message}, status=404)
