"""Escalations reach a named person, and only them."""

from __future__ import annotations

from datetime import timedelta

from steward.requests.services import request_capture, sla_sweep
from steward.requests.tests.factories import make_world


def test_the_supervisor_sees_the_escalation_and_the_owner_does_not(api, db):
    world = make_world()
    request = request_capture(customer=world.customer, need=world.need, channel="phone", description="x", actor=None)
    sla_sweep(at=request.first_response_due + timedelta(minutes=5))

    supervisor = api.get("/notifications", as_=world.head, unread_only=True).json()
    colleague = api.get("/notifications", as_=world.bob).json()

    assert [n["kind"] for n in supervisor["items"]] == ["breach_escalated"]
    assert "Lena Lead" in supervisor["items"][0]["title"]
    assert supervisor["items"][0]["request_id"] == request.pk
    assert colleague["count"] == 0


def test_notifications_need_a_token(api, db):
    assert api.get("/notifications", as_=None).status_code == 401


def test_marking_read_is_for_the_recipient_only(api, db):
    world = make_world()
    request = request_capture(customer=world.customer, need=world.need, channel="phone", description="x", actor=None)
    sla_sweep(at=request.first_response_due + timedelta(minutes=5))
    note_id = api.get("/notifications", as_=world.head).json()["items"][0]["id"]

    assert api.post(f"/notifications/{note_id}/read", as_=world.bob).status_code == 404
    response = api.post(f"/notifications/{note_id}/read", as_=world.head)

    assert response.status_code == 200 and response.json()["read_at"]
    assert api.get("/notifications", as_=world.head, unread_only=True).json()["count"] == 0
