"""Who may use the portal: a customer signed in with a code. The customer's id is kept
under its own session key; a staff session (Django auth) never counts as a customer,
and a customer session signs nobody in to the console."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from steward.customers.models import Customer

from .selectors import portal_customer

P = ParamSpec("P")
SESSION_KEY = "portal_customer_id"
PENDING_EMAIL_KEY = "portal_pending_email"

CustomerView = Callable[Concatenate[HttpRequest, Customer, P], HttpResponse]


def sign_in(request: HttpRequest, customer: Customer) -> None:
    """A fresh session (new key, nothing carried over, any staff sign-in ended)."""
    request.session.flush()
    request.session[SESSION_KEY] = customer.pk


def customer_required(view: CustomerView[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return render(request, "portal/staff_session.html", status=403)
        customer_id = request.session.get(SESSION_KEY)
        customer = portal_customer(customer_id=customer_id) if isinstance(customer_id, int) else None
        if customer is None:
            if customer_id is not None:
                request.session.flush()
            return redirect("portal:sign-in")
        return view(request, customer, *args, **kwargs)

    return wrapper


def page(
    request: HttpRequest,
    customer: Customer | None,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(request, template, {"customer": customer, **(context or {})}, status=status)
