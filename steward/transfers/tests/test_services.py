"""Transfers of many clients between providers: every client ends accepted or explicitly
kept, and the transfer cannot complete while anyone is left (I3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.alerts.models import Alert
from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.notifications.models import Notification
from steward.organisations.services import staff_deactivate
from steward.requests.models import Request
from steward.timeline.models import TimelineEvent
from steward.transfers import services
from steward.transfers.models import Transfer, TransferClient
from steward.transfers.selectors import transfer_counts
from steward.transfers.services import (
    ReceiverSpec,
    transfer_accept_clients,
    transfer_add_clients,
    transfer_complete,
    transfer_create,
    transfer_decline_clients,
    transfer_keep_client,
    transfer_make_offers,
    transfer_open,
    transfer_reoffer_client,
    transfer_sweep,
)

from .factories import TransferWorld, make_transfer_world, open_requests_at


@pytest.fixture
def tw(db) -> TransferWorld:
    return make_transfer_world(clients=4, requests_each=1)


def _transfer(tw: TransferWorld, *, capacities: tuple[int | None, int | None] = (None, None)) -> Transfer:
    return transfer_create(
        actor=tw.council.alice,
        from_provider=tw.old.org,
        receivers=[
            ReceiverSpec(tw.sunrise.org, capacities[0]),
            ReceiverSpec(tw.meadow.org, capacities[1]),
        ],
        reason="The council ended its contract with CheapCare Ltd.",
    )


def _opened(tw: TransferWorld, django_capture_on_commit_callbacks, **kwargs) -> Transfer:
    transfer = _transfer(tw, **kwargs)
    transfer_add_clients(transfer=transfer, actor=tw.council.alice, every_active_client=True)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_open(transfer=transfer, actor=tw.council.alice)
    transfer.refresh_from_db()
    return transfer


# --- opening ----------------------------------------------------------------------------


def test_only_a_commissioner_of_the_provider_can_open_a_transfer(tw: TransferWorld) -> None:
    with pytest.raises(PermissionDenied) as refused:
        transfer_create(
            actor=tw.sunrise.alice,
            from_provider=tw.old.org,
            receivers=[ReceiverSpec(tw.meadow.org)],
            reason="We want their clients",
        )
    assert refused.value.code == "not_commissioner"
    assert not Transfer.objects.exists()


def test_bad_transfer_input_is_refused_with_a_reason(tw: TransferWorld) -> None:
    cases = [
        ({"receivers": []}, "receivers_required"),
        ({"reason": "  "}, "reason_required"),
        ({"receivers": [ReceiverSpec(tw.old.org)]}, "receiver_is_source"),
        ({"receivers": [ReceiverSpec(tw.sunrise.org), ReceiverSpec(tw.sunrise.org)]}, "receiver_repeated"),
        ({"receivers": [ReceiverSpec(tw.sunrise.org, 0)]}, "capacity_invalid"),
        ({"respond_within_days": 0}, "respond_days_out_of_range"),
        ({"commissioner": tw.sunrise.alice}, "commissioner_invalid"),
    ]
    for overrides, code in cases:
        kwargs = {
            "actor": tw.council.alice,
            "from_provider": tw.old.org,
            "receivers": [ReceiverSpec(tw.sunrise.org)],
            "reason": "Contract ended",
            **overrides,
        }
        with pytest.raises((InvalidInput, Conflict)) as refused:
            transfer_create(**kwargs)
        assert refused.value.code == code, overrides
    assert not Transfer.objects.exists()


def test_listing_named_clients_refuses_anyone_the_provider_does_not_serve(tw: TransferWorld) -> None:
    transfer = _transfer(tw)
    stranger = tw.sunrise.customer
    with pytest.raises(InvalidInput) as refused:
        transfer_add_clients(transfer=transfer, actor=tw.council.alice, customer_ids=[tw.clients[0].pk, stranger.pk])
    assert refused.value.code == "not_a_client_of_provider"
    assert refused.value.details == {"customer_ids": [stranger.pk]}
    assert stranger.full_name in refused.value.message
    assert not transfer.clients.exists()  # nothing added (I7)

    with pytest.raises(NotFound):
        transfer_add_clients(transfer=transfer, actor=tw.council.alice, customer_ids=[999_999])


def test_listing_is_idempotent_and_every_active_client_means_every_one(tw: TransferWorld) -> None:
    transfer = _transfer(tw)
    first = transfer_add_clients(transfer=transfer, actor=tw.council.alice, customer_ids=[tw.clients[0].pk])
    again = transfer_add_clients(transfer=transfer, actor=tw.council.alice, every_active_client=True)
    assert (first.added, again.added, again.already_listed) == (1, 3, 1)
    assert transfer.clients.count() == 4
    assert set(transfer.clients.values_list("status", flat=True)) == {"listed"}


def test_a_client_cannot_be_in_two_unsettled_transfers(tw: TransferWorld) -> None:
    one = _transfer(tw)
    transfer_add_clients(transfer=one, actor=tw.council.alice, customer_ids=[tw.clients[0].pk])
    two = _transfer(tw)
    with pytest.raises(Conflict) as refused:
        transfer_add_clients(transfer=two, actor=tw.council.alice, customer_ids=[tw.clients[0].pk])
    assert refused.value.code == "client_in_other_transfer"
    result = transfer_add_clients(transfer=two, actor=tw.council.alice, every_active_client=True)
    assert result.added == 3 and result.skipped_in_other_transfer == [tw.clients[0].pk]


def test_people_outside_the_commissioner_side_cannot_change_the_transfer(tw: TransferWorld) -> None:
    transfer = _transfer(tw)
    for outsider in (tw.old.alice, tw.sunrise.lead, tw.council.bob):
        with pytest.raises(PermissionDenied):
            transfer_add_clients(transfer=transfer, actor=outsider, every_active_client=True)
    # The commissioner's managers may act for them.
    transfer_add_clients(transfer=transfer, actor=tw.council.lead, every_active_client=True)
    assert transfer.clients.count() == 4


# --- offering -------------------------------------------------------------------------------


def test_opening_offers_every_client_balanced_by_capacity(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = _opened(tw, django_capture_on_commit_callbacks, capacities=(3, 1))
    assert transfer.status == Transfer.Status.OPEN
    by_receiver = {
        org: n
        for org, n in [
            (tw.sunrise.org.pk, transfer.clients.filter(to_provider=tw.sunrise.org, status="pending").count()),
            (tw.meadow.org.pk, transfer.clients.filter(to_provider=tw.meadow.org, status="pending").count()),
        ]
    }
    assert by_receiver == {tw.sunrise.org.pk: 3, tw.meadow.org.pk: 1}
    # The customer reads it in plain words: who is asked, and who still looks after them.
    event = TimelineEvent.objects.get(customer=tw.clients[0], kind=TimelineEvent.Kind.TRANSFER_OFFERED)
    assert "Alice Able at" in event.summary and "still looking after you" in event.summary
    # Receivers' heads hear about it.
    assert Notification.objects.filter(kind=Notification.Kind.TRANSFER_OFFERED, recipient=tw.sunrise.head).exists()
    # Nothing moved yet: the old provider still answers (I2 for many).
    assert all(r.owner_id == tw.old.alice.pk or r.organisation_id == tw.old.org.pk for r in Request.objects.all())


def test_explicit_mapping_wins_and_counts_against_capacity(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = _transfer(tw, capacities=(2, 2))
    mapping = {tw.clients[0].pk: tw.meadow.org.pk, tw.clients[1].pk: tw.meadow.org.pk}
    transfer_add_clients(transfer=transfer, actor=tw.council.alice, mapping=mapping, every_active_client=True)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_open(transfer=transfer, actor=tw.council.alice)
    clients = {c.customer_id: c for c in transfer.clients.all()}
    assert clients[tw.clients[0].pk].to_provider_id == tw.meadow.org.pk
    assert clients[tw.clients[1].pk].to_provider_id == tw.meadow.org.pk
    assert {clients[tw.clients[2].pk].to_provider_id, clients[tw.clients[3].pk].to_provider_id} == {tw.sunrise.org.pk}


def test_opening_is_refused_when_the_clients_cannot_fit(tw: TransferWorld) -> None:
    transfer = _transfer(tw, capacities=(1, 2))
    transfer_add_clients(transfer=transfer, actor=tw.council.alice, every_active_client=True)
    with pytest.raises(Conflict) as refused:
        transfer_open(transfer=transfer, actor=tw.council.alice)
    assert refused.value.code == "over_capacity"
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.DRAFT


def test_an_interrupted_offering_run_resumes_without_duplicates(tw: TransferWorld, monkeypatch) -> None:
    transfer = _transfer(tw)
    transfer_add_clients(transfer=transfer, actor=tw.council.alice, every_active_client=True)
    Transfer.objects.filter(pk=transfer.pk).update(status=Transfer.Status.OFFERING)
    seen = []

    def kill_after_three(client: TransferClient) -> None:
        seen.append(client.pk)
        if len(seen) == 3:
            raise RuntimeError("killed")

    monkeypatch.setattr(services, "between_clients", kill_after_three)
    with pytest.raises(RuntimeError):
        transfer_make_offers(transfer_id=transfer.pk, batch_size=2)
    # The first batch (two clients) committed with its events; the second rolled back whole.
    assert transfer.clients.filter(status="pending").count() == 2
    assert transfer.clients.filter(status="listed").count() == 2
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.TRANSFER_OFFERED).count() == 2

    monkeypatch.setattr(services, "between_clients", lambda client: None)
    report = transfer_sweep()  # the worker finds the interrupted run and finishes it
    assert report.offered == 2
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.OPEN
    assert transfer.clients.filter(status="pending").count() == 4
    for customer in tw.clients:
        assert TimelineEvent.objects.filter(customer=customer, kind=TimelineEvent.Kind.TRANSFER_OFFERED).count() == 1
    assert transfer_make_offers(transfer_id=transfer.pk) == 0  # and again: nothing to do


# --- answers -------------------------------------------------------------------------------


def test_accepting_moves_services_and_requests_to_a_named_person(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = _opened(tw, django_capture_on_commit_callbacks, capacities=(None, 1))
    sunrise_clients = list(transfer.clients.filter(to_provider=tw.sunrise.org))
    result = transfer_accept_clients(transfer=transfer, actor=tw.sunrise.lead, assign_team=tw.sunrise.team)
    assert result.accepted == len(sunrise_clients) == 3
    assert result.requests_moved == 3
    owners = set()
    for client in TransferClient.objects.filter(pk__in=[c.pk for c in sunrise_clients]).select_related("owner"):
        assert client.status == TransferClient.Status.ACCEPTED
        owners.add(client.owner_id)
        assert client.owner.organisation_id == tw.sunrise.org.pk
        assert not open_requests_at(client.customer, tw.old.org.pk)
        moved = open_requests_at(client.customer, tw.sunrise.org.pk)
        assert [r.owner_id for r in moved] == [client.owner_id]  # I1: a named, active owner
        assert moved[0].team_id == tw.sunrise.team.pk
        active = ServiceAgreement.objects.get(customer=client.customer, status="active")
        assert (active.provider_id, active.coordinator_id) == (tw.sunrise.org.pk, client.owner_id)
        assert ServiceAgreement.objects.filter(customer=client.customer, provider=tw.old.org, status="ended").exists()
        accepted = TimelineEvent.objects.get(customer=client.customer, kind=TimelineEvent.Kind.TRANSFER_ACCEPTED)
        assert "Sunrise Care accepted your care from CheapCare Ltd" in accepted.summary
    assert len(owners) == 3  # spread across the team's three members by least work
    counts = transfer_counts(transfer)
    assert counts["accepted"] == 3 and counts["without_accepting_provider"] == 1


def test_a_receiver_answers_only_for_clients_offered_to_it(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = _opened(tw, django_capture_on_commit_callbacks, capacities=(None, 1))
    meadow_client = transfer.clients.get(to_provider=tw.meadow.org)
    with pytest.raises(Conflict) as refused:
        transfer_accept_clients(transfer=transfer, actor=tw.sunrise.alice, client_ids=[meadow_client.pk])
    assert refused.value.code == "client_not_offered_to_you"
    with pytest.raises(PermissionDenied):
        transfer_accept_clients(transfer=transfer, actor=tw.sunrise.head)  # in no team: no queue to land in
    with pytest.raises(PermissionDenied):
        transfer_decline_clients(
            transfer=transfer, actor=tw.old.alice, client_ids=[meadow_client.pk], reason="not ours"
        )
    meadow_client.refresh_from_db()
    assert meadow_client.status == TransferClient.Status.PENDING


def test_declined_clients_escalate_to_the_commissioner_who_must_decide(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = _opened(tw, django_capture_on_commit_callbacks, capacities=(None, 1))
    meadow_client = transfer.clients.get(to_provider=tw.meadow.org)
    with pytest.raises(InvalidInput):
        transfer_decline_clients(transfer=transfer, actor=tw.meadow.alice, client_ids=[meadow_client.pk], reason=" ")
    transfer_decline_clients(
        transfer=transfer, actor=tw.meadow.alice, client_ids=[meadow_client.pk], reason="No carers in that area"
    )
    meadow_client.refresh_from_db()
    assert meadow_client.status == TransferClient.Status.DECLINED
    # The client still has their old provider and coordinator: nobody dropped.
    assert ServiceAgreement.objects.get(customer=meadow_client.customer, status="active").provider_id == tw.old.org.pk
    alert = Alert.objects.get(kind="transfer_decision", status="open")
    assert alert.assigned_to == tw.council.alice
    assert Notification.objects.filter(
        recipient=tw.council.alice, kind=Notification.Kind.TRANSFER_NEEDS_DECISION
    ).exists()

    with pytest.raises(Conflict) as refused:
        transfer_complete(transfer=transfer, actor=tw.council.alice)
    assert refused.value.code == "transfer_has_unresolved"
    assert meadow_client.customer.full_name in refused.value.message
    assert {row["client_id"] for row in refused.value.details["unresolved"]} == set(
        transfer.clients.exclude(status="accepted").values_list("pk", flat=True)
    )

    transfer_reoffer_client(
        transfer=transfer, client_id=meadow_client.pk, actor=tw.council.alice, to_provider=tw.sunrise.org
    )
    alert.refresh_from_db()
    assert alert.status == "resolved"  # nothing waits for the commissioner any more
    transfer_decline_clients(
        transfer=transfer, actor=tw.sunrise.alice, client_ids=[meadow_client.pk], reason="Full this month"
    )
    with pytest.raises(InvalidInput):
        transfer_keep_client(transfer=transfer, client_id=meadow_client.pk, actor=tw.council.alice, reason="")
    transfer_keep_client(
        transfer=transfer,
        client_id=meadow_client.pk,
        actor=tw.council.alice,
        reason="CheapCare keeps this one client until the in-house team starts in January",
    )
    transfer_accept_clients(transfer=transfer, actor=tw.sunrise.alice)
    assert transfer_counts(transfer)["without_accepting_provider"] == 0
    transfer_complete(transfer=transfer, actor=tw.council.alice)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.COMPLETE
    kept = TimelineEvent.objects.get(customer=meadow_client.customer, kind=TimelineEvent.Kind.TRANSFER_KEPT)
    assert "stay with CheapCare Ltd" in kept.summary


def test_unanswered_offers_expire_and_escalate(tw: TransferWorld, django_capture_on_commit_callbacks) -> None:
    transfer = _opened(tw, django_capture_on_commit_callbacks)
    report = transfer_sweep(at=timezone.now() + timedelta(days=30))
    assert report.expired == 4
    assert transfer.clients.filter(status="expired").count() == 4
    assert Alert.objects.filter(kind="transfer_decision", status="open", assigned_to=tw.council.alice).count() == 1
    assert transfer_sweep(at=timezone.now() + timedelta(days=30)).expired == 0  # idempotent
    with pytest.raises(Conflict):
        transfer_accept_clients(transfer=transfer, actor=tw.sunrise.alice, client_ids=[transfer.clients.first().pk])


def test_receivers_are_reminded_once_before_offers_expire(
    tw: TransferWorld, django_capture_on_commit_callbacks
) -> None:
    transfer = _opened(tw, django_capture_on_commit_callbacks, capacities=(None, 1))
    due = transfer.clients.order_by("respond_by").first().respond_by
    nearly = due - timedelta(hours=3)
    assert transfer_sweep(at=due - timedelta(days=3)).reminded == 0  # too early
    assert transfer_sweep(at=nearly).reminded == 4
    assert transfer_sweep(at=nearly).reminded == 0  # once only
    reminders = Notification.objects.filter(title__startswith="Please answer by")
    assert {n.recipient for n in reminders} == {tw.sunrise.head, tw.meadow.head}
    assert "3 clients" in reminders.get(recipient=tw.sunrise.head).title


def test_an_interrupted_acceptance_resumes_without_duplicates(
    tw: TransferWorld, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    transfer = _opened(tw, django_capture_on_commit_callbacks, capacities=(None, 1))
    monkeypatch.setattr(services, "BATCH", 2)
    calls = []

    def kill_on_third(client: TransferClient) -> None:
        calls.append(client.pk)
        if len(calls) == 3:
            raise RuntimeError("killed")

    monkeypatch.setattr(services, "between_clients", kill_on_third)
    with pytest.raises(RuntimeError):
        transfer_accept_clients(transfer=transfer, actor=tw.sunrise.alice)
    assert transfer.clients.filter(status="accepted").count() == 2
    monkeypatch.setattr(services, "between_clients", lambda client: None)
    transfer_accept_clients(transfer=transfer, actor=tw.sunrise.alice)
    assert transfer.clients.filter(status="accepted").count() == 3
    for customer in tw.clients:
        assert ServiceAgreement.objects.filter(customer=customer, status="active").count() == 1
        assert TimelineEvent.objects.filter(customer=customer, kind=TimelineEvent.Kind.TRANSFER_ACCEPTED).count() <= 1


def test_a_departing_commissioner_hands_the_transfer_to_their_successor(tw: TransferWorld) -> None:
    transfer = _transfer(tw)
    staff_deactivate(staff=tw.council.alice, actor=tw.council.lead, reason="Left the council")
    transfer.refresh_from_db()
    assert transfer.commissioner_id == tw.council.lead.pk
