"""Running a transfer: list clients, offer them, accept or decline them, resolve the
rest, complete.

Work on many clients goes in batches, each batch one transaction holding the clients'
changes and their timeline events together. A run that is interrupted (the process is
killed, a database error) leaves every client either untouched or fully done; running
it again picks up exactly the clients still to do. Nothing is duplicated, nobody is
lost (I3).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.agreements.services import agreements_hand_to_provider
from steward.consent import minimal
from steward.consent.services import grants_ensure_bulk
from steward.customers.models import Customer
from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.notifications.models import Notification
from steward.notifications.services import notification_send
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.selectors import first_active_supervisor, organisation_head
from steward.requests.services import requests_hand_to_provider
from steward.timeline.models import TimelineEvent

from .models import Transfer, TransferClient, TransferReceiver
from .permissions import can_answer_for, can_manage
from .selectors import UNRESOLVED

logger = logging.getLogger(__name__)

BATCH = 500
MAX_REASON = 500
# Error messages name this many clients, then say how many more.
NAMES_IN_MESSAGE = 20


# --- helpers -------------------------------------------------------------------------


def _clean_reason(reason: str, *, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(f"Say {what}.", code="reason_required")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"Keep the reason to {MAX_REASON} characters.", code="text_too_long")
    return reason


def _working_days_after(moment: datetime, days: int) -> datetime:
    """The same time `days` weekdays later (Saturday and Sunday skipped)."""
    local = timezone.localtime(moment)
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local


def _has_people(organisation: Organisation) -> bool:
    return organisation.staff.filter(is_active=True, team__isnull=False).exists()


def _require_manager(actor: StaffMember, transfer: Transfer) -> None:
    if not can_manage(actor, transfer):
        raise PermissionDenied(
            f"Only {transfer.commissioner.display_name}, the people they answer to, or an administrator of "
            f"{transfer.commissioning_organisation.name} can change this transfer.",
            code="not_commissioner",
        )


def _lock_transfer(transfer_id: int) -> Transfer:
    try:
        return (
            Transfer.objects.select_for_update(of=("self",))
            .select_related("commissioner", "commissioning_organisation", "from_provider", "created_by")
            .get(pk=transfer_id)
        )
    except Transfer.DoesNotExist as exc:
        raise NotFound(f"There is no transfer {transfer_id}.", code="transfer_not_found") from exc


def _names(clients: Iterable[TransferClient]) -> str:
    clients = list(clients)
    shown = ", ".join(c.customer.full_name for c in clients[:NAMES_IN_MESSAGE])
    more = len(clients) - NAMES_IN_MESSAGE
    return f"{shown} and {more} more" if more > 0 else shown


def _events(rows: list[TimelineEvent]) -> None:
    """Append a batch of timeline events (I4: inserts only). Callers build the rows
    inside the transaction that makes the change they record."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Transfer events must be written inside the change's transaction.")
    TimelineEvent.objects.bulk_create(rows, batch_size=BATCH)


def _event(
    *,
    customer_id: int,
    organisation_id: int,
    kind: str,
    summary: str,
    at: datetime,
    actor: StaffMember | None,
    data: dict[str, object],
) -> TimelineEvent:
    return TimelineEvent(
        customer_id=customer_id,
        organisation_id=organisation_id,
        kind=kind,
        actor=actor,
        actor_name=(actor.display_name if actor else "Steward")[:300],
        summary=summary[:500],
        data=data,
        occurred_at=at,
    )


def _coordinators(customer_ids: Sequence[int], *, provider_id: int) -> dict[int, str]:
    """The name of who answers for each customer at the provider now: the coordinator of
    their (oldest) active service there. Names only: a batch reads thousands."""
    found: dict[int, str] = {}
    for customer_id, name in (
        ServiceAgreement.objects.filter(
            customer_id__in=customer_ids, provider_id=provider_id, status=ServiceAgreement.Status.ACTIVE
        )
        .order_by("started_at", "id")
        .values_list("customer_id", "coordinator__display_name")
    ):
        found.setdefault(customer_id, name)
    return found


# --- opening a transfer --------------------------------------------------------------


@dataclass(frozen=True)
class ReceiverSpec:
    organisation: Organisation
    capacity: int | None = None


@transaction.atomic
def transfer_create(
    *,
    actor: StaffMember,
    from_provider: Organisation,
    receivers: Sequence[ReceiverSpec],
    reason: str,
    note_for_receivers: str = "",
    respond_within_days: int = 5,
    commissioner: StaffMember | None = None,
) -> Transfer:
    """A commissioner starts moving clients away from `from_provider`.

    The actor's organisation must commission services from that provider. The transfer
    starts as a draft: list the clients, then open it to make the offers.
    """
    if not actor.is_active:
        raise PermissionDenied(f"{actor.display_name} is deactivated.", code="staff_inactive")
    commissioning = actor.organisation
    if from_provider.pk == commissioning.pk:
        raise InvalidInput("A transfer moves clients away from another organisation.", code="transfer_from_self")
    if not ServiceAgreement.objects.filter(
        provider=from_provider, commissioner=commissioning, status=ServiceAgreement.Status.ACTIVE
    ).exists():
        raise PermissionDenied(
            f"{commissioning.name} commissions no active services from {from_provider.name}, so it cannot "
            "transfer its clients.",
            code="not_commissioner",
        )
    reason = _clean_reason(reason, what="why the clients are moving")
    if len(note_for_receivers) > 20_000:
        raise InvalidInput("The note for receivers is too long.", code="text_too_long")
    if not 1 <= respond_within_days <= 60:
        raise InvalidInput("Receivers need between 1 and 60 working days to answer.", code="respond_days_out_of_range")
    commissioner = commissioner or actor
    if not commissioner.is_active or commissioner.organisation_id != commissioning.pk:
        raise InvalidInput(
            f"The commissioner must be an active member of {commissioning.name}.", code="commissioner_invalid"
        )
    if not receivers:
        raise InvalidInput("Name at least one receiving provider.", code="receivers_required")
    seen: set[int] = set()
    for spec in receivers:
        org = spec.organisation
        if org.pk in seen:
            raise InvalidInput(f"{org.name} is named twice.", code="receiver_repeated")
        seen.add(org.pk)
        if org.pk in (from_provider.pk, commissioning.pk) and org.pk == from_provider.pk:
            raise InvalidInput(f"{org.name} is the provider the clients are leaving.", code="receiver_is_source")
        if spec.capacity is not None and spec.capacity < 1:
            raise InvalidInput(f"{org.name}'s capacity must be at least 1.", code="capacity_invalid")
        if not _has_people(org):
            raise Conflict(f"Nobody at {org.name} is active in a team to accept clients.", code="receiver_has_nobody")
    transfer = Transfer.objects.create(
        commissioning_organisation=commissioning,
        commissioner=commissioner,
        from_provider=from_provider,
        reason=reason,
        note_for_receivers=note_for_receivers.strip(),
        respond_within_days=respond_within_days,
        created_by=actor,
        created_at=timezone.now(),
    )
    TransferReceiver.objects.bulk_create(
        TransferReceiver(transfer=transfer, organisation=spec.organisation, capacity=spec.capacity)
        for spec in receivers
    )
    return transfer


@dataclass
class ClientsAdded:
    added: int = 0
    already_listed: int = 0
    skipped_in_other_transfer: list[int] = field(default_factory=list)


@transaction.atomic
def transfer_add_clients(
    *,
    transfer: Transfer,
    actor: StaffMember,
    customer_ids: Sequence[int] = (),
    mapping: dict[int, int] | None = None,
    every_active_client: bool = False,
) -> ClientsAdded:
    """List clients in the transfer: named customers (`customer_ids`, and any customer
    in `mapping`, which names their receiving provider), or every customer with an
    active service from the provider that this commissioner commissioned.

    Named customers must each have such a service and be in no other unresolved
    transfer; otherwise nothing is added and the error names them. Customers already
    listed are left as they are, so repeating a call is harmless. With
    `every_active_client`, customers already in another unresolved transfer are skipped
    and returned, not refused.
    """
    transfer = _lock_transfer(transfer.pk)
    _require_manager(actor, transfer)
    if transfer.status == Transfer.Status.COMPLETE:
        raise Conflict("This transfer is complete; open a new one.", code="transfer_complete")
    mapping = dict(mapping or {})
    receiver_ids = set(transfer.receivers.values_list("organisation_id", flat=True))
    bad_receivers = {org for org in mapping.values() if org not in receiver_ids}
    if bad_receivers:
        raise InvalidInput(
            f"Clients can only be mapped to this transfer's receiving providers (not organisation "
            f"{', '.join(str(o) for o in sorted(bad_receivers))}).",
            code="receiver_not_in_transfer",
        )
    wanted = list(dict.fromkeys([*customer_ids, *mapping.keys()]))
    if not wanted and not every_active_client:
        raise InvalidInput("List at least one client, or ask for every active client.", code="clients_required")
    eligible = ServiceAgreement.objects.filter(
        provider_id=transfer.from_provider_id,
        commissioner_id=transfer.commissioning_organisation_id,
        status=ServiceAgreement.Status.ACTIVE,
    )
    result = ClientsAdded()
    if wanted:
        known = set(Customer.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise NotFound(
                f"There is no customer with id {', '.join(map(str, unknown[:NAMES_IN_MESSAGE]))}.",
                code="customer_not_found",
                details={"customer_ids": unknown},
            )
        served = set(eligible.filter(customer_id__in=wanted).values_list("customer_id", flat=True))
        not_served = [c for c in wanted if c not in served]
        if not_served:
            names = Customer.objects.filter(pk__in=not_served[:NAMES_IN_MESSAGE])
            raise InvalidInput(
                f"These customers have no active service from {transfer.from_provider.name} commissioned by "
                f"{transfer.commissioning_organisation.name}: {', '.join(c.full_name for c in names)}"
                + (f" and {len(not_served) - NAMES_IN_MESSAGE} more" if len(not_served) > NAMES_IN_MESSAGE else "")
                + ".",
                code="not_a_client_of_provider",
                details={"customer_ids": not_served},
            )
    candidates = set(wanted)
    if every_active_client:
        candidates |= set(eligible.values_list("customer_id", flat=True))
    already = set(transfer.clients.filter(customer_id__in=candidates).values_list("customer_id", flat=True))
    # Remap listed clients that are named again with a receiver: the commissioner's latest word wins.
    remapped = 0
    for customer_id in already & mapping.keys():
        remapped += transfer.clients.filter(customer_id=customer_id, status=TransferClient.Status.LISTED).update(
            to_provider_id=mapping[customer_id], mapped_explicitly=True
        )
    elsewhere = set(
        TransferClient.objects.filter(customer_id__in=candidates - already, status__in=UNRESOLVED).values_list(
            "customer_id", flat=True
        )
    )
    if elsewhere & set(wanted):
        names = Customer.objects.filter(pk__in=list(elsewhere & set(wanted))[:NAMES_IN_MESSAGE])
        raise Conflict(
            f"Already in another transfer that has not settled them: {', '.join(c.full_name for c in names)}.",
            code="client_in_other_transfer",
            details={"customer_ids": sorted(elsewhere & set(wanted))},
        )
    now = timezone.now()
    new = sorted(candidates - already - elsewhere)
    TransferClient.objects.bulk_create(
        (
            TransferClient(
                transfer=transfer,
                customer_id=customer_id,
                to_provider_id=mapping.get(customer_id),
                mapped_explicitly=customer_id in mapping,
                status=TransferClient.Status.LISTED,
                status_since=now,
                added_at=now,
            )
            for customer_id in new
        ),
        batch_size=BATCH,
    )
    result.added = len(new)
    result.already_listed = len(already)
    result.skipped_in_other_transfer = sorted(elsewhere)
    if (new or remapped) and transfer.status != Transfer.Status.DRAFT:
        # Raises inside this transaction, so a listing or remapping that would overfill a
        # receiver is refused whole.
        _check_capacity(transfer)
    if new and transfer.status != Transfer.Status.DRAFT:
        _start_offering(transfer)
    return result


def _receivers_with_load(transfer: Transfer, *, reserve_listed: bool = False) -> list[tuple[TransferReceiver, int]]:
    """Each receiver with how many clients it holds in this transfer (offered or
    accepted), and, with `reserve_listed`, the listed clients already mapped to it: their
    places are reserved before anyone unmapped is balanced into them."""
    statuses = [TransferClient.Status.PENDING, TransferClient.Status.ACCEPTED]
    if reserve_listed:
        statuses.append(TransferClient.Status.LISTED)
    held = dict(
        transfer.clients.filter(status__in=statuses, to_provider__isnull=False)
        .values_list("to_provider_id")
        .annotate(n=Count("id"))
        .values_list("to_provider_id", "n")
    )
    receivers = list(transfer.receivers.select_related("organisation").order_by("id"))
    return [(r, held.get(r.organisation_id, 0)) for r in receivers]


def _check_capacity(transfer: Transfer) -> None:
    """Refuse to go on when the listed clients cannot all fit."""
    loads = _receivers_with_load(transfer)
    listed: dict[int | None, int] = dict(
        transfer.clients.filter(status=TransferClient.Status.LISTED)
        .values_list("to_provider_id")
        .annotate(n=Count("id"))
        .values_list("to_provider_id", "n")
    )
    room_left = 0
    unlimited = False
    for receiver, held in loads:
        mapped = listed.get(receiver.organisation_id, 0)
        if receiver.capacity is None:
            unlimited = True
            continue
        if held + mapped > receiver.capacity:
            raise Conflict(
                f"{receiver.organisation.name} can take {receiver.capacity} clients; "
                f"{held + mapped} would be offered to it.",
                code="over_capacity",
            )
        room_left += receiver.capacity - held - mapped
    unmapped = listed.get(None, 0)
    if unmapped and not unlimited and unmapped > room_left:
        raise Conflict(
            f"The receiving providers have room for {room_left} more clients; {unmapped} are waiting for one.",
            code="over_capacity",
        )


@transaction.atomic
def transfer_open(*, transfer: Transfer, actor: StaffMember) -> Transfer:
    """Start making the offers. The offers are made in the background, batch by batch;
    the transfer's status says how far it has got."""
    transfer = _lock_transfer(transfer.pk)
    _require_manager(actor, transfer)
    if transfer.status != Transfer.Status.DRAFT:
        raise Conflict(f"This transfer is already {transfer.get_status_display().lower()}.", code="transfer_not_draft")
    if not transfer.clients.exists():
        raise Conflict("List the clients before opening the transfer.", code="transfer_has_no_clients")
    _check_capacity(transfer)
    transfer.opened_at = timezone.now()
    transfer.save(update_fields=["opened_at"])
    _start_offering(transfer)
    return transfer


def _start_offering(transfer: Transfer) -> None:
    from .tasks import transfer_make_offers  # tasks call back into this module

    Transfer.objects.filter(pk=transfer.pk).update(status=Transfer.Status.OFFERING)
    transfer.status = Transfer.Status.OFFERING
    transfer_id = transfer.pk
    transaction.on_commit(partial(transfer_make_offers.enqueue, transfer_id))


# --- making offers (resumable) -------------------------------------------------------


def between_clients(client: TransferClient) -> None:
    """Called after each client is prepared in a batch. Does nothing; the kill-and-resume
    test replaces it with one that fails half way through a run."""


@dataclass
class _Place:
    organisation: Organisation
    held: int
    capacity: int | None
    weight: int


class _Balancer:
    """Chooses a receiver for clients the commissioner did not map: the one with the
    most room in proportion to its capacity. A receiver without a capacity counts as
    having as much as the largest one, or 1 when none has a capacity (an even split)."""

    def __init__(self, loads: list[tuple[TransferReceiver, int]]) -> None:
        capacities = [r.capacity for r, _ in loads if r.capacity is not None]
        default_weight = max(capacities) if capacities else 1
        self.places = [
            _Place(organisation=r.organisation, held=held, capacity=r.capacity, weight=r.capacity or default_weight)
            for r, held in loads
        ]

    def take(self, organisation_id: int | None) -> Organisation:
        if organisation_id is not None:
            # Mapped by the commissioner: its place was reserved when the batch began.
            for place in self.places:
                if place.organisation.pk == organisation_id:
                    return place.organisation
        room = [p for p in self.places if p.capacity is None or p.held < p.capacity]
        if not room:
            raise Conflict(
                "Every receiving provider is full; raise a capacity or add a receiver.", code="over_capacity"
            )
        best = min(room, key=lambda p: (p.held / p.weight, p.organisation.pk))
        best.held += 1
        return best.organisation


def transfer_make_offers(*, transfer_id: int, batch_size: int = BATCH) -> int:
    """Offer every listed client to a receiving provider, `batch_size` clients per
    transaction. Safe to run again at any time, from any number of processes: each
    batch locks the transfer, takes only clients still listed, and commits them with
    their timeline events, so an interrupted run resumes where it stopped. Returns how
    many clients this run offered."""
    offered = 0
    while True:
        with transaction.atomic():
            transfer = _lock_transfer(transfer_id)
            if transfer.status != Transfer.Status.OFFERING:
                return offered
            batch = list(
                transfer.clients.filter(status=TransferClient.Status.LISTED)
                .select_related("customer")
                .order_by("id")[:batch_size]
            )
            if not batch:
                transfer.status = Transfer.Status.OPEN
                transfer.save(update_fields=["status"])
                return offered
            offered += _offer_batch(transfer, batch)


def _offer_batch(transfer: Transfer, batch: list[TransferClient]) -> int:
    now = timezone.now()
    respond_by = _working_days_after(now, transfer.respond_within_days)
    balancer = _Balancer(_receivers_with_load(transfer, reserve_listed=True))
    coordinators = _coordinators([c.customer_id for c in batch], provider_id=transfer.from_provider_id)
    by_receiver: dict[int, list[int]] = defaultdict(list)
    events: list[TimelineEvent] = []
    for client in batch:
        receiver = balancer.take(client.to_provider_id)
        by_receiver[receiver.pk].append(client.pk)
        keeper = coordinators.get(client.customer_id)
        still = (
            f"{keeper} at {transfer.from_provider.name} is still looking after you until they accept."
            if keeper
            else f"{transfer.from_provider.name} is still looking after you until they accept."
        )
        events.append(
            _event(
                customer_id=client.customer_id,
                organisation_id=transfer.from_provider_id,
                kind=TimelineEvent.Kind.TRANSFER_OFFERED,
                summary=f"{transfer.commissioning_organisation.name} asked {receiver.name} to take over your care "
                f"from {transfer.from_provider.name}. {still}",
                at=now,
                actor=None,
                data={"transfer": transfer.pk, "to_provider": receiver.pk},
            )
        )
        between_clients(client)
    for receiver_id, ids in by_receiver.items():
        TransferClient.objects.filter(pk__in=ids).update(
            status=TransferClient.Status.PENDING,
            to_provider_id=receiver_id,
            respond_by=respond_by,
            status_since=now,
            offer_round=1,
        )
    _events(events)
    receiver_of = {pk: receiver_id for receiver_id, ids in by_receiver.items() for pk in ids}
    grants_ensure_bulk(
        (
            minimal.for_transfer_offer(
                customer_id=client.customer_id,
                receiver_id=receiver_of[client.pk],
                commissioner_name=transfer.commissioning_organisation.name,
                from_name=transfer.from_provider.name,
                ends_at=respond_by,
            )
            for client in batch
        ),
        actor=None,
    )
    for receiver_id, ids in by_receiver.items():
        _tell_receiver(transfer, receiver_id=receiver_id, count=len(ids), respond_by=respond_by)
    return len(batch)


def _tell_receiver(transfer: Transfer, *, receiver_id: int, count: int, respond_by: datetime) -> None:
    head = organisation_head(organisation_id=receiver_id)
    if head is None:
        return
    notification_send(
        recipient=head,
        kind=Notification.Kind.TRANSFER_OFFERED,
        title=f"{count} client{'s' if count != 1 else ''} offered to you in transfer #{transfer.pk}",
        body=f"{transfer.commissioning_organisation.name} asks you to take over {count} client"
        f"{'s' if count != 1 else ''} from {transfer.from_provider.name} ({transfer.reason}). "
        f"Please accept or decline each by {timezone.localtime(respond_by):%a %d %b %H:%M}.",
    )


# --- answers from receiving providers ------------------------------------------------


def _pending_for(
    transfer: Transfer, actor: StaffMember, client_ids: Sequence[int] | None, *, now: datetime
) -> list[int]:
    """The clients the actor may answer for: pending, offered to their organisation,
    still in time. Named clients that are not are refused by name, nothing changes."""
    if not can_answer_for(actor, to_provider_id=actor.organisation_id):
        raise PermissionDenied(
            "Only an active member of a team at the receiving provider can answer for clients.", code="not_the_receiver"
        )
    if not transfer.receivers.filter(organisation_id=actor.organisation_id).exists():
        raise PermissionDenied(
            f"{actor.organisation.name} is not a receiving provider in transfer #{transfer.pk}.",
            code="not_the_receiver",
        )
    mine = transfer.clients.filter(
        status=TransferClient.Status.PENDING, to_provider_id=actor.organisation_id, respond_by__gte=now
    )
    if client_ids is None:
        return list(mine.order_by("id").values_list("id", flat=True))
    wanted = list(dict.fromkeys(client_ids))
    if not wanted:
        raise InvalidInput("Name at least one client.", code="clients_required")
    ok = set(mine.filter(pk__in=wanted).values_list("id", flat=True))
    refused = [c for c in wanted if c not in ok]
    if refused:
        rows = list(transfer.clients.filter(pk__in=refused).select_related("customer"))
        if len(rows) < len(refused):
            raise NotFound(
                f"Transfer #{transfer.pk} has no client with id "
                f"{', '.join(str(c) for c in refused if c not in {r.pk for r in rows})}.",
                code="transfer_client_not_found",
            )
        raise Conflict(
            f"Not waiting for an answer from {actor.organisation.name}: {_names(rows)}.",
            code="client_not_offered_to_you",
            details={"client_ids": refused},
        )
    return wanted


@dataclass
class ClientsAccepted:
    accepted: int = 0
    requests_moved: int = 0
    owners: dict[int, int] = field(default_factory=dict)  # staff id -> clients given to them


def transfer_accept_clients(
    *,
    transfer: Transfer,
    actor: StaffMember,
    client_ids: Sequence[int] | None = None,
    assign_to: StaffMember | None = None,
    assign_team: Team | None = None,
) -> ClientsAccepted:
    """The receiving provider accepts clients (`client_ids`, or every client offered to
    it and still in time): each client's services from the old provider end and start
    again here, their open requests move here with their story, and a named person
    answers for them from now on: `assign_to` (by default the person accepting), or
    the member of `assign_team` with the least work, client by client.

    Done in batches, each a transaction; running it again accepts whoever is left.
    """
    now = timezone.now()
    transfer = Transfer.objects.select_related("from_provider", "commissioning_organisation", "commissioner").get(
        pk=transfer.pk
    )
    _require_open(transfer)
    ids = _pending_for(transfer, actor, client_ids, now=now)
    if assign_to is not None and assign_team is not None:
        raise InvalidInput("Give the clients to one person or to one team, not both.", code="one_assignee")
    people = _assignees(actor, assign_to=assign_to, assign_team=assign_team)
    result = ClientsAccepted()
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            _lock_transfer(transfer.pk)
            batch = list(
                TransferClient.objects.select_for_update(of=("self",))
                .filter(
                    pk__in=ids[start : start + BATCH],
                    status=TransferClient.Status.PENDING,
                    to_provider_id=actor.organisation_id,
                )
                .only("id", "customer_id", "transfer_id")
                .order_by("id")
            )
            _accept_batch(transfer, batch, actor=actor, people=people, result=result, now=now)
    if result.accepted:
        with transaction.atomic():
            _after_answers(transfer, actor=actor, accepted=result.accepted, declined=0)
            for person_id, count in result.owners.items():
                if person_id != actor.pk:
                    notification_send(
                        recipient=StaffMember.objects.get(pk=person_id),
                        kind=Notification.Kind.OWNER_ASSIGNED,
                        title=f"{count} new client{'s' if count != 1 else ''} for you "
                        f"from {transfer.from_provider.name}",
                        body=f"{actor.display_name} accepted them in transfer #{transfer.pk}; you now answer for "
                        "their care and their open requests.",
                    )
    return result


class _Assignees:
    """Hands out clients to named people: one person, or a team's active members by
    least work (open requests plus services coordinated), counted once and kept up to
    date as clients are handed out."""

    def __init__(self, people: list[StaffMember], load: dict[int, int]) -> None:
        self.people = people
        self.load = load

    def next(self) -> StaffMember:
        person = min(self.people, key=lambda p: (self.load.get(p.pk, 0), p.pk))
        self.load[person.pk] = self.load.get(person.pk, 0) + 1
        return person


def _assignees(actor: StaffMember, *, assign_to: StaffMember | None, assign_team: Team | None) -> _Assignees:
    if assign_team is not None:
        if assign_team.organisation_id != actor.organisation_id:
            raise InvalidInput(f"{assign_team.name} is not a team at {actor.organisation.name}.", code="team_elsewhere")
        people = list(assign_team.members.filter(is_active=True).order_by("id"))
        if not people:
            raise Conflict(f"Nobody in {assign_team.name} is active.", code="team_has_nobody")
        ids = [p.pk for p in people]
        load: Counter[int] = Counter(
            dict(
                ServiceAgreement.objects.filter(coordinator_id__in=ids, status=ServiceAgreement.Status.ACTIVE)
                .values_list("coordinator_id")
                .annotate(n=Count("id"))
                .values_list("coordinator_id", "n")
            )
        )
        from steward.requests.selectors import open_work_by_owner  # one grouped count

        load.update(open_work_by_owner(ids))
        return _Assignees(people, dict(load))
    person = assign_to or actor
    if not person.is_active or person.organisation_id != actor.organisation_id:
        raise InvalidInput(
            f"The clients must go to an active person at {actor.organisation.name}.", code="assignee_invalid"
        )
    if person.team_id is None:
        raise InvalidInput(f"{person.display_name} is not in a team.", code="assignee_has_no_team")
    return _Assignees([person], {})


def _accept_batch(
    transfer: Transfer,
    batch: list[TransferClient],
    *,
    actor: StaffMember,
    people: _Assignees,
    result: ClientsAccepted,
    now: datetime,
) -> None:
    if not batch:
        return
    receiver = actor.organisation
    owner_of: dict[int, StaffMember] = {}  # customer id -> new owner
    for client in batch:
        owner_of[client.customer_id] = people.next()
        between_clients(client)
    previous = _coordinators(list(owner_of), provider_id=transfer.from_provider_id)
    why = f"transfer #{transfer.pk} from {transfer.from_provider.name}"
    agreements_hand_to_provider(owners=owner_of, from_provider=transfer.from_provider, actor=actor, at=now, why=why)
    moved = requests_hand_to_provider(
        owners=owner_of, from_provider_id=transfer.from_provider_id, actor=actor, at=now, why=why
    )
    events = []
    by_owner: dict[int, list[int]] = defaultdict(list)
    for client in batch:
        owner = owner_of[client.customer_id]
        by_owner[owner.pk].append(client.pk)
        n = moved.get(client.customer_id, 0)
        was = previous.get(client.customer_id)
        events.append(
            _event(
                customer_id=client.customer_id,
                organisation_id=receiver.pk,
                kind=TimelineEvent.Kind.TRANSFER_ACCEPTED,
                summary=f"{receiver.name} accepted your care from {transfer.from_provider.name}: "
                f"{owner.display_name} now looks after you"
                + (f" and your {n} open request{'s' if n != 1 else ''}" if n else "")
                + (f" (it was {was})." if was else "."),
                at=now,
                actor=actor,
                data={"transfer": transfer.pk, "owner": owner.pk, "requests_moved": n},
            )
        )
        result.owners[owner.pk] = result.owners.get(owner.pk, 0) + 1
        result.requests_moved += n
    _events(events)
    for owner_id, ids in by_owner.items():
        TransferClient.objects.filter(pk__in=ids).update(
            status=TransferClient.Status.ACCEPTED, owner_id=owner_id, answered_by=actor, status_since=now
        )
    # How many requests moved, client by client (a handful of distinct counts).
    per_count: dict[int, list[int]] = defaultdict(list)
    for client in batch:
        per_count[moved.get(client.customer_id, 0)].append(client.pk)
    for n, ids in per_count.items():
        TransferClient.objects.filter(pk__in=ids).update(requests_moved=n)
    result.accepted += len(batch)


@transaction.atomic
def transfer_decline_clients(*, transfer: Transfer, actor: StaffMember, client_ids: Sequence[int], reason: str) -> int:
    """The receiving provider cannot take these clients. They stay with their current
    provider, and the named commissioner is told they must re-offer or keep each one."""
    reason = _clean_reason(reason, what="why you cannot take them, so the commissioner can find another way")
    now = timezone.now()
    transfer = _lock_transfer(transfer.pk)
    _require_open(transfer)
    ids = _pending_for(transfer, actor, client_ids, now=now)
    clients = list(TransferClient.objects.select_for_update(of=("self",)).filter(pk__in=ids).select_related("customer"))
    keepers = _coordinators([c.customer_id for c in clients], provider_id=transfer.from_provider_id)
    events = []
    for client in clients:
        keeper = keepers.get(client.customer_id)
        events.append(
            _event(
                customer_id=client.customer_id,
                organisation_id=transfer.from_provider_id,
                kind=TimelineEvent.Kind.TRANSFER_DECLINED,
                summary=f"{actor.organisation.name} could not take over your care ({reason[:200]}). "
                + (f"{keeper} at " if keeper else "")
                + f"{transfer.from_provider.name} is still looking after you, and "
                f"{transfer.commissioner.display_name} at {transfer.commissioning_organisation.name} "
                "is finding the right place.",
                at=now,
                actor=actor,
                data={"transfer": transfer.pk, "to_provider": actor.organisation_id},
            )
        )
    TransferClient.objects.filter(pk__in=ids).update(
        status=TransferClient.Status.DECLINED, answered_by=actor, answer_reason=reason, status_since=now
    )
    _events(events)
    _after_answers(transfer, actor=actor, accepted=0, declined=len(ids), reason=reason)
    return len(ids)


def _after_answers(
    transfer: Transfer, *, actor: StaffMember | None, accepted: int, declined: int, expired: int = 0, reason: str = ""
) -> None:
    """Tell the commissioner what happened, and keep their decision alert in step with
    the clients that need one."""
    commissioner = _commissioner_to_tell(transfer)
    if commissioner is None:
        logger.error("Transfer %s has no active commissioner or supervisor to tell", transfer.pk)
        return
    parts = []
    who = actor.organisation.name if actor else "Receiving providers"
    if accepted:
        parts.append(f"{who} accepted {accepted} client{'s' if accepted != 1 else ''}")
    if declined:
        parts.append(f"{who} declined {declined} client{'s' if declined != 1 else ''} ({reason[:200]})")
    if expired:
        parts.append(f"{expired} offer{'s' if expired != 1 else ''} expired unanswered")
    notification_send(
        recipient=commissioner,
        kind=Notification.Kind.TRANSFER_NEEDS_DECISION
        if (declined or expired)
        else Notification.Kind.TRANSFER_ANSWERED,
        title=f"Transfer #{transfer.pk}: " + "; ".join(parts),
        body="Clients who were declined or not answered stay with "
        f"{transfer.from_provider.name} until you re-offer them or decide to keep them there."
        if (declined or expired)
        else "",
    )
    decision_alert_sync(transfer)


def _commissioner_to_tell(transfer: Transfer) -> StaffMember | None:
    commissioner = StaffMember.objects.get(pk=transfer.commissioner_id)
    return commissioner if commissioner.is_active else first_active_supervisor(commissioner)


def decision_alert_sync(transfer: Transfer) -> None:
    """One open alert in the commissioner's queue while any client of the transfer was
    declined or not answered; resolved when the last of them is decided."""
    from steward.alerts.services import alert_raise, alerts_resolve_subject  # alerts build on everything

    waiting = transfer.clients.filter(
        status__in=(TransferClient.Status.DECLINED, TransferClient.Status.EXPIRED)
    ).count()
    subject = f"transfer:{transfer.pk}"
    if waiting:
        commissioner = _commissioner_to_tell(transfer)
        if commissioner is None:
            return
        alert_raise(
            kind="transfer_decision",
            subject=subject,
            assigned_to=commissioner,
            organisation=transfer.commissioning_organisation,
            title=f"Transfer #{transfer.pk} from {transfer.from_provider.name}: clients need your decision",
            detail="Some clients were declined or not answered in time. Re-offer each one or keep them with "
            f"{transfer.from_provider.name}, with a reason.",
        )
    else:
        alerts_resolve_subject(
            kind="transfer_decision", subject=subject, resolution="Every declined or unanswered client was decided."
        )


# --- the commissioner's decisions ----------------------------------------------------


def _require_open(transfer: Transfer) -> None:
    if transfer.status == Transfer.Status.COMPLETE:
        raise Conflict("This transfer is complete.", code="transfer_complete")


def _lock_for_decision(transfer: Transfer, client_id: int, actor: StaffMember) -> tuple[Transfer, TransferClient]:
    """The transfer and one of its clients, locked, for a commissioner's decision."""
    transfer = _lock_transfer(transfer.pk)
    _require_manager(actor, transfer)
    _require_open(transfer)
    return transfer, _lock_client(transfer, client_id)


def _lock_client(transfer: Transfer, client_id: int) -> TransferClient:
    client = (
        TransferClient.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk=client_id, transfer_id=transfer.pk)
        .first()
    )
    if client is None:
        raise NotFound(f"Transfer #{transfer.pk} has no client {client_id}.", code="transfer_client_not_found")
    return client


@transaction.atomic
def transfer_reoffer_client(
    *, transfer: Transfer, client_id: int, actor: StaffMember, to_provider: Organisation, note: str = ""
) -> TransferClient:
    """Offer a declined or unanswered client again, to the same provider or another.
    A provider not yet in the transfer joins it as a receiver."""
    transfer, client = _lock_for_decision(transfer, client_id, actor)
    if client.status not in (TransferClient.Status.DECLINED, TransferClient.Status.EXPIRED):
        raise Conflict(
            f"{client.customer.full_name} is {client.get_status_display().lower()}; only declined or unanswered "
            "clients can be offered again.",
            code="client_not_awaiting_decision",
        )
    if to_provider.pk == transfer.from_provider_id:
        raise InvalidInput(
            f"To leave {client.customer.full_name} with {to_provider.name}, keep them instead.",
            code="receiver_is_source",
        )
    if not _has_people(to_provider):
        raise Conflict(f"Nobody at {to_provider.name} is active in a team to accept.", code="receiver_has_nobody")
    receiver, _ = TransferReceiver.objects.get_or_create(transfer=transfer, organisation=to_provider)
    if receiver.capacity is not None:
        # Listed clients mapped to it have their places reserved too.
        held = transfer.clients.filter(
            to_provider=to_provider,
            status__in=(TransferClient.Status.PENDING, TransferClient.Status.ACCEPTED, TransferClient.Status.LISTED),
        ).count()
        if held >= receiver.capacity:
            raise Conflict(f"{to_provider.name} is full ({receiver.capacity} clients).", code="over_capacity")
    now = timezone.now()
    client.status = TransferClient.Status.PENDING
    client.to_provider = to_provider
    client.mapped_explicitly = True
    client.respond_by = _working_days_after(now, transfer.respond_within_days)
    client.offer_round += 1
    client.status_since = now
    client.reminded_at = None  # a new offer, a new reminder
    client.answered_by = None
    client.answer_reason = ""
    client.save()
    keeper = _coordinators([client.customer_id], provider_id=transfer.from_provider_id).get(client.customer_id)
    _events(
        [
            _event(
                customer_id=client.customer_id,
                organisation_id=transfer.from_provider_id,
                kind=TimelineEvent.Kind.TRANSFER_OFFERED,
                summary=f"{actor.display_name} asked {to_provider.name} to take over your care from "
                f"{transfer.from_provider.name}. "
                + (f"{keeper} is" if keeper else f"{transfer.from_provider.name} is")
                + " still looking after you until they accept.",
                at=now,
                actor=actor,
                data={
                    "transfer": transfer.pk,
                    "to_provider": to_provider.pk,
                    "round": client.offer_round,
                    "note": note.strip()[:500],
                },
            )
        ]
    )
    grants_ensure_bulk(
        [
            minimal.for_transfer_offer(
                customer_id=client.customer_id,
                receiver_id=to_provider.pk,
                commissioner_name=transfer.commissioning_organisation.name,
                from_name=transfer.from_provider.name,
                ends_at=client.respond_by,
            )
        ],
        actor=actor,
    )
    _tell_receiver(transfer, receiver_id=to_provider.pk, count=1, respond_by=client.respond_by)
    decision_alert_sync(transfer)
    return client


@transaction.atomic
def transfer_keep_client(*, transfer: Transfer, client_id: int, actor: StaffMember, reason: str) -> TransferClient:
    """The commissioner decides, with a reason, that a client stays with the current
    provider. This resolves them explicitly: they are not moved, and not forgotten."""
    reason = _clean_reason(reason, what="why this client stays where they are")
    transfer, client = _lock_for_decision(transfer, client_id, actor)
    if client.status not in UNRESOLVED:
        raise Conflict(
            f"{client.customer.full_name} is already {client.get_status_display().lower()}.", code="client_resolved"
        )
    now = timezone.now()
    client.status = TransferClient.Status.KEPT
    client.decided_by = actor
    client.decision_reason = reason
    client.status_since = now
    client.save()
    keeper = _coordinators([client.customer_id], provider_id=transfer.from_provider_id).get(client.customer_id)
    _events(
        [
            _event(
                customer_id=client.customer_id,
                organisation_id=transfer.from_provider_id,
                kind=TimelineEvent.Kind.TRANSFER_KEPT,
                summary=f"{transfer.commissioning_organisation.name} decided you stay with "
                f"{transfer.from_provider.name} for now ({reason[:200]})"
                + (f"; {keeper} is still looking after you." if keeper else "."),
                at=now,
                actor=actor,
                data={"transfer": transfer.pk},
            )
        ]
    )
    decision_alert_sync(transfer)
    if (
        transfer.status == Transfer.Status.OFFERING
        and not transfer.clients.filter(status=TransferClient.Status.LISTED).exists()
    ):
        transfer.status = Transfer.Status.OPEN
        transfer.save(update_fields=["status"])
    return client


@transaction.atomic
def transfer_complete(*, transfer: Transfer, actor: StaffMember) -> Transfer:
    """Close the transfer. Refused, with the list of who is left, while any client has
    no accepting provider and no explicit decision (I3)."""
    transfer = _lock_transfer(transfer.pk)
    _require_manager(actor, transfer)
    if transfer.status == Transfer.Status.COMPLETE:
        raise Conflict("This transfer is already complete.", code="transfer_complete")
    if transfer.status == Transfer.Status.DRAFT:
        raise Conflict("This transfer was never opened; open it or list clients first.", code="transfer_not_open")
    left = list(transfer.clients.filter(status__in=UNRESOLVED).select_related("customer").order_by("id"))
    if left:
        raise Conflict(
            f"{len(left)} client{'s have' if len(left) != 1 else ' has'} no accepting provider yet: {_names(left)}. "
            "Each must be accepted, or kept with a reason, before the transfer can be completed.",
            code="transfer_has_unresolved",
            details={
                "unresolved": [
                    {"client_id": c.pk, "customer_id": c.customer_id, "name": c.customer.full_name, "status": c.status}
                    for c in left
                ]
            },
        )
    transfer.status = Transfer.Status.COMPLETE
    transfer.completed_at = timezone.now()
    transfer.completed_by = actor
    transfer.save(update_fields=["status", "completed_at", "completed_by"])
    return transfer


# --- sweeps ---------------------------------------------------------------------------


@dataclass
class TransferSweepReport:
    expired: int = 0
    offered: int = 0
    reminded: int = 0


# Receivers are reminded once when this little time is left to answer for a client.
REMIND_BEFORE = timedelta(days=1)


def _remind_expiring(*, at: datetime, report: TransferSweepReport) -> None:
    """One reminder per receiving provider and transfer, naming how many clients are
    waiting for its answer and by when; each client is reminded at most once."""
    soon = TransferClient.objects.filter(
        status=TransferClient.Status.PENDING,
        reminded_at__isnull=True,
        respond_by__gte=at,
        respond_by__lt=at + REMIND_BEFORE,
    )
    groups = list(soon.order_by().values_list("transfer_id", "to_provider_id").distinct())
    for transfer_id, receiver_id in groups:
        with transaction.atomic():
            transfer = _lock_transfer(transfer_id)
            mine = soon.filter(transfer_id=transfer_id, to_provider_id=receiver_id)
            first_due = mine.order_by("respond_by").values_list("respond_by", flat=True).first()
            # Claimed with a conditional update: one reminder, however many workers sweep.
            claimed = mine.update(reminded_at=at)
            if not claimed or first_due is None or receiver_id is None:
                continue
            head = organisation_head(organisation_id=receiver_id)
            if head is not None:
                notification_send(
                    recipient=head,
                    kind=Notification.Kind.TRANSFER_OFFERED,
                    title=f"Please answer by {timezone.localtime(first_due):%a %H:%M}: {claimed} client"
                    f"{'s' if claimed != 1 else ''} in transfer #{transfer.pk}",
                    body=f"{claimed} client{'s' if claimed != 1 else ''} from {transfer.from_provider.name} "
                    "are still waiting for your answer. If nobody accepts or declines them in time, they stay "
                    f"where they are and {transfer.commissioner.display_name} is asked to decide.",
                )
            report.reminded += claimed


def transfer_sweep(*, at: datetime | None = None) -> TransferSweepReport:
    """Remind receivers of offers about to expire; expire offers nobody answered in time
    (the client stays where they are and the commissioner must decide); and finish
    offering for transfers whose run was interrupted. Idempotent; each batch claims its
    clients with a conditional update."""
    at = at or timezone.now()
    report = TransferSweepReport()
    _remind_expiring(at=at, report=report)
    for transfer_id in list(Transfer.objects.filter(status=Transfer.Status.OFFERING).values_list("pk", flat=True)):
        report.offered += transfer_make_offers(transfer_id=transfer_id)
    due = TransferClient.objects.filter(status=TransferClient.Status.PENDING, respond_by__lt=at)
    for transfer_id in list(due.values_list("transfer_id", flat=True).distinct()):
        while True:
            with transaction.atomic():
                transfer = _lock_transfer(transfer_id)
                ids = list(due.filter(transfer_id=transfer_id).order_by("id").values_list("pk", flat=True)[:BATCH])
                if not ids:
                    break
                clients = list(TransferClient.objects.filter(pk__in=ids).select_related("to_provider"))
                claimed = due.filter(pk__in=ids).update(status=TransferClient.Status.EXPIRED, status_since=at)
                if not claimed:
                    break
                _events(
                    [
                        _event(
                            customer_id=c.customer_id,
                            organisation_id=transfer.from_provider_id,
                            kind=TimelineEvent.Kind.TRANSFER_EXPIRED,
                            summary=f"{c.to_provider.name if c.to_provider else 'The new provider'} did not answer in "
                            f"time; {transfer.from_provider.name} is still looking after you and "
                            f"{transfer.commissioner.display_name} is deciding what happens next.",
                            at=at,
                            actor=None,
                            data={"transfer": transfer.pk},
                        )
                        for c in clients
                    ]
                )
                _after_answers(transfer, actor=None, accepted=0, declined=0, expired=claimed)
                report.expired += claimed
    return report


def transfers_move_from_departing(*, departing: StaffMember, successor: StaffMember) -> int:
    """A commissioner who leaves hands their open transfers to their successor, so the
    clients nobody accepted still have someone answering for them; a receiver's member
    who leaves hands the clients they answered for to the same successor."""
    # Clients they accepted are now the successor's: their services and requests moved to
    # the successor in the same deactivation, and the report must name who answers now.
    TransferClient.objects.filter(owner=departing, status=TransferClient.Status.ACCEPTED).update(owner=successor)
    return (
        Transfer.objects.filter(commissioner=departing)
        .exclude(status=Transfer.Status.COMPLETE)
        .update(commissioner=successor)
    )


__all__ = [
    "ClientsAccepted",
    "ClientsAdded",
    "ReceiverSpec",
    "TransferSweepReport",
    "transfer_accept_clients",
    "transfer_add_clients",
    "transfer_complete",
    "transfer_create",
    "transfer_decline_clients",
    "transfer_keep_client",
    "transfer_make_offers",
    "transfer_open",
    "transfer_reoffer_client",
    "transfer_sweep",
    "transfers_move_from_departing",
]
