"""API: transfers of many clients between providers, and their reconciliation report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_staff
from steward.consent.reads import ReadPurpose, read_for
from steward.consent.vocabulary import DataCategory
from steward.errors import InvalidInput
from steward.organisations.api import PersonRef, person
from steward.organisations.models import StaffMember
from steward.organisations.selectors import organisation_get, staff_get, team_get
from steward.pagination import Page, PageParams, page_of
from steward.timeline.api import TimelineEventOut, event_out

from . import selectors, services
from .models import TransferClient
from .report import report_csv, report_row

router = Router(tags=["transfers"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ReceiverIn(Strict):
    organisation_id: int
    capacity: int | None = Field(default=None, ge=1, description="Most clients it can take; omit for no limit.")


class TransferIn(Strict):
    from_provider_id: int = Field(description="The provider the clients are leaving.")
    receivers: list[ReceiverIn] = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=500)
    note_for_receivers: str = Field(default="", max_length=20_000)
    respond_within_days: int = Field(default=5, ge=1, le=60, description="Working days receivers have to answer.")
    commissioner_id: int | None = Field(default=None, description="Who answers for unaccepted clients; default: you.")


class MappingIn(Strict):
    customer_id: int
    to_provider_id: int


class ClientsIn(Strict):
    customer_ids: list[int] = Field(default=[], max_length=50_000)
    mapping: list[MappingIn] = Field(default=[], max_length=50_000, description="Customers with a chosen receiver.")
    every_active_client: bool = Field(
        default=False, description="Every customer with an active service from the provider that you commission."
    )


class ClientsAddedOut(Schema):
    added: int
    already_listed: int
    skipped_in_other_transfer: list[int]


class AnswerIn(Strict):
    client_ids: list[int] | None = Field(default=None, max_length=50_000)
    all_offered: bool = Field(default=False, description="Every client offered to your organisation and still in time.")


class AcceptIn(AnswerIn):
    assign_to_staff_id: int | None = Field(default=None, description="Who answers for them; default: you.")
    assign_team_id: int | None = Field(default=None, description="…or spread them across a team by least work.")


class DeclineIn(AnswerIn):
    reason: str = Field(min_length=1, max_length=500)


class ReofferIn(Strict):
    to_provider_id: int
    note: str = Field(default="", max_length=500)


class KeepIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class AcceptedOut(Schema):
    accepted: int
    requests_moved: int


class DeclinedOut(Schema):
    declined: int


class ReceiverOut(Schema):
    organisation_id: int
    name: str
    capacity: int | None


class CountsOut(Schema):
    total: int
    without_accepting_provider: int = Field(description="The headline: listed + pending + declined + expired.")
    listed: int
    pending: int
    accepted: int
    declined: int
    expired: int
    kept: int


class ProofOut(Schema):
    holds: bool
    accepted_still_at_old_provider: int
    accepted_without_new_service: int
    accepted_owner_inactive: int
    accepted_with_requests_left_behind: int


class TransferOut(Schema):
    id: int
    status: str
    status_label: str
    your_role: str
    commissioning_organisation_id: int
    commissioning_organisation: str
    commissioner: PersonRef
    from_provider_id: int
    from_provider: str
    receivers: list[ReceiverOut]
    reason: str
    note_for_receivers: str
    respond_within_days: int
    created_at: datetime
    opened_at: datetime | None
    completed_at: datetime | None
    completed_by: PersonRef | None
    counts: CountsOut
    proof: ProofOut | None = Field(description="For the commissioner and the old provider; null for receivers.")


class TransferSummaryOut(Schema):
    id: int
    status: str
    from_provider: str
    commissioning_organisation: str
    commissioner: PersonRef
    reason: str
    created_at: datetime


class ClientOut(Schema):
    client_id: int
    customer_id: int
    customer_name: str
    status: str
    status_label: str
    status_since: datetime
    receiving_provider_id: int | None
    receiving_provider: str
    respond_by: datetime | None
    answers_now: str
    answers_now_organisation: str
    answers_since: datetime | None
    offer_round: int
    requests_moved: int
    declined_because: str
    kept_because: str
    decided_by: str


class ClientDetailOut(ClientOut):
    story: list[TimelineEventOut] = Field(description="What the client told the old provider, newest first.")


def transfer_out(view: selectors.TransferView, actor: StaffMember) -> dict[str, Any]:
    t = view.transfer
    proof = selectors.transfer_proof(t) if view.sees_everything else None
    return {
        "id": t.pk,
        "status": t.status,
        "status_label": t.get_status_display(),
        "your_role": view.role,
        "commissioning_organisation_id": t.commissioning_organisation_id,
        "commissioning_organisation": t.commissioning_organisation.name,
        "commissioner": person(t.commissioner),
        "from_provider_id": t.from_provider_id,
        "from_provider": t.from_provider.name,
        "receivers": [
            {"organisation_id": r.organisation_id, "name": r.organisation.name, "capacity": r.capacity}
            for r in view.receivers
        ],
        "reason": t.reason,
        "note_for_receivers": t.note_for_receivers,
        "respond_within_days": t.respond_within_days,
        "created_at": t.created_at,
        "opened_at": t.opened_at,
        "completed_at": t.completed_at,
        "completed_by": person(t.completed_by) if t.completed_by else None,
        "counts": selectors.transfer_counts_for(view=view, actor=actor),
        "proof": {"holds": proof.holds, **vars(proof)} if proof else None,
    }


def _view(request: HttpRequest, transfer_id: int) -> tuple[StaffMember, selectors.TransferView]:
    actor = acting_staff(request)
    return actor, selectors.transfer_get_for(actor=actor, transfer_id=transfer_id)


def _fresh(actor: StaffMember, transfer_id: int) -> dict[str, Any]:
    return transfer_out(selectors.transfer_get_for(actor=actor, transfer_id=transfer_id), actor)


def _chosen(payload: AnswerIn) -> list[int] | None:
    if payload.all_offered == (payload.client_ids is not None):
        raise InvalidInput("Give client_ids, or all_offered: true (not both).", code="clients_or_all")
    return None if payload.all_offered else payload.client_ids


@router.get("/transfers", response=Page[TransferSummaryOut], summary="Transfers my organisation takes part in")
def list_transfers(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    result = page_of(selectors.transfers_for(actor=acting_staff(request)), page)
    result["items"] = [
        {
            "id": t.pk,
            "status": t.status,
            "from_provider": t.from_provider.name,
            "commissioning_organisation": t.commissioning_organisation.name,
            "commissioner": person(t.commissioner),
            "reason": t.reason,
            "created_at": t.created_at,
        }
        for t in result["items"]
    ]
    return result


@router.post("/transfers", response={201: TransferOut}, summary="Open a transfer (as a draft) away from a provider")
def create(request: HttpRequest, payload: TransferIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    transfer = services.transfer_create(
        actor=actor,
        from_provider=organisation_get(organisation_id=payload.from_provider_id),
        receivers=[
            services.ReceiverSpec(organisation_get(organisation_id=r.organisation_id), r.capacity)
            for r in payload.receivers
        ],
        reason=payload.reason,
        note_for_receivers=payload.note_for_receivers,
        respond_within_days=payload.respond_within_days,
        commissioner=staff_get(staff_id=payload.commissioner_id) if payload.commissioner_id else None,
    )
    return 201, _fresh(actor, transfer.pk)


@router.get("/transfers/{transfer_id}", response=TransferOut, summary="A transfer with its reconciliation counts")
def get_transfer(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    actor, view = _view(request, transfer_id)
    return transfer_out(view, actor)


@router.post("/transfers/{transfer_id}/clients", response=ClientsAddedOut, summary="List clients in the transfer")
def add_clients(request: HttpRequest, transfer_id: int, payload: ClientsIn) -> dict[str, Any]:
    actor, view = _view(request, transfer_id)
    mapping: dict[int, int] = {}
    for row in payload.mapping:
        if mapping.get(row.customer_id, row.to_provider_id) != row.to_provider_id:
            raise InvalidInput(f"Customer {row.customer_id} is mapped to two providers.", code="mapping_conflict")
        mapping[row.customer_id] = row.to_provider_id
    result = services.transfer_add_clients(
        transfer=view.transfer,
        actor=actor,
        customer_ids=payload.customer_ids,
        mapping=mapping,
        every_active_client=payload.every_active_client,
    )
    return vars(result)


@router.get("/transfers/{transfer_id}/clients", response=Page[ClientOut], summary="The reconciliation report")
def report(
    request: HttpRequest,
    transfer_id: int,
    page: Query[PageParams],
    status: str | None = None,
    to_provider_id: int | None = None,
) -> dict[str, Any]:
    actor, view = _view(request, transfer_id)
    if status and status not in TransferClient.Status.values:
        raise InvalidInput(f"status must be one of {', '.join(TransferClient.Status.values)}.", code="status_unknown")
    rows = selectors.transfer_report_rows(view=view, actor=actor, status=status, to_provider_id=to_provider_id)
    result = page_of(rows, page)
    result["items"] = [report_row(c, view) for c in result["items"]]
    return result


@router.get(
    "/transfers/{transfer_id}/clients/{client_id}",
    response=ClientDetailOut,
    summary="One client, with their story so far (for the receiver to read before accepting; needs a purpose: "
    "care_coordination while the offer waits)",
)
def client_detail(request: HttpRequest, transfer_id: int, client_id: int, why: Query[ReadPurpose]) -> dict[str, Any]:
    actor, view = _view(request, transfer_id)
    client = selectors.transfer_client_get(view=view, actor=actor, client_id=client_id)
    read_for(
        actor=actor,
        customer_id=client.customer_id,
        why=why,
        categories=[DataCategory.CARE_PLAN, DataCategory.MESSAGES],
        resource=f"transfer:{transfer_id}:client:{client.pk}",
    )
    story = selectors.transfer_client_story(transfer=view.transfer, client=client)[:200]
    return {**report_row(client, view), "story": [event_out(e) for e in story]}


@router.get(
    "/transfers/{transfer_id}/report.csv",
    summary="The reconciliation report as CSV",
    response={200: None},
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def report_as_csv(
    request: HttpRequest, transfer_id: int, status: str | None = None, to_provider_id: int | None = None
) -> StreamingHttpResponse:
    actor, view = _view(request, transfer_id)
    response = StreamingHttpResponse(
        report_csv(view=view, actor=actor, status=status, to_provider_id=to_provider_id), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="transfer-{transfer_id}-reconciliation.csv"'
    return response


@router.post("/transfers/{transfer_id}/open", response=TransferOut, summary="Make the offers (in the background)")
def open_transfer(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    actor, view = _view(request, transfer_id)
    services.transfer_open(transfer=view.transfer, actor=actor)
    return _fresh(actor, transfer_id)


@router.post("/transfers/{transfer_id}/accept", response=AcceptedOut, summary="Accept clients offered to us")
def accept(request: HttpRequest, transfer_id: int, payload: AcceptIn) -> dict[str, Any]:
    actor, view = _view(request, transfer_id)
    result = services.transfer_accept_clients(
        transfer=view.transfer,
        actor=actor,
        client_ids=_chosen(payload),
        assign_to=staff_get(staff_id=payload.assign_to_staff_id) if payload.assign_to_staff_id else None,
        assign_team=team_get(team_id=payload.assign_team_id) if payload.assign_team_id else None,
    )
    return {"accepted": result.accepted, "requests_moved": result.requests_moved}


@router.post("/transfers/{transfer_id}/decline", response=DeclinedOut, summary="Decline clients offered to us")
def decline(request: HttpRequest, transfer_id: int, payload: DeclineIn) -> dict[str, Any]:
    actor, view = _view(request, transfer_id)
    chosen = _chosen(payload)
    if chosen is None:
        chosen = list(
            view.transfer.clients.filter(
                status=TransferClient.Status.PENDING, to_provider_id=actor.organisation_id
            ).values_list("pk", flat=True)
        )
        if not chosen:
            raise InvalidInput("No clients are waiting for your answer.", code="nothing_offered")
    declined = services.transfer_decline_clients(
        transfer=view.transfer, actor=actor, client_ids=chosen, reason=payload.reason
    )
    return {"declined": declined}


@router.post(
    "/transfers/{transfer_id}/clients/{client_id}/reoffer",
    response=ClientOut,
    summary="Offer a declined or unanswered client again",
)
def reoffer(request: HttpRequest, transfer_id: int, client_id: int, payload: ReofferIn) -> dict[str, Any]:
    actor, view = _view(request, transfer_id)
    services.transfer_reoffer_client(
        transfer=view.transfer,
        client_id=client_id,
        actor=actor,
        to_provider=organisation_get(organisation_id=payload.to_provider_id),
        note=payload.note,
    )
    return _client(actor, transfer_id, client_id)


@router.post(
    "/transfers/{transfer_id}/clients/{client_id}/keep",
    response=ClientOut,
    summary="Keep a client with the current provider, with a reason",
)
def keep(request: HttpRequest, transfer_id: int, client_id: int, payload: KeepIn) -> dict[str, Any]:
    actor, view = _view(request, transfer_id)
    services.transfer_keep_client(transfer=view.transfer, client_id=client_id, actor=actor, reason=payload.reason)
    return _client(actor, transfer_id, client_id)


def _client(actor: StaffMember, transfer_id: int, client_id: int) -> dict[str, Any]:
    view = selectors.transfer_get_for(actor=actor, transfer_id=transfer_id)
    return report_row(selectors.transfer_client_get(view=view, actor=actor, client_id=client_id), view)


@router.post(
    "/transfers/{transfer_id}/complete",
    response=TransferOut,
    summary="Complete the transfer (refused while any client has no accepting provider)",
)
def complete(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    actor, view = _view(request, transfer_id)
    services.transfer_complete(transfer=view.transfer, actor=actor)
    return _fresh(actor, transfer_id)
