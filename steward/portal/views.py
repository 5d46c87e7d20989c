"""The customer's pages at /me/. Server-rendered forms that work without JavaScript;
each page reads through the portal's selectors, which only ever return the signed-in
customer's own things."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from steward.customers.models import Customer
from steward.errors import DomainError, NotFound
from steward.needs.selectors import need_get
from steward.requests.attachment_download import attachment_response
from steward.requests.selectors import attachment_on_request, attachments_of_request
from steward.requests.services import customer_may_attach

from . import selectors, services
from .access import PENDING_EMAIL_KEY, SESSION_KEY, customer_required, page, sign_in
from .forms import AskForm, CodeForm, EmailForm, ReplyForm, StillNotFixedForm
from .presenters import present

WRONG_CODE = "That code is not right, or it has stopped working. Check the latest email from us, or ask for a new code."
TOO_MANY = (
    "You have asked for several codes in a short time. Please wait 15 minutes and try again. "
    "Your earlier codes still work for 10 minutes after we sent them."
)


def _client_ip(request: HttpRequest) -> str | None:
    # The direct peer only: a forwarded-for header is whatever the client says it is.
    return request.META.get("REMOTE_ADDR") or None


# --- signing in ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_in_email(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        asked = services.sign_in_code_request(email=email, ip=_client_ip(request))
        if asked.limited:
            return page(request, None, "portal/sign_in.html", {"form": form, "error": TOO_MANY}, status=429)
        request.session[PENDING_EMAIL_KEY] = email
        return redirect("portal:sign-in-code")
    status = 400 if request.method == "POST" else 200
    return page(request, None, "portal/sign_in.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    email = request.session.get(PENDING_EMAIL_KEY)
    if not email:
        return redirect("portal:sign-in")
    form = CodeForm(request.POST or None)
    context = {"form": form, "email": email}
    if request.method == "POST":
        if not form.is_valid():
            return page(request, None, "portal/sign_in_code.html", context, status=400)
        customer = services.sign_in_code_check(email=email, code=form.cleaned_data["code"])
        if customer is None:
            return page(request, None, "portal/sign_in_code.html", {**context, "error": WRONG_CODE}, status=400)
        sign_in(request, customer)
        return redirect("portal:my-requests")
    return page(request, None, "portal/sign_in_code.html", context)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if SESSION_KEY in request.session:
        request.session.flush()
    return page(request, None, "portal/signed_out.html")


# --- my requests ---------------------------------------------------------------------


@require_GET
@customer_required
def my_requests(request: HttpRequest, customer: Customer) -> HttpResponse:
    rows = list(selectors.customer_requests(customer=customer))
    chains = selectors.chains_for(rows)
    views = [present(r, chains.get(r.owner_id, []) if r.owner_id else []) for r in rows]
    return page(request, customer, "portal/my_requests.html", {"rows": views})


def _not_found(request: HttpRequest, customer: Customer, message: str) -> HttpResponse:
    return page(request, customer, "portal/not_found.html", {"message": message}, status=404)


def _request_page(
    request: HttpRequest,
    customer: Customer,
    request_id: int,
    *,
    reply_form: ReplyForm | None = None,
    chase_form: StillNotFixedForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    try:
        found = selectors.customer_request(customer=customer, request_id=request_id)
    except NotFound:
        return _not_found(request, customer, "We cannot find that request among yours.")
    chain = selectors.chains_for([found]).get(found.owner_id, []) if found.owner_id else []
    context = {
        "r": present(found, chain),
        "events": list(selectors.conversation(request=found)),
        "attachments": list(attachments_of_request(request_id=found.pk)),
        "may_attach": customer_may_attach(found, now=timezone.now()),
        "reply_form": reply_form or ReplyForm(),
        "chase_form": chase_form or StillNotFixedForm(),
        "error": error,
        "just_asked": request.GET.get("asked") == "1",
    }
    return page(request, customer, "portal/request_detail.html", context, status=status)


@require_GET
@customer_required
def request_detail(request: HttpRequest, customer: Customer, request_id: int) -> HttpResponse:
    return _request_page(request, customer, request_id)


@require_POST
@customer_required
def request_reply(request: HttpRequest, customer: Customer, request_id: int) -> HttpResponse:
    form = ReplyForm(request.POST, request.FILES)
    try:
        found = selectors.customer_request(customer=customer, request_id=request_id)
    except NotFound:
        return _not_found(request, customer, "We cannot find that request among yours.")
    if not form.is_valid():
        return _request_page(request, customer, request_id, reply_form=form, status=400)
    upload, body = form.cleaned_data.get("file"), form.cleaned_data["body"]
    try:
        if upload:
            services.portal_attach(customer=customer, request=found, upload=upload, body=body)
        else:
            services.portal_reply(customer=customer, request=found, body=body)
    except DomainError as exc:
        if upload and exc.code.startswith("attachment_"):
            form.add_error("file", exc.message)
            return _request_page(request, customer, request_id, reply_form=form, status=exc.status)
        return _request_page(request, customer, request_id, reply_form=form, error=exc.message, status=exc.status)
    who = found.owner.display_name if found.owner else "We"
    what = "your message" if not upload else ("your message and file" if body.strip() else "your file")
    messages.success(request, f"Thank you. {who} will see {what}.")
    return redirect("portal:request", request_id=request_id)


@require_GET
@customer_required
def request_file(request: HttpRequest, customer: Customer, request_id: int, attachment_id: int) -> HttpResponse:
    """A file on the customer's own request, as a download."""
    try:
        found = selectors.customer_request(customer=customer, request_id=request_id)
        return attachment_response(attachment_on_request(request_id=found.pk, attachment_id=attachment_id))
    except NotFound:
        return _not_found(request, customer, "We cannot find that file on your request.")


@require_POST
@customer_required
def request_still_not_fixed(request: HttpRequest, customer: Customer, request_id: int) -> HttpResponse:
    form = StillNotFixedForm(request.POST)
    try:
        found = selectors.customer_request(customer=customer, request_id=request_id)
    except NotFound:
        return _not_found(request, customer, "We cannot find that request among yours.")
    if not form.is_valid():
        return _request_page(request, customer, request_id, chase_form=form, status=400)
    try:
        services.portal_still_not_fixed(customer=customer, request=found, body=form.cleaned_data["body"])
    except DomainError as exc:
        return _request_page(request, customer, request_id, chase_form=form, error=exc.message, status=exc.status)
    who = found.owner.display_name if found.owner else "Someone"
    messages.success(request, f"Sorry it is not fixed. It is open again and {who} is looking at it.")
    return redirect("portal:request", request_id=request_id)


# --- asking for help -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@customer_required
def ask(request: HttpRequest, customer: Customer) -> HttpResponse:
    groups = selectors.needs_by_organisation()
    need_ids = [n.pk for _, needs in groups for n in needs]
    form = AskForm(request.POST or None, need_ids=need_ids)
    context = {"form": form, "groups": groups}
    if request.method == "POST":
        if not form.is_valid():
            return page(request, customer, "portal/ask.html", context, status=400)
        try:
            created = services.portal_ask_for_help(
                customer=customer,
                need=need_get(need_id=form.cleaned_data["need"]),
                description=form.cleaned_data["description"],
            )
        except DomainError as exc:
            return page(request, customer, "portal/ask.html", {**context, "error": exc.message}, status=exc.status)
        return redirect(f"{_request_url(created.pk)}?asked=1")
    return page(request, customer, "portal/ask.html", context)


def _request_url(request_id: int) -> str:
    return reverse("portal:request", kwargs={"request_id": request_id})
