"""Requests left in a team that no longer handles their need: the owner is asked, by
name, whether to offer theirs to the team that does now. Nothing moves by itself."""

from __future__ import annotations

import pytest

from steward.alerts.models import Alert
from steward.alerts.services import alert_resolve
from steward.alerts.team_needs import requests_in_teams_no_longer_handling, team_needs_sweep
from steward.handovers.services import handover_accept, handover_offer
from steward.needs.services import need_update
from steward.organisations.tests.factories import TeamFactory, make_staff
from steward.requests.models import Request
from steward.requests.services import request_capture, request_change_status
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent

from .factories import later


@pytest.fixture
def world(db) -> World:
    made = make_world("Northshire Council")
    made.head.is_org_admin = True  # Hana Head sets up the catalogue
    made.head.save(update_fields=["is_org_admin"])
    return made


@pytest.fixture
def reablement(world: World):
    """The team the need moves to, with a lead."""
    team = TeamFactory(organisation=world.org, name="Reablement")
    make_staff(team=team, supervisor=world.head, first_name="Rita", last_name="Reable", lead=True)
    return team


def capture(world: World) -> Request:
    world.need.refresh_from_db()  # as the console and API read it, after any change of team
    return request_capture(
        customer=world.customer, need=world.need, channel="phone", description="My carer didn't come", actor=None
    )


def hand_over_to_team(request: Request, team, actor) -> Request:
    offer = handover_offer(request=request, actor=actor, to_team=team, reason="They know her")
    handover_accept(offer=offer, actor=team.members.filter(is_active=True).first())
    request.refresh_from_db()
    return request


class TestAsking:
    def test_the_owner_is_asked_by_name_and_nothing_moves(self, world, reablement):
        request = capture(world)
        owner = request.owner
        need_update(need=world.need, actor=world.head, team=reablement)

        report = team_needs_sweep()

        assert report.raised == 1
        alert = Alert.objects.get(kind=Alert.Kind.TEAM_NO_LONGER_HANDLES)
        assert alert.assigned_to == owner and alert.request == request and alert.customer == world.customer
        assert alert.subject == f"request:{request.pk}:team:{world.team.pk}"
        assert "offer it to them from the request page" in alert.detail
        assert "Reablement" in alert.title or "Reablement" in alert.detail
        request.refresh_from_db()
        assert request.owner == owner and request.team == world.team  # principle 2: never moved for them
        event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.ALERT_RAISED, request=request)
        assert event.is_internal

    def test_sweeping_again_changes_nothing(self, world, reablement):
        capture(world)
        need_update(need=world.need, actor=world.head, team=reablement)
        team_needs_sweep()
        events = TimelineEvent.objects.count()
        assert team_needs_sweep().raised == 0
        assert TimelineEvent.objects.count() == events

    def test_closed_requests_and_requests_captured_after_the_change_are_left_alone(self, world, reablement):
        closed = capture(world)
        request_change_status(request=closed, status="resolved", actor=closed.owner)
        request_change_status(request=closed, status="closed", actor=closed.owner)
        need_update(need=world.need, actor=world.head, team=reablement)
        fresh = capture(world)
        assert fresh.team == reablement
        assert team_needs_sweep().raised == 0

    def test_a_request_handed_over_to_another_team_is_not_flagged(self, world, reablement):
        housing = TeamFactory(organisation=world.org, name="Housing")
        make_staff(team=housing, supervisor=world.head, first_name="Owen", last_name="Price")
        request = hand_over_to_team(capture(world), housing, world.lead)
        need_update(need=world.need, actor=world.head, team=reablement)

        assert team_needs_sweep().raised == 0
        assert not requests_in_teams_no_longer_handling(at=later(0)).filter(pk=request.pk).exists()

    def test_a_request_accepted_into_the_old_team_after_the_change_was_taken_on_knowingly(self, world, reablement):
        need_update(need=world.need, actor=world.head, team=reablement)
        request = capture(world)
        assert request.team == reablement
        request = hand_over_to_team(request, world.team, request.owner)
        assert request.team == world.team
        assert team_needs_sweep().raised == 0

    def test_moved_on_twice_the_owner_is_pointed_at_the_team_that_handles_it_now(self, world, reablement):
        request = capture(world)
        need_update(need=world.need, actor=world.head, team=reablement)
        later_team = TeamFactory(organisation=world.org, name="Home First")
        make_staff(team=later_team, supervisor=world.head)
        need_update(need=world.need, actor=world.head, team=later_team)
        team_needs_sweep()
        alert = Alert.objects.get(kind=Alert.Kind.TEAM_NO_LONGER_HANDLES, request=request)
        assert "handled by Home First" in alert.detail

    def test_one_query_finds_them(self, world, reablement, django_assert_num_queries):
        for _ in range(5):
            capture(world)
        need_update(need=world.need, actor=world.head, team=reablement)
        with django_assert_num_queries(1):
            assert len(list(requests_in_teams_no_longer_handling(at=later(0)))) == 5


class TestSettling:
    def test_resolves_when_the_request_is_handed_to_the_new_team(self, world, reablement):
        request = capture(world)
        need_update(need=world.need, actor=world.head, team=reablement)
        team_needs_sweep()
        hand_over_to_team(request, reablement, request.owner)

        report = team_needs_sweep()

        assert report.resolved == 1
        alert = Alert.objects.get(kind=Alert.Kind.TEAM_NO_LONGER_HANDLES)
        assert alert.status == "resolved" and alert.resolution == "The request is now with Reablement."

    def test_resolves_when_the_request_closes_or_the_need_comes_back(self, world, reablement):
        first, second = capture(world), capture(world)
        need_update(need=world.need, actor=world.head, team=reablement)
        assert team_needs_sweep().raised == 2
        request_change_status(request=first, status="resolved", actor=first.owner)
        request_change_status(request=first, status="closed", actor=first.owner)
        assert team_needs_sweep().resolved == 1
        need_update(need=world.need, actor=world.head, team=world.team)
        assert team_needs_sweep().resolved == 1
        resolutions = set(Alert.objects.values_list("resolution", flat=True))
        assert resolutions == {"The request is closed.", f"“{world.need.title}” is handled by {world.team.name} again."}
        assert not Alert.objects.filter(status="open").exists()
        assert second.pk in Alert.objects.values_list("request_id", flat=True)

    def test_an_owner_who_keeps_it_is_not_asked_again(self, world, reablement):
        request = capture(world)
        need_update(need=world.need, actor=world.head, team=reablement)
        team_needs_sweep()
        alert = Alert.objects.get(kind=Alert.Kind.TEAM_NO_LONGER_HANDLES)
        alert_resolve(alert=alert, actor=request.owner, resolution="Nearly done; I'll finish it here.")

        assert team_needs_sweep(at=later(1)).raised == 0
        assert Alert.objects.filter(kind=Alert.Kind.TEAM_NO_LONGER_HANDLES).count() == 1
