"""'Who can see my information' (`/me/privacy/`): the customer's grants in plain words,
withdrawing a consent, the log of every read of their data by staff, and downloads of
everything held about them. Reads through steward.consent's customer-side selectors and
words (the same as the customer API), changes through its services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from steward.consent import selectors as consent_selectors
from steward.consent.export import customer_export, customer_export_html, export_json
from steward.consent.models import Grant
from steward.consent.services import grant_revoke
from steward.consent.wording import (
    access_sentence,
    basis_words,
    category_words,
    grant_status,
    purpose_words,
    why_not_revocable,
)
from steward.customers.models import Customer
from steward.errors import DomainError, NotFound

from .access import customer_required, page

ACCESS_LOG_PAGE_SIZE = 25

STATUS_WORDS = {
    "active": "In use now",
    "scheduled": "Starts later",
    "ended": "Ended",
    "revoked": "Withdrawn",
}


@dataclass(frozen=True)
class GrantView:
    grant: Grant
    who: str
    purpose: str
    categories: list[str]
    basis: str
    status: str
    status_words: str
    can_withdraw: bool
    cannot_withdraw_because: str | None


def present_grant(grant: Grant, *, now: datetime) -> GrantView:
    status = grant_status(grant, at=now)
    why_not = why_not_revocable(grant)
    who = grant.organisation.name + (f" ({grant.team.name})" if grant.team else "")
    return GrantView(
        grant=grant,
        who=who,
        purpose=purpose_words(grant.purpose)["label"],
        categories=[category_words(c)["label"] for c in grant.categories],
        basis=basis_words(grant.lawful_basis)["label"],
        status=status,
        status_words=STATUS_WORDS[status],
        can_withdraw=why_not is None and status in ("active", "scheduled"),
        # An ended grant needs no reason: it is simply no longer in use.
        cannot_withdraw_because=why_not if status in ("active", "scheduled") else None,
    )


def _privacy_page(request: HttpRequest, customer: Customer, *, error: str = "", status: int = 200) -> HttpResponse:
    now = timezone.now()
    grants = [present_grant(g, now=now) for g in consent_selectors.customer_grants(customer_id=customer.pk)]
    log = Paginator(consent_selectors.customer_access_log(customer_id=customer.pk), ACCESS_LOG_PAGE_SIZE)
    entries = log.get_page(request.GET.get("page"))
    context = {
        "grants": grants,
        "entries": entries,
        "sentences": [access_sentence(e, now=now) for e in entries],
        "error": error,
    }
    return page(request, customer, "portal/privacy.html", context, status=status)


@require_GET
@customer_required
def privacy(request: HttpRequest, customer: Customer) -> HttpResponse:
    return _privacy_page(request, customer)


@require_POST
@customer_required
def grant_withdraw(request: HttpRequest, customer: Customer, grant_id: int) -> HttpResponse:
    try:
        grant = consent_selectors.customer_grant_get(customer_id=customer.pk, grant_id=grant_id)
    except NotFound:
        return page(
            request,
            customer,
            "portal/not_found.html",
            {"message": "We cannot find that permission among yours."},
            status=404,
        )
    try:
        grant_revoke(grant=grant, by_customer=True)
    except DomainError as exc:
        return _privacy_page(request, customer, error=exc.message, status=exc.status)
    messages.success(
        request,
        f"You have withdrawn your permission. {grant.organisation.name} can no longer use your information "
        f"for {purpose_words(grant.purpose)['label'].lower()}. We have kept a receipt.",
    )
    return redirect("portal:privacy")


def _document(customer: Customer) -> dict[str, object]:
    return customer_export(customer, exported_by=f"{customer.full_name} (themselves, from the portal)")


@require_GET
@customer_required
def export_download(request: HttpRequest, customer: Customer) -> HttpResponse:
    response = HttpResponse(export_json(_document(customer)), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="my-steward-record.json"'
    return response


@require_GET
@customer_required
def export_page(request: HttpRequest, customer: Customer) -> HttpResponse:
    return HttpResponse(customer_export_html(_document(customer)), content_type="text/html; charset=utf-8")
