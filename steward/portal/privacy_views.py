"""'Who can see my information' (`/me/privacy/`): the customer's grants in plain words,
giving a new permission (with its receipt) and withdrawing a consent, the log of every
read of their data by staff, downloads of everything held about them, and asking an
organisation formally for a copy or for erasure (with the date it must answer by).
Reads through steward.consent's customer-side selectors and
words (the same as the customer API), changes through its services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from steward.consent import selectors as consent_selectors
from steward.consent.customer_api import receipt_document
from steward.consent.export import customer_export, customer_export_html, export_json
from steward.consent.models import Grant, PrivacyRequest
from steward.consent.privacy import OPEN_STATUSES, due_for, privacy_request_open
from steward.consent.services import grant_create, grant_revoke
from steward.consent.vocabulary import DataCategory, LawfulBasis, Purpose
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
from steward.organisations.models import Organisation

from . import privacy_selectors
from .access import customer_required, not_found, page

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


@dataclass(frozen=True)
class PrivacyRequestView:
    request: PrivacyRequest
    what: str
    is_open: bool
    status_words: str


PRIVACY_STATUS_WORDS = {
    PrivacyRequest.Status.RECEIVED: "Received",
    PrivacyRequest.Status.IN_PROGRESS: "Being dealt with",
    PrivacyRequest.Status.DONE: "Done",
    PrivacyRequest.Status.REFUSED: "Refused",
}


def present_privacy_request(request: PrivacyRequest) -> PrivacyRequestView:
    what = "A copy of everything held about you" if request.kind == PrivacyRequest.Kind.EXPORT else "Erase your data"
    return PrivacyRequestView(
        request=request,
        what=what,
        is_open=request.status in OPEN_STATUSES,
        status_words=PRIVACY_STATUS_WORDS[PrivacyRequest.Status(request.status)],
    )


def _privacy_page(request: HttpRequest, customer: Customer, *, error: str = "", status: int = 200) -> HttpResponse:
    now = timezone.now()
    grants = [present_grant(g, now=now) for g in consent_selectors.customer_grants(customer_id=customer.pk)]
    log = Paginator(consent_selectors.customer_access_log(customer_id=customer.pk), ACCESS_LOG_PAGE_SIZE)
    entries = log.get_page(request.GET.get("page"))
    requests = list(
        privacy_selectors.customer_privacy_requests(customer=customer)[: privacy_selectors.PRIVACY_REQUESTS_SHOWN]
    )
    context = {
        "grants": grants,
        "entries": entries,
        "sentences": [access_sentence(e, now=now) for e in entries],
        "privacy_requests": [present_privacy_request(r) for r in requests],
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
        return not_found(request, customer, "We cannot find that permission among yours.")
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


# --- giving a new permission ----------------------------------------------------------

# What a purpose means, said to the person giving it.
PURPOSE_HINTS = {
    Purpose.SERVICE_PROVISION: "So they can deal with what you ask them for.",
    Purpose.CARE_DELIVERY: "So the people who care for you know what they need to.",
    Purpose.CARE_COORDINATION: "So they can arrange your care with other organisations.",
    Purpose.BILLING: "So they can bill you and take payments.",
    Purpose.COMPLAINT_HANDLING: "So they can look into a complaint you made.",
    Purpose.SAFEGUARDING: "So they can act if you are at risk of harm.",
    Purpose.MARKETING: "So they can tell you about other services they offer.",
    Purpose.RESEARCH: "So they can improve their services. You are never named in what they publish.",
}


class GiveForm(forms.Form):
    """The shape of a new permission; `grant_create` decides the rest."""

    organisation = forms.TypedChoiceField(
        label="Who are you giving permission to?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an organisation.", "invalid_choice": "Choose one of the organisations."},
    )
    purpose = forms.ChoiceField(
        label="What may they use it for?",
        choices=Purpose.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what they may use it for.", "invalid_choice": "Choose one of the options."},
    )
    categories = forms.MultipleChoiceField(
        label="Which information?",
        help_text="Tick all they may use.",
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Tick at least one kind of information.",
            "invalid_choice": "Choose from the list.",
        },
    )
    ends_on = forms.DateField(
        label="Until when? (you can leave this empty)",
        help_text="Leave it empty to give permission until you withdraw it. For example 31/12/2027.",
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d-%m-%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date like 31/12/2027."},
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]  # type: ignore[attr-defined]
        self.organisations = {o.pk: o for o in organisations}

    def clean_ends_on(self) -> date | None:
        ends_on: date | None = self.cleaned_data.get("ends_on")
        if ends_on is not None and ends_on < timezone.localdate():
            raise forms.ValidationError("Choose today or a later date.")
        return ends_on


def _ends_at(ends_on: date | None) -> datetime | None:
    """The end of the chosen day, on the customer's own clock (the portal runs in it)."""
    if ends_on is None:
        return None
    return timezone.make_aware(datetime.combine(ends_on, time(23, 59, 59)))


def _day(at: datetime) -> str:
    """'3 March 2027', on the customer's clock."""
    local = timezone.localtime(at)
    return f"{local.day} {local:%B %Y}"


def _working_with(customer: Customer) -> list[Organisation]:
    return list(privacy_selectors.organisations_working_with(customer=customer))


@require_http_methods(["GET", "POST"])
@customer_required
def grant_give(request: HttpRequest, customer: Customer) -> HttpResponse:
    """A form, then a check ("Is this right?"), then the permission and its receipt.
    Without JavaScript: the check page carries the answers in hidden fields."""
    organisations = _working_with(customer)
    form = GiveForm(request.POST or None, organisations=organisations)
    context: dict[str, Any] = {"form": form, "organisations": organisations, "purpose_hints": PURPOSE_HINTS}
    if request.method != "POST":
        return page(request, customer, "portal/privacy_give.html", context)
    if not form.is_valid():
        return page(request, customer, "portal/privacy_give.html", context, status=400)
    c = form.cleaned_data
    organisation = form.organisations[c["organisation"]]
    if request.POST.get("step") != "confirm" or "change" in request.POST:
        if "change" in request.POST:
            return page(request, customer, "portal/privacy_give.html", context)
        context.update(
            checking=True,
            organisation=organisation,
            purpose_words=Purpose(c["purpose"]).label,
            category_words=[DataCategory(code).label for code in c["categories"]],
        )
        return page(request, customer, "portal/privacy_give.html", context)
    try:
        grant = grant_create(
            customer=customer,
            organisation=organisation,
            purpose=c["purpose"],
            categories=c["categories"],
            lawful_basis=LawfulBasis.CONSENT,
            by_customer=True,
            ends_at=_ends_at(c["ends_on"]),
        )
    except DomainError as exc:
        context["error"] = exc.message
        return page(request, customer, "portal/privacy_give.html", context, status=exc.status)
    receipt = consent_selectors.customer_receipts(customer_id=customer.pk).filter(grant=grant).first()
    messages.success(request, f"You have given permission to {organisation.name}. Here is your receipt.")
    if receipt is None:  # grant_create always writes one; this keeps the page honest if not
        return redirect("portal:privacy")
    return redirect("portal:receipt", receipt_id=receipt.pk)


def _receipt_not_found(request: HttpRequest, customer: Customer) -> HttpResponse:
    message = "We cannot find that receipt among yours."
    return not_found(request, customer, message)


@require_GET
@customer_required
def receipt(request: HttpRequest, customer: Customer, receipt_id: int) -> HttpResponse:
    try:
        found = consent_selectors.customer_receipt_get(customer_id=customer.pk, receipt_id=receipt_id)
    except NotFound:
        return _receipt_not_found(request, customer)
    return page(request, customer, "portal/privacy_receipt.html", {"receipt": found, "grant": found.grant})


@require_GET
@customer_required
def receipt_download(request: HttpRequest, customer: Customer, receipt_id: int) -> HttpResponse:
    try:
        found = consent_selectors.customer_receipt_get(customer_id=customer.pk, receipt_id=receipt_id)
    except NotFound:
        return _receipt_not_found(request, customer)
    response = JsonResponse(
        receipt_document(found, now=timezone.now()), encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="consent-receipt-{found.pk}.json"'
    return response


# --- asking for a copy or for erasure ----------------------------------------------------

KIND_WORDS = {
    PrivacyRequest.Kind.EXPORT: "A copy of everything they hold about me",
    PrivacyRequest.Kind.ERASURE: "Erase my information",
}


class AskForm(forms.Form):
    kind = forms.ChoiceField(
        label="What are you asking for?",
        choices=list(KIND_WORDS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what you are asking for.", "invalid_choice": "Choose one of the options."},
    )
    organisation = forms.TypedChoiceField(
        label="Which organisation are you asking?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an organisation.", "invalid_choice": "Choose one of the organisations."},
    )

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]  # type: ignore[attr-defined]
        self.organisations = {o.pk: o for o in organisations}


@require_http_methods(["GET", "POST"])
@customer_required
def privacy_ask(request: HttpRequest, customer: Customer) -> HttpResponse:
    """Ask an organisation, formally, for a copy of everything it holds or to erase it:
    a form, a check that says what will happen and by when, then the request on its
    one-month clock with a named person answering it."""
    organisations = _working_with(customer)
    initial = {"kind": request.GET.get("kind", "")}
    form = AskForm(request.POST or None, organisations=organisations, initial=initial)
    context: dict[str, Any] = {"form": form, "organisations": organisations}
    if request.method != "POST":
        return page(request, customer, "portal/privacy_ask.html", context)
    if not form.is_valid():
        return page(request, customer, "portal/privacy_ask.html", context, status=400)
    kind, organisation = form.cleaned_data["kind"], form.organisations[form.cleaned_data["organisation"]]
    already = privacy_selectors.open_privacy_request(customer=customer, organisation=organisation, kind=kind)
    if already is not None:
        context["error"] = (
            f"You already asked {organisation.name} for this on {_day(already.received_at)}. "
            f"{already.assigned_to.display_name} is dealing with it and must answer by "
            f"{_day(already.due_at)}."
        )
        return page(request, customer, "portal/privacy_ask.html", context, status=409)
    if request.POST.get("step") != "confirm" or "change" in request.POST:
        if "change" in request.POST:
            return page(request, customer, "portal/privacy_ask.html", context)
        context.update(
            checking=True,
            organisation=organisation,
            kind=kind,
            kind_words=KIND_WORDS[PrivacyRequest.Kind(kind)],
            answer_by=due_for(timezone.now()),
        )
        return page(request, customer, "portal/privacy_ask.html", context)
    try:
        opened = privacy_request_open(customer=customer, kind=kind, actor=None, organisation=organisation)
    except DomainError as exc:
        context["error"] = exc.message
        return page(request, customer, "portal/privacy_ask.html", context, status=exc.status)
    what = "a copy of everything they hold about you" if kind == PrivacyRequest.Kind.EXPORT else "to erase it"
    messages.success(
        request,
        f"We have sent your request to {organisation.name}: you asked for {what}. "
        f"{opened.assigned_to.display_name} will deal with it, and must answer by "
        f"{_day(opened.due_at)}. You can see it below.",
    )
    return redirect(reverse("portal:privacy") + "#privacy-requests")
