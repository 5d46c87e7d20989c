"""Registering and finding customers."""

from __future__ import annotations

import pytest

from steward.customers.models import Customer
from steward.timeline.models import TimelineEvent


def test_register_a_customer_with_contact_points(api, demo):
    dan = demo.staff("dan.evans")
    response = api.post(
        "/customers",
        {
            "given_name": "Ivy",
            "family_name": "Stone",
            "preferred_name": "Ivy",
            "is_vulnerable": True,
            "what_matters_to_me": "My cat, Biscuit.",
            "contact_points": [
                {"kind": "email", "value": "Ivy.Stone@Example.org"},
                {"kind": "phone", "value": "+44 7700 900456", "is_preferred": True},
                {"kind": "address", "value": "1 High St", "postcode": "ns9 9zz"},
            ],
        },
        as_=dan,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["full_name"] == "Ivy Stone" and body["is_vulnerable"] is True
    assert TimelineEvent.objects.filter(customer_id=body["id"], kind="customer_registered").count() == 1


@pytest.mark.parametrize(
    "query", ["amina.khan@EXAMPLE.org", "+44 1632 960111", "01632 960111", "ns1 4ab", "NS14AB", "amina", "Khan Amina"]
)
def test_find_mrs_khan_however_she_is_written(api, demo, query):
    body = api.get("/customers", as_=demo.staff("dan.evans"), q=query).json()
    assert "Amina Khan" in [c["full_name"] for c in body["items"]]


def test_search_finds_nobody_politely(api, demo):
    body = api.get("/customers", as_=demo.staff("dan.evans"), q="zzzz nobody").json()
    assert body == {"items": [], "count": 0, "limit": 25, "offset": 0}


def test_too_short_a_search_is_refused(api, demo):
    response = api.get("/customers", as_=demo.staff("dan.evans"), q="a")
    assert response.status_code == 400
    assert response.json()["code"] == "query_too_short"


@pytest.mark.parametrize(
    ("points", "code"),
    [
        ([{"kind": "email", "value": "not-an-email"}], "invalid_email"),
        ([{"kind": "pigeon", "value": "coo"}], "unknown_contact_kind"),
        ([{"kind": "phone", "value": "12"}], "invalid_phone"),
    ],
)
def test_bad_contact_points_create_nothing(api, demo, points, code):
    before = (Customer.objects.count(), TimelineEvent.objects.count())
    response = api.post("/customers", {"given_name": "Bad", "contact_points": points}, as_=demo.staff("dan.evans"))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert (Customer.objects.count(), TimelineEvent.objects.count()) == before


def test_anonymous_cannot_search(api, demo):
    assert api.get("/customers", as_=None, q="khan").status_code == 401
