"""The alerts API: my queue, one alert, resolving it; and who may not."""

from __future__ import annotations

import pytest

from steward.alerts.models import Alert
from steward.alerts.services import alert_raise, alert_resolve
from steward.organisations.tests.factories import make_staff
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent


@pytest.fixture
def world(db) -> World:
    return make_world("CheapCare Ltd")


def raise_for(world: World, person, n: int = 1) -> Alert:
    return alert_raise(
        kind=Alert.Kind.NO_CONTACT,
        subject=f"agreement:{n}",
        assigned_to=person,
        organisation=world.org,
        customer=world.customer,
        title=f"Check on client {n}",
        detail="Nobody has visited for 9 days.",
    )


def test_my_open_alerts_newest_first_with_who_and_what(api, world):
    first = raise_for(world, world.alice, 1)
    second = raise_for(world, world.alice, 2)
    raise_for(world, world.bob, 3)

    body = api.get("/alerts", as_=world.alice).json()

    assert body["count"] == 2 and [a["id"] for a in body["items"]] == [second.pk, first.pk]
    item = body["items"][0]
    assert item["assigned_to"]["name"] == "Alice Able" and item["status"] == "open"
    assert item["kind"] == "no_contact" and item["kind_label"] == "Safeguarding: no contact"
    assert item["customer_name"] == world.customer.full_name and item["subject"] == "agreement:2"


def test_resolved_ones_are_listed_apart(api, world):
    alert = raise_for(world, world.alice)
    alert_resolve(alert=alert, actor=world.alice, resolution="Visited.")
    assert api.get("/alerts", as_=world.alice).json()["count"] == 0
    resolved = api.get("/alerts", as_=world.alice, status="resolved").json()
    assert [a["resolution"] for a in resolved["items"]] == ["Visited."]
    bad = api.get("/alerts", as_=world.alice, status="everything")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"


def test_pages(api, world):
    for n in range(5):
        raise_for(world, world.alice, n)
    page = api.get("/alerts", as_=world.alice, limit=2, offset=2).json()
    assert page["count"] == 5 and len(page["items"]) == 2 and page["offset"] == 2


@pytest.mark.parametrize("how_many", [2, 25])
def test_the_list_costs_the_same_however_many_alerts(api, world, how_many, django_assert_max_num_queries):
    for n in range(how_many):
        raise_for(world, world.alice, n)
    api.get("/alerts", as_=world.alice)  # token issued outside the count
    # auth (token, last-used update) + the page's ids + its rows with their joins + count
    with django_assert_max_num_queries(6):
        assert api.get("/alerts", as_=world.alice, limit=100).status_code == 200


def test_the_assignee_their_managers_and_an_administrator_may_read_one(api, world):
    alert = raise_for(world, world.alice)
    admin = make_staff(organisation=world.org, supervisor=world.head, is_org_admin=True)
    for reader in (world.alice, world.lead, world.head, admin):
        response = api.get(f"/alerts/{alert.pk}", as_=reader)
        assert response.status_code == 200 and response.json()["title"] == "Check on client 1"


def test_a_colleague_or_another_organisation_gets_not_found(api, world):
    alert = raise_for(world, world.alice)
    outsider = make_world("Sunrise Care").head
    for reader in (world.bob, outsider):
        response = api.get(f"/alerts/{alert.pk}", as_=reader)
        assert response.status_code == 404 and response.json()["code"] == "alert_not_found"
        refused = api.post(f"/alerts/{alert.pk}/resolve", {"resolution": "Nothing to see"}, as_=reader)
        assert refused.status_code == 404
    alert.refresh_from_db()
    assert alert.status == "open"


def test_resolve_by_the_assignee(api, world):
    alert = raise_for(world, world.alice)
    response = api.post(f"/alerts/{alert.pk}/resolve", {"resolution": "Visited; she was fine."}, as_=world.alice)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "resolved" and body["resolved_by"]["name"] == "Alice Able"
    assert body["resolution"] == "Visited; she was fine." and body["resolved_at"]


def test_an_administrator_outside_the_line_may_read_but_not_resolve(api, world):
    alert = raise_for(world, world.alice)
    admin = make_staff(organisation=world.org, supervisor=world.head, is_org_admin=True)
    response = api.post(f"/alerts/{alert.pk}/resolve", {"resolution": "Closing it"}, as_=admin)
    assert response.status_code == 403 and response.json()["code"] == "not_allowed_on_alert"
    alert.refresh_from_db()
    assert alert.status == "open"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "invalid_input"),
        ({"resolution": ""}, 422, "invalid_input"),
        ({"resolution": "   "}, 400, "resolution_required"),
        ({"resolution": "ok", "urgent": True}, 422, "invalid_input"),
        ({"resolution": "x" * 1001}, 422, "invalid_input"),
    ],
)
def test_bad_resolutions_are_refused_and_change_nothing(api, world, body, status, code):
    alert = raise_for(world, world.alice)
    events = TimelineEvent.objects.count()
    response = api.post(f"/alerts/{alert.pk}/resolve", body, as_=world.alice)
    assert response.status_code == status and response.json()["code"] == code
    alert.refresh_from_db()
    assert alert.status == "open" and TimelineEvent.objects.count() == events


def test_resolving_twice_is_a_conflict(api, world):
    alert = raise_for(world, world.alice)
    api.post(f"/alerts/{alert.pk}/resolve", {"resolution": "Done"}, as_=world.alice)
    again = api.post(f"/alerts/{alert.pk}/resolve", {"resolution": "Done again"}, as_=world.lead)
    assert again.status_code == 409 and again.json()["code"] == "alert_not_open"


def test_without_a_token_nothing_is_shown(api, world):
    raise_for(world, world.alice)
    response = api.get("/alerts", as_=None)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
