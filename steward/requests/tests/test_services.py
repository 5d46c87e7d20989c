"""Requests: capture and routing, the lifecycle, messages and notes, sweeps and
deactivations, as the people using Steward would notice them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.needs.tests.factories import make_need
from steward.notifications.models import Notification
from steward.organisations.models import StaffMember
from steward.organisations.services import staff_deactivate
from steward.organisations.tests.factories import TeamFactory, make_staff
from steward.requests.lifecycle import Status
from steward.requests.models import Request
from steward.requests.services import (
    request_add_message,
    request_add_note,
    request_capture,
    request_change_status,
    sla_sweep,
)
from steward.timeline.models import TimelineEvent

from .factories import World, make_world


def capture(world: World, *, actor: StaffMember | None = None, **kwargs) -> Request:
    kwargs.setdefault("description", "My carer didn't come last night.")
    kwargs.setdefault("channel", "phone")
    return request_capture(
        customer=world.customer, need=kwargs.pop("need", world.need), actor=actor or world.alice, **kwargs
    )


def kinds(request: Request) -> list[str]:
    return list(
        TimelineEvent.objects.filter(request=request).order_by("occurred_at", "id").values_list("kind", flat=True)
    )


class TestCaptureAndRouting:
    def test_owner_is_named_at_capture_and_the_timeline_says_who(self, world):
        request = capture(world)

        assert request.owner == world.lead  # everyone has 0 open work; ties go to the lead
        assert request.status == Status.OPEN
        assert kinds(request) == ["captured", "routed"]
        routed = TimelineEvent.objects.get(request=request, kind="routed")
        assert "Lena Lead is looking after it, and answers to Hana Head" in routed.summary

    def test_least_open_work_wins(self, world):
        first = capture(world)
        second = capture(world)
        third = capture(world)

        assert [first.owner, second.owner, third.owner] == [world.lead, world.alice, world.bob]

    def test_any_door_staff_of_another_organisation_can_capture(self, world):
        other = make_world("Another Org")

        request = capture(world, actor=other.alice)

        assert request.organisation == world.org
        assert request.owner.organisation == world.org
        assert request.captured_by == other.alice
        captured = TimelineEvent.objects.get(request=request, kind="captured")
        assert captured.organisation == world.org
        assert captured.actor_name == other.alice.display_name

    def test_customer_self_service_capture_has_no_staff_actor(self, world):
        request = request_capture(
            customer=world.customer, need=world.need, channel="web", description="Help", actor=None
        )
        assert request.captured_by is None
        assert request.owner is not None
        assert "asked for help online" in TimelineEvent.objects.get(request=request, kind="captured").summary

    def test_team_with_nobody_active_routes_to_the_head_by_name(self, world):
        empty_team = TeamFactory(organisation=world.org)
        need = make_need(team=empty_team, title="I'm moving house")

        request = capture(world, need=need)

        assert request.owner == world.head
        assert "Nobody in" in TimelineEvent.objects.get(request=request, kind="routed").data["reason"]

    def test_new_owner_is_notified_by_email_once_the_capture_commits(self, world, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            request = capture(world)
        assert Notification.objects.filter(recipient=request.owner, request=request).count() == 1
        assert mail.outbox and mail.outbox[-1].to == [request.owner.user.email]

    @pytest.mark.parametrize(
        ("change", "code"),
        [
            ({"description": "   "}, "description_required"),
            ({"channel": "fax"}, "unknown_channel"),
        ],
    )
    def test_bad_input_is_refused_and_changes_nothing(self, world, change, code):
        before = (Request.objects.count(), TimelineEvent.objects.count(), Notification.objects.count())

        with pytest.raises(InvalidInput) as refused:
            capture(world, **change)

        assert refused.value.code == code
        assert (Request.objects.count(), TimelineEvent.objects.count(), Notification.objects.count()) == before

    def test_inactive_need_is_refused(self, world):
        world.need.is_active = False
        world.need.save()
        with pytest.raises(InvalidInput, match="no longer offered"):
            capture(world)

    def test_deactivated_staff_cannot_capture(self, world):
        staff_deactivate(staff=world.bob, actor=None, reason="left")
        world.bob.refresh_from_db()
        with pytest.raises(PermissionDenied):
            capture(world, actor=world.bob)

    def test_nobody_active_at_all_is_refused_with_a_reason(self, world):
        empty_team = TeamFactory(organisation=world.org)
        need = make_need(team=empty_team)
        StaffMember.objects.filter(organisation=world.org).update(is_active=False)
        before = Request.objects.count()

        with pytest.raises(Conflict) as refused:
            capture(world, need=need, actor=make_world("Elsewhere").alice)

        assert refused.value.code == "no_owner_available"
        assert Request.objects.count() == before


class TestLifecycle:
    def test_first_reply_stops_the_first_response_clock(self, world):
        request = capture(world)
        assert request.due_at == request.first_response_due

        request_add_message(request=request, actor=world.lead, direction="out", body="On it.", channel="phone")

        request.refresh_from_db()
        assert request.first_responded_at is not None
        assert request.due_at == request.resolution_due

    def test_waiting_on_customer_pauses_the_clocks(self, world, monkeypatch):
        request = capture(world)
        due = request.resolution_due
        start = timezone.now()

        request_change_status(request=request, status="waiting_on_customer", actor=world.lead, reason="Asked Sara")
        request.refresh_from_db()
        assert request.due_at is None

        later = start + timedelta(hours=5)
        monkeypatch.setattr(timezone, "now", lambda: later)
        request_add_message(request=request, actor=world.lead, direction="in", body="Here it is", channel="phone")

        request.refresh_from_db()
        assert request.status == Status.OPEN
        assert request.resolution_due - due >= timedelta(hours=4, minutes=59)

    def test_customer_reply_reopens_a_resolved_request_within_the_window(self, world):
        request = capture(world)
        request_change_status(request=request, status="resolved", actor=world.lead, reason="Visit rebooked")

        request_add_message(request=request, actor=world.alice, direction="in", body="Still not fixed", channel="phone")

        request.refresh_from_db()
        assert request.status == Status.OPEN
        assert request.reopen_count == 1

    def test_reply_after_the_reopen_window_is_refused(self, world, settings, monkeypatch):
        request = capture(world)
        request_change_status(request=request, status="resolved", actor=world.lead)
        later = timezone.now() + timedelta(days=settings.STEWARD_REOPEN_WINDOW_DAYS + 1)
        monkeypatch.setattr(timezone, "now", lambda: later)
        events = TimelineEvent.objects.count()

        with pytest.raises(Conflict) as refused:
            request_add_message(request=request, actor=world.alice, direction="in", body="Hello?", channel="email")

        assert refused.value.code == "reopen_window_passed"
        assert TimelineEvent.objects.count() == events

    def test_illegal_move_is_refused_with_what_is_possible_and_changes_nothing(self, world):
        request = capture(world)
        events = TimelineEvent.objects.count()

        with pytest.raises(Conflict) as refused:
            request_change_status(request=request, status="closed", actor=world.lead)

        assert refused.value.code == "invalid_transition"
        assert "From here it can become" in refused.value.message
        request.refresh_from_db()
        assert request.status == Status.OPEN
        assert TimelineEvent.objects.count() == events

    def test_closed_request_takes_no_messages(self, world):
        request = capture(world)
        request_change_status(request=request, status="resolved", actor=world.lead)
        request_change_status(request=request, status="closed", actor=world.lead)

        with pytest.raises(Conflict) as refused:
            request_add_message(request=request, actor=world.lead, direction="out", body="Hi", channel="email")
        assert refused.value.code == "request_closed"

    def test_only_people_answerable_may_change_status(self, world):
        request = capture(world)
        outsider_team = TeamFactory(organisation=world.org)
        outsider = make_staff(team=outsider_team, supervisor=world.head)

        with pytest.raises(PermissionDenied):
            request_change_status(request=request, status="resolved", actor=outsider)
        # …but anyone who can see it may leave a note for colleagues (tell it once).
        note = request_add_note(request=request, actor=outsider, body="She called us too")
        assert note.is_internal

    def test_other_organisation_cannot_touch_it(self, world):
        request = capture(world)
        other = make_world("Other")
        with pytest.raises(PermissionDenied):
            request_add_note(request=request, actor=other.lead, body="peek")

    def test_a_correction_is_a_new_event_and_the_original_stays(self, world):
        request = capture(world)
        note = request_add_note(request=request, actor=world.lead, body="Carer was Jo")

        correction = request_add_note(request=request, actor=world.lead, body="Carer was Joe, not Jo", corrects=note)

        note.refresh_from_db()
        assert note.body == "Carer was Jo"
        assert correction.kind == "correction"
        assert correction.corrects == note


class TestSweeps:
    def test_missed_first_reply_escalates_to_the_owners_supervisor_by_name(self, world):
        request = capture(world, actor=world.head)  # owner: the lead, who answers to the head
        at = request.first_response_due + timedelta(minutes=1)

        report = sla_sweep(at=at)

        assert report.first_response_breaches == 1
        request.refresh_from_db()
        assert request.first_response_breached_at == at
        escalated = TimelineEvent.objects.get(request=request, kind="escalated")
        assert escalated.summary == "Escalated to Hana Head, who Lena Lead answers to."
        note = Notification.objects.get(recipient=world.head, kind=Notification.Kind.BREACH_ESCALATED)
        assert "Lena Lead owns it" in note.body

    def test_sweep_is_idempotent(self, world):
        request = capture(world)
        at = request.resolution_due + timedelta(minutes=1)
        sla_sweep(at=at)
        events = TimelineEvent.objects.count()

        again = sla_sweep(at=at)

        assert again.changes == 0
        assert TimelineEvent.objects.count() == events

    def test_nothing_breaches_before_it_is_due_or_after_a_reply(self, world):
        request = capture(world)
        assert sla_sweep(at=request.first_response_due - timedelta(minutes=1)).changes == 0
        request_add_message(request=request, actor=world.lead, direction="out", body="Hello", channel="phone")

        report = sla_sweep(at=request.first_response_due + timedelta(minutes=1))

        assert report.first_response_breaches == 0

    def test_waiting_on_customer_does_not_breach(self, world):
        request = capture(world)
        request_change_status(request=request, status="waiting_on_customer", actor=world.lead)
        assert sla_sweep(at=request.resolution_due + timedelta(days=1)).changes == 0

    def test_head_of_organisation_breach_stays_with_them(self, world):
        empty = TeamFactory(organisation=world.org)
        request = capture(world, need=make_need(team=empty))
        assert request.owner == world.head

        sla_sweep(at=request.first_response_due + timedelta(minutes=1))

        assert "stays with them" in TimelineEvent.objects.get(request=request, kind="escalated").summary

    def test_resolved_requests_close_after_the_reopen_window(self, world, settings):
        request = capture(world)
        request_change_status(request=request, status="resolved", actor=world.lead)

        report = sla_sweep(at=timezone.now() + timedelta(days=settings.STEWARD_REOPEN_WINDOW_DAYS, minutes=1))

        assert report.closed_after_window == 1
        request.refresh_from_db()
        assert request.status == Status.CLOSED

    def test_owner_deactivated_behind_the_services_back_is_repaired(self, world):
        request = capture(world)
        StaffMember.objects.filter(pk=world.lead.pk).update(is_active=False)

        report = sla_sweep()

        assert report.repaired_owners == 1
        request.refresh_from_db()
        assert request.owner == world.head
        assert TimelineEvent.objects.filter(request=request, kind="owner_changed").exists()


class TestDeactivation:
    def test_open_requests_move_to_the_supervisor_with_a_reason(self, world):
        capture(world)
        mine = capture(world)
        assert mine.owner == world.alice

        staff_deactivate(staff=world.alice, actor=world.lead, reason="left the council")

        mine.refresh_from_db()
        assert mine.owner == world.lead
        changed = TimelineEvent.objects.get(request=mine, kind="owner_changed")
        assert "Lena Lead now looks after this request instead of Alice Able" in changed.summary
        assert "left the council" in changed.summary
        world.alice.refresh_from_db()
        assert not world.alice.is_active and not world.alice.user.is_active

    def test_reports_answer_to_the_successor(self, world):
        staff_deactivate(staff=world.lead, actor=world.head, reason="retired")

        world.alice.refresh_from_db()
        world.team.refresh_from_db()
        assert world.alice.supervisor == world.head
        assert world.team.lead is None

    def test_head_with_work_and_no_successor_is_refused_and_nothing_changes(self, world):
        empty = TeamFactory(organisation=world.org)
        request = capture(world, need=make_need(team=empty))
        events = TimelineEvent.objects.count()

        with pytest.raises(Conflict) as refused:
            staff_deactivate(staff=world.head, actor=None, reason="left")

        assert refused.value.code == "successor_required"
        world.head.refresh_from_db()
        request.refresh_from_db()
        assert world.head.is_active and request.owner == world.head
        assert TimelineEvent.objects.count() == events

    def test_head_with_a_named_successor(self, world):
        empty = TeamFactory(organisation=world.org)
        request = capture(world, need=make_need(team=empty))

        staff_deactivate(staff=world.head, actor=None, reason="left", successor=world.lead)

        request.refresh_from_db()
        world.lead.refresh_from_db()
        assert request.owner == world.lead
        assert world.lead.supervisor is None  # the successor now heads the organisation

    def test_a_colleague_cannot_deactivate_someone(self, world):
        with pytest.raises(PermissionDenied):
            staff_deactivate(staff=world.alice, actor=world.bob, reason="grudge")

    def test_deactivation_revokes_api_tokens(self, world):
        from steward.accounts.services import api_token_issue

        token, _ = api_token_issue(user=world.bob.user)
        staff_deactivate(staff=world.bob, actor=world.lead, reason="left")
        token.refresh_from_db()
        assert token.revoked_at is not None


def test_a_deactivated_manager_cannot_deactivate_anyone(world):
    staff_deactivate(staff=world.lead, actor=world.head, reason="left")
    world.lead.refresh_from_db()
    with pytest.raises(PermissionDenied):
        staff_deactivate(staff=world.alice, actor=world.lead, reason="parting shot")
