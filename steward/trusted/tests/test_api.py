"""The customer's side of the API for trusted people: list, add, change, revoke; another
customer's trusted person is not found, a staff token is not a customer, and refusals
change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from steward.accounts.services import api_token_issue, customer_token_issue
from steward.customers.models import Customer
from steward.customers.tests.factories import make_customer
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent
from steward.trusted.models import TrustedPerson

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def headers(customer: Customer) -> dict[str, str]:
    return {"Authorization": f"Bearer {customer_token_issue(customer=customer, label='test')[1]}"}


def call(method: str, path: str, customer: Customer, body: Any = None) -> Any:
    client = Client()
    send = getattr(client, method)
    if body is None:
        return send("/api/v1/customer" + path, headers=headers(customer))
    return send("/api/v1/customer" + path, body, content_type="application/json", headers=headers(customer))


SARA = {"name": "Sara Khan", "email": "sara@example.org", "relationship": "daughter", "scopes": ["see_requests"]}


def test_add_list_change_and_revoke(world, django_assert_max_num_queries):
    added = call("post", "/trusted-people", world.customer, SARA)
    assert added.status_code == 201, added.content
    body = added.json()
    assert body["status"] == "active" and body["scopes"] == [
        {"code": "see_requests", "label": "See my requests and their conversations"}
    ]
    tid = body["id"]
    changed = call("patch", f"/trusted-people/{tid}", world.customer, {"scopes": ["see_requests", "reply"]})
    assert changed.status_code == 200 and [s["code"] for s in changed.json()["scopes"]] == ["see_requests", "reply"]
    with django_assert_max_num_queries(8):
        listed = call("get", "/trusted-people", world.customer)
    assert listed.json()["count"] == 1
    revoked = call("post", f"/trusted-people/{tid}/revoke", world.customer)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    kinds = set(TimelineEvent.objects.filter(customer=world.customer).values_list("kind", flat=True))
    assert {"trusted_person_added", "trusted_person_changed", "trusted_person_revoked"} <= kinds


def test_bad_input_is_a_coded_error_and_adds_nobody(world):
    response = call("post", "/trusted-people", world.customer, {**SARA, "scopes": ["reply"]})
    assert response.status_code == 400 and response.json()["code"] == "scope_needs_another"
    assert not TrustedPerson.objects.exists()


def test_another_customers_trusted_person_is_not_found_and_unchanged(world):
    other = make_customer(organisation=world.org)
    theirs = call("post", "/trusted-people", other, SARA).json()["id"]
    assert call("post", f"/trusted-people/{theirs}/revoke", world.customer).status_code == 404
    assert call("patch", f"/trusted-people/{theirs}", world.customer, {"scopes": ["see_privacy"]}).status_code == 404
    assert call("get", "/trusted-people", world.customer).json()["count"] == 0
    assert TrustedPerson.objects.get(pk=theirs).revoked_at is None


def test_a_staff_token_is_not_a_customer(world):
    token = api_token_issue(user=world.head.user, label="t")[1]
    response = Client().get("/api/v1/customer/trusted-people", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_the_console_customer_page_shows_who_may_act_for_them(world):
    from steward.requests.services import request_capture
    from steward.trusted.tests.factories import make_trusted

    # Working on her request gives the organisation its grant to read her details.
    request_capture(customer=world.customer, need=world.need, channel="phone", description="Help", actor=world.head)
    make_trusted(customer=world.customer, name="Sara Khan", relationship="daughter")
    client = Client()
    client.force_login(world.head.user)
    url = f"/console/customers/{world.customer.pk}/"
    client.post(
        f"/console/customers/{world.customer.pk}/purpose/",
        {"purpose": "service_provision", "next": url, "break_glass_reason": ""},
    )
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Who may act for" in html and "Sara Khan" in html and "(daughter," in html
