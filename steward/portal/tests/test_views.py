"""The customer's pages: my requests, a request, reply, still not fixed, ask for help,
and the wall between customer and staff sessions."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from steward.customers.tests.factories import make_customer
from steward.organisations.selectors import escalation_chain
from steward.requests.lifecycle import Status
from steward.requests.models import Channel, Request
from steward.requests.services import request_add_message, request_add_note, request_capture, request_change_status
from steward.timeline.models import TimelineEvent

from .conftest import as_customer

pytestmark = pytest.mark.django_db


def capture(world, text: str = "My carer didn't come last night") -> Request:
    return request_capture(
        customer=world.customer, need=world.need, channel=Channel.PHONE, description=text, actor=world.head
    )


def resolve(world, request: Request) -> None:
    request_change_status(request=request, status=Status.RESOLVED, actor=request.owner, reason="Carer rebooked.")


def test_anonymous_visitors_are_sent_to_sign_in(world):
    assert Client().get("/me/").url == "/me/sign-in/"
    assert Client().get("/me/ask/").url == "/me/sign-in/"


def test_my_requests_shows_status_owner_chain_and_what_happens_next(world):
    req = capture(world)
    html = as_customer(world.customer).get("/me/").content.decode()
    assert escape(req.subject) in html
    assert "Being worked on" in html
    assert req.owner.display_name in html
    chain = escalation_chain(req.owner)
    assert chain, "the owner answers to someone"
    assert f"{req.owner.display_name} answers to <strong>{chain[0].display_name}</strong>" in html
    assert all(p.display_name in html for p in chain)
    assert "will reply to you by" in html


def test_my_requests_has_an_empty_state(world):
    html = as_customer(world.customer).get("/me/").content.decode()
    assert "You have not asked us for anything yet" in html


def test_my_requests_query_count_does_not_grow_with_requests(world):
    client = as_customer(world.customer)
    capture(world)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/me/").status_code == 200
    for n in range(4):
        capture(world, text=f"Another thing {n}")
    with CaptureQueriesContext(connection) as five:
        assert client.get("/me/").status_code == 200
    assert len(five) == len(one)
    assert len(five) <= 10


def test_request_page_shows_the_conversation_without_internal_notes(world):
    req = capture(world)
    request_add_message(
        request=req, actor=req.owner, direction="out", body="I have called the agency.", channel="phone"
    )
    request_add_note(request=req, actor=req.owner, body="Agency is short-staffed again")
    html = as_customer(world.customer).get(f"/me/requests/{req.pk}/").content.decode()
    assert "I have called the agency." in html
    assert "My carer didn&#x27;t come last night" in html
    assert "short-staffed" not in html
    assert req.owner.display_name in html and escalation_chain(req.owner)[0].display_name in html


def test_another_customers_request_is_not_found(world):
    req = capture(world)
    stranger = make_customer(organisation=world.org)
    client = as_customer(stranger)
    assert client.get(f"/me/requests/{req.pk}/").status_code == 404
    assert client.post(f"/me/requests/{req.pk}/reply/", {"body": "hello"}).status_code == 404
    assert client.post(f"/me/requests/{req.pk}/still-not-fixed/", {}).status_code == 404
    assert client.get("/me/requests/999999/").status_code == 404
    assert not TimelineEvent.objects.filter(request=req, kind=TimelineEvent.Kind.MESSAGE_IN).exists()


def test_reply_is_recorded_as_the_customer_by_web(world):
    req = capture(world)
    client = as_customer(world.customer)
    response = client.post(f"/me/requests/{req.pk}/reply/", {"body": "She came at 10 in the end."})
    assert response.status_code == 302
    event = TimelineEvent.objects.get(request=req, kind=TimelineEvent.Kind.MESSAGE_IN)
    assert event.channel == "web" and event.actor is None and event.body == "She came at 10 in the end."
    assert "She came at 10 in the end." in client.get(f"/me/requests/{req.pk}/").content.decode()


def test_empty_reply_is_explained_and_changes_nothing(world):
    req = capture(world)
    response = as_customer(world.customer).post(f"/me/requests/{req.pk}/reply/", {"body": "  "})
    assert response.status_code == 400 and "Write your message first." in response.content.decode()
    assert not TimelineEvent.objects.filter(request=req, kind=TimelineEvent.Kind.MESSAGE_IN).exists()


def test_reply_reopens_a_resolved_request(world):
    req = capture(world)
    resolve(world, req)
    as_customer(world.customer).post(f"/me/requests/{req.pk}/reply/", {"body": "It happened again."})
    req.refresh_from_db()
    assert req.status == Status.OPEN and req.reopen_count == 1


def test_still_not_fixed_reopens_and_counts_the_chase(world):
    req = capture(world)
    resolve(world, req)
    client = as_customer(world.customer)
    assert "This is still not fixed" in client.get(f"/me/requests/{req.pk}/").content.decode()
    response = client.post(f"/me/requests/{req.pk}/still-not-fixed/", {"body": "Nobody came again."})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == Status.OPEN and req.reopen_count == 1
    status_event = TimelineEvent.objects.filter(request=req, kind=TimelineEvent.Kind.STATUS_CHANGED).first()
    assert status_event is not None and status_event.data["trigger"] == "customer_reply"
    chase = TimelineEvent.objects.get(request=req, kind=TimelineEvent.Kind.MESSAGE_IN)
    assert chase.data["chase"] is True and chase.body == "Nobody came again."
    assert "It is open again" in client.get(f"/me/requests/{req.pk}/").content.decode()
    from steward.notifications.models import Notification

    told = Notification.objects.get(kind=Notification.Kind.CUSTOMER_CHASED)
    assert told.recipient_id == req.owner_id and "Nobody came again." in told.body


def test_a_resolved_request_page_gives_each_field_its_own_id(world):
    # The reply form and "still not fixed" both ask for words; each label must find its own box.
    req = capture(world)
    resolve(world, req)
    html = as_customer(world.customer).get(f"/me/requests/{req.pk}/").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert "not_fixed_body" in ids and "id_body" in ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert 'for="not_fixed_body"' in html


def test_still_not_fixed_on_an_open_request_is_refused_in_words(world):
    req = capture(world)
    response = as_customer(world.customer).post(f"/me/requests/{req.pk}/still-not-fixed/", {})
    assert response.status_code == 409 and "nothing to reopen" in response.content.decode()
    req.refresh_from_db()
    assert req.reopen_count == 0


def test_ask_for_help_lists_needs_by_organisation_and_shows_the_owner(world):
    client = as_customer(world.customer)
    html = client.get("/me/ask/").content.decode()
    assert world.org.name in html and escape(world.need.title) in html
    response = client.post("/me/ask/", {"need": world.need.pk, "description": "Nobody came on Tuesday."})
    assert response.status_code == 302
    req = Request.objects.get(customer=world.customer)
    assert req.channel == "web" and req.captured_by is None and req.owner is not None
    html = client.get(response.url).content.decode()
    assert "We have got your request" in html
    assert req.owner.display_name in html and escalation_chain(req.owner)[0].display_name in html


def test_ask_for_help_without_a_choice_is_explained(world):
    response = as_customer(world.customer).post("/me/ask/", {"description": "help"})
    assert response.status_code == 400 and "Choose what you need help with." in response.content.decode()
    assert not Request.objects.exists()


def test_a_staff_session_cannot_use_the_portal(world):
    client = Client()
    client.force_login(world.alice.user)
    response = client.get("/me/")
    assert response.status_code == 403 and "This page is for customers" in response.content.decode()
    assert client.get("/me/ask/").status_code == 403


def test_a_customer_session_cannot_use_the_console(world):
    client = as_customer(world.customer)
    response = client.get("/console/")
    assert response.status_code == 302 and response.url.startswith("/console/login/")


def test_forms_carry_csrf_protection(world):
    req = capture(world)
    client = Client(enforce_csrf_checks=True)
    session = client.session
    session["portal_customer_id"] = world.customer.pk
    session.save()
    assert client.post(f"/me/requests/{req.pk}/reply/", {"body": "hi"}).status_code == 403
