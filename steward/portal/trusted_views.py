"""'People I trust' (`/me/trusted-people/`): the customer names someone to act for them
(a daughter, an advocate), sees everyone they have named and what each may do, and ends
anyone's access, after a confirmation. The customer's alone: someone acting for them is
refused these pages (`access.PAGE_SCOPES` does not list them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from steward.customers.models import Customer
from steward.errors import DomainError, NotFound
from steward.trusted import selectors as trusted_selectors
from steward.trusted.models import TrustedPerson
from steward.trusted.services import trusted_person_add, trusted_person_revoke

from .access import customer_required, not_found, page
from .forms import RELATIONSHIP_SUGGESTIONS, TrustedPersonForm


@dataclass(frozen=True)
class TrustedView:
    trusted: TrustedPerson
    may: list[str]
    status: str
    status_words: str


def _status(trusted: TrustedPerson, now: datetime) -> tuple[str, str]:
    if trusted.revoked_at is not None:
        return "revoked", f"You ended this on {timezone.localtime(trusted.revoked_at):%-d %B %Y}"
    if trusted.ends_at is not None and trusted.ends_at <= now:
        return "ended", f"Ended on {timezone.localtime(trusted.ends_at):%-d %B %Y}"
    if trusted.ends_at is not None:
        last_day = timezone.localtime(trusted.ends_at) - timedelta(seconds=1)
        return "active", f"Can act for you until the end of {last_day:%-d %B %Y}"
    return "active", "Can act for you until you end it"


def _present(trusted: TrustedPerson, now: datetime) -> TrustedView:
    status, words = _status(trusted, now)
    return TrustedView(trusted=trusted, may=trusted.scope_labels(), status=status, status_words=words)


def end_of_day(day: date) -> datetime:
    """Access chosen "until 31 March" lasts to the end of that day, in the site's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _list_page(
    request: HttpRequest, customer: Customer, form: TrustedPersonForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    now = timezone.now()
    people = [_present(t, now) for t in trusted_selectors.trusted_people_of(customer_id=customer.pk)]
    context = {
        "current": [p for p in people if p.status == "active"],
        "past": [p for p in people if p.status != "active"],
        "form": form,
        "suggestions": RELATIONSHIP_SUGGESTIONS,
        "error": error,
    }
    return page(request, customer, "portal/trusted_people.html", context, status=status)


@require_http_methods(["GET", "POST"])
@customer_required
def trusted_people(request: HttpRequest, customer: Customer) -> HttpResponse:
    form = TrustedPersonForm(request.POST or None)
    if request.method != "POST":
        return _list_page(request, customer, form)
    if not form.is_valid():
        return _list_page(request, customer, form, status=400)
    ends_on = form.cleaned_data["ends_on"]
    try:
        added = trusted_person_add(
            customer=customer,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            relationship=form.cleaned_data["relationship"],
            scopes=form.cleaned_data["scopes"],
            ends_at=end_of_day(ends_on) if ends_on else None,
        )
    except DomainError as exc:
        return _list_page(request, customer, form, error=exc.message, status=exc.status)
    messages.success(
        request,
        f"{added.name} can now act for you. Tell them to sign in at this site with {added.email}: "
        "we will email them a code.",
    )
    return redirect("portal:trusted-people")


@require_http_methods(["GET", "POST"])
@customer_required
def trusted_person_end(request: HttpRequest, customer: Customer, trusted_id: int) -> HttpResponse:
    """Ending someone's access: a confirmation page (GET), then the change (POST)."""
    try:
        trusted = trusted_selectors.trusted_person_of_customer(customer_id=customer.pk, trusted_id=trusted_id)
    except NotFound:
        return not_found(request, customer, "We cannot find that person among the people you trust.")
    if request.method == "POST":
        try:
            trusted_person_revoke(trusted=trusted, customer=customer)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("portal:trusted-people")
        messages.success(request, f"{trusted.name} can no longer act for you or see your requests.")
        return redirect("portal:trusted-people")
    return page(request, customer, "portal/trusted_person_end.html", {"t": _present(trusted, timezone.now())})
