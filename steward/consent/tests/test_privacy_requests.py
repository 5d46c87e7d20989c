"""Privacy requests on the statutory clock (Art. 12(3)): one calendar month, in a named
person's queue, reminded a week before and escalated by name when overdue."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from steward.consent.privacy import (
    add_one_month,
    data_protection_lead,
    due_for,
    privacy_request_complete_export,
    privacy_request_open,
    privacy_request_refuse,
    privacy_requests_for,
    privacy_sweep,
)
from steward.errors import Conflict, InvalidInput, NotFound
from steward.notifications.models import Notification
from steward.requests.tests.factories import World, make_world

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def world(db) -> World:
    return make_world("Northshire")


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 9, 3), date(2026, 10, 3)),
        (date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_one_calendar_month_handles_month_ends(received: date, due: date) -> None:
    assert add_one_month(received) == due


def test_due_at_is_the_end_of_that_local_day() -> None:
    due = due_for(datetime(2026, 1, 31, 16, 30, tzinfo=LONDON))
    assert timezone.localtime(due).replace(tzinfo=None) == datetime(2026, 2, 28, 23, 59, 59)


def test_the_lead_is_an_administrator_else_the_head(world: World) -> None:
    assert data_protection_lead(world.org) == world.head
    world.bob.is_org_admin = True
    world.bob.save(update_fields=["is_org_admin"])
    assert data_protection_lead(world.org) == world.bob


def test_opening_puts_it_in_the_leads_queue_with_a_notification(world: World) -> None:
    request = privacy_request_open(customer=world.customer, kind="export", actor=world.alice)
    assert (request.assigned_to, request.organisation, request.opened_by) == (world.head, world.org, world.alice)
    assert list(privacy_requests_for(staff=world.head)) == [request]
    assert list(privacy_requests_for(staff=world.alice)) == []
    note = Notification.objects.get(recipient=world.head)
    assert f"Privacy request #{request.pk}" in note.title and world.customer.full_name not in note.body
    with pytest.raises(InvalidInput):
        privacy_request_open(customer=world.customer, kind="gossip", actor=world.alice)


def test_the_sweep_reminds_a_week_before_and_escalates_by_name_when_overdue(world: World) -> None:
    received = timezone.now() - timedelta(days=40)
    request = privacy_request_open(customer=world.customer, kind="export", actor=world.alice, received_at=received)
    week_before = request.due_at - timedelta(days=6)
    assert privacy_sweep(week_before - timedelta(days=2)).as_dict() == {"reminded": 0, "escalated": 0, "reassigned": 0}
    assert privacy_sweep(week_before).reminded == 1
    assert privacy_sweep(week_before).reminded == 0  # once
    # The head answers to nobody: told it is overdue, nobody above.
    late = request.due_at + timedelta(minutes=1)
    assert privacy_sweep(late).escalated == 1
    assert privacy_sweep(late).escalated == 0
    request.refresh_from_db()
    assert request.escalated_at == late and request.escalated_to is None
    assert Notification.objects.filter(recipient=world.head, kind="breach_escalated").count() == 1


def test_overdue_escalates_to_the_assignees_supervisor(world: World) -> None:
    world.lead.is_org_admin = True
    world.lead.save(update_fields=["is_org_admin"])
    request = privacy_request_open(customer=world.customer, kind="erasure", actor=world.alice)
    assert request.assigned_to == world.lead
    privacy_sweep(request.due_at + timedelta(days=1))
    request.refresh_from_db()
    assert request.escalated_to == world.head
    assert list(privacy_requests_for(staff=world.head)) == [request]
    escalation = Notification.objects.get(recipient=world.head, kind="breach_escalated")
    assert "Lena Lead has not answered it" in escalation.title


def test_a_leavers_requests_go_to_the_lead_now(world: World) -> None:
    world.lead.is_org_admin = True
    world.lead.save(update_fields=["is_org_admin"])
    request = privacy_request_open(customer=world.customer, kind="export", actor=world.alice)
    world.lead.is_active = False
    world.lead.save(update_fields=["is_active"])
    assert privacy_sweep().reassigned == 1
    request.refresh_from_db()
    assert request.assigned_to == world.head


def test_complete_and_refuse(world: World) -> None:
    export = privacy_request_open(customer=world.customer, kind="export", actor=world.alice)
    with pytest.raises(NotFound):
        privacy_request_complete_export(request=export, actor=world.bob)
    done = privacy_request_complete_export(request=export, actor=world.head)
    assert done.status == "done" and done.completed_at is not None
    with pytest.raises(Conflict):
        privacy_request_complete_export(request=export, actor=world.head)
    erasure = privacy_request_open(customer=world.customer, kind="erasure", actor=world.alice)
    with pytest.raises(InvalidInput):
        privacy_request_refuse(request=erasure, actor=world.head, reason=" ")
    refused = privacy_request_refuse(
        request=erasure, actor=world.head, reason="A safeguarding enquiry is open; we must keep the record."
    )
    assert refused.status == "refused" and refused.outcome.startswith("A safeguarding")
    assert list(privacy_requests_for(staff=world.head)) == []
