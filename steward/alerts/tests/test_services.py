"""Alerts: raised once per (kind, subject), addressed to a named person, resolved with
words by them or the people they answer to, passed on when they leave."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from steward.alerts.models import Alert
from steward.alerts.services import (
    alert_auto_resolve,
    alert_raise,
    alert_resolve,
    alerts_repair_assignees,
    alerts_resolve_subject,
)
from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.notifications.models import Notification
from steward.organisations.models import StaffMember
from steward.organisations.services import staff_deactivate
from steward.organisations.tests.factories import make_staff
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent
from steward.timeline.selectors import timeline_for_customer

from .factories import later


@pytest.fixture
def world(db) -> World:
    return make_world("CheapCare Ltd")


def raise_one(world: World, **extra) -> Alert:
    kwargs = {
        "kind": Alert.Kind.NO_CONTACT,
        "subject": "agreement:1",
        "assigned_to": world.alice,
        "organisation": world.org,
        "customer": world.customer,
        "title": "Check on the client",
        "detail": "Nobody has visited for 9 days.",
        "timeline_summary": "A check-in with the client is due.",
        **extra,
    }
    return alert_raise(**kwargs)


class TestRaise:
    def test_goes_to_the_named_person_with_a_staff_only_timeline_entry(self, world):
        alert = raise_one(world)

        assert alert.status == "open" and alert.assigned_to == world.alice
        event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.ALERT_RAISED)
        assert event.is_internal and event.customer == world.customer
        assert event.summary == "A check-in with the client is due."
        assert "safeguarding" not in event.summary.lower()
        note = Notification.objects.get(recipient=world.alice, kind="alert_raised")
        assert note.title == "Check on the client"

    def test_raising_an_open_one_again_returns_it_and_changes_nothing(self, world):
        first = raise_one(world)
        events, notes = TimelineEvent.objects.count(), Notification.objects.count()

        again = raise_one(world, assigned_to=world.bob, title="Something else")

        assert again.pk == first.pk
        again.refresh_from_db()
        assert again.assigned_to == world.alice and again.title == "Check on the client"
        assert (TimelineEvent.objects.count(), Notification.objects.count()) == (events, notes)
        assert Alert.objects.count() == 1

    def test_a_resolved_one_can_be_raised_again(self, world):
        first = raise_one(world)
        alert_resolve(alert=first, actor=world.alice, resolution="Visited her.")
        second = raise_one(world)
        assert second.pk != first.pk and second.status == "open"

    def test_without_a_customer_nothing_goes_on_a_timeline(self, world):
        events = TimelineEvent.objects.count()
        alert_raise(
            kind="transfer_decision", subject="transfer:9", assigned_to=world.lead, organisation=world.org, title="x"
        )
        assert TimelineEvent.objects.count() == events

    @pytest.mark.parametrize(
        ("change", "code"),
        [
            ({"kind": "rumour"}, "unknown_alert_kind"),
            ({"subject": ""}, "invalid_subject"),
            ({"subject": "x" * 101}, "invalid_subject"),
            ({"title": "  "}, "title_required"),
        ],
    )
    def test_bad_input_is_refused_and_changes_nothing(self, world, change, code):
        with pytest.raises(InvalidInput) as refused:
            raise_one(world, **change)
        assert refused.value.code == code
        assert not Alert.objects.exists()

    def test_an_inactive_or_other_organisation_assignee_is_refused(self, world):
        other = make_world("Sunrise Care")
        with pytest.raises(InvalidInput, match="does not work for"):
            raise_one(world, assigned_to=other.alice)
        StaffMember.objects.filter(pk=world.bob.pk).update(is_active=False)
        world.bob.refresh_from_db()
        with pytest.raises(InvalidInput) as refused:
            raise_one(world, assigned_to=world.bob)
        assert refused.value.code == "assignee_inactive"
        assert not Alert.objects.exists()


class TestResolve:
    def test_the_assignee_resolves_with_words_on_the_timeline(self, world):
        alert = raise_one(world)

        alert_resolve(alert=alert, actor=world.alice, resolution="  Visited; she was fine.  ")

        alert.refresh_from_db()
        assert alert.status == "resolved" and alert.resolved_by == world.alice
        assert alert.resolution == "Visited; she was fine." and alert.resolved_at is not None
        event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.ALERT_RESOLVED)
        assert event.is_internal and event.actor == world.alice
        assert "Visited; she was fine." in event.summary

    def test_someone_the_assignee_answers_to_may_resolve(self, world):
        alert = raise_one(world)
        alert_resolve(alert=alert, actor=world.head, resolution="Rang her daughter.")
        alert.refresh_from_db()
        assert alert.resolved_by == world.head

    @pytest.mark.parametrize("who", ["bob", "other_org"])
    def test_colleagues_and_other_organisations_are_refused(self, world, who):
        alert = raise_one(world)
        actor = world.bob if who == "bob" else make_world("Sunrise Care").head
        with pytest.raises(PermissionDenied) as refused:
            alert_resolve(alert=alert, actor=actor, resolution="Done")
        assert refused.value.code == "not_allowed_on_alert"
        alert.refresh_from_db()
        assert alert.status == "open"
        assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.ALERT_RESOLVED).exists()

    def test_a_resolution_is_required_and_twice_is_refused(self, world):
        alert = raise_one(world)
        with pytest.raises(InvalidInput) as empty:
            alert_resolve(alert=alert, actor=world.alice, resolution=" ")
        assert empty.value.code == "resolution_required"
        with pytest.raises(InvalidInput):
            alert_resolve(alert=alert, actor=world.alice, resolution="x" * 1001)
        alert_resolve(alert=alert, actor=world.alice, resolution="Done")
        with pytest.raises(Conflict) as twice:
            alert_resolve(alert=alert, actor=world.lead, resolution="Done again")
        assert twice.value.code == "alert_not_open"

    def test_auto_resolve_happens_once(self, world):
        alert = raise_one(world)
        assert alert_auto_resolve(alert=alert, resolution="Contact recorded.", at=later(0))
        assert not alert_auto_resolve(alert=alert, resolution="Contact recorded.", at=later(0))
        alert.refresh_from_db()
        assert alert.status == "resolved" and alert.resolved_by is None
        assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.ALERT_RESOLVED).count() == 1

    def test_resolve_subject_for_services_that_settled_the_matter(self, world):
        alert_raise(
            kind="transfer_decision", subject="transfer:3", assigned_to=world.lead, organisation=world.org, title="x"
        )
        resolved = alerts_resolve_subject(kind="transfer_decision", subject="transfer:3", resolution="All decided.")
        assert resolved is not None and resolved.status == "resolved" and resolved.resolution == "All decided."
        assert alerts_resolve_subject(kind="transfer_decision", subject="transfer:3", resolution="again") is None


class TestWhenPeopleLeave:
    def test_deactivation_hands_open_alerts_to_the_successor(self, world):
        alert = raise_one(world)
        staff_deactivate(staff=world.alice, actor=world.lead, reason="Left the company")

        alert.refresh_from_db()
        assert alert.assigned_to == world.lead and alert.status == "open"
        moved = TimelineEvent.objects.filter(kind=TimelineEvent.Kind.OWNER_CHANGED, customer=world.customer).latest(
            "id"
        )
        assert moved.is_internal and "Lena Lead now follows up" in moved.summary
        assert Notification.objects.filter(recipient=world.lead, title__startswith="Now yours").exists()

    def test_someone_with_open_alerts_and_nobody_above_needs_a_named_successor(self, world):
        alert = raise_one(world, assigned_to=world.head)
        from steward.errors import Conflict as Refused

        with pytest.raises(Refused) as refused:
            staff_deactivate(staff=world.head, actor=None, reason="Retired")
        assert refused.value.code == "successor_required"
        alert.refresh_from_db()
        assert alert.assigned_to == world.head

    def test_the_sweep_moves_alerts_off_people_deactivated_behind_its_back(self, world):
        alert = raise_one(world)
        StaffMember.objects.filter(pk=world.alice.pk).update(is_active=False)

        moved, problems = alerts_repair_assignees(at=later(0))

        assert (moved, problems) == (1, [])
        alert.refresh_from_db()
        assert alert.assigned_to == world.lead
        assert alerts_repair_assignees(at=later(0)) == (0, [])

    def test_nobody_left_to_take_it_is_reported(self, world):
        alert = raise_one(world)
        StaffMember.objects.filter(organisation=world.org).update(is_active=False)
        moved, problems = alerts_repair_assignees(at=later(0))
        assert moved == 0 and len(problems) == 1 and f"Alert #{alert.pk}" in problems[0]


def test_the_timeline_entry_is_for_staff_of_the_alerts_organisation(world):
    raise_one(world)
    staff_view = timeline_for_customer(customer_id=world.customer.pk, staff=world.lead)
    assert staff_view.filter(kind=TimelineEvent.Kind.ALERT_RAISED).exists()
    outsider = make_staff(organisation=make_world("Sunrise Care").org)
    assert (
        not timeline_for_customer(customer_id=world.customer.pk, staff=outsider)
        .filter(kind=TimelineEvent.Kind.ALERT_RAISED)
        .exists()
    )


def test_raising_an_open_alert_again_costs_one_query(world):
    raise_one(world)
    with CaptureQueriesContext(connection) as queries:
        raise_one(world)
    # the savepoint of the service's transaction, the lookup, and its release
    assert len([q for q in queries.captured_queries if "alerts_alert" in q["sql"]]) == 1
