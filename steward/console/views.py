"""Staff console pages: sign in, my work, a request, capturing a request, a customer,
handover offers, alerts.

Views are thin: they read through selectors, change things through services, and
render. A `DomainError` from a service becomes a message on the page, never a 500.
A page with a live part (customer search, the forms on a request) renders just that
fragment when HTMX asks for it, and the whole page otherwise; every form also works as
a plain HTML form without JavaScript.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from steward.accounts.selectors import lockouts_of_staff
from steward.alerts import services as alert_services
from steward.alerts.models import Alert
from steward.alerts.permissions import can_resolve
from steward.alerts.selectors import alert_get_for, alerts_for
from steward.consent.vocabulary import DataCategory, Purpose
from steward.customers import selectors as customer_selectors
from steward.customers.models import Customer
from steward.customers.selectors import customer_get, customer_search
from steward.errors import DomainError, NotFound
from steward.handovers import services as handover_services
from steward.handovers.models import HandoverOffer
from steward.handovers.permissions import can_answer, can_offer, can_withdraw
from steward.handovers.selectors import (
    handover_get_for,
    handover_inbox,
    handover_receiver_rows,
    handover_story,
    handovers_expiring_among,
    handovers_of_request,
    handovers_sent,
)
from steward.needs.models import Need
from steward.needs.selectors import need_get, need_list
from steward.notifications.selectors import notification_get, notifications_for
from steward.notifications.services import notification_mark_read
from steward.organisations.models import StaffMember
from steward.organisations.selectors import (
    escalation_chain,
    organisation_get,
    people_of,
    staff_for_user,
    staff_get,
    team_get,
    team_list,
)
from steward.requests import services as request_services
from steward.requests.attachment_download import attachment_response
from steward.requests.lifecycle import Status
from steward.requests.models import Request
from steward.requests.permissions import can_view, can_work_on
from steward.requests.selectors import (
    attachment_on_request,
    attachments_of_request,
    breached_requests_of,
    my_work_list,
    request_get_for,
)
from steward.timeline.selectors import timeline_for_customer, timeline_for_request
from steward.transfers.permissions import can_answer_for
from steward.transfers.selectors import transfer_offers_waiting
from steward.trusted.selectors import trusted_people_of

from . import presenters
from .access import ConsoleRequest, not_found, page, remember_carer, remember_planner, staff_required
from .forms import (
    AttachForm,
    CaptureForm,
    CustomerSearchForm,
    DeclineForm,
    MessageForm,
    NoteForm,
    OfferForm,
    ResolveAlertForm,
    StaffSignInForm,
    StatusForm,
    WithdrawForm,
)
from .read_purpose import ReadPurposeForm, read_or_ask, read_story_or_refusal, remember

MY_WORK_PAGE = 25  # requests per page of My work, most urgent first
NOTIFICATION_LIMIT = 20
SEARCH_LIMIT = 20
TIMELINE_LIMIT = 200
CAPTURES_SESSION_KEY = "console_captures"
CAPTURES_KEPT = 10
MY_WORK_OFFERS = 5  # offers waiting for you, listed on My work
MY_WORK_ALERTS = 10  # open alerts for you, listed on My work
MY_PEOPLE_LIMIT = 20  # per list in a supervisor's "My people"
MY_PEOPLE_EXPIRING_WITHIN = timedelta(hours=24)  # offers a supervisor is warned about
MY_PEOPLE_LOCKOUTS_SINCE = timedelta(hours=24)  # sign-in lockouts of their people a supervisor is shown
HANDOVER_LIST_LIMIT = 50  # per list on the handovers page
OFFER_HISTORY_LIMIT = 20  # past offers shown on a request
RECEIVER_STAFF_LIMIT = 500  # people listed in "offer it to"; teams and organisations are always listed


# --- signing in and out ------------------------------------------------------------


class StaffLoginView(LoginView):
    """Username and password; too many failures lock the username (or the network
    address) for a while, see `StaffSignInForm` and `steward.accounts.services`."""

    template_name = "console/login.html"
    form_class = StaffSignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: StaffSignInForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        staff = staff_for_user(self.request.user)
        remember_carer(self.request, staff)  # for the "My visits today" link
        remember_planner(self.request, staff)  # for the "Schedule" link
        return response

    def form_invalid(self, form: StaffSignInForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.has_error("__all__", code="locked"):
            response.status_code = 429  # too many requests: the page still says when to come back
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You have signed out.")
    return redirect("console:login")


def home(request: HttpRequest) -> HttpResponse:
    return redirect("console:my-work")


# --- my work -------------------------------------------------------------------------


@require_GET
@staff_required
def my_work(request: ConsoleRequest, staff: StaffMember) -> HttpResponse:
    """What is waiting on this person: alerts addressed to them, the requests they answer
    for (overdue first), offers for them or their team to accept, notifications; and, for
    someone people answer to, their people's breaches and offers about to expire."""
    now = timezone.now()
    work = my_work_list(staff=staff)
    total = work.count()
    pages = max(1, -(-total // MY_WORK_PAGE))
    page_number = min(_page_number(request), pages)
    start = (page_number - 1) * MY_WORK_PAGE
    rows = presenters.work_rows(work[start : start + MY_WORK_PAGE], now)
    alerts = list(notifications_for(staff=staff, unread_only=True)[:NOTIFICATION_LIMIT])
    offers = list(handover_inbox(staff=staff)[: MY_WORK_OFFERS + 1])
    open_alerts = list(alerts_for(staff=staff)[: MY_WORK_ALERTS + 1])
    # Offers in a transfer are accepted by anyone in a team at the receiving provider.
    may_accept_transfers = can_answer_for(staff, to_provider_id=staff.organisation_id)
    transfers_waiting = (
        transfer_offers_waiting(organisation_id=staff.organisation_id, limit=MY_WORK_OFFERS + 1)
        if may_accept_transfers
        else []
    )
    return page(
        request,
        staff,
        "console/my_work.html",
        {
            "rows": rows,
            "overdue_count": sum(1 for row in rows if row.due.overdue),
            "total": total,
            "page_number": page_number,
            "pages": pages,
            "first_shown": start + 1,
            "last_shown": start + len(rows),
            "notifications": alerts,
            "offers": presenters.offer_rows(offers[:MY_WORK_OFFERS], now),
            "more_offers": len(offers) > MY_WORK_OFFERS,
            "waiting_count": len(offers[:MY_WORK_OFFERS]) + len(transfers_waiting[:MY_WORK_OFFERS]),
            "may_accept_transfers": may_accept_transfers,
            "transfers_waiting": presenters.transfer_rows(transfers_waiting[:MY_WORK_OFFERS], now),
            "more_transfers": len(transfers_waiting) > MY_WORK_OFFERS,
            "open_alerts": open_alerts[:MY_WORK_ALERTS],
            "more_alerts": len(open_alerts) > MY_WORK_ALERTS,
            "people": _my_people(staff, now),
        },
    )


def _page_number(request: HttpRequest) -> int:
    """The ``page`` asked for, 1 when it is missing or not a positive whole number."""
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and int(raw) >= 1 else 1


def _my_people(staff: StaffMember, now: Any) -> dict[str, Any] | None:
    """A supervisor's view of their people: breached requests (with whose and how late)
    and offers that expire within a day. None for someone nobody answers to."""
    people = people_of(staff)
    if not people:
        return None
    soon = now + MY_PEOPLE_EXPIRING_WITHIN
    breaches = list(breached_requests_of(owner_ids=people.staff_ids, now=now)[: MY_PEOPLE_LIMIT + 1])
    expiring = list(
        handovers_expiring_among(staff_ids=people.staff_ids, team_ids=people.team_ids, until=soon)[
            : MY_PEOPLE_LIMIT + 1
        ]
    )
    transfers = transfer_offers_waiting(
        organisation_id=staff.organisation_id, commissioner_ids=people.staff_ids, until=soon, limit=MY_PEOPLE_LIMIT + 1
    )
    lockouts = list(
        lockouts_of_staff(staff_ids=people.staff_ids, since=now - MY_PEOPLE_LOCKOUTS_SINCE)[:MY_PEOPLE_LIMIT]
    )
    return {
        "count": len(people.staff_ids),
        "lockouts": lockouts,
        "breaches": presenters.work_rows(breaches[:MY_PEOPLE_LIMIT], now),
        "more_breaches": len(breaches) > MY_PEOPLE_LIMIT,
        "expiring": presenters.offer_rows(expiring[:MY_PEOPLE_LIMIT], now),
        "more_expiring": len(expiring) > MY_PEOPLE_LIMIT,
        "transfers": presenters.transfer_rows(transfers[:MY_PEOPLE_LIMIT], now),
        "more_transfers": len(transfers) > MY_PEOPLE_LIMIT,
        "limit": MY_PEOPLE_LIMIT,
    }


@require_POST
@staff_required
def notification_read(request: ConsoleRequest, staff: StaffMember, notification_id: int) -> HttpResponse:
    try:
        notification_mark_read(notification=notification_get(notification_id=notification_id, staff=staff), actor=staff)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    messages.success(request, "Marked as read.")
    return redirect("console:my-work")


# --- one request ---------------------------------------------------------------------


def _receiver_choices(target: Request) -> list[Any]:
    return presenters.receiver_choices(
        team_list(), handover_receiver_rows()[:RECEIVER_STAFF_LIMIT], exclude_staff_id=target.owner_id
    )


def _request_context(staff: StaffMember, target: Request, **forms: Any) -> dict[str, Any]:
    may_work = can_work_on(staff, target)
    owner = target.owner
    is_closed = target.status == Status.CLOSED
    offers = list(handovers_of_request(request_id=target.pk)[:OFFER_HISTORY_LIMIT])
    pending = next((o for o in offers if o.status == HandoverOffer.Status.PENDING), None)
    may_offer = not is_closed and pending is None and can_offer(staff, target)
    offer_form = None
    if may_offer:
        offer_form = forms.get("offer_form") or OfferForm(receiver_choices=_receiver_choices(target))
    return {
        "r": target,
        "status_words": presenters.STATUS_WORDS[target.status],
        "is_closed": is_closed,
        "owner": owner,
        "chain": escalation_chain(owner) if owner is not None else [],
        "clocks": presenters.clocks(target, timezone.now()),
        "may_work": may_work,
        "moves": presenters.status_moves(target) if may_work else [],
        "events": list(timeline_for_request(request_id=target.pk)[:TIMELINE_LIMIT]),
        "timeline_limit": TIMELINE_LIMIT,
        "attachments": list(attachments_of_request(request_id=target.pk)),
        "attach_form": forms.get("attach_form") or AttachForm(),
        "message_form": forms.get("message_form") or MessageForm(may_write_out=may_work),
        "note_form": forms.get("note_form") or NoteForm(),
        "status_form": forms.get("status_form") or StatusForm(),
        "offer_form": offer_form,
        "pending_offer": pending,
        "may_withdraw": pending is not None and can_withdraw(staff, pending),
        "withdraw_form": WithdrawForm(),
        "offer_history": [o for o in offers if o is not pending],
        "error": forms.get("error"),
    }


def _render_request(
    request: ConsoleRequest, staff: StaffMember, target: Request, *, status: int = 200, **forms: Any
) -> HttpResponse:
    # Those working on it read it to provide the service; anyone else says why.
    _, instead = read_or_ask(
        request,
        staff,
        customer_id=target.customer_id,
        categories=[DataCategory.MESSAGES],
        resource=f"request:{target.pk}",
        default_purpose=Purpose.SERVICE_PROVISION if can_work_on(staff, target) else None,
    )
    if instead is not None:
        return instead
    # HTMX form posts swap just the request's detail; everything else gets the page.
    template = "console/_request_detail.html" if request.htmx else "console/request_detail.html"
    return page(request, staff, template, _request_context(staff, target, **forms), status=status)


@require_GET
@staff_required
def request_detail(request: ConsoleRequest, staff: StaffMember, request_id: int) -> HttpResponse:
    try:
        target = request_get_for(staff=staff, request_id=request_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    return _render_request(request, staff, target)


def _after_change(request: ConsoleRequest, staff: StaffMember, request_id: int, done: str) -> HttpResponse:
    messages.success(request, done)
    if request.htmx:
        return _render_request(request, staff, request_get_for(staff=staff, request_id=request_id))
    return redirect("console:request", request_id=request_id)


@require_POST
@staff_required
def request_message(request: ConsoleRequest, staff: StaffMember, request_id: int) -> HttpResponse:
    try:
        target = request_get_for(staff=staff, request_id=request_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    form = MessageForm(request.POST, may_write_out=can_work_on(staff, target))
    if not form.is_valid():
        return _render_request(request, staff, target, status=400, message_form=form)
    try:
        request_services.request_add_message(
            request=target,
            actor=staff,
            direction=form.cleaned_data["direction"],
            body=form.cleaned_data["body"],
            channel=form.cleaned_data["channel"],
        )
    except DomainError as exc:
        return _render_request(request, staff, target, status=exc.status, message_form=form, error=exc.message)
    done = (
        f"Your message to {target.customer.known_as} is on the timeline."
        if form.cleaned_data["direction"] == "out"
        else f"What {target.customer.known_as} said is on the timeline."
    )
    return _after_change(request, staff, target.pk, done)


@require_POST
@staff_required
def request_attach(request: ConsoleRequest, staff: StaffMember, request_id: int) -> HttpResponse:
    try:
        target = request_get_for(staff=staff, request_id=request_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    form = AttachForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_request(request, staff, target, status=400, attach_form=form)
    try:
        added = request_services.request_attach(
            request=target, upload=form.cleaned_data["file"], actor=staff, body=form.cleaned_data["body"]
        )
    except DomainError as exc:
        if exc.code.startswith("attachment_"):
            form.add_error("file", exc.message)
            return _render_request(request, staff, target, status=exc.status, attach_form=form)
        return _render_request(request, staff, target, status=exc.status, attach_form=form, error=exc.message)
    return _after_change(
        request, staff, target.pk, f"“{added.filename}” is on the request; {target.customer.known_as} can see it."
    )


@require_GET
@staff_required
def request_file(request: ConsoleRequest, staff: StaffMember, request_id: int, attachment_id: int) -> HttpResponse:
    """Download a file on a request: the customer's data, so through the read door with
    the purpose given for this customer in this session (one access event per download)."""
    try:
        target = request_get_for(staff=staff, request_id=request_id)
        found = attachment_on_request(request_id=target.pk, attachment_id=attachment_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    _, instead = read_or_ask(
        request,
        staff,
        customer_id=target.customer_id,
        categories=[DataCategory.MESSAGES],
        resource=f"attachment:{found.pk}",
        default_purpose=Purpose.SERVICE_PROVISION if can_work_on(staff, target) else None,
    )
    if instead is not None:
        return instead
    try:
        return attachment_response(found)
    except NotFound as exc:
        return not_found(request, staff, exc.message)


@require_POST
@staff_required
def request_note(request: ConsoleRequest, staff: StaffMember, request_id: int) -> HttpResponse:
    try:
        target = request_get_for(staff=staff, request_id=request_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_request(request, staff, target, status=400, note_form=form)
    try:
        request_services.request_add_note(request=target, actor=staff, body=form.cleaned_data["body"])
    except DomainError as exc:
        return _render_request(request, staff, target, status=exc.status, note_form=form, error=exc.message)
    return _after_change(request, staff, target.pk, "Your internal note is on the timeline.")


@require_POST
@staff_required
def request_status(request: ConsoleRequest, staff: StaffMember, request_id: int) -> HttpResponse:
    try:
        target = request_get_for(staff=staff, request_id=request_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _render_request(
            request, staff, target, status=400, status_form=form, error="Choose what should happen to the request."
        )
    try:
        changed = request_services.request_change_status(
            request=target, status=form.cleaned_data["status"], actor=staff, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        return _render_request(request, staff, target, status=exc.status, status_form=form, error=exc.message)
    return _after_change(
        request, staff, target.pk, f"The request is now: {presenters.STATUS_WORDS[changed.status].lower()}."
    )


def _receiver(kind: str, pk: int) -> dict[str, Any]:
    """The chosen receiver as `handover_offer` takes it (raises NotFound if it is gone)."""
    if kind == "person":
        return {"to_staff": staff_get(staff_id=pk)}
    if kind == "team":
        return {"to_team": team_get(team_id=pk)}
    return {"to_organisation": organisation_get(organisation_id=pk)}


@require_POST
@staff_required
def request_offer(request: ConsoleRequest, staff: StaffMember, request_id: int) -> HttpResponse:
    try:
        target = request_get_for(staff=staff, request_id=request_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    form = OfferForm(request.POST, receiver_choices=_receiver_choices(target))
    if not form.is_valid():
        return _render_request(request, staff, target, status=400, offer_form=form)
    try:
        offer = handover_services.handover_offer(
            request=target,
            actor=staff,
            reason=form.cleaned_data["reason"],
            note_for_receiver=form.cleaned_data["note_for_receiver"],
            **_receiver(*form.receiver_key()),
        )
    except DomainError as exc:
        return _render_request(request, staff, target, status=exc.status, offer_form=form, error=exc.message)
    return _after_change(
        request,
        staff,
        target.pk,
        f"Offered to {offer.target_label}. {offer.sender.display_name} still looks after it until they accept "
        f"(they have until {presenters.when(offer.respond_by)} to answer).",
    )


# --- handovers -----------------------------------------------------------------------


@require_GET
@staff_required
def handovers(request: ConsoleRequest, staff: StaffMember) -> HttpResponse:
    now = timezone.now()
    waiting = list(handover_inbox(staff=staff)[: HANDOVER_LIST_LIMIT + 1])
    sent = list(handovers_sent(staff=staff)[: HANDOVER_LIST_LIMIT + 1])
    return page(
        request,
        staff,
        "console/handovers.html",
        {
            "waiting": presenters.offer_rows(waiting[:HANDOVER_LIST_LIMIT], now),
            "more_waiting": len(waiting) > HANDOVER_LIST_LIMIT,
            "sent": presenters.offer_rows(sent[:HANDOVER_LIST_LIMIT], now),
            "more_sent": len(sent) > HANDOVER_LIST_LIMIT,
            "limit": HANDOVER_LIST_LIMIT,
        },
    )


def _render_offer(
    request: ConsoleRequest,
    staff: StaffMember,
    offer: HandoverOffer,
    *,
    status: int = 200,
    decline_form: DeclineForm | None = None,
    error: str = "",
) -> HttpResponse:
    pending = offer.status == HandoverOffer.Status.PENDING
    # The offer is the receiver's reason to read the story (a grant until it is answered);
    # once it is answered they see the offer and its outcome, not the story.
    story_refused = read_story_or_refusal(staff, customer_id=offer.request.customer_id, resource=f"handover:{offer.pk}")
    return page(
        request,
        staff,
        "console/handover_detail.html",
        {
            "offer": offer,
            "row": presenters.offer_rows([offer], timezone.now())[0],
            "r": offer.request,
            "customer": offer.request.customer,
            "is_pending": pending,
            "may_answer": pending and can_answer(staff, offer),
            "may_withdraw": pending and can_withdraw(staff, offer),
            "can_open_request": can_view(staff, offer.request),
            "events": [] if story_refused else list(handover_story(offer=offer)[:TIMELINE_LIMIT]),
            "story_refused": story_refused,
            "timeline_limit": TIMELINE_LIMIT,
            "decline_form": decline_form or DeclineForm(),
            "withdraw_form": WithdrawForm(),
            "error": error,
        },
        status=status,
    )


def _offer_failed(
    request: ConsoleRequest, staff: StaffMember, offer_id: int, exc: DomainError, **forms: Any
) -> HttpResponse:
    # Read the offer again: the refusal may be because it changed meanwhile.
    try:
        offer = handover_get_for(staff=staff, offer_id=offer_id)
    except NotFound as gone:
        return not_found(request, staff, gone.message)
    return _render_offer(request, staff, offer, status=exc.status, error=exc.message, **forms)


@require_GET
@staff_required
def handover_detail(request: ConsoleRequest, staff: StaffMember, offer_id: int) -> HttpResponse:
    try:
        offer = handover_get_for(staff=staff, offer_id=offer_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    return _render_offer(request, staff, offer)


@require_POST
@staff_required
def handover_accept(request: ConsoleRequest, staff: StaffMember, offer_id: int) -> HttpResponse:
    try:
        offer = handover_get_for(staff=staff, offer_id=offer_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    try:
        handover_services.handover_accept(offer=offer, actor=staff)
    except DomainError as exc:
        return _offer_failed(request, staff, offer_id, exc)
    messages.success(
        request,
        f"You now look after {offer.request.customer.full_name}'s request. {offer.sender.display_name} has been told.",
    )
    return redirect("console:request", request_id=offer.request_id)


@require_POST
@staff_required
def handover_decline(request: ConsoleRequest, staff: StaffMember, offer_id: int) -> HttpResponse:
    try:
        offer = handover_get_for(staff=staff, offer_id=offer_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _render_offer(request, staff, offer, status=400, decline_form=form)
    try:
        handover_services.handover_decline(offer=offer, actor=staff, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _offer_failed(request, staff, offer_id, exc, decline_form=form)
    messages.success(
        request,
        f"You declined the request. {offer.sender.display_name} still looks after it and has been told why.",
    )
    return redirect("console:handovers")


@require_POST
@staff_required
def handover_withdraw(request: ConsoleRequest, staff: StaffMember, offer_id: int) -> HttpResponse:
    try:
        offer = handover_get_for(staff=staff, offer_id=offer_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _render_offer(request, staff, offer, status=400, error="Keep the reason under 500 characters.")
    try:
        handover_services.handover_withdraw(offer=offer, actor=staff, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _offer_failed(request, staff, offer_id, exc)
    done = f"The offer to {offer.target_label} is withdrawn. {offer.sender.display_name} still looks after it."
    if can_view(staff, offer.request):
        return _after_change(request, staff, offer.request_id, done)
    messages.success(request, done)
    return redirect("console:handovers")


# --- alerts --------------------------------------------------------------------------


def _render_alert(
    request: ConsoleRequest,
    staff: StaffMember,
    alert: Alert,
    *,
    status: int = 200,
    form: ResolveAlertForm | None = None,
    error: str = "",
) -> HttpResponse:
    is_open = alert.status == Alert.Status.OPEN
    return page(
        request,
        staff,
        "console/alert_detail.html",
        {
            "alert": alert,
            "is_open": is_open,
            "may_resolve": is_open and can_resolve(staff, alert),
            "can_open_request": alert.request is not None and can_view(staff, alert.request),
            "form": form or ResolveAlertForm(),
            "error": error,
        },
        status=status,
    )


@require_GET
@staff_required
def alert_detail(request: ConsoleRequest, staff: StaffMember, alert_id: int) -> HttpResponse:
    try:
        alert = alert_get_for(staff=staff, alert_id=alert_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    return _render_alert(request, staff, alert)


@require_POST
@staff_required
def alert_resolve(request: ConsoleRequest, staff: StaffMember, alert_id: int) -> HttpResponse:
    try:
        alert = alert_get_for(staff=staff, alert_id=alert_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    form = ResolveAlertForm(request.POST)
    if not form.is_valid():
        return _render_alert(request, staff, alert, status=400, form=form)
    try:
        alert_services.alert_resolve(alert=alert, actor=staff, resolution=form.cleaned_data["resolution"])
    except DomainError as exc:
        # Read it again: the refusal may be because someone resolved it meanwhile.
        fresh = alert_get_for(staff=staff, alert_id=alert_id)
        return _render_alert(request, staff, fresh, status=exc.status, form=form, error=exc.message)
    messages.success(request, f"Resolved: {alert.title}. It has left your alerts; what you wrote is kept.")
    return redirect("console:my-work")


# --- capture -------------------------------------------------------------------------


def _search(query: str) -> tuple[list[Any], str]:
    """Matching customers (at most SEARCH_LIMIT) and, if the query cannot be used, why."""
    try:
        return list(customer_search(query=query)[:SEARCH_LIMIT]), ""
    except DomainError as exc:
        return [], exc.message


def _customer_or_none(raw: str | None) -> Customer | None:
    try:
        return customer_get(customer_id=int(raw or ""))
    except (ValueError, DomainError):
        return None


def _capture_form_page(
    request: ConsoleRequest,
    staff: StaffMember,
    *,
    customer: Customer,
    needs: list[Need],
    form: CaptureForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return page(
        request,
        staff,
        "console/capture.html",
        {
            "customer": customer,
            "form": form or CaptureForm(initial={"customer": customer.pk}, need_ids=[n.pk for n in needs]),
            "need_groups": [
                (group.organisation, group.needs)
                for group in presenters.need_groups(needs, own_organisation_id=staff.organisation_id)
            ],
            "error": error,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def capture(request: ConsoleRequest, staff: StaffMember) -> HttpResponse:
    """Step 1: find the customer (live results over HTMX, or a plain GET). Step 2
    (``?customer=<id>``): what they need, how they got in touch, what they said."""
    if request.method == "POST":
        return _capture_submit(request, staff)

    query = request.GET.get("q", "").strip()
    results, search_problem = _search(query) if query else ([], "")
    search = {
        "search_form": CustomerSearchForm(request.GET or None),
        "query": query,
        "results": results,
        "search_problem": search_problem,
        "search_limit": SEARCH_LIMIT,
    }
    if request.htmx and request.htmx.target == "customer-results":
        return page(request, staff, "console/_customer_results.html", search)
    if "customer" in request.GET:
        customer = _customer_or_none(request.GET["customer"])
        if customer is not None:
            return _capture_form_page(request, staff, customer=customer, needs=list(need_list()))
        search["error"] = "That customer could not be found. Search for them again."
        return page(request, staff, "console/capture.html", search, status=404)
    return page(request, staff, "console/capture.html", search)


def _capture_submit(request: ConsoleRequest, staff: StaffMember) -> HttpResponse:
    needs = list(need_list())
    form = CaptureForm(request.POST, need_ids=[n.pk for n in needs])
    customer = _customer_or_none(request.POST.get("customer"))
    if customer is None:
        messages.error(request, "That customer could not be found. Search for them again.")
        return redirect("console:capture")
    if not form.is_valid():
        return _capture_form_page(request, staff, customer=customer, needs=needs, form=form, status=400)
    try:
        created = request_services.request_capture(
            customer=customer,
            need=need_get(need_id=form.cleaned_data["need"]),
            channel=form.cleaned_data["channel"],
            description=form.description_as_told(customer_known_as=customer.known_as),
            actor=staff,
        )
    except DomainError as exc:
        return _capture_form_page(
            request, staff, customer=customer, needs=needs, form=form, error=exc.message, status=exc.status
        )
    # Post/redirect/get, so reloading the confirmation does not capture twice. The
    # confirmation waits in the session because the capturer may not be able to read
    # the request itself (it may belong to another organisation).
    kept = request.session.get(CAPTURES_SESSION_KEY, {})
    kept[str(created.pk)] = presenters.capture_confirmation(created, staff)
    request.session[CAPTURES_SESSION_KEY] = dict(list(kept.items())[-CAPTURES_KEPT:])
    return redirect("console:capture-done", request_id=created.pk)


@require_GET
@staff_required
def capture_done(request: ConsoleRequest, staff: StaffMember, request_id: int) -> HttpResponse:
    confirmation = request.session.get(CAPTURES_SESSION_KEY, {}).get(str(request_id))
    if confirmation is None:
        return not_found(request, staff, "There is no request you captured with that number in this session.")
    return page(request, staff, "console/capture_done.html", {"c": confirmation})


# --- a customer ----------------------------------------------------------------------


@require_GET
@staff_required
def customer_detail(request: ConsoleRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    try:
        customer = customer_get(customer_id=customer_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)
    _, instead = read_or_ask(
        request,
        staff,
        customer_id=customer.pk,
        categories=[DataCategory.CONTACT_DETAILS, DataCategory.MESSAGES],
        resource="customer",
    )
    if instead is not None:
        return instead
    events = list(timeline_for_customer(customer_id=customer.pk, staff=staff)[:TIMELINE_LIMIT])
    # Who may speak for the customer is part of their contact details, read above.
    trusted = list(trusted_people_of(customer_id=customer.pk, current_only=True))
    # Their contact preferences are part of the contact details just read through the door.
    preferences = customer_selectors.preferences_for(customer=customer)
    now = timezone.now()
    their_time = preferences.local_time(now)
    return page(
        request,
        staff,
        "console/customer_detail.html",
        {
            "customer": customer,
            "events": events,
            "timeline_limit": TIMELINE_LIMIT,
            "preferences": preferences,
            "their_time": their_time,
            "their_time_words": f"{their_time:%A %H:%M}",
            "quiet_now": preferences.is_quiet_at(now),
            "trusted_people": trusted,
        },
    )


@require_POST
@staff_required
def read_purpose(request: ConsoleRequest, staff: StaffMember, customer_id: int) -> HttpResponse:
    """Keep why this person is opening this customer's record (for this session), then
    go back to the page they were opening, which checks it."""
    form = ReadPurposeForm(request.POST)
    if not form.is_valid():
        return page(
            request,
            staff,
            "console/read_purpose.html",
            {"form": form, "customer_id": customer_id, "refusal": ""},
            status=400,
        )
    remember(
        request,
        customer_id,
        purpose=form.cleaned_data["purpose"],
        break_glass_reason=form.cleaned_data["break_glass_reason"],
    )
    return redirect(form.cleaned_data["next"])
