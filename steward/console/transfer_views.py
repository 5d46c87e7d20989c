"""Staff console pages for transfers of many clients between providers (issue 3).

The list of transfers my organisation takes part in, a form to start one, and the
transfer page: the reconciliation report (its headline first: how many clients have no
accepting provider), with what each side may do. Every page reads the transfer through
`transfers.selectors.transfer_get_for`, so staff of an organisation that takes no part
get not-found, and decides what to show by the role it returns; every change goes
through `transfers.services`, whose refusals are shown on the page in their words.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from steward.agreements.models import ServiceAgreement
from steward.errors import DomainError, NotFound
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.selectors import organisation_list, staff_list_visible_to, team_list
from steward.transfers import services
from steward.transfers.models import Transfer, TransferClient
from steward.transfers.permissions import can_answer_for, can_manage
from steward.transfers.report import report_csv, report_row
from steward.transfers.selectors import (
    UNRESOLVED,
    TransferView,
    transfer_counts_for,
    transfer_get_for,
    transfer_proof,
    transfer_report_rows,
    transfers_for,
)

from .access import ConsoleRequest, not_found, page, staff_required
from .transfer_forms import AcceptForm, ClientsForm, DeclineClientsForm, KeepForm, ReofferForm, TransferForm

LIST_PAGE_SIZE = 25
CLIENTS_PAGE_SIZE = 50
PROGRESS_POLL_SECONDS = 3
AWAITING_DECISION = (TransferClient.Status.DECLINED, TransferClient.Status.EXPIRED)

# The proof checks behind a "0", in the words the report uses.
PROOF_CHECKS = [
    ("accepted_still_at_old_provider", "Accepted clients still receiving a service from {old}"),
    ("accepted_without_new_service", "Accepted clients without an active service at their new provider"),
    ("accepted_owner_inactive", "Accepted clients whose named person can no longer act (deactivated)"),
    ("accepted_with_requests_left_behind", "Accepted clients with open requests left behind at {old}"),
]


def _providers_we_commission(staff: StaffMember) -> list[Organisation]:
    """Providers the staff member's organisation commissions active services from: the
    ones it may start a transfer away from (`transfer_create` checks the same)."""
    # A read the agreements selectors do not offer yet; it belongs there.
    commissioned = ServiceAgreement.objects.filter(
        provider_id=OuterRef("pk"), commissioner_id=staff.organisation_id, status=ServiceAgreement.Status.ACTIVE
    )
    return list(organisation_list().filter(Exists(commissioned)).exclude(pk=staff.organisation_id))


# --- the list ----------------------------------------------------------------------------


@require_GET
@staff_required
def transfer_list(request: ConsoleRequest, staff: StaffMember) -> HttpResponse:
    org = staff.organisation_id
    # Per transfer, the two numbers each side needs (shown only to the side it is for:
    # receivers never see the whole transfer's figures).
    transfers = transfers_for(actor=staff).annotate(
        unresolved=Count("clients", filter=Q(clients__status__in=UNRESOLVED)),
        offered_to_us=Count(
            "clients", filter=Q(clients__status=TransferClient.Status.PENDING, clients__to_provider_id=org)
        ),
    )
    listing = Paginator(transfers, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "t": t,
            "side": "commissioner"
            if t.commissioning_organisation_id == org
            else "provider"
            if t.from_provider_id == org
            else "receiver",
        }
        for t in listing
    ]
    return page(
        request,
        staff,
        "console/transfers/list.html",
        {"listing": listing, "rows": rows, "may_start": bool(_providers_we_commission(staff))},
    )


# --- a new transfer ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def transfer_new(request: ConsoleRequest, staff: StaffMember) -> HttpResponse:
    providers = _providers_we_commission(staff)
    organisations = list(organisation_list())
    data = request.POST if request.method == "POST" else None
    form = TransferForm(data, providers=providers, organisations=organisations)
    context: dict[str, Any] = {"form": form, "providers": providers}
    if request.method != "POST" or not providers:
        return page(request, staff, "console/transfers/new.html", context)
    if not form.is_valid():
        return page(request, staff, "console/transfers/new.html", context, status=400)
    by_id = {org.pk: org for org in organisations}
    try:
        transfer = services.transfer_create(
            actor=staff,
            from_provider=by_id[form.cleaned_data["from_provider"]],
            receivers=[services.ReceiverSpec(org, capacity) for org, capacity in form.receivers()],
            reason=form.cleaned_data["reason"],
            note_for_receivers=form.cleaned_data["note_for_receivers"],
            respond_within_days=form.cleaned_data["respond_within_days"],
        )
    except DomainError as exc:
        return page(request, staff, "console/transfers/new.html", {**context, "error": exc.message}, status=exc.status)
    messages.success(
        request,
        f"Transfer #{transfer.pk} is started. Now list the clients leaving {transfer.from_provider.name}, "
        "then open it to make the offers.",
    )
    return redirect("console:transfer", transfer_id=transfer.pk)


# --- the transfer page: the reconciliation report ------------------------------------------


def _filters(request: ConsoleRequest, view: TransferView) -> tuple[str, int | None]:
    """The report's filters from the query string; anything unknown means "all"."""
    status = request.GET.get("status", "")
    if status not in TransferClient.Status.values:
        status = ""
    provider_id: int | None = None
    raw = request.GET.get("provider", "")
    if raw.isdigit() and int(raw) in {r.organisation_id for r in view.receivers} and view.sees_everything:
        provider_id = int(raw)
    return status, provider_id


def _my_people(staff: StaffMember) -> tuple[list[StaffMember], list[Team]]:
    """Who at the receiver's organisation clients can be given to: active people in a team."""
    people = [p for p in staff_list_visible_to(viewer=staff) if p.is_active and p.team_id is not None]
    people = [p for p in people if p.organisation_id == staff.organisation_id]
    return people, list(team_list(organisation_id=staff.organisation_id))


def _detail_context(request: ConsoleRequest, staff: StaffMember, view: TransferView, **forms: Any) -> dict[str, Any]:
    transfer = view.transfer
    complete = transfer.status == Transfer.Status.COMPLETE
    may_manage = view.role == "commissioner" and can_manage(staff, transfer)
    may_answer = (
        view.role == "receiver" and not complete and can_answer_for(staff, to_provider_id=staff.organisation_id)
    )
    counts = transfer_counts_for(view=view, actor=staff)
    headline = counts["without_accepting_provider"] if view.sees_everything else counts[TransferClient.Status.PENDING]
    proof = None
    if view.sees_everything and counts["total"] and not headline:
        proof = transfer_proof(transfer)
    status, provider_id = _filters(request, view)
    rows_qs = transfer_report_rows(view=view, actor=staff, status=status or None, to_provider_id=provider_id)
    clients = Paginator(rows_qs, CLIENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    selected = set(forms.get("selected_ids") or [])
    rows = []
    for client in clients:
        row = report_row(client, view)
        row["selectable"] = (
            may_answer
            and client.status == TransferClient.Status.PENDING
            and client.to_provider_id == staff.organisation_id
        )
        row["selected"] = client.pk in selected
        row["decidable"] = may_manage and not complete and client.status in AWAITING_DECISION
        rows.append(row)
    reoffer_to: list[Organisation] = []
    if any(r["decidable"] for r in rows):
        reoffer_to = [org for org in organisation_list() if org.pk != transfer.from_provider_id]
    accept_form = forms.get("accept_form")
    if may_answer and accept_form is None:
        people, teams = _my_people(staff)
        accept_form = AcceptForm(people=people, teams=teams)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "view": view,
        "transfer": transfer,
        "role": view.role,
        "may_manage": may_manage,
        "may_answer": may_answer,
        "is_complete": complete,
        "counts": counts,
        "headline": headline,
        "awaiting_decision": sum(counts[s] for s in AWAITING_DECISION),
        "status_counts": [
            (value, label, counts[value]) for value, label in TransferClient.Status.choices if counts[value]
        ],
        "offered_so_far": counts["total"] - counts[TransferClient.Status.LISTED],
        "poll_seconds": PROGRESS_POLL_SECONDS,
        "proof": proof,
        "proof_checks": [
            (label.format(old=transfer.from_provider.name), getattr(proof, key)) for key, label in PROOF_CHECKS
        ]
        if proof
        else [],
        "status": status,
        "provider_id": provider_id,
        "status_choices": TransferClient.Status.choices,
        "clients": clients,
        "rows": rows,
        "page_query": query.urlencode(),
        "filter_query": request.GET.urlencode(),
        "any_selectable": any(r["selectable"] for r in rows),
        "reoffer_to": reoffer_to,
        "clients_form": forms.get("clients_form")
        or (ClientsForm(provider_name=transfer.from_provider.name) if may_manage and not complete else None),
        "accept_form": accept_form,
        "decline_form": forms.get("decline_form") or DeclineClientsForm(),
        "error": forms.get("error", ""),
        "failed_client_id": forms.get("failed_client_id"),
    }


def _render_detail(
    request: ConsoleRequest, staff: StaffMember, view: TransferView, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = _detail_context(request, staff, view, **forms)
    template = "console/transfers/detail.html"
    if request.htmx and request.htmx.target == "clients":
        template = "console/transfers/_clients.html"  # the filters and pages swap only the table
    return page(request, staff, template, context, status=status)


def _view_or_404(request: ConsoleRequest, staff: StaffMember, transfer_id: int) -> TransferView | HttpResponse:
    try:
        return transfer_get_for(actor=staff, transfer_id=transfer_id)
    except NotFound as exc:
        return not_found(request, staff, exc.message)


def _refused(
    request: ConsoleRequest, staff: StaffMember, transfer_id: int, exc: DomainError, **forms: Any
) -> HttpResponse:
    # Read the transfer again: the refusal may be because it changed meanwhile.
    view = _view_or_404(request, staff, transfer_id)
    if isinstance(view, HttpResponse):
        return view
    return _render_detail(request, staff, view, status=exc.status, error=exc.message, **forms)


@require_GET
@staff_required
def transfer_detail(request: ConsoleRequest, staff: StaffMember, transfer_id: int) -> HttpResponse:
    view = _view_or_404(request, staff, transfer_id)
    if isinstance(view, HttpResponse):
        return view
    if request.htmx and request.GET.get("part") == "progress":
        return _progress(request, staff, view)
    return _render_detail(request, staff, view)


def _progress(request: ConsoleRequest, staff: StaffMember, view: TransferView) -> HttpResponse:
    """The "offers made so far" box, polled while the offers are being made; once they
    are all made the whole page reloads to show the report."""
    if view.transfer.status != Transfer.Status.OFFERING:
        return HttpResponseClientRefresh()
    counts = transfer_counts_for(view=view, actor=staff)
    return page(
        request,
        staff,
        "console/transfers/_progress.html",
        {
            "transfer": view.transfer,
            "counts": counts,
            "offered_so_far": counts["total"] - counts[TransferClient.Status.LISTED],
            "poll_seconds": PROGRESS_POLL_SECONDS,
        },
    )


@require_GET
@staff_required
def transfer_report_download(request: ConsoleRequest, staff: StaffMember, transfer_id: int) -> HttpResponse:
    view = _view_or_404(request, staff, transfer_id)
    if isinstance(view, HttpResponse):
        return view
    status, provider_id = _filters(request, view)
    response = StreamingHttpResponse(
        report_csv(view=view, actor=staff, status=status or None, to_provider_id=provider_id),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="transfer-{transfer_id}-reconciliation.csv"'
    # Streamed, so a 10,000-client report never sits in memory; `staff_required` is typed
    # for ordinary responses, which a streaming one is not (Django serves both alike).
    return cast(HttpResponse, response)


# --- the commissioner's side ---------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@require_POST
@staff_required
def transfer_add_clients(request: ConsoleRequest, staff: StaffMember, transfer_id: int) -> HttpResponse:
    view = _view_or_404(request, staff, transfer_id)
    if isinstance(view, HttpResponse):
        return view
    form = ClientsForm(request.POST, provider_name=view.transfer.from_provider.name)
    if not form.is_valid():
        return _render_detail(request, staff, view, status=400, clients_form=form)
    try:
        result = services.transfer_add_clients(
            transfer=view.transfer,
            actor=staff,
            customer_ids=form.cleaned_data["customer_ids"],
            every_active_client=form.cleaned_data["every_active_client"],
        )
    except DomainError as exc:
        return _refused(request, staff, transfer_id, exc, clients_form=form)
    done = f"Listed {_plural(result.added, 'client')}."
    if result.already_listed:
        done += f" {_plural(result.already_listed, 'client')} already listed stayed as they were."
    if result.skipped_in_other_transfer:
        numbers = ", ".join(str(c) for c in result.skipped_in_other_transfer[:20])
        done += (
            f" Left out {_plural(len(result.skipped_in_other_transfer), 'client')} already in another transfer "
            f"that has not settled them (customer numbers {numbers}"
            + (" and more" if len(result.skipped_in_other_transfer) > 20 else "")
            + ")."
        )
    messages.success(request, done)
    return redirect("console:transfer", transfer_id=transfer_id)


@require_POST
@staff_required
def transfer_open(request: ConsoleRequest, staff: StaffMember, transfer_id: int) -> HttpResponse:
    view = _view_or_404(request, staff, transfer_id)
    if isinstance(view, HttpResponse):
        return view
    try:
        services.transfer_open(transfer=view.transfer, actor=staff)
    except DomainError as exc:
        return _refused(request, staff, transfer_id, exc)
    messages.success(
        request,
        "The transfer is open. The offers are being made in the background; until a provider accepts a client, "
        f"{view.transfer.from_provider.name} still looks after them.",
    )
    return redirect("console:transfer", transfer_id=transfer_id)


@require_POST
@staff_required
def transfer_reoffer(request: ConsoleRequest, staff: StaffMember, transfer_id: int, client_id: int) -> HttpResponse:
    view = _view_or_404(request, staff, transfer_id)
    if isinstance(view, HttpResponse):
        return view
    organisations = [org for org in organisation_list() if org.pk != view.transfer.from_provider_id]
    form = ReofferForm(request.POST, organisations=organisations)
    if not form.is_valid():
        problem = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _render_detail(request, staff, view, status=400, error=problem, failed_client_id=client_id)
    try:
        client = services.transfer_reoffer_client(
            transfer=view.transfer,
            client_id=client_id,
            actor=staff,
            to_provider=form.organisations[form.cleaned_data["to_provider"]],
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        return _refused(request, staff, transfer_id, exc, failed_client_id=client_id)
    to = client.to_provider.name if client.to_provider else "the provider"
    messages.success(
        request,
        f"{client.customer.full_name} is offered to {to}. {view.transfer.from_provider.name} still looks after "
        "them until they accept.",
    )
    return redirect("console:transfer", transfer_id=transfer_id)


@require_POST
@staff_required
def transfer_keep(request: ConsoleRequest, staff: StaffMember, transfer_id: int, client_id: int) -> HttpResponse:
    view = _view_or_404(request, staff, transfer_id)
    if isinstance(view, HttpResponse):
        return view
    form = KeepForm(request.POST)
    if not form.is_valid():
        return _render_detail(
            request,
            staff,
            view,
            status=400,
            error="Say why this client stays with their current provider.",
            failed_client_id=client_id,
        )
    try:
        client = services.transfer_keep_client(
            transfer=view.transfer, client_id=client_id, actor=staff, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        return _refused(request, staff, transfer_id, exc, failed_client_id=client_id)
    messages.success(
        request, f"{client.customer.full_name} stays with {view.transfer.from_provider.name}; your reason is recorded."
    )
    return redirect("console:transfer", transfer_id=transfer_id)


@require_POST
@staff_required
def transfer_complete(request: ConsoleRequest, staff: StaffMember, transfer_id: int) -> HttpResponse:
    view = _view_or_404(request, staff, transfer_id)
    if isinstance(view, HttpResponse):
        return view
    try:
        services.transfer_complete(transfer=view.transfer, actor=staff)
    except DomainError as exc:
        return _refused(request, staff, transfer_id, exc)
    messages.success(request, "The transfer is complete: every client is accepted or kept with a reason.")
    return redirect("console:transfer", transfer_id=transfer_id)


# --- the receiving provider's side -------------------------------------------------------


@require_POST
@staff_required
def transfer_accept(request: ConsoleRequest, staff: StaffMember, transfer_id: int) -> HttpResponse:
    view = _view_or_404(request, staff, transfer_id)
    if isinstance(view, HttpResponse):
        return view
    people, teams = _my_people(staff)
    form = AcceptForm(request.POST, people=people, teams=teams)
    if not form.is_valid():
        ticked = form.cleaned_data.get("client_ids")
        return _render_detail(request, staff, view, status=400, accept_form=form, selected_ids=ticked)
    try:
        result = services.transfer_accept_clients(
            transfer=view.transfer, actor=staff, client_ids=form.chosen_ids(), **form.assignee()
        )
    except DomainError as exc:
        return _refused(request, staff, transfer_id, exc, accept_form=form, selected_ids=form.chosen_ids())
    if not result.accepted:
        messages.info(request, "No clients were waiting for your answer.")
    else:
        owners = {p.pk: p.display_name for p in people}
        names = ", ".join(f"{owners.get(pk, 'someone')} ({n})" for pk, n in result.owners.items())
        moved = f" {_plural(result.requests_moved, 'open request')} moved with them." if result.requests_moved else ""
        messages.success(
            request, f"You accepted {_plural(result.accepted, 'client')}. Who answers for them now: {names}.{moved}"
        )
    return redirect("console:transfer", transfer_id=transfer_id)


@require_POST
@staff_required
def transfer_decline(request: ConsoleRequest, staff: StaffMember, transfer_id: int) -> HttpResponse:
    view = _view_or_404(request, staff, transfer_id)
    if isinstance(view, HttpResponse):
        return view
    form = DeclineClientsForm(request.POST)
    if not form.is_valid():
        ticked = form.cleaned_data.get("client_ids")
        return _render_detail(request, staff, view, status=400, decline_form=form, selected_ids=ticked)
    try:
        declined = services.transfer_decline_clients(
            transfer=view.transfer,
            actor=staff,
            client_ids=form.cleaned_data["client_ids"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        return _refused(
            request, staff, transfer_id, exc, decline_form=form, selected_ids=form.cleaned_data["client_ids"]
        )
    messages.success(
        request,
        f"You declined {_plural(declined, 'client')}. {view.transfer.from_provider.name} still looks after them, "
        f"and {view.transfer.commissioner.display_name} has been told why.",
    )
    return redirect("console:transfer", transfer_id=transfer_id)


__all__ = [
    "transfer_accept",
    "transfer_add_clients",
    "transfer_complete",
    "transfer_decline",
    "transfer_detail",
    "transfer_keep",
    "transfer_list",
    "transfer_new",
    "transfer_open",
    "transfer_reoffer",
    "transfer_report_download",
]
