"""Continuity checks: a vulnerable client nobody has been in touch with raises an alert in
a named person's queue; it resolves itself when contact is made or the service ends; an
active service never keeps a coordinator who cannot act."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.agreements.services import agreement_end, agreement_start, contact_record
from steward.alerts.continuity import agreements_overdue_for_contact, continuity_sweep
from steward.alerts.models import Alert
from steward.alerts.services import alert_resolve
from steward.customers.models import Customer
from steward.customers.tests.factories import make_customer
from steward.notifications.models import Notification
from steward.organisations.models import StaffMember, Team
from steward.requests.services import request_add_message, request_capture
from steward.timeline.models import TimelineEvent

from .factories import CareWorld, later, make_care_world


@pytest.fixture
def care(db) -> CareWorld:
    return make_care_world(days_ago=10, interval=7)


def open_alerts(kind: str = Alert.Kind.NO_CONTACT) -> list[Alert]:
    return list(Alert.objects.filter(kind=kind, status="open"))


class TestNoContact:
    def test_raises_one_alert_to_the_coordinator_on_the_timeline_and_in_their_queue(self, care):
        report = continuity_sweep()

        assert report.no_contact_raised == 1 and report.problems == []
        [alert] = open_alerts()
        assert alert.assigned_to == care.provider.alice
        assert alert.subject == f"agreement:{care.agreement.pk}"
        assert alert.customer == care.client and alert.organisation == care.provider.org
        assert alert.title == "Check on Amina Khan: no contact for 10 days"
        assert "since the service started on" in alert.detail and "every 7 days" in alert.detail
        event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.ALERT_RAISED)
        assert event.is_internal and event.customer == care.client
        assert "Alice Able at CheapCare Ltd has been asked to get in touch" in event.summary
        assert Notification.objects.filter(recipient=care.provider.alice, kind="alert_raised").count() == 1

    def test_running_again_or_twice_at_once_changes_nothing(self, care):
        continuity_sweep()
        events, notes = TimelineEvent.objects.count(), Notification.objects.count()

        again = continuity_sweep()

        assert again.no_contact_raised == 0
        assert (TimelineEvent.objects.count(), Notification.objects.count()) == (events, notes)
        assert Alert.objects.count() == 1

    def test_contact_within_the_interval_raises_nothing(self, care):
        contact_record(agreement=care.agreement, actor=care.provider.alice, kind="call")
        assert continuity_sweep().no_contact_raised == 0
        assert continuity_sweep(at=later(6.9)).no_contact_raised == 0
        assert continuity_sweep(at=later(7.1)).no_contact_raised == 1

    def test_contact_by_any_organisation_counts(self, care):
        # The council writes to her about something else: she has been in touch.
        request = request_capture(
            customer=care.client, need=care.council.need, channel="phone", description="About my bins", actor=None
        )
        assert continuity_sweep().no_contact_raised == 0
        request_add_message(request=request, actor=care.council.alice, direction="out", body="Sorted.", channel="phone")
        assert continuity_sweep(at=later(6.9)).no_contact_raised == 0

    def test_notes_and_registrations_are_not_contact(self, care):
        assert TimelineEvent.objects.filter(customer=care.client, kind="customer_registered").exists()
        assert continuity_sweep().no_contact_raised == 1

    def test_a_customer_not_flagged_vulnerable_or_an_ended_service_raises_nothing(self, db):
        not_vulnerable = make_care_world(vulnerable=False)
        ended = make_care_world()
        agreement_end(agreement=ended.agreement, actor=ended.council.lead, reason="Moved away")
        assert continuity_sweep().no_contact_raised == 0
        assert not Alert.objects.filter(customer__in=[not_vulnerable.client, ended.client]).exists()

    def test_measured_from_the_start_when_nobody_was_ever_in_touch(self, db):
        recent = make_care_world(days_ago=3, interval=7)
        assert continuity_sweep().no_contact_raised == 0
        assert continuity_sweep(at=later(4.1)).no_contact_raised == 1
        assert Alert.objects.get().customer == recent.client

    def test_contact_before_the_service_started_does_not_make_it_overdue_at_once(self, db):
        customer = make_customer(organisation=make_care_world().council.org, is_vulnerable=True)
        care = make_care_world(days_ago=1)
        # She rang the council long before this provider started.
        TimelineEvent.objects.create(
            customer=customer,
            organisation=care.council.org,
            kind=TimelineEvent.Kind.MESSAGE_IN,
            actor_name="her",
            summary="said",
            occurred_at=timezone.now() - timedelta(days=300),
        )
        agreement_start(
            customer=customer,
            team=care.provider.team,
            coordinator=care.provider.bob,
            service="Meals",
            actor=care.provider.head,
            started_at=timezone.now() - timedelta(days=2),
        )
        assert not agreements_overdue_for_contact(at=timezone.now()).filter(customer=customer).exists()

    def test_after_a_coordinator_repair_the_alert_goes_to_the_new_coordinator(self, care):
        # Deactivated behind the services' back: the repair moves the service first, and
        # the alert goes to whoever coordinates it now.
        StaffMember.objects.filter(pk=care.provider.alice.pk).update(is_active=False)
        report = continuity_sweep()
        assert report.coordinators_repaired == 1
        assert open_alerts()[0].assigned_to == care.provider.lead

    def test_one_query_finds_the_candidates_however_many_there_are(self, care, django_assert_num_queries):
        for n in range(15):
            customer = make_customer(organisation=care.council.org, is_vulnerable=True, given_name=f"Client{n}")
            agreement_start(
                customer=customer,
                team=care.provider.team,
                coordinator=care.provider.bob,
                service="Home care",
                actor=care.provider.head,
                started_at=timezone.now() - timedelta(days=9),
            )
        with django_assert_num_queries(1):
            overdue = list(agreements_overdue_for_contact(at=timezone.now()))
        assert len(overdue) == 16
        assert overdue[0].pk == care.agreement.pk  # the longest overdue first
        assert continuity_sweep().no_contact_raised == 16
        with django_assert_num_queries(1):
            assert list(agreements_overdue_for_contact(at=timezone.now())) == []


class TestSettling:
    def test_contact_resolves_the_alert_in_plain_words(self, care):
        continuity_sweep()
        contact_record(agreement=care.agreement, actor=care.provider.bob, kind="visit", note="All well.")

        report = continuity_sweep()

        assert report.no_contact_resolved == 1
        alert = Alert.objects.get()
        assert alert.status == "resolved" and alert.resolved_by is None
        assert alert.resolution.startswith("Contact on ") and "Bob Baker visited Amina" in alert.resolution
        resolved = TimelineEvent.objects.get(kind=TimelineEvent.Kind.ALERT_RESOLVED)
        assert resolved.is_internal and resolved.actor_name == "Steward"
        assert continuity_sweep().no_contact_resolved == 0

    def test_contact_too_long_ago_does_not_resolve_it(self, care):
        continuity_sweep()
        contact_record(
            agreement=care.agreement,
            actor=care.provider.bob,
            kind="visit",
            occurred_at=timezone.now() - timedelta(days=8),
        )
        assert continuity_sweep().no_contact_resolved == 0
        assert Alert.objects.get().status == "open"

    def test_ending_the_service_resolves_it(self, care):
        continuity_sweep()
        agreement_end(agreement=care.agreement, actor=care.council.lead, reason="Moved to a care home")
        assert continuity_sweep().no_contact_resolved == 1
        assert Alert.objects.get().resolution.startswith("The service ended on ")

    def test_no_longer_vulnerable_resolves_it(self, care):
        continuity_sweep()
        Customer.objects.filter(pk=care.client.pk).update(is_vulnerable=False)
        continuity_sweep()
        assert Alert.objects.get().resolution == "Amina Khan is no longer flagged as vulnerable."

    def test_resolved_by_hand_the_clock_starts_again(self, care):
        continuity_sweep()
        alert_resolve(alert=Alert.objects.get(), actor=care.provider.alice, resolution="She is in hospital.")

        assert continuity_sweep().no_contact_raised == 0
        assert continuity_sweep(at=later(6.9)).no_contact_raised == 0
        assert continuity_sweep(at=later(7.1)).no_contact_raised == 1


class TestCoordinators:
    def test_an_inactive_coordinator_is_replaced_by_their_manager_and_reported(self, care):
        alice = care.provider.alice
        StaffMember.objects.filter(pk=alice.pk).update(is_active=False)

        report = continuity_sweep()

        care.agreement.refresh_from_db()
        assert care.agreement.coordinator == care.provider.lead
        assert report.coordinators_repaired == 1
        assert any("Alice Able was inactive" in p for p in report.problems)
        repaired = Alert.objects.get(kind=Alert.Kind.OWNER_REPAIRED)
        assert repaired.assigned_to == care.provider.lead
        event = TimelineEvent.objects.filter(kind=TimelineEvent.Kind.OWNER_CHANGED, customer=care.client).latest("id")
        assert "Lena Lead now coordinates" in event.summary
        assert continuity_sweep().coordinators_repaired == 0

    def test_the_team_lead_then_the_head_take_over(self, care):
        StaffMember.objects.filter(pk__in=[care.provider.alice.pk, care.provider.lead.pk]).update(is_active=False)
        continuity_sweep()
        care.agreement.refresh_from_db()
        assert care.agreement.coordinator == care.provider.head

    def test_nobody_active_at_the_provider_is_a_problem_and_changes_nothing(self, care):
        StaffMember.objects.filter(organisation=care.provider.org).update(is_active=False)
        Team.objects.filter(pk=care.provider.team.pk).update(lead=None)

        report = continuity_sweep()

        assert report.coordinators_repaired == 0 and report.no_contact_raised == 0
        assert any("Nobody at CheapCare Ltd is active" in p for p in report.problems)
        assert ServiceAgreement.objects.get(pk=care.agreement.pk).coordinator == care.provider.alice
