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
from steward.trusted.models import TrustedPerson
from steward.trusted.permissions import Scope

from . import passwords, selectors, services
from .access import (
    CHOICES_KEY,
    EMAIL_KEY,
    PENDING_EMAIL_KEY,
    SESSION_KEY,
    SIGNED_IN_BY_KEY,
    PortalUser,
    choose,
    customer_required,
    landing,
    not_found,
    page,
    portal_user,
    portal_user_if_any,
    sign_in,
    signed_in_address,
)
from .forms import AskForm, CodeForm, EmailForm, PasswordSignInForm, ReplyForm, SetPasswordForm, StillNotFixedForm
from .presenters import present

WRONG_CODE = "That code is not right, or it has stopped working. Check the latest email from us, or ask for a new code."
TOO_MANY = (
    "You have asked for several codes in a short time. Please wait 15 minutes and try again. "
    "Your earlier codes still work for 10 minutes after we sent them."
)


NO_MATCH = "That email address and password do not match. Check them and try again, or sign in with a code instead."
TOO_MANY_PASSWORDS = (
    "There have been several wrong tries in a short time. Please wait 15 minutes, or sign in with a code instead."
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
        signed_in = services.sign_in_code_check(email=email, code=form.cleaned_data["code"])
        if signed_in is None:
            return page(request, None, "portal/sign_in_code.html", {**context, "error": WRONG_CODE}, status=400)
        choices = selectors.portal_choices(email=signed_in)
        sign_in(request, signed_in, choices)
        if len(choices) == 1:
            return redirect(landing(None if choices[0].trusted is None else _user_for(choices[0])))
        return redirect("portal:choose")
    return page(request, None, "portal/sign_in_code.html", context)


@require_http_methods(["GET", "POST"])
def sign_in_password(request: HttpRequest) -> HttpResponse:
    """Signing in with an email address and the password set for it (optional; codes
    always work)."""
    form = PasswordSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tried = passwords.password_sign_in(
            email=form.cleaned_data["email"], password=form.cleaned_data["password"], ip=_client_ip(request)
        )
        if tried.limited:
            context = {"form": PasswordSignInForm(), "error": TOO_MANY_PASSWORDS}
            return page(request, None, "portal/sign_in_password.html", context, status=429)
        if tried.email is None:
            context = {
                "form": PasswordSignInForm(initial={"email": form.cleaned_data["email"]}),
                "error": NO_MATCH,
            }
            return page(request, None, "portal/sign_in_password.html", context, status=400)
        choices = selectors.portal_choices(email=tried.email)
        sign_in(request, tried.email, choices, by="password")
        if len(choices) == 1:
            return redirect(landing(None if choices[0].trusted is None else _user_for(choices[0])))
        return redirect("portal:choose")
    status = 400 if request.method == "POST" else 200
    return page(request, None, "portal/sign_in_password.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in address's own settings: an optional password (set, change, remove)."""
    if request.user.is_authenticated:
        return page(request, None, "portal/staff_session.html", status=403)
    email = signed_in_address(request)
    if email is None:
        return redirect("portal:sign-in")
    user = portal_user_if_any(request)
    customer = user.customer if user else None
    has = passwords.has_password(email=email)
    needs_current = has and request.session.get(SIGNED_IN_BY_KEY) == "password"
    form = SetPasswordForm(request.POST or None, needs_current=needs_current)
    context = {"form": form, "email": email, "has_password": has}
    if request.method == "POST":
        if request.POST.get("remove") == "1":
            passwords.password_remove(email=email)
            messages.success(request, "Your password is removed. Sign in with a code from now on.")
            return redirect("portal:account")
        if not form.is_valid():
            return page(request, customer, "portal/account.html", context, status=400)
        try:
            passwords.password_set(
                email=email,
                new_password=form.cleaned_data["new_password"],
                current_password=form.cleaned_data.get("current") if needs_current else None,
            )
        except DomainError as exc:
            field = "current" if exc.code == "wrong_password" else "new_password"
            form.add_error(field, exc.message)
            return page(request, customer, "portal/account.html", context, status=exc.status)
        messages.success(
            request, "Your password is changed." if has else "Your password is set. You can still sign in with a code."
        )
        return redirect("portal:account")
    return page(request, customer, "portal/account.html", context)


def _user_for(choice: selectors.Choice) -> PortalUser:
    return PortalUser(customer=choice.customer, trusted=choice.trusted, name="", has_choices=False)


@require_http_methods(["GET", "POST"])
def choose_whose(request: HttpRequest) -> HttpResponse:
    """Whose requests to look at, for an address that is a customer's and/or trusted by
    several customers. Also where someone lands when a trust they used has ended."""
    if request.user.is_authenticated:
        return page(request, None, "portal/staff_session.html", status=403)
    email = request.session.get(EMAIL_KEY)
    if not email:
        return redirect("portal:sign-in")
    choices = selectors.portal_choices(email=email)
    if request.method == "POST":
        wanted = request.POST.get("choice", "")
        chosen = next((c for c in choices if c.key == wanted), None)
        if chosen is None:
            context = {"choices": choices, "error": "Choose whose requests you want to look at."}
            return page(request, None, "portal/choose.html", context, status=400)
        choose(request, chosen)
        request.session[CHOICES_KEY] = len(choices) > 1
        return redirect(landing(_user_for(chosen)))
    return page(request, None, "portal/choose.html", {"choices": choices, "current": request.session.get(SESSION_KEY)})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if SESSION_KEY in request.session or EMAIL_KEY in request.session:
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


def _trusted(request: HttpRequest) -> TrustedPerson | None:
    user = portal_user(request)
    return user.trusted if user is not None else None


def _not_found(request: HttpRequest, customer: Customer, message: str) -> HttpResponse:
    return not_found(request, customer, message)


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
        "may_reply": _may(request, Scope.REPLY),
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
            services.portal_attach(
                customer=customer, request=found, upload=upload, body=body, trusted=_trusted(request)
            )
        else:
            services.portal_reply(customer=customer, request=found, body=body, trusted=_trusted(request))
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
        services.portal_still_not_fixed(
            customer=customer, request=found, body=form.cleaned_data["body"], trusted=_trusted(request)
        )
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
                trusted=_trusted(request),
            )
        except DomainError as exc:
            return page(request, customer, "portal/ask.html", {**context, "error": exc.message}, status=exc.status)
        return redirect(f"{_request_url(created.pk)}?asked=1")
    return page(request, customer, "portal/ask.html", context)


def _may(request: HttpRequest, scope: str) -> bool:
    user = portal_user(request)
    return user is None or user.may(scope)


def _request_url(request_id: int) -> str:
    return reverse("portal:request", kwargs={"request_id": request_id})
