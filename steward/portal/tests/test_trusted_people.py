"""Trusted people in the portal: signing in with their own address, choosing whose
requests to look at, acting within what the customer allowed (and refused, clearly,
outside it), stopped at once when the trust ends; and the customer's own page to name
and remove them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from steward.consent.chain import verify_chain
from steward.consent.models import AccessEvent
from steward.customers.tests.factories import make_customer
from steward.requests.lifecycle import Status
from steward.requests.models import Channel, Request
from steward.requests.services import request_capture, request_change_status
from steward.timeline.models import TimelineEvent
from steward.trusted.models import TrustedPerson
from steward.trusted.permissions import Scope
from steward.trusted.services import trusted_person_change, trusted_person_revoke
from steward.trusted.tests.factories import make_trusted

from ..access import EMAIL_KEY, NAME_KEY, SESSION_KEY, TRUST_KEY
from .conftest import as_customer, email_of

pytestmark = pytest.mark.django_db

ALL = [Scope.SEE_REQUESTS, Scope.REPLY, Scope.ASK, Scope.SEE_PRIVACY]


def capture(world, text: str = "My carer didn't come last night") -> Request:
    return request_capture(
        customer=world.customer, need=world.need, channel=Channel.PHONE, description=text, actor=world.head
    )


def as_trusted(trusted: TrustedPerson) -> Client:
    """A browser signed in with the trusted person's address, acting for the customer."""
    client = Client()
    session = client.session
    session[EMAIL_KEY] = trusted.email
    session[NAME_KEY] = trusted.name
    session[SESSION_KEY] = trusted.customer_id
    session[TRUST_KEY] = trusted.pk
    session.save()
    return client


def code_from_mail() -> str:
    match = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert match
    return match.group(1)


def sign_in(client: Client, email: str):
    client.post("/me/sign-in/", {"email": email}, REMOTE_ADDR="10.0.0.9")
    return client.post("/me/sign-in/code/", {"code": code_from_mail()})


# --- signing in ----------------------------------------------------------------------


def test_a_trusted_person_who_is_not_a_customer_signs_in_with_their_own_address(world):
    sara = make_trusted(customer=world.customer, name="Sara Khan", email="sara@example.org", scopes=ALL)
    client = Client()
    response = sign_in(client, "Sara@Example.org")
    assert mail.outbox[0].to == ["sara@example.org"] and "Hello Sara Khan" in mail.outbox[0].body
    assert response.status_code == 302 and response.url == "/me/"
    assert client.session[TRUST_KEY] == sara.pk
    html = client.get("/me/").content.decode()
    assert f"Acting for {world.customer.full_name}" in html
    assert "Signed in as <strong>Sara Khan</strong>" in html
    assert "People I trust" not in html  # the customer's own page is not offered


def test_an_ended_or_revoked_trust_gets_no_code_and_the_page_looks_the_same(world):
    sara = make_trusted(customer=world.customer, email="sara@example.org")
    trusted_person_revoke(trusted=sara, customer=world.customer)
    client = Client()
    response = client.post("/me/sign-in/", {"email": "sara@example.org"})
    assert response.status_code == 302 and response.url == "/me/sign-in/code/"
    assert mail.outbox == []


def test_a_customer_who_is_also_trusted_chooses_whose_requests_to_look_at_and_can_switch(world):
    sara_customer = make_customer(organisation=world.org, given_name="Sara", family_name="Khan")
    sara = make_trusted(customer=world.customer, name="Sara Khan", email=email_of(sara_customer), scopes=ALL)
    client = Client()
    response = sign_in(client, email_of(sara_customer))
    assert response.url == "/me/whose/"
    assert client.get("/me/").url == "/me/whose/"  # nothing is shown before choosing
    html = client.get("/me/whose/").content.decode()
    assert "My own requests" in html and world.customer.full_name in html and "You are their daughter" in html
    response = client.post("/me/whose/", {"choice": f"trusted-{sara.pk}"})
    assert response.url == "/me/"
    html = client.get("/me/").content.decode()
    assert f"Acting for {world.customer.full_name}" in html and "Switch person" in html
    client.post("/me/whose/", {"choice": "self"})
    html = client.get("/me/").content.decode()
    assert "Acting for" not in html and "Hello Sara" in html
    # A choice that is not among theirs changes nothing.
    other = make_customer(organisation=world.org)
    assert client.post("/me/whose/", {"choice": f"trusted-{other.pk}"}).status_code == 400
    assert client.session[SESSION_KEY] == sara_customer.pk


# --- acting within what the customer allowed ------------------------------------------


def test_acting_for_the_customer_shows_their_requests_and_owner_and_logs_each_look(world):
    req = capture(world)
    sara = make_trusted(customer=world.customer, name="Sara Khan", scopes=[Scope.SEE_REQUESTS])
    client = as_trusted(sara)
    html = client.get("/me/").content.decode()
    assert escape(req.subject) in html and req.owner.display_name in html
    html = client.get(f"/me/requests/{req.pk}/").content.decode()
    assert "My carer didn&#x27;t come last night" in html and req.owner.display_name in html
    assert "has not asked you to reply" in html and "/reply/" not in html
    reads = list(AccessEvent.objects.filter(customer=world.customer, actor_kind="trusted").order_by("seq"))
    assert [r.resource for r in reads] == ["requests", f"request:{req.pk}"]
    assert all(r.trusted_person_id == sara.pk and r.staff_name == "Sara Khan" for r in reads)
    assert verify_chain(world.customer.pk) is None
    # The customer reads them in their access log.
    html = as_customer(world.customer).get("/me/privacy/").content.decode()
    assert "Sara Khan, whom you trust to act for you, looked at your list of requests" in html


def test_a_reply_is_signed_as_them_for_the_customer_everywhere(world):
    req = capture(world)
    sara = make_trusted(customer=world.customer, name="Sara Khan")
    response = as_trusted(sara).post(f"/me/requests/{req.pk}/reply/", {"body": "Mum is still waiting."})
    assert response.status_code == 302
    event = TimelineEvent.objects.get(request=req, kind=TimelineEvent.Kind.MESSAGE_IN)
    assert event.actor_name == f"Sara Khan (for {world.customer.full_name})"
    assert (
        f"Sara Khan (for {world.customer.full_name})"
        in as_customer(world.customer).get(f"/me/requests/{req.pk}/").content.decode()
    )


def test_still_not_fixed_and_asking_for_help_for_the_customer(world):
    req = capture(world)
    request_change_status(request=req, status=Status.RESOLVED, actor=req.owner, reason="Carer rebooked.")
    sara = make_trusted(customer=world.customer, name="Sara Khan", scopes=ALL)
    client = as_trusted(sara)
    assert client.post(f"/me/requests/{req.pk}/still-not-fixed/", {"body": "Nobody came."}).status_code == 302
    req.refresh_from_db()
    assert req.status == Status.OPEN and req.reopen_count == 1
    response = client.post("/me/ask/", {"need": world.need.pk, "description": "The carer didn't come this morning"})
    assert response.status_code == 302
    asked = Request.objects.exclude(pk=req.pk).get(customer=world.customer)
    captured = TimelineEvent.objects.get(request=asked, kind=TimelineEvent.Kind.CAPTURED)
    assert captured.actor_name == f"Sara Khan (for {world.customer.full_name})"
    assert captured.summary.startswith(f"Sara Khan (for {world.customer.full_name}) asked for help online")


# --- refused -------------------------------------------------------------------------------


def test_without_the_reply_scope_a_reply_is_refused_clearly_and_changes_nothing(world):
    req = capture(world)
    sara = make_trusted(customer=world.customer, scopes=[Scope.SEE_REQUESTS])
    before = TimelineEvent.objects.count()
    response = as_trusted(sara).post(f"/me/requests/{req.pk}/reply/", {"body": "Hello"})
    assert response.status_code == 403
    html = response.content.decode()
    assert f"You cannot do this for {escape(world.customer.full_name)}" in html
    assert "They have not asked you to reply" in html and "Nothing has been changed" in html
    assert TimelineEvent.objects.count() == before
    assert as_trusted(sara).get("/me/ask/").status_code == 403
    assert as_trusted(sara).get("/me/privacy/").status_code == 403


def test_the_customers_own_pages_are_refused_to_someone_acting_for_them(world):
    sara = make_trusted(customer=world.customer, scopes=ALL)
    client = as_trusted(sara)
    for path in ("/me/trusted-people/", "/me/privacy/my-record.json", "/me/privacy/my-record/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Only they can use this page" in response.content.decode()
    assert client.post(f"/me/trusted-people/{sara.pk}/end/").status_code == 403
    sara.refresh_from_db()
    assert sara.revoked_at is None


def test_another_customers_request_reads_as_not_found_and_is_not_logged(world):
    other = make_customer(organisation=world.org)
    theirs = request_capture(
        customer=other, need=world.need, channel=Channel.PHONE, description="Private", actor=world.head
    )
    sara = make_trusted(customer=world.customer, scopes=ALL)
    client = as_trusted(sara)
    assert client.get(f"/me/requests/{theirs.pk}/").status_code == 404
    assert client.post(f"/me/requests/{theirs.pk}/reply/", {"body": "x"}).status_code == 404
    assert not AccessEvent.objects.filter(customer=other).exists()
    assert not AccessEvent.objects.filter(resource=f"request:{theirs.pk}").exists()


def test_a_revoked_trust_stops_them_at_the_next_click(world):
    req = capture(world)
    sara = make_trusted(customer=world.customer, scopes=ALL)
    client = as_trusted(sara)
    assert client.get(f"/me/requests/{req.pk}/").status_code == 200
    trusted_person_revoke(trusted=sara, customer=world.customer)
    response = client.get(f"/me/requests/{req.pk}/")
    assert response.status_code == 302 and response.url == "/me/whose/"
    assert SESSION_KEY not in client.session and TRUST_KEY not in client.session
    html = client.get("/me/whose/").content.decode()
    assert "ended your access" in html and "nobody whose requests you can look at" in html
    before = TimelineEvent.objects.count()
    assert client.post(f"/me/requests/{req.pk}/reply/", {"body": "Still here?"}).status_code == 302
    assert TimelineEvent.objects.count() == before


def test_an_ended_trust_stops_them_too(world):
    sara = make_trusted(customer=world.customer, ends_at=timezone.now() + timedelta(minutes=5))
    client = as_trusted(sara)
    assert client.get("/me/").status_code == 200
    TrustedPerson.objects.filter(pk=sara.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/me/").url == "/me/whose/"


def test_a_scope_taken_away_is_refused_at_the_next_click(world):
    req = capture(world)
    sara = make_trusted(customer=world.customer, scopes=ALL)
    client = as_trusted(sara)
    trusted_person_change(trusted=sara, customer=world.customer, scopes=[Scope.SEE_REQUESTS], ends_at=None)
    assert client.post(f"/me/requests/{req.pk}/reply/", {"body": "Hi"}).status_code == 403


def test_a_staff_session_is_refused(world):
    sara = make_trusted(customer=world.customer, scopes=ALL)
    client = as_trusted(sara)
    user = get_user_model().objects.create_user(username="staffer", password="x")
    client.force_login(user)
    assert client.get("/me/").status_code == 403
    assert client.get("/me/whose/").status_code == 403
    assert client.get("/me/trusted-people/").status_code == 403


# --- the customer's page -------------------------------------------------------------


def test_the_trusted_people_page_has_an_empty_state(world):
    html = as_customer(world.customer).get("/me/trusted-people/").content.decode()
    assert "Nobody can act for you" in html and "Add someone you trust" in html


def test_the_customer_adds_someone_and_sees_what_they_may_do(world):
    client = as_customer(world.customer)
    response = client.post(
        "/me/trusted-people/",
        {
            "name": "Sara Khan",
            "email": "sara@example.org",
            "relationship": "daughter",
            "scopes": ["see_requests", "reply"],
            "ends_on": (timezone.localdate() + timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 302
    sara = TrustedPerson.objects.get()
    assert sara.scopes == ["see_requests", "reply"] and sara.ends_at is not None
    html = client.get("/me/trusted-people/").content.decode()
    assert "Sara Khan can now act for you" in html
    assert "Sara Khan" in html and "(daughter)" in html and "Can act for you until the end of" in html
    assert escape("Reply to my requests and say “this is still not fixed”") in html


def test_bad_input_on_the_page_is_shown_by_the_field_and_adds_nobody(world):
    client = as_customer(world.customer)
    response = client.post("/me/trusted-people/", {"name": "", "email": "nope", "relationship": "", "scopes": []})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter the name of the person you trust" in html and "Enter an email address like" in html
    response = client.post(
        "/me/trusted-people/",
        {"name": "Sara", "email": "sara@example.org", "relationship": "daughter", "scopes": ["reply"]},
    )
    assert response.status_code == 400 and "they also need to see your requests" in response.content.decode()
    assert not TrustedPerson.objects.exists()


def test_ending_access_asks_first_then_ends_it(world):
    sara = make_trusted(customer=world.customer, name="Sara Khan")
    client = as_customer(world.customer)
    html = client.get(f"/me/trusted-people/{sara.pk}/end/").content.decode()
    assert "End Sara Khan's access?" in html and "Yes, end Sara Khan" in html
    sara.refresh_from_db()
    assert sara.revoked_at is None
    response = client.post(f"/me/trusted-people/{sara.pk}/end/")
    assert response.status_code == 302
    sara.refresh_from_db()
    assert sara.revoked_at is not None
    html = client.get("/me/trusted-people/").content.decode()
    assert "can no longer act for you" in html and "People whose access has ended" in html


def test_another_customers_trusted_person_reads_as_not_found(world):
    other = make_customer(organisation=world.org)
    theirs = make_trusted(customer=other)
    client = as_customer(world.customer)
    assert client.get(f"/me/trusted-people/{theirs.pk}/end/").status_code == 404
    assert client.post(f"/me/trusted-people/{theirs.pk}/end/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_query_counts_do_not_grow_with_trusted_people_or_requests(world, django_assert_max_num_queries):
    for _ in range(5):
        make_trusted(customer=world.customer)
        capture(world)
    # 11: one of them is the customer's time zone, read once per portal page.
    with django_assert_max_num_queries(11):
        assert as_customer(world.customer).get("/me/trusted-people/").status_code == 200
    sara = TrustedPerson.objects.first()
    assert sara is not None
    with django_assert_max_num_queries(17):
        assert as_trusted(sara).get("/me/").status_code == 200


def test_staff_read_the_message_as_the_trusted_persons_for_the_customer(world):
    req = capture(world)
    sara = make_trusted(customer=world.customer, name="Sara Khan")
    as_trusted(sara).post(f"/me/requests/{req.pk}/reply/", {"body": "Mum is still waiting."})
    staff = Client()
    staff.force_login(req.owner.user)
    html = staff.get(f"/console/requests/{req.pk}/").content.decode()
    assert f"Sara Khan (for {escape(world.customer.full_name)}) wrote online." in html
