"""The agreements API: start a service, read a customer's services, end one, name another
coordinator, record a visit or call; and the refusals, which change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.agreements.services import agreement_start
from steward.customers.tests.factories import make_customer
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent


@pytest.fixture
def provider(db) -> World:
    return make_world("CheapCare Ltd")


@pytest.fixture
def council(db) -> World:
    return make_world("Northshire Council")


@pytest.fixture
def client(council):
    return make_customer(organisation=council.org, given_name="Amina", family_name="Khan", is_vulnerable=True)


def body_for(provider: World, council: World, client, **extra):
    return {
        "customer_id": client.pk,
        "team_id": provider.team.pk,
        "coordinator_id": provider.alice.pk,
        "service": "Home care, 2 visits a day",
        "commissioner_id": council.org.pk,
        **extra,
    }


@pytest.fixture
def agreement(provider, council, client) -> ServiceAgreement:
    return agreement_start(
        customer=client,
        team=provider.team,
        coordinator=provider.alice,
        service="Home care, 2 visits a day",
        commissioner=council.org,
        actor=council.lead,
        started_at=timezone.now() - timedelta(days=3),
    )


def test_the_commissioner_starts_a_service(api, provider, council, client):
    response = api.post("/agreements", body_for(provider, council, client, contact_interval_days=3), as_=council.lead)

    assert response.status_code == 201
    body = response.json()
    assert body["provider"] == {"id": provider.org.pk, "name": "CheapCare Ltd"}
    assert body["commissioner"] == {"id": council.org.pk, "name": "Northshire Council"}
    assert body["coordinator"]["name"] == "Alice Able" and body["status"] == "active"
    assert body["contact_interval_days"] == 3 and body["customer_name"] == "Amina Khan"
    assert body["last_contact_at"] is None


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"coordinator_id": "alice"}, 422, "invalid_input"),
        ({"colour": "blue"}, 422, "invalid_input"),
        ({"service": ""}, 422, "invalid_input"),
        ({"contact_interval_days": 0}, 400, "interval_out_of_range"),
        ({"customer_id": 999999}, 404, "customer_not_found"),
        ({"team_id": 999999}, 404, "not_found"),
        ({"started_at": "2099-01-01T09:00"}, 400, "start_in_future"),
    ],
)
def test_bad_starts_are_refused_and_change_nothing(api, provider, council, client, change, status, code):
    events = TimelineEvent.objects.count()
    response = api.post("/agreements", body_for(provider, council, client, **change), as_=council.lead)
    assert response.status_code == status and response.json()["code"] == code
    assert not ServiceAgreement.objects.exists() and TimelineEvent.objects.count() == events


def test_a_coordinator_from_elsewhere_is_refused(api, provider, council, client):
    response = api.post(
        "/agreements", body_for(provider, council, client, coordinator_id=council.alice.pk), as_=council.lead
    )
    assert response.status_code == 400 and response.json()["code"] == "coordinator_other_organisation"


def test_a_third_organisation_may_not_start_one(api, provider, council, client):
    stranger = make_world("Sunrise Care")
    response = api.post("/agreements", body_for(provider, council, client), as_=stranger.head)
    assert response.status_code == 403 and response.json()["code"] == "not_provider_or_commissioner"
    assert not ServiceAgreement.objects.exists()


def test_provider_and_commissioner_see_the_customers_services_others_do_not(api, provider, council, agreement):
    for reader, purpose in ((provider.bob, "care_delivery"), (council.alice, "care_coordination")):
        page = api.get(f"/customers/{agreement.customer_id}/agreements", as_=reader, purpose=purpose).json()
        assert [a["id"] for a in page["items"]] == [agreement.pk]
        assert api.get(f"/agreements/{agreement.pk}", as_=reader, purpose=purpose).status_code == 200
    stranger = make_world("Sunrise Care").head
    # No grant: refused (and logged), where it used to answer an empty page.
    refused = api.get(f"/customers/{agreement.customer_id}/agreements", as_=stranger, purpose="care_delivery")
    assert refused.status_code == 403 and refused.json()["code"] == "no_grant"
    hidden = api.get(f"/agreements/{agreement.pk}", as_=stranger, purpose="care_delivery")
    assert hidden.status_code == 404 and hidden.json()["code"] == "agreement_not_found"
    missing = api.get("/customers/999999/agreements", as_=provider.bob, purpose="care_delivery")
    assert missing.json()["code"] == "customer_not_found"


def test_a_customers_services_cost_the_same_however_many(api, provider, council, client, django_assert_max_num_queries):
    for n in range(12):
        agreement_start(
            customer=client, team=provider.team, coordinator=provider.bob, service=f"Service {n}", actor=provider.head
        )
    api.get("/me", as_=provider.bob)  # token issued outside the count
    # auth (token, last-used update), the customer exists, the page with its joins and last contact, the count;
    # plus the read door's 6 (grant lookup, savepoint, customer row lock, chain tail, access event, release)
    with django_assert_max_num_queries(5 + 6):
        page = api.get(
            f"/customers/{client.pk}/agreements", as_=provider.bob, limit=100, purpose="care_delivery"
        ).json()
    assert page["count"] == 12


def test_end_with_a_reason(api, provider, agreement):
    assert api.post(f"/agreements/{agreement.pk}/end", {}, as_=provider.head).status_code == 422
    response = api.post(f"/agreements/{agreement.pk}/end", {"reason": "Moved to a care home"}, as_=provider.head)
    assert response.status_code == 200
    assert response.json()["status"] == "ended" and response.json()["end_reason"] == "Moved to a care home"
    again = api.post(f"/agreements/{agreement.pk}/end", {"reason": "Again"}, as_=provider.head)
    assert again.status_code == 409 and again.json()["code"] == "agreement_ended"


def test_a_third_organisation_cannot_end_or_change_it(api, provider, agreement):
    stranger = make_world("Sunrise Care").head
    assert api.post(f"/agreements/{agreement.pk}/end", {"reason": "x"}, as_=stranger).status_code == 404
    assert (
        api.post(f"/agreements/{agreement.pk}/coordinator", {"staff_id": provider.bob.pk}, as_=stranger).status_code
        == 404
    )
    assert api.post(f"/agreements/{agreement.pk}/contacts", {"kind": "call"}, as_=stranger).status_code == 404
    agreement.refresh_from_db()
    assert agreement.status == "active" and agreement.coordinator == provider.alice


def test_name_another_coordinator(api, provider, council, agreement):
    response = api.post(f"/agreements/{agreement.pk}/coordinator", {"staff_id": provider.bob.pk}, as_=provider.lead)
    assert response.status_code == 200 and response.json()["coordinator"]["name"] == "Bob Baker"
    refused = api.post(f"/agreements/{agreement.pk}/coordinator", {"staff_id": council.bob.pk}, as_=provider.lead)
    assert refused.status_code == 400 and refused.json()["code"] == "coordinator_other_organisation"
    agreement.refresh_from_db()
    assert agreement.coordinator == provider.bob


def test_record_a_visit_and_see_when_someone_was_last_in_touch(api, provider, agreement):
    response = api.post(
        f"/agreements/{agreement.pk}/contacts", {"kind": "visit", "note": "All well."}, as_=provider.bob
    )
    assert response.status_code == 201
    event = response.json()
    assert event["kind"] == "contact_recorded" and event["summary"] == "Bob Baker visited Amina."
    assert (
        api.get(f"/agreements/{agreement.pk}", as_=provider.bob, purpose="care_delivery").json()["last_contact_at"]
        == event["occurred_at"]
    )


def test_a_time_without_a_zone_is_read_in_local_time(api, provider, agreement):
    yesterday = timezone.localtime() - timedelta(days=1)
    response = api.post(
        f"/agreements/{agreement.pk}/contacts",
        {"kind": "call", "occurred_at": yesterday.replace(tzinfo=None).isoformat(timespec="seconds")},
        as_=provider.bob,
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "letter"}, 422, "invalid_input"),
        ({"kind": "call", "occurred_at": "2099-01-01T09:00:00Z"}, 400, "contact_in_future"),
        ({"kind": "call", "where": "home"}, 422, "invalid_input"),
    ],
)
def test_bad_contacts_are_refused_and_change_nothing(api, provider, agreement, body, status, code):
    events = TimelineEvent.objects.count()
    response = api.post(f"/agreements/{agreement.pk}/contacts", body, as_=provider.bob)
    assert response.status_code == status and response.json()["code"] == code
    assert TimelineEvent.objects.count() == events
