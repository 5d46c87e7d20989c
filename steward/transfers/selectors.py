"""Reads about transfers: lists, one transfer, and the reconciliation report.

The report answers, for every client: where do they stand, who answers for them now,
and since when. Its headline is how many clients have no accepting provider, and it
carries checks that let it say "0" with proof (see `transfer_proof`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery

from steward.agreements.models import ServiceAgreement
from steward.errors import NotFound
from steward.organisations.models import StaffMember
from steward.requests.models import Request
from steward.timeline.models import TimelineEvent

from .models import Transfer, TransferClient, TransferReceiver
from .permissions import role_in

UNRESOLVED = (
    TransferClient.Status.LISTED,
    TransferClient.Status.PENDING,
    TransferClient.Status.DECLINED,
    TransferClient.Status.EXPIRED,
)


def customer_in_unresolved_transfer(*, customer_id: int, from_provider_id: int | None = None) -> int | None:
    """The id of the transfer that has not settled this customer yet, if any."""
    qs = TransferClient.objects.filter(customer_id=customer_id, status__in=UNRESOLVED)
    if from_provider_id is not None:
        qs = qs.filter(transfer__from_provider_id=from_provider_id)
    return qs.values_list("transfer_id", flat=True).first()


def transfers_for(*, actor: StaffMember) -> QuerySet[Transfer]:
    """Transfers the actor's organisation commissions, loses clients in, or receives in."""
    org = actor.organisation_id
    receiving = TransferReceiver.objects.filter(transfer=OuterRef("pk"), organisation_id=org)
    return (
        Transfer.objects.filter(Q(commissioning_organisation_id=org) | Q(from_provider_id=org) | Exists(receiving))
        .select_related("commissioning_organisation", "commissioner", "from_provider")
        .order_by("-created_at", "-id")
    )


@dataclass
class TransferView:
    """A transfer as one person may see it: ``role`` decides which clients they see."""

    transfer: Transfer
    role: str
    receivers: list[TransferReceiver]

    @property
    def sees_everything(self) -> bool:
        return self.role in ("commissioner", "provider")


def transfer_get_for(*, actor: StaffMember, transfer_id: int) -> TransferView:
    """One transfer, if the actor's organisation takes part. Others get not-found, so
    transfer numbers do not reveal who is moving clients where."""
    transfer = (
        Transfer.objects.select_related("commissioning_organisation", "commissioner", "from_provider", "created_by")
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None:
        raise NotFound(f"There is no transfer {transfer_id} you can see.", code="transfer_not_found")
    receivers = list(transfer.receivers.select_related("organisation").order_by("id"))
    role = role_in(actor, transfer, receiver_ids={r.organisation_id for r in receivers})
    if role is None:
        raise NotFound(f"There is no transfer {transfer_id} you can see.", code="transfer_not_found")
    return TransferView(transfer=transfer, role=role, receivers=receivers)


def _scoped(view: TransferView, *, actor: StaffMember) -> QuerySet[TransferClient]:
    qs = TransferClient.objects.filter(transfer_id=view.transfer.pk)
    if not view.sees_everything:
        qs = qs.filter(to_provider_id=actor.organisation_id)
    return qs


def transfer_counts(transfer: Transfer, *, clients: QuerySet[TransferClient] | None = None) -> dict[str, int]:
    """How many clients stand where, in one grouped query; ``without_accepting_provider``
    is the headline: listed, pending, declined and expired clients."""
    qs = clients if clients is not None else TransferClient.objects.filter(transfer_id=transfer.pk)
    by_status = dict(qs.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    counts = {status: by_status.get(status, 0) for status in TransferClient.Status.values}
    counts["total"] = sum(by_status.values())
    counts["without_accepting_provider"] = sum(counts[s] for s in UNRESOLVED)
    return counts


def transfer_counts_for(*, view: TransferView, actor: StaffMember) -> dict[str, int]:
    return transfer_counts(view.transfer, clients=_scoped(view, actor=actor))


@dataclass
class TransferProof:
    """Checks behind the headline. Each number must be 0 for the report to stand.

    They judge each accepted client as of their acceptance, so what happens later (the
    service ends, the client is moved on again, they phone the old provider about a
    bill) does not unmake a transfer that did its job:

    - ``accepted_still_at_old_provider``: a service at the old provider that began before
      the acceptance is still active;
    - ``accepted_without_new_service``: no service began at the receiver at acceptance;
    - ``accepted_owner_inactive``: the person named for them cannot act (a leaver's
      clients pass to their successor);
    - ``accepted_with_requests_left_behind``: a request raised before the acceptance is
      still open at the old provider.
    """

    accepted_still_at_old_provider: int
    accepted_without_new_service: int
    accepted_owner_inactive: int
    accepted_with_requests_left_behind: int

    @property
    def holds(self) -> bool:
        return not any(vars(self).values())


def transfer_proof(transfer: Transfer) -> TransferProof:
    accepted = TransferClient.objects.filter(transfer_id=transfer.pk, status=TransferClient.Status.ACCEPTED)
    old_still_active = ServiceAgreement.objects.filter(
        customer_id=OuterRef("customer_id"),
        provider_id=transfer.from_provider_id,
        status=ServiceAgreement.Status.ACTIVE,
        started_at__lt=OuterRef("status_since"),
    )
    new_started = ServiceAgreement.objects.filter(
        customer_id=OuterRef("customer_id"),
        provider_id=OuterRef("to_provider_id"),
        started_at__gte=OuterRef("status_since"),
    )
    left_behind = Request.objects.filter(
        customer_id=OuterRef("customer_id"),
        organisation_id=transfer.from_provider_id,
        created_at__lte=OuterRef("status_since"),
    ).exclude(status="closed")
    return TransferProof(
        accepted_still_at_old_provider=accepted.filter(Exists(old_still_active)).count(),
        accepted_without_new_service=accepted.exclude(Exists(new_started)).count(),
        accepted_owner_inactive=accepted.filter(owner__is_active=False).count(),
        accepted_with_requests_left_behind=accepted.filter(Exists(left_behind)).count(),
    )


def transfer_report_rows(
    *, view: TransferView, actor: StaffMember, status: str | None = None, to_provider_id: int | None = None
) -> QuerySet[TransferClient]:
    """Every client the actor may see, with who answers for them now: once accepted, the
    coordinator of their service at the receiver (at first the person named at
    acceptance); until then, and when kept, the coordinator of their service at the old
    provider, who still answers for them."""
    transfer = view.transfer
    old_service = ServiceAgreement.objects.filter(
        customer_id=OuterRef("customer_id"),
        provider_id=transfer.from_provider_id,
        status=ServiceAgreement.Status.ACTIVE,
    ).order_by("started_at", "id")
    new_service = ServiceAgreement.objects.filter(
        customer_id=OuterRef("customer_id"),
        provider_id=OuterRef("to_provider_id"),
        status=ServiceAgreement.Status.ACTIVE,
    ).order_by("started_at", "id")
    qs = (
        _scoped(view, actor=actor)
        .select_related("customer", "to_provider", "owner", "answered_by", "decided_by")
        .annotate(
            keeper_name=Subquery(old_service.values("coordinator__display_name")[:1]),
            keeper_since=Subquery(old_service.values("started_at")[:1]),
            coordinator_now=Subquery(new_service.values("coordinator__display_name")[:1]),
        )
        .order_by("id")
    )
    if status:
        qs = qs.filter(status=status)
    if to_provider_id:
        qs = qs.filter(to_provider_id=to_provider_id)
    return qs


def answers_now(client: TransferClient, transfer: Transfer) -> tuple[str, str]:
    """(person, organisation) who answers for this client now."""
    if client.status == TransferClient.Status.ACCEPTED and client.owner is not None:
        # Whoever coordinates their service at the receiver now (someone may have taken it
        # over since), else the person named at acceptance.
        now = getattr(client, "coordinator_now", None) or client.owner.display_name
        return now, client.to_provider.name if client.to_provider else ""
    keeper = getattr(client, "keeper_name", None)
    return keeper or "", transfer.from_provider.name


def transfer_client_get(*, view: TransferView, actor: StaffMember, client_id: int) -> TransferClient:
    client = transfer_report_rows(view=view, actor=actor).filter(pk=client_id).first()
    if client is None:
        raise NotFound(
            f"Transfer #{view.transfer.pk} has no client {client_id} you can see.", code="transfer_client_not_found"
        )
    return client


def transfer_client_story(*, transfer: Transfer, client: TransferClient) -> QuerySet[TimelineEvent]:
    """What the client has told the old provider and what happened there, for the
    receiving provider to read before accepting (and after), so the client never
    re-tells it. The old provider's internal notes stay with them. (The customer's
    grants will narrow this when consent lands.)"""
    return TimelineEvent.objects.filter(
        Q(organisation_id=transfer.from_provider_id)
        | Q(request__organisation_id__in=[transfer.from_provider_id, client.to_provider_id or 0]),
        customer_id=client.customer_id,
        is_internal=False,
    ).order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class WaitingTransfer:
    """Clients of one transfer offered and not yet answered, as a line on My work."""

    transfer_id: int
    from_provider: str
    commissioned_by: str
    clients: int
    first_due: datetime


def transfer_offers_waiting(
    *,
    organisation_id: int | None = None,
    commissioner_ids: Iterable[int] = (),
    until: datetime | None = None,
    limit: int = 20,
) -> list[WaitingTransfer]:
    """Transfers with clients offered and still waiting for an answer, one line each
    with how many and the soonest due, soonest first: offered to `organisation_id`
    (whose team members may accept them), or in transfers these commissioners answer
    for; only answers due by `until`, if given. One grouped query."""
    which = Q()
    if organisation_id is not None:
        which |= Q(to_provider_id=organisation_id)
    commissioner_ids = list(commissioner_ids)
    if commissioner_ids:
        which |= Q(transfer__commissioner_id__in=commissioner_ids)
    if not which:
        return []
    qs = TransferClient.objects.filter(which, status=TransferClient.Status.PENDING)
    if until is not None:
        qs = qs.filter(respond_by__lte=until)
    rows = (
        qs.order_by()
        .values("transfer_id", "transfer__from_provider__name", "transfer__commissioning_organisation__name")
        .annotate(clients=Count("id"), first_due=Min("respond_by"))
        .order_by("first_due", "transfer_id")
    )
    return [
        WaitingTransfer(
            transfer_id=r["transfer_id"],
            from_provider=r["transfer__from_provider__name"],
            commissioned_by=r["transfer__commissioning_organisation__name"],
            clients=r["clients"],
            first_due=r["first_due"],
        )
        for r in rows[:limit]
    ]
