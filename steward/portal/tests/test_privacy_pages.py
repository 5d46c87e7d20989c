"""'Who can see my information' (/me/privacy/): grants in plain words, withdrawing a
consent, the access log as sentences, and downloads of the customer's record."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils.html import escape

from steward.consent.models import AccessEvent, Grant, GrantReceipt
from steward.consent.services import customer_data_read, grant_create
from steward.customers.tests.factories import make_customer
from steward.requests.tests.factories import World

from .conftest import as_customer

pytestmark = pytest.mark.django_db


def consent(world: World, customer=None) -> Grant:
    return grant_create(
        customer=customer or world.customer,
        organisation=world.org,
        purpose="care_delivery",
        categories=["care_plan"],
        lawful_basis="consent",
        by_customer=True,
    )


def legal_duty(world: World) -> Grant:
    return grant_create(
        customer=world.customer,
        organisation=world.org,
        purpose="safeguarding",
        categories=["health_notes"],
        lawful_basis="legal_obligation",
        by_customer=False,
        actor=world.lead,
        reason="The Care Act 2014 requires us to look into concerns about your safety.",
    )


def read(world: World) -> AccessEvent:
    return customer_data_read(
        actor=world.alice,
        customer_id=world.customer.pk,
        purpose="care_delivery",
        categories=["care_plan"],
        resource="timeline",
        channel="page",
    )


def test_page_shows_grants_and_access_sentences(world):
    grant = consent(world)
    duty = legal_duty(world)
    read(world)
    html = as_customer(world.customer).get("/me/privacy/").content.decode()
    assert escape(world.org.name) in html
    assert "Delivering your care" in html and "Your care plan and services" in html
    assert "Your consent (you can withdraw it at any time)" in html and "A duty the law places on us" in html
    assert f"/me/privacy/grants/{grant.pk}/withdraw" in html
    assert f"/me/privacy/grants/{duty.pk}/withdraw" not in html
    assert escape(duty.reason) in html
    assert f"{escape(world.alice.display_name)}, {escape(world.org.name)}, read your care plan" in html
    assert "csrfmiddlewaretoken" in html
    assert 'href="/me/privacy/"' in html and 'aria-current="page"' in html


def test_page_has_empty_states(world):
    html = as_customer(make_customer(organisation=world.org)).get("/me/privacy/").content.decode()
    assert "Nobody has looked at your information yet" in html


def test_access_log_is_paginated_newest_first(world):
    consent(world)
    events = [read(world) for _ in range(27)]
    client = as_customer(world.customer)
    first = client.get("/me/privacy/").content.decode()
    assert first.count("read your care plan") == 25 and "Page 1 of 2" in first
    second = client.get("/me/privacy/?page=2").content.decode()
    assert second.count("read your care plan") == 2
    assert events[-1].seq > events[0].seq


def test_withdraw_ends_the_grant_with_a_receipt(world):
    grant = consent(world)
    response = as_customer(world.customer).post(f"/me/privacy/grants/{grant.pk}/withdraw", follow=True)
    assert response.status_code == 200
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert GrantReceipt.objects.filter(grant=grant, action=GrantReceipt.Action.REVOKED).exists()
    html = response.content.decode()
    assert "You have withdrawn your permission" in html and "Withdrawn" in html


def test_a_legal_duty_cannot_be_withdrawn_and_the_reason_is_shown(world):
    duty = legal_duty(world)
    receipts = GrantReceipt.objects.count()
    response = as_customer(world.customer).post(f"/me/privacy/grants/{duty.pk}/withdraw")
    assert response.status_code == 403
    html = response.content.decode()
    assert "cannot be withdrawn here" in html and escape(duty.reason) in html
    duty.refresh_from_db()
    assert duty.revoked_at is None and GrantReceipt.objects.count() == receipts


def test_another_customers_grant_is_not_found(world):
    other = make_customer(organisation=world.org)
    theirs = consent(world, customer=other)
    response = as_customer(world.customer).post(f"/me/privacy/grants/{theirs.pk}/withdraw")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_withdraw_needs_post_and_csrf(world):
    grant = consent(world)
    client = as_customer(world.customer)
    assert client.get(f"/me/privacy/grants/{grant.pk}/withdraw").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    assert strict.post(f"/me/privacy/grants/{grant.pk}/withdraw").status_code == 403
    grant.refresh_from_db()
    assert grant.revoked_at is None


@pytest.mark.parametrize("path", ["/me/privacy/", "/me/privacy/my-record.json", "/me/privacy/my-record/"])
def test_signed_out_and_staff_cannot_see_it(world, path):
    assert Client().get(path).url == "/me/sign-in/"
    staff = Client()
    staff.force_login(get_user_model().objects.create_user(username="staffer", password="x"))
    assert staff.get(path).status_code == 403


def test_export_downloads_contain_the_customers_name(world):
    consent(world)
    client = as_customer(world.customer)
    response = client.get("/me/privacy/my-record.json")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    doc = json.loads(response.content)
    assert doc["customer"]["id"] == world.customer.pk
    assert doc["customer"]["family_name"] == world.customer.family_name
    html = client.get("/me/privacy/my-record/").content.decode()
    assert escape(world.customer.family_name) in html


def test_query_count_does_not_grow_with_access_log_rows(world, django_assert_max_num_queries):
    consent(world)
    legal_duty(world)
    client = as_customer(world.customer)
    read(world)
    with django_assert_max_num_queries(12) as one:
        assert client.get("/me/privacy/").status_code == 200
    for _ in range(30):
        read(world)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/me/privacy/").status_code == 200
