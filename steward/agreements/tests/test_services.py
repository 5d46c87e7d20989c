"""Service agreements: a provider serves a customer, commissioned by the council, with a
named coordinator who answers for it; visits and calls recorded; people leaving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.agreements.services import (
    agreement_end,
    agreement_repair_coordinator,
    agreement_set_coordinator,
    agreement_start,
    contact_record,
)
from steward.customers.tests.factories import make_customer
from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.organisations.models import StaffMember
from steward.organisations.services import staff_deactivate
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent
from steward.transfers.models import Transfer, TransferClient


@pytest.fixture
def provider(db) -> World:
    return make_world("CheapCare Ltd")


@pytest.fixture
def council(db) -> World:
    return make_world("Northshire Council")


@pytest.fixture
def client(council):
    return make_customer(organisation=council.org, given_name="Amina", family_name="Khan", is_vulnerable=True)


def start(provider: World, council: World, client, **extra) -> ServiceAgreement:
    kwargs = {
        "customer": client,
        "team": provider.team,
        "coordinator": provider.alice,
        "service": "Home care, 2 visits a day",
        "commissioner": council.org,
        "actor": council.lead,
        **extra,
    }
    return agreement_start(**kwargs)


def last_event(customer) -> TimelineEvent:
    return TimelineEvent.objects.filter(customer=customer).order_by("-id").first()


class TestStart:
    def test_the_commissioner_starts_a_service_with_a_named_coordinator(self, provider, council, client):
        agreement = start(provider, council, client)

        assert agreement.status == "active" and agreement.provider == provider.org
        assert agreement.commissioner == council.org and agreement.coordinator == provider.alice
        event = TimelineEvent.objects.get(customer=client, kind=TimelineEvent.Kind.SERVICE_STARTED)
        assert event.organisation == provider.org
        assert event.summary == (
            f"{provider.org.name} started providing Home care, 2 visits a day; Alice Able coordinates it."
        )
        # After it, visibly, the minimal grants the service needs (issue 4): care delivery for
        # the provider, care coordination for the commissioner.
        grants = TimelineEvent.objects.filter(customer=client, kind=TimelineEvent.Kind.GRANT_GIVEN, id__gt=event.pk)
        assert sorted(grants.values_list("organisation_id", flat=True)) == sorted([provider.org.pk, council.org.pk])

    def test_the_provider_may_start_it_too_and_a_provider_is_not_its_own_commissioner(self, provider, client):
        agreement = start(provider, provider, client, actor=provider.head)
        assert agreement.commissioner is None

    def test_a_third_organisation_is_refused_and_nothing_is_written(self, provider, council, client):
        stranger = make_world("Sunrise Care")
        events = TimelineEvent.objects.count()
        with pytest.raises(PermissionDenied) as refused:
            start(provider, council, client, actor=stranger.head)
        assert refused.value.code == "not_provider_or_commissioner"
        assert not ServiceAgreement.objects.exists() and TimelineEvent.objects.count() == events

    @pytest.mark.parametrize(
        ("change", "code"),
        [
            ({"service": "  "}, "service_required"),
            ({"service": "x" * 201}, "text_too_long"),
            ({"contact_interval_days": 0}, "interval_out_of_range"),
            ({"contact_interval_days": 366}, "interval_out_of_range"),
            ({"started_at": timezone.now() + timedelta(days=2)}, "start_in_future"),
        ],
    )
    def test_bad_input_is_refused_and_changes_nothing(self, provider, council, client, change, code):
        with pytest.raises(InvalidInput) as refused:
            start(provider, council, client, **change)
        assert refused.value.code == code
        assert not ServiceAgreement.objects.exists()

    def test_the_coordinator_must_be_active_and_work_for_the_provider(self, provider, council, client):
        with pytest.raises(InvalidInput) as other:
            start(provider, council, client, coordinator=council.alice)
        assert other.value.code == "coordinator_other_organisation"
        StaffMember.objects.filter(pk=provider.bob.pk).update(is_active=False)
        provider.bob.refresh_from_db()
        with pytest.raises(InvalidInput) as inactive:
            start(provider, council, client, coordinator=provider.bob)
        assert inactive.value.code == "coordinator_inactive"
        assert not ServiceAgreement.objects.exists()


class TestEnd:
    def test_ending_needs_a_reason_and_is_on_the_timeline(self, provider, council, client):
        agreement = start(provider, council, client)
        with pytest.raises(InvalidInput):
            agreement_end(agreement=agreement, actor=council.lead, reason=" ")
        agreement_end(agreement=agreement, actor=council.lead, reason="Moved to a care home")
        agreement.refresh_from_db()
        assert agreement.status == "ended" and agreement.ended_at and agreement.end_reason == "Moved to a care home"
        assert TimelineEvent.objects.filter(customer=client, kind=TimelineEvent.Kind.SERVICE_ENDED).exists()
        with pytest.raises(Conflict) as twice:
            agreement_end(agreement=agreement, actor=council.lead, reason="Again")
        assert twice.value.code == "agreement_ended"

    def test_ending_the_last_service_ends_the_providers_care_permission(self, provider, council, client):
        from steward.consent.models import Grant

        def care_grants() -> int:
            return Grant.objects.filter(
                customer=client, organisation=provider.org, purpose="care_delivery", revoked_at__isnull=True
            ).count()

        first = start(provider, council, client)
        second = start(provider, council, client, service="Weekly shopping")
        assert care_grants() >= 1
        agreement_end(agreement=first, actor=council.lead, reason="No longer needed")
        assert care_grants() >= 1  # still served under the other agreement
        agreement_end(agreement=second, actor=council.lead, reason="Moved away")
        assert care_grants() == 0
        assert TimelineEvent.objects.filter(customer=client, kind=TimelineEvent.Kind.GRANT_REVOKED).exists()

    def test_a_client_in_an_unsettled_transfer_cannot_end_here(self, provider, council, client):
        agreement = start(provider, council, client)
        now = timezone.now()
        transfer = Transfer.objects.create(
            commissioning_organisation=council.org,
            commissioner=council.lead,
            from_provider=provider.org,
            reason="Contract ended",
            created_by=council.lead,
            created_at=now,
            status=Transfer.Status.OPEN,
        )
        TransferClient.objects.create(transfer=transfer, customer=client, status_since=now, added_at=now)
        with pytest.raises(Conflict) as refused:
            agreement_end(agreement=agreement, actor=council.lead, reason="Moving")
        assert refused.value.code == "in_transfer"
        agreement.refresh_from_db()
        assert agreement.status == "active"

    def test_a_third_organisation_cannot_end_it(self, provider, council, client):
        agreement = start(provider, council, client)
        with pytest.raises(PermissionDenied):
            agreement_end(agreement=agreement, actor=make_world("Sunrise Care").head, reason="x")
        agreement.refresh_from_db()
        assert agreement.status == "active"


class TestCoordinator:
    def test_naming_another_coordinator_is_on_the_timeline(self, provider, council, client):
        agreement = start(provider, council, client)
        agreement_set_coordinator(agreement=agreement, coordinator=provider.bob, actor=provider.lead)
        agreement.refresh_from_db()
        assert agreement.coordinator == provider.bob
        assert last_event(client).summary.startswith("Bob Baker now coordinates Home care")

    def test_refusals_change_nothing(self, provider, council, client):
        agreement = start(provider, council, client)
        with pytest.raises(InvalidInput):
            agreement_set_coordinator(agreement=agreement, coordinator=council.bob, actor=provider.lead)
        with pytest.raises(PermissionDenied):
            agreement_set_coordinator(
                agreement=agreement, coordinator=provider.bob, actor=make_world("Sunrise Care").head
            )
        agreement_end(agreement=agreement, actor=provider.head, reason="Stopped")
        with pytest.raises(Conflict):
            agreement_set_coordinator(agreement=agreement, coordinator=provider.bob, actor=provider.lead)
        agreement.refresh_from_db()
        assert agreement.coordinator == provider.alice

    def test_when_the_coordinator_leaves_their_successor_coordinates(self, provider, council, client):
        agreement = start(provider, council, client)
        staff_deactivate(staff=provider.alice, actor=provider.lead, reason="Left the company")
        agreement.refresh_from_db()
        assert agreement.coordinator == provider.lead  # her supervisor
        assert "Lena Lead now coordinates" in last_event(client).summary

    def test_a_named_successor_takes_it(self, provider, council, client):
        agreement = start(provider, council, client)
        staff_deactivate(staff=provider.alice, actor=provider.lead, reason="Left", successor=provider.bob)
        agreement.refresh_from_db()
        assert agreement.coordinator == provider.bob

    def test_the_head_who_coordinates_cannot_leave_without_a_successor(self, provider, council, client):
        agreement = start(provider, council, client, coordinator=provider.head)
        with pytest.raises(Conflict) as refused:
            staff_deactivate(staff=provider.head, actor=None, reason="Retired")
        assert refused.value.code == "successor_required"
        agreement.refresh_from_db()
        assert agreement.coordinator == provider.head

    def test_repair_after_a_deactivation_behind_the_services_back(self, provider, council, client):
        agreement = start(provider, council, client)
        assert agreement_repair_coordinator(agreement_id=agreement.pk) is None  # nothing to repair
        StaffMember.objects.filter(pk=provider.alice.pk).update(is_active=False)
        repaired, previous = agreement_repair_coordinator(agreement_id=agreement.pk)
        assert repaired.coordinator == provider.lead and previous == provider.alice


class TestContact:
    def test_a_visit_is_recorded_on_the_timeline(self, provider, council, client):
        agreement = start(provider, council, client)
        event = contact_record(agreement=agreement, actor=provider.bob, kind="visit", note="  Made tea.  ")
        assert event.kind == TimelineEvent.Kind.CONTACT_RECORDED and event.channel == "in_person"
        assert event.summary == "Bob Baker visited Amina." and event.body == "Made tea."
        assert event.organisation == provider.org and event.data["agreement"] == agreement.pk

    @pytest.mark.parametrize(
        ("change", "error", "code"),
        [
            ({"kind": "letter"}, InvalidInput, "contact_kind_unknown"),
            ({"occurred_at": timezone.now() + timedelta(hours=1)}, InvalidInput, "contact_in_future"),
            ({"occurred_at": timezone.now() - timedelta(days=30)}, InvalidInput, "contact_before_service"),
            ({"note": "x" * 20_001}, InvalidInput, "text_too_long"),
        ],
    )
    def test_bad_contact_is_refused(self, provider, council, client, change, error, code):
        agreement = start(provider, council, client, started_at=timezone.now() - timedelta(days=3))
        events = TimelineEvent.objects.count()
        with pytest.raises(error) as refused:
            contact_record(**{"agreement": agreement, "actor": provider.bob, "kind": "call", **change})
        assert refused.value.code == code
        assert TimelineEvent.objects.count() == events

    def test_a_visit_after_the_service_ended_belongs_elsewhere(self, provider, council, client):
        agreement = start(provider, council, client, started_at=timezone.now() - timedelta(days=3))
        agreement_end(agreement=agreement, actor=provider.head, reason="Stopped")
        agreement.refresh_from_db()
        # One made while it ran may still be written down.
        contact_record(
            agreement=agreement, actor=provider.bob, kind="visit", occurred_at=timezone.now() - timedelta(days=1)
        )
        with pytest.raises(Conflict) as refused:
            contact_record(agreement=agreement, actor=provider.bob, kind="visit")
        assert refused.value.code == "agreement_ended"

    def test_a_third_organisation_cannot_record_contact(self, provider, council, client):
        agreement = start(provider, council, client)
        with pytest.raises(PermissionDenied):
            contact_record(agreement=agreement, actor=make_world("Sunrise Care").head, kind="call")
