"""Customer tokens: issued once from the command line, stored as a digest, and a door to
the customer's side of the API only. Staff tokens (and the console session) do not open
it, and customer tokens open no staff endpoint."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from steward.accounts.models import CustomerToken
from steward.accounts.services import api_token_issue, customer_token_issue, customer_token_revoke
from steward.requests.tests.factories import World, make_world

CUSTOMER_ENDPOINTS = [
    ("get", "/api/v1/customer/grants"),
    ("post", "/api/v1/customer/grants"),
    ("post", "/api/v1/customer/grants/1/revoke"),
    ("get", "/api/v1/customer/receipts"),
    ("get", "/api/v1/customer/receipts/1"),
    ("get", "/api/v1/customer/access-log"),
]


@pytest.fixture
def world(db) -> World:
    return make_world("Sunrise Care")


def _call(client, method: str, path: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "post":
        return client.post(path, {}, content_type="application/json", headers=headers)
    return client.get(path, headers=headers)


def test_issue_customer_token_prints_a_token_for_that_customer(world, client):
    out = StringIO()
    call_command("issue_customer_token", str(world.customer.pk), stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("stc_")
    assert not CustomerToken.objects.filter(digest=token).exists()  # only the digest is kept
    row = CustomerToken.objects.get(prefix=token[:10])
    assert row.customer_id == world.customer.pk and row.last_used_at is None

    response = client.get("/api/v1/customer/grants", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_issue_customer_token_for_unknown_customer_explains(db):
    with pytest.raises(CommandError, match="no customer #999999"):
        call_command("issue_customer_token", "999999")


@pytest.mark.parametrize(("method", "path"), CUSTOMER_ENDPOINTS)
def test_a_staff_token_does_not_open_the_customers_side(world, client, method, path):
    _, staff_token = api_token_issue(user=world.alice.user)
    response = _call(client, method, path, staff_token)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "not_authenticated" and "customer token" in body["message"]


@pytest.mark.parametrize(("method", "path"), CUSTOMER_ENDPOINTS)
def test_no_token_a_wrong_one_or_a_revoked_one_is_401(world, client, method, path):
    row, raw = customer_token_issue(customer=world.customer)
    customer_token_revoke(token=row)
    for token in (None, "stc_not-a-token", raw):
        response = _call(client, method, path, token)
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_a_staff_console_session_does_not_open_the_customers_side(world, client):
    client.force_login(world.alice.user)
    assert client.get("/api/v1/me").status_code == 200  # the session is good for staff endpoints
    response = client.get("/api/v1/customer/grants")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("path", ["/api/v1/me", f"/api/v1/customers/{1}", "/api/v1/requests/mine", "/api/v1/alerts"])
def test_a_customer_token_opens_no_staff_endpoint(world, client, path):
    _, token = customer_token_issue(customer=world.customer)
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated" and "staff member" in response.json()["message"]


def test_a_customer_token_cannot_write_on_the_staff_side(world, client):
    _, token = customer_token_issue(customer=world.customer)
    before = world.customer.requests.count() if hasattr(world.customer, "requests") else None
    response = client.post(
        "/api/v1/requests",
        {"customer_id": world.customer.pk, "need_id": world.need.pk, "channel": "web", "description": "Help"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    if before is not None:
        assert world.customer.requests.count() == before
