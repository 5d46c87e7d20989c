"""Starting and ending service agreements, changing their coordinator, and recording
visits and calls. Each change writes its timeline event in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from steward.consent import minimal
from steward.consent.services import grants_end_automatic, grants_ensure_bulk
from steward.customers.models import Customer
from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.organisations.models import Organisation, StaffMember, Team
from steward.organisations.selectors import first_active_supervisor, organisation_head
from steward.timeline.models import TimelineEvent
from steward.timeline.services import event_record

from .models import ServiceAgreement
from .permissions import can_manage, can_manage_agreement

MAX_NOTE = 20_000


def _check_coordinator(coordinator: StaffMember, *, provider: Organisation) -> None:
    if not coordinator.is_active:
        raise InvalidInput(f"{coordinator.display_name} is deactivated.", code="coordinator_inactive")
    if coordinator.organisation_id != provider.pk:
        raise InvalidInput(
            f"{coordinator.display_name} does not work for {provider.name}; the coordinator must.",
            code="coordinator_other_organisation",
        )


@transaction.atomic
def agreement_start(
    *,
    customer: Customer,
    team: Team,
    coordinator: StaffMember,
    service: str,
    actor: StaffMember,
    commissioner: Organisation | None = None,
    contact_interval_days: int = 7,
    started_at: datetime | None = None,
) -> ServiceAgreement:
    """A provider starts serving a customer, with a named coordinator who answers for it."""
    provider = team.organisation
    if not can_manage(actor, provider_id=provider.pk, commissioner_id=commissioner.pk if commissioner else None):
        raise PermissionDenied(
            f"Only staff of {provider.name} or of the commissioning organisation can start this service.",
            code="not_provider_or_commissioner",
        )
    service = (service or "").strip()
    if not service:
        raise InvalidInput("Say what service is provided.", code="service_required")
    if len(service) > 200:
        raise InvalidInput("Describe the service in 200 characters or fewer.", code="text_too_long")
    if not 1 <= contact_interval_days <= 365:
        raise InvalidInput("The contact interval must be between 1 and 365 days.", code="interval_out_of_range")
    _check_coordinator(coordinator, provider=provider)
    if commissioner is not None and commissioner.pk == provider.pk:
        commissioner = None  # a provider arranging its own service has no separate commissioner
    now = timezone.now()
    started_at = started_at or now
    if started_at > now + timedelta(minutes=5):
        raise InvalidInput("A service cannot start in the future; record it when it starts.", code="start_in_future")
    agreement = ServiceAgreement.objects.create(
        customer=customer,
        provider=provider,
        commissioner=commissioner,
        team=team,
        coordinator=coordinator,
        service=service,
        contact_interval_days=contact_interval_days,
        started_at=started_at,
    )
    event_record(
        customer=customer,
        organisation=provider,
        kind=TimelineEvent.Kind.SERVICE_STARTED,
        actor=actor,
        summary=f"{provider.name} started providing {service}; {coordinator.display_name} coordinates it.",
        data={"agreement": agreement.pk, "coordinator": coordinator.pk},
        occurred_at=started_at,
    )
    by_council = commissioner is not None and commissioner.kind == Organisation.Kind.COUNCIL
    minimal.ensure(
        minimal.for_service(
            customer_id=customer.pk,
            provider_id=provider.pk,
            service=service,
            commissioner_name=commissioner.name if commissioner else None,
            by_council=by_council,
        ),
        customer=customer,
        organisation=provider,
        actor=actor,
    )
    if commissioner is not None:
        minimal.ensure(
            minimal.for_commissioner(
                customer_id=customer.pk, commissioner_id=commissioner.pk, service=service, by_council=by_council
            ),
            customer=customer,
            organisation=commissioner,
            actor=actor,
        )
    return agreement


def _lock(agreement: ServiceAgreement) -> ServiceAgreement:
    return (
        ServiceAgreement.objects.select_for_update(of=("self",))
        .select_related("customer", "provider", "coordinator")
        .get(pk=agreement.pk)
    )


@transaction.atomic
def agreement_end(*, agreement: ServiceAgreement, actor: StaffMember, reason: str) -> ServiceAgreement:
    """The service stops. Ending is refused while the customer is in an unresolved
    transfer of this provider's clients: the transfer must settle them first (I3)."""
    from steward.transfers.selectors import customer_in_unresolved_transfer  # transfers builds on agreements

    agreement = _lock(agreement)
    if not can_manage_agreement(actor, agreement):
        raise PermissionDenied("Only the provider or the commissioner can end this service.", code="not_allowed")
    if agreement.status != ServiceAgreement.Status.ACTIVE:
        raise Conflict("This service has already ended.", code="agreement_ended")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the service is ending.", code="reason_required")
    transfer_id = customer_in_unresolved_transfer(
        customer_id=agreement.customer_id, from_provider_id=agreement.provider_id
    )
    if transfer_id is not None:
        raise Conflict(
            f"{agreement.customer.full_name} is in transfer #{transfer_id}, which has not settled them yet; "
            "resolve them there first.",
            code="in_transfer",
        )
    now = timezone.now()
    agreement.status = ServiceAgreement.Status.ENDED
    agreement.ended_at = now
    agreement.end_reason = reason[:500]
    agreement.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
    event_record(
        customer=agreement.customer,
        organisation=agreement.provider,
        kind=TimelineEvent.Kind.SERVICE_ENDED,
        actor=actor,
        summary=f"{agreement.provider.name} stopped providing {agreement.service} ({reason[:200]}).",
        data={"agreement": agreement.pk},
        occurred_at=now,
    )
    # The permission the service needed ends with it (purpose limitation), unless the
    # provider still serves the customer under another agreement.
    if not ServiceAgreement.objects.filter(
        customer_id=agreement.customer_id, provider_id=agreement.provider_id, status=ServiceAgreement.Status.ACTIVE
    ).exists():
        grants_end_automatic(
            customer_id=agreement.customer_id,
            organisation_id=agreement.provider_id,
            purpose="care_delivery",
            ends_at=None,
            why=f"{agreement.provider.name} no longer provides {agreement.service}.",
        )
    return agreement


@transaction.atomic
def agreement_set_coordinator(
    *, agreement: ServiceAgreement, coordinator: StaffMember, actor: StaffMember
) -> ServiceAgreement:
    agreement = _lock(agreement)
    if not can_manage_agreement(actor, agreement):
        raise PermissionDenied("Only the provider or the commissioner can change the coordinator.", code="not_allowed")
    if agreement.status != ServiceAgreement.Status.ACTIVE:
        raise Conflict("This service has ended.", code="agreement_ended")
    _check_coordinator(coordinator, provider=agreement.provider)
    if coordinator.pk == agreement.coordinator_id:
        return agreement
    _change_coordinator(agreement, coordinator, actor=actor, why="")
    return agreement


def _change_coordinator(
    agreement: ServiceAgreement, coordinator: StaffMember, *, actor: StaffMember | None, why: str
) -> None:
    previous = agreement.coordinator
    agreement.coordinator = coordinator
    agreement.save(update_fields=["coordinator", "updated_at"])
    event_record(
        customer=agreement.customer,
        organisation=agreement.provider,
        kind=TimelineEvent.Kind.OWNER_CHANGED,
        actor=actor,
        summary=f"{coordinator.display_name} now coordinates {agreement.service} "
        f"(it was {previous.display_name}{'; ' + why if why else ''}).",
        data={"agreement": agreement.pk, "from": previous.pk, "to": coordinator.pk},
    )


def agreements_move_from_departing(*, departing: StaffMember, successor: StaffMember, reason: str) -> int:
    """The successor coordinates every active service the departing person coordinated.
    Called by `staff_deactivate` inside its transaction, so an active service never has
    a coordinator who cannot act."""
    moved = 0
    for agreement in (
        ServiceAgreement.objects.select_for_update(of=("self",))
        .select_related("customer", "provider", "coordinator")
        .filter(coordinator=departing, status=ServiceAgreement.Status.ACTIVE)
        .order_by("pk")
    ):
        _change_coordinator(agreement, successor, actor=None, why=f"{departing.display_name} is no longer available")
        moved += 1
    return moved


def coordinator_successor(agreement: ServiceAgreement) -> StaffMember | None:
    """Who takes over an active service whose coordinator cannot act: the coordinator's
    nearest active manager at the provider, else the lead of the service's team, else
    the head of the provider."""
    supervisor = first_active_supervisor(agreement.coordinator)
    if supervisor is not None and supervisor.organisation_id == agreement.provider_id:
        return supervisor
    lead = agreement.team.lead
    if lead is not None and lead.is_active and lead.organisation_id == agreement.provider_id:
        return lead
    return organisation_head(organisation_id=agreement.provider_id)


@transaction.atomic
def agreement_repair_coordinator(*, agreement_id: int) -> tuple[ServiceAgreement, StaffMember] | None:
    """An active service must always have an active coordinator. If someone was
    deactivated behind the services' back (in the database directly), the sweep calls
    this: the successor (`coordinator_successor`) coordinates it from now on, with the
    reason on the customer's timeline. Returns the agreement and who coordinated it
    before, or None if there was nothing to repair; refuses (`no_coordinator_available`)
    when nobody at the provider is active."""
    # Lock the row alone, then read it with its people: a locking read joined to the
    # coordinator would lose the row on PostgreSQL if a concurrent repair had just
    # changed the coordinator (the re-check joins the new row to the old person).
    ServiceAgreement.objects.select_for_update().filter(pk=agreement_id).values_list("pk").first()
    agreement = ServiceAgreement.objects.select_related("customer", "provider", "coordinator", "team__lead").get(
        pk=agreement_id
    )
    previous = agreement.coordinator
    if agreement.status != ServiceAgreement.Status.ACTIVE or previous.is_active:
        return None
    successor = coordinator_successor(agreement)
    if successor is None:
        raise Conflict(
            f"Nobody at {agreement.provider.name} is active to coordinate {agreement.service} "
            f"for {agreement.customer.full_name}.",
            code="no_coordinator_available",
        )
    _change_coordinator(
        agreement, successor, actor=None, why=f"{previous.display_name} is no longer active, so their manager took it"
    )
    return agreement, previous


CONTACT_CHANNELS = {
    "visit": (TimelineEvent.Channel.IN_PERSON, "visited"),
    "call": (TimelineEvent.Channel.PHONE, "spoke on the phone with"),
}


@transaction.atomic
def contact_record(
    *, agreement: ServiceAgreement, actor: StaffMember, kind: str, note: str = "", occurred_at: datetime | None = None
) -> TimelineEvent:
    """Someone from the provider visited or called the customer. This is the contact the
    continuity checks look for."""
    if kind not in CONTACT_CHANNELS:
        raise InvalidInput("A contact is a 'visit' or a 'call'.", code="contact_kind_unknown")
    if not can_manage_agreement(actor, agreement):
        raise PermissionDenied("Only the provider or the commissioner can record contact.", code="not_allowed")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"The note is longer than {MAX_NOTE} characters.", code="text_too_long")
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + timedelta(minutes=5):
        raise InvalidInput("A contact cannot be recorded in the future.", code="contact_in_future")
    if occurred_at < agreement.started_at - timedelta(days=1):
        raise InvalidInput("That is before the service started.", code="contact_before_service")
    if agreement.ended_at is not None and occurred_at > agreement.ended_at:
        # A visit made while it ran may still be written down afterwards; one made since
        # belongs to whatever service followed it.
        raise Conflict(
            f"This service ended on {timezone.localtime(agreement.ended_at):%d %b %Y}; "
            "record the contact on the service that followed it.",
            code="agreement_ended",
        )
    channel, verb = CONTACT_CHANNELS[kind]
    customer = agreement.customer
    return event_record(
        customer=customer,
        organisation=agreement.provider,
        kind=TimelineEvent.Kind.CONTACT_RECORDED,
        channel=channel,
        actor=actor,
        summary=f"{actor.display_name} {verb} {customer.known_as}.",
        body=note.strip(),
        data={"agreement": agreement.pk, "contact": kind},
        occurred_at=occurred_at,
    )


def agreements_hand_to_provider(
    *, owners: dict[int, StaffMember], from_provider: Organisation, actor: StaffMember, at: datetime, why: str
) -> int:
    """End each customer's active services from `from_provider` and start the same
    services at the new person's provider, with them as coordinator (`owners`: customer
    id -> person), because the receiving provider accepted them in a transfer. The old
    agreement stays as history. The transfer writes the customer's timeline event; this
    runs inside its transaction. Returns how many services moved."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("agreements_hand_to_provider must run inside the transfer's transaction.")
    old = list(
        ServiceAgreement.objects.select_for_update(of=("self",))
        .filter(customer_id__in=list(owners), provider=from_provider, status=ServiceAgreement.Status.ACTIVE)
        .only("id", "customer_id", "commissioner_id", "service", "contact_interval_days")
        .order_by("id")
    )
    if not old:
        return 0
    ServiceAgreement.objects.filter(pk__in=[a.pk for a in old]).update(
        status=ServiceAgreement.Status.ENDED, ended_at=at, end_reason=f"Moved on ({why})."[:500], updated_at=at
    )
    ServiceAgreement.objects.bulk_create(
        (
            ServiceAgreement(
                customer_id=a.customer_id,
                provider_id=owners[a.customer_id].organisation_id,
                commissioner_id=a.commissioner_id,
                team=owners[a.customer_id].team,
                coordinator=owners[a.customer_id],
                service=a.service,
                contact_interval_days=a.contact_interval_days,
                started_at=at,
            )
            for a in old
        ),
        batch_size=500,
    )
    commissioners = {a.commissioner_id for a in old if a.commissioner_id}
    found = Organisation.objects.filter(pk__in=commissioners).values_list("pk", "name", "kind")
    names = {pk: name for pk, name, _kind in found}
    councils = {pk for pk, _name, kind in found if kind == Organisation.Kind.COUNCIL}
    grants_ensure_bulk(
        (
            minimal.for_service(
                customer_id=a.customer_id,
                provider_id=owners[a.customer_id].organisation_id,
                service=a.service,
                commissioner_name=names.get(a.commissioner_id or 0),
                by_council=a.commissioner_id in councils,
            )
            for a in old
        ),
        actor=actor,
    )
    return len(old)
