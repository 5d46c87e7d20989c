"""Handovers of one request: offer, accept, decline, withdraw, expire (I2)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.handovers.models import HandoverOffer
from steward.handovers.response_time import next_working_day
from steward.handovers.services import (
    handover_accept,
    handover_decline,
    handover_offer,
    handover_sweep,
    handover_withdraw,
)
from steward.notifications.models import Notification
from steward.organisations.tests.factories import TeamFactory, make_staff
from steward.requests.models import Request
from steward.requests.services import request_capture, request_change_status
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent
from steward.timeline.selectors import timeline_for_customer


@pytest.fixture
def world(db) -> World:
    return make_world("Northshire")


@pytest.fixture
def provider(db) -> World:
    return make_world("Sunrise Care")


@pytest.fixture
def request_(world: World) -> Request:
    return request_capture(customer=world.customer, need=world.need, channel="phone", description="x", actor=None)


def last_event(request: Request) -> TimelineEvent:
    return TimelineEvent.objects.filter(request=request).order_by("-occurred_at", "-id").first()


class TestOffer:
    def test_until_accepted_the_sender_still_owns_it_and_the_customer_is_told(self, world, provider, request_):
        offer = handover_offer(request=request_, actor=world.lead, to_organisation=provider.org, reason="Their client")

        request_.refresh_from_db()
        assert request_.owner == world.lead
        assert offer.status == "pending"
        assert last_event(request_).summary == (
            f"Your request was offered to {provider.org.name}; Lena Lead is still looking after it until they accept."
        )

    def test_receivers_are_told_by_name(self, world, provider, request_):
        handover_offer(request=request_, actor=world.lead, to_team=provider.team, reason="Care package")
        assert Notification.objects.filter(recipient=provider.lead, kind="handover_offered").exists()

    def test_a_supervisor_may_offer_their_persons_request(self, world, provider, request_):
        offer = handover_offer(request=request_, actor=world.head, to_staff=provider.alice, reason="Moving")
        assert offer.sender == world.lead and offer.offered_by == world.head

    def test_a_colleague_may_not(self, world, provider, request_):
        with pytest.raises(PermissionDenied):
            handover_offer(request=request_, actor=world.bob, to_staff=provider.alice, reason="Not mine")

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_a_reason_is_needed_and_nothing_is_written(self, world, provider, request_, reason):
        events = TimelineEvent.objects.count()
        with pytest.raises(InvalidInput):
            handover_offer(request=request_, actor=world.lead, to_staff=provider.alice, reason=reason)
        assert TimelineEvent.objects.count() == events
        assert not HandoverOffer.objects.exists()

    def test_exactly_one_target(self, world, provider, request_):
        with pytest.raises(InvalidInput) as refused:
            handover_offer(
                request=request_, actor=world.lead, to_staff=provider.alice, to_team=provider.team, reason="x"
            )
        assert refused.value.code == "one_target_needed"

    def test_only_one_open_offer_per_request(self, world, provider, request_):
        handover_offer(request=request_, actor=world.lead, to_staff=provider.alice, reason="x")
        with pytest.raises(Conflict) as refused:
            handover_offer(request=request_, actor=world.lead, to_staff=provider.bob, reason="y")
        assert refused.value.code == "offer_already_open"

    def test_cannot_offer_to_a_team_with_nobody_active(self, world, request_):
        empty = TeamFactory(organisation=world.org)
        with pytest.raises(Conflict):
            handover_offer(request=request_, actor=world.lead, to_team=empty, reason="x")


class TestAccept:
    def test_a_named_receiver_becomes_the_owner_and_the_request_moves_with_its_story(self, world, provider, request_):
        offer = handover_offer(
            request=request_,
            actor=world.lead,
            to_organisation=provider.org,
            reason="Their client",
            note_for_receiver="She prefers visits after 9pm.",
        )

        handover_accept(offer=offer, actor=provider.bob)

        request_.refresh_from_db()
        assert request_.owner == provider.bob
        assert request_.organisation == provider.org and request_.team == provider.team
        assert "Bob Baker at Sunrise Care accepted" in last_event(request_).summary
        # The receiving organisation now sees the whole history of the request.
        kinds = set(
            timeline_for_customer(customer_id=world.customer.pk, staff=provider.bob).values_list("kind", flat=True)
        )
        assert {"captured", "routed", "handover_offered", "handover_accepted"} <= kinds

    def test_someone_else_cannot_accept(self, world, provider, request_):
        offer = handover_offer(request=request_, actor=world.lead, to_staff=provider.alice, reason="x")
        with pytest.raises(PermissionDenied):
            handover_accept(offer=offer, actor=provider.bob)
        request_.refresh_from_db()
        assert request_.owner == world.lead

    def test_an_answered_offer_cannot_be_accepted_again(self, world, provider, request_):
        offer = handover_offer(request=request_, actor=world.lead, to_staff=provider.alice, reason="x")
        handover_accept(offer=offer, actor=provider.alice)
        with pytest.raises(Conflict) as refused:
            handover_accept(offer=offer, actor=provider.alice)
        assert refused.value.code == "offer_not_open"

    def test_too_late_is_refused(self, world, provider, request_, monkeypatch):
        from django.utils import timezone

        offer = handover_offer(request=request_, actor=world.lead, to_staff=provider.alice, reason="x")
        later = offer.respond_by + timedelta(minutes=1)
        monkeypatch.setattr(timezone, "now", lambda: later)
        with pytest.raises(Conflict) as refused:
            handover_accept(offer=offer, actor=provider.alice)
        assert refused.value.code == "offer_expired"


class TestDeclineWithdrawExpire:
    def test_decline_needs_a_reason_keeps_the_sender_and_tells_their_supervisor(self, world, provider, request_):
        offer = handover_offer(request=request_, actor=world.lead, to_staff=provider.alice, reason="x")
        with pytest.raises(InvalidInput):
            handover_decline(offer=offer, actor=provider.alice, reason=" ")

        handover_decline(offer=offer, actor=provider.alice, reason="No capacity in that area")

        request_.refresh_from_db()
        assert request_.owner == world.lead
        assert "Lena Lead is still looking after it" in last_event(request_).summary
        assert Notification.objects.filter(recipient=world.head, kind="handover_not_accepted").exists()

    def test_withdraw_by_the_sender_only(self, world, provider, request_):
        offer = handover_offer(request=request_, actor=world.lead, to_staff=provider.alice, reason="x")
        with pytest.raises(PermissionDenied):
            handover_withdraw(offer=offer, actor=provider.alice)
        handover_withdraw(offer=offer, actor=world.lead, reason="Sorted it ourselves")
        offer.refresh_from_db()
        assert offer.status == "withdrawn"
        # a new offer is possible again
        handover_offer(request=request_, actor=world.lead, to_staff=provider.bob, reason="y")

    def test_unanswered_offers_expire_once_and_the_senders_supervisor_is_told(self, world, provider, request_):
        offer = handover_offer(request=request_, actor=world.lead, to_staff=provider.alice, reason="x")
        at = offer.respond_by + timedelta(minutes=1)

        assert handover_sweep(at=at).expired == 1
        assert handover_sweep(at=at).expired == 0

        offer.refresh_from_db()
        request_.refresh_from_db()
        assert offer.status == "expired" and request_.owner == world.lead
        assert Notification.objects.filter(recipient=world.head, kind="handover_not_accepted").count() == 1
        assert last_event(request_).kind == "handover_expired"

    def test_offer_of_a_departed_sender_is_withdrawn_when_the_new_owner_offers(self, world, provider, request_):
        from steward.organisations.services import staff_deactivate

        handover_offer(request=request_, actor=world.lead, to_staff=provider.alice, reason="x")
        staff_deactivate(staff=world.lead, actor=world.head, reason="left")
        request_.refresh_from_db()
        assert request_.owner == world.head

        handover_offer(request=request_, actor=world.head, to_staff=provider.bob, reason="y")

        assert HandoverOffer.objects.filter(request=request_, status="withdrawn").count() == 1

    def test_closed_requests_cannot_be_offered(self, world, provider, request_):
        request_change_status(request=request_, status="resolved", actor=world.lead)
        request_change_status(request=request_, status="closed", actor=world.lead)
        with pytest.raises(Conflict):
            handover_offer(request=request_, actor=world.lead, to_staff=provider.alice, reason="x")


def test_default_response_time_is_one_working_day():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    friday = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    assert next_working_day(friday).weekday() == 0  # Monday
    assert next_working_day(friday).hour == 10


def test_need_setting_wins(world, provider):
    world.need.handover_response_minutes = 30
    world.need.save()
    request = request_capture(customer=world.customer, need=world.need, channel="phone", description="x", actor=None)
    offer = handover_offer(request=request, actor=world.lead, to_staff=provider.alice, reason="x")
    assert offer.respond_by - offer.created_at == timedelta(minutes=30)


def test_a_team_member_of_the_receiver_accepts_a_team_offer(world, provider, request_):
    offer = handover_offer(request=request_, actor=world.lead, to_team=provider.team, reason="x")
    newcomer = make_staff(team=provider.team, supervisor=provider.lead)
    handover_accept(offer=offer, actor=newcomer)
    request_.refresh_from_db()
    assert request_.owner == newcomer


def test_receivers_are_reminded_once_shortly_before_an_offer_expires(world, provider, request_):
    offer = handover_offer(request=request_, actor=world.lead, to_staff=provider.alice, reason="x")
    reminders = Notification.objects.filter(recipient=provider.alice, kind="handover_expiring")

    handover_sweep(at=offer.respond_by - timedelta(hours=5))
    assert not reminders.exists()

    report = handover_sweep(at=offer.respond_by - timedelta(hours=1))
    again = handover_sweep(at=offer.respond_by - timedelta(minutes=30))

    assert (report.reminded, again.reminded) == (1, 0)
    assert reminders.count() == 1
    offer.refresh_from_db()
    assert offer.status == "pending"
