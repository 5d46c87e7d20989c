"""The customer's side of the API: their grants (give, list, revoke), receipts and access
log; and what they may not do: see or touch another person's grants, withdraw what rests
on a legal duty, or get in with a staff token. Refusals change nothing (I7)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from steward.accounts.services import api_token_issue, customer_token_issue
from steward.consent.models import AccessEvent, Grant, GrantReceipt
from steward.consent.services import customer_data_read, grant_create
from steward.consent.wording import access_sentence
from steward.customers.models import Customer
from steward.customers.tests.factories import make_customer
from steward.errors import PermissionDenied
from steward.organisations.models import StaffMember
from steward.organisations.tests.factories import make_staff
from steward.requests.tests.factories import World, make_world

LONDON = ZoneInfo("Europe/London")


class CustomerCaller:
    """Calls the customer's side of the API as a given customer, with a real token."""

    def __init__(self) -> None:
        self.client = Client()
        self._tokens: dict[int, str] = {}

    def headers(self, customer: Customer) -> dict[str, str]:
        if customer.pk not in self._tokens:
            self._tokens[customer.pk] = customer_token_issue(customer=customer, label="test")[1]
        return {"Authorization": f"Bearer {self._tokens[customer.pk]}"}

    def get(self, path: str, *, as_: Customer, **params: Any) -> Any:
        return self.client.get("/api/v1/customer" + path, params, headers=self.headers(as_))

    def post(self, path: str, body: Any = None, *, as_: Customer) -> Any:
        return self.client.post(
            "/api/v1/customer" + path,
            body if body is not None else {},
            content_type="application/json",
            headers=self.headers(as_),
        )


@pytest.fixture
def me(db) -> CustomerCaller:
    return CustomerCaller()


@pytest.fixture
def world(db) -> World:
    return make_world("Sunrise Care")


@pytest.fixture
def jo(world: World) -> StaffMember:
    return make_staff(team=world.team, supervisor=world.lead, first_name="Jo", last_name="Patel")


def consent(world: World, customer: Customer | None = None, **kwargs: Any) -> Grant:
    kwargs.setdefault("purpose", "care_delivery")
    kwargs.setdefault("categories", ["care_plan"])
    return grant_create(
        customer=customer or world.customer,
        organisation=world.org,
        lawful_basis="consent",
        by_customer=True,
        **kwargs,
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


def counts() -> tuple[int, int, int, list[Any]]:
    return (
        Grant.objects.count(),
        GrantReceipt.objects.count(),
        AccessEvent.objects.count(),
        list(Grant.objects.order_by("pk").values_list("pk", "revoked_at")),
    )


# --- grants ---------------------------------------------------------------------------


def test_my_grants_active_and_past_with_words_codes_and_whether_i_can_revoke(me, world):
    ended = consent(
        world,
        purpose="marketing",
        categories=["contact_details"],
        starts_at=timezone.now() - timedelta(days=10),
        ends_at=timezone.now() - timedelta(days=1),
    )
    care = consent(world, team=world.team)
    duty = legal_duty(world)
    consent(world, customer=make_customer(organisation=world.org))  # someone else's

    body = me.get("/grants", as_=world.customer).json()

    assert body["count"] == 3
    by_id = {g["id"]: g for g in body["items"]}
    assert set(by_id) == {ended.pk, care.pk, duty.pk}
    mine = by_id[care.pk]
    assert mine["status"] == "active" and mine["can_revoke"] and mine["cannot_revoke_because"] is None
    assert mine["purpose"] == {"code": "care_delivery", "label": "Delivering your care", "dpv": "dpv:ProvideProduct"}
    assert mine["categories"] == [
        {"code": "care_plan", "label": "Your care plan and services", "dpv": "dpv-pd:ServiceConsumptionBehavior"}
    ]
    assert mine["lawful_basis"]["label"] == "Your consent (you can withdraw it at any time)"
    assert mine["organisation"] == {"id": world.org.pk, "name": "Sunrise Care"}
    assert mine["team"] == {"id": world.team.pk, "name": world.team.name}
    assert mine["source"] == "customer" and mine["starts_at"] and mine["ends_at"] is None
    assert by_id[ended.pk]["status"] == "ended"
    refused = by_id[duty.pk]
    assert refused["status"] == "active" and refused["can_revoke"] is False
    assert refused["lawful_basis"] == {
        "code": "legal_obligation",
        "label": "A duty the law places on us",
        "dpv": "dpv:LegalObligation",
    }
    assert "not on your consent" in refused["cannot_revoke_because"]
    assert "Care Act 2014" in refused["cannot_revoke_because"]

    current = me.get("/grants", as_=world.customer, state="current").json()
    past = me.get("/grants", as_=world.customer, state="past").json()
    assert {g["id"] for g in current["items"]} == {care.pk, duty.pk}
    assert [g["id"] for g in past["items"]] == [ended.pk]
    assert me.get("/grants", as_=world.customer, state="soon").status_code == 422


def test_grants_are_paged_and_cost_the_same_however_many(me, world, django_assert_max_num_queries):
    for _ in range(3):
        consent(world, team=world.team)
    me.get("/grants", as_=world.customer)  # the token's first use writes last_used_at
    with django_assert_max_num_queries(3) as few:  # token + page + count
        me.get("/grants", as_=world.customer)
    for _ in range(20):
        consent(world, team=world.team)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = me.get("/grants", as_=world.customer, limit=5, offset=5).json()
    assert body["count"] == 23 and len(body["items"]) == 5 and body["offset"] == 5


def test_i_give_permission_on_my_consent_with_a_receipt(me, world):
    ends = (timezone.now() + timedelta(days=30)).isoformat()
    response = me.post(
        "/grants",
        {
            "organisation_id": world.org.pk,
            "team_id": world.team.pk,
            "purpose": "billing",
            "categories": ["financial", "contact_details"],
            "ends_at": ends,
        },
        as_=world.customer,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["purpose"]["code"] == "billing" and body["lawful_basis"]["code"] == "consent"
    assert [c["code"] for c in body["categories"]] == ["contact_details", "financial"]
    assert body["team"]["id"] == world.team.pk and body["ends_at"] and body["can_revoke"]
    grant = Grant.objects.get(pk=body["id"])
    assert grant.customer_id == world.customer.pk and grant.source == "customer"
    receipt = GrantReceipt.objects.get(grant=grant)
    assert receipt.action == "granted" and receipt.by == world.customer.full_name
    # ...and it works: Alice in that team may now read for billing
    assert customer_data_read(
        actor=world.alice,
        customer_id=world.customer.pk,
        purpose="billing",
        categories=["financial"],
        resource="customer",
        channel="api",
    ).outcome == ("allowed")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"purpose": "gossip"}, 400, "purpose_unknown"),
        ({"categories": ["shoe_size"]}, 400, "category_unknown"),
        ({"categories": []}, 400, "category_unknown"),
        ({"organisation_id": 999_999}, 404, "organisation_not_found"),
        ({"team_id": 999_999}, 404, "team_not_found"),
        ({"ends_at": "2001-01-01T00:00:00Z"}, 400, "grant_ends_before_start"),
        ({"lawful_basis": "legal_obligation"}, 422, "invalid_input"),  # not a field a customer sends
        ({"purpose": None}, 422, "invalid_input"),
    ],
)
def test_bad_grants_are_refused_with_a_code_and_change_nothing(me, world, change, status, code):
    body = {"organisation_id": world.org.pk, "purpose": "billing", "categories": ["financial"], **change}
    before = counts()
    response = me.post("/grants", body, as_=world.customer)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.json()["message"]
    assert counts() == before


def test_a_team_of_another_organisation_is_refused(me, world):
    other = make_world("Elsewhere")
    before = counts()
    response = me.post(
        "/grants",
        {"organisation_id": world.org.pk, "team_id": other.team.pk, "purpose": "billing", "categories": ["financial"]},
        as_=world.customer,
    )
    assert (response.status_code, response.json()["code"]) == (400, "team_other_organisation")
    assert counts() == before


def test_i_withdraw_my_consent_and_reads_stop(me, world):
    grant = consent(world, team=world.team)
    response = me.post(f"/grants/{grant.pk}/revoke", {"reason": "I moved provider."}, as_=world.customer)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "revoked" and body["revoked_at"] and body["can_revoke"] is False
    assert body["cannot_revoke_because"] == "It has already been withdrawn."
    assert [r.action for r in GrantReceipt.objects.filter(grant=grant).order_by("at", "id")] == ["granted", "revoked"]
    with pytest.raises(PermissionDenied):
        customer_data_read(
            actor=world.alice,
            customer_id=world.customer.pk,
            purpose="care_delivery",
            categories=["care_plan"],
            resource="customer",
            channel="api",
        )
    again = me.post(f"/grants/{grant.pk}/revoke", as_=world.customer)
    assert (again.status_code, again.json()["code"]) == (409, "grant_revoked")


def test_revoke_needs_no_body(me, world):
    grant = consent(world)
    # no body at all, as `curl -X POST` sends it
    response = me.client.generic(
        "POST", f"/api/v1/customer/grants/{grant.pk}/revoke", headers=me.headers(world.customer)
    )
    assert response.status_code == 200 and response.json()["status"] == "revoked"


def test_a_legal_duty_cannot_be_withdrawn_and_says_why_and_nothing_changes(me, world):
    duty = legal_duty(world)
    before = counts()
    response = me.post(f"/grants/{duty.pk}/revoke", as_=world.customer)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "grant_not_revocable"
    assert "a duty the law places on us" in body["message"] and "Care Act 2014" in body["message"]
    assert counts() == before


def test_another_persons_grant_is_not_found_and_stays_as_it_was(me, world):
    theirs = consent(world, customer=make_customer(organisation=world.org))
    before = counts()
    response = me.post(f"/grants/{theirs.pk}/revoke", as_=world.customer)
    assert (response.status_code, response.json()["code"]) == (404, "grant_not_found")
    assert me.post("/grants/999999/revoke", as_=world.customer).json()["code"] == "grant_not_found"
    assert counts() == before


def test_an_unknown_field_on_revoke_is_refused(me, world):
    grant = consent(world)
    response = me.post(f"/grants/{grant.pk}/revoke", {"reason": "x", "force": True}, as_=world.customer)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_a_staff_token_is_refused_on_every_customer_endpoint(world, client):
    grant = consent(world)
    _, staff_token = api_token_issue(user=world.lead.user)
    headers = {"Authorization": f"Bearer {staff_token}"}
    before = counts()
    for method, path in [
        ("get", "/grants"),
        ("post", "/grants"),
        ("post", f"/grants/{grant.pk}/revoke"),
        ("get", "/receipts"),
        ("get", "/access-log"),
    ]:
        call = getattr(client, method)
        response = call("/api/v1/customer" + path, headers=headers, **({"content_type": "application/json"}))
        assert response.status_code == 401, path
        assert response.json()["code"] == "not_authenticated"
    assert counts() == before


# --- receipts --------------------------------------------------------------------------


def test_my_receipts_and_one_as_a_downloadable_consent_receipt(me, world):
    grant = consent(world, team=world.team)
    me.post(f"/grants/{grant.pk}/revoke", as_=world.customer)
    consent(world, customer=make_customer(organisation=world.org))  # someone else's receipt

    listing = me.get("/receipts", as_=world.customer).json()
    assert listing["count"] == 2
    assert [r["action"] for r in listing["items"]] == ["revoked", "granted"]
    granted = listing["items"][1]
    assert granted["grant_id"] == grant.pk and granted["organisation"]["name"] == "Sunrise Care"
    assert "may use your care plan and services for: delivering your care" in granted["wording"]

    response = me.client.get(granted["download"], headers=me.headers(world.customer))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="consent-receipt-{granted["id"]}.json"'
    doc = response.json()
    assert doc["schema_version"] == "steward-consent-receipt/1"
    assert doc["receipt_id"] == f"steward-receipt-{granted['id']}" and doc["timestamp"]
    assert doc["pii_principal"] == {"id": world.customer.pk, "name": world.customer.full_name}
    assert doc["controller"]["name"] == "Sunrise Care" and doc["controller"]["team"]["id"] == world.team.pk
    assert doc["purpose"]["dpv"] == "dpv:ProvideProduct"
    assert doc["pii_categories"][0]["code"] == "care_plan"
    assert doc["legal_basis"]["dpv"] == "dpv:Consent" and doc["consent_type"] == "explicit"
    assert doc["event"]["action"] == "granted" and doc["event"]["by"] == world.customer.full_name
    assert doc["notice"] == granted["wording"]  # the words shown at the time
    assert doc["record_id"] == grant.pk and doc["record_status_now"] == "revoked"
    assert "withdraw" in doc["termination"]


def test_a_legal_duty_receipt_says_why_it_cannot_be_withdrawn(me, world):
    legal_duty(world)
    receipt = me.get("/receipts", as_=world.customer).json()["items"][0]
    doc = me.client.get(receipt["download"], headers=me.headers(world.customer)).json()
    assert doc["consent_type"] is None and doc["legal_basis"]["code"] == "legal_obligation"
    assert "Care Act 2014" in doc["termination"]


def test_another_persons_receipt_is_not_found(me, world):
    consent(world, customer=make_customer(organisation=world.org))
    theirs = GrantReceipt.objects.get()
    response = me.get(f"/receipts/{theirs.pk}", as_=world.customer)
    assert (response.status_code, response.json()["code"]) == (404, "receipt_not_found")


def test_receipts_cost_the_same_however_many(me, world, django_assert_max_num_queries):
    consent(world)
    me.get("/receipts", as_=world.customer)
    with django_assert_max_num_queries(3) as few:
        me.get("/receipts", as_=world.customer)
    for _ in range(15):
        consent(world, team=world.team)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = me.get("/receipts", as_=world.customer, limit=10).json()
    assert body["count"] == 16 and len(body["items"]) == 10


# --- the access log --------------------------------------------------------------------


def read(actor: StaffMember, customer: Customer, **kwargs: Any) -> AccessEvent | None:
    try:
        return customer_data_read(
            actor=actor,
            customer_id=customer.pk,
            purpose=kwargs.pop("purpose", "care_delivery"),
            categories=kwargs.pop("categories", ["care_plan"]),
            resource="timeline",
            channel="api",
            **kwargs,
        )
    except PermissionDenied:
        return None


def test_my_access_log_newest_first_each_as_a_sentence(me, world, jo):
    other = make_world("Riverside Care")
    consent(world, team=world.team)
    read(jo, world.customer)
    read(other.alice, world.customer)  # refused: no grant
    read(other.lead, world.customer, purpose="safeguarding", break_glass_reason="Neighbour reports a fall; no answer.")
    read(jo, make_customer(organisation=world.org))  # someone else's log

    body = me.get("/access-log", as_=world.customer).json()

    assert body["count"] == 3
    assert [e["outcome"] for e in body["items"]] == ["break_glass", "refused", "allowed"]
    assert [e["seq"] for e in body["items"]] == [3, 2, 1]
    allowed, refused, emergency = body["items"][2], body["items"][1], body["items"][0]
    assert allowed["staff_name"] == "Jo Patel" and allowed["organisation"]["name"] == "Sunrise Care"
    assert allowed["purpose"]["code"] == "care_delivery" and allowed["categories"][0]["code"] == "care_plan"
    assert allowed["reason"] is None and allowed["channel"] == "api" and allowed["resource"] == "timeline"
    assert allowed["sentence"].startswith("Jo Patel, Sunrise Care, read your care plan for delivering your care on ")
    assert refused["sentence"].startswith("Alice Able, Riverside Care, was refused your care plan for delivering")
    assert emergency["sentence"].startswith("Lena Lead, Riverside Care, opened your record in an emergency")
    assert emergency["sentence"].endswith(": Neighbour reports a fall; no answer.")
    assert emergency["reason"] == "Neighbour reports a fall; no answer."

    only_refused = me.get("/access-log", as_=world.customer, outcome="refused").json()
    assert [e["seq"] for e in only_refused["items"]] == [2]
    riverside = me.get("/access-log", as_=world.customer, organisation_id=other.org.pk).json()
    assert [e["seq"] for e in riverside["items"]] == [3, 2]
    both = me.get("/access-log", as_=world.customer, organisation_id=other.org.pk, outcome="allowed").json()
    assert both["count"] == 0
    bad = me.get("/access-log", as_=world.customer, outcome="sneaky")
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")


def test_the_access_log_is_paged_and_costs_the_same_however_long(me, world, jo, django_assert_max_num_queries):
    consent(world, team=world.team)
    for _ in range(3):
        read(jo, world.customer)
    me.get("/access-log", as_=world.customer)
    with django_assert_max_num_queries(3) as few:
        me.get("/access-log", as_=world.customer)
    for _ in range(30):
        read(jo, world.customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = me.get("/access-log", as_=world.customer, limit=10, offset=10).json()
    assert body["count"] == 33 and [e["seq"] for e in body["items"]] == list(range(23, 13, -1))
    too_big = me.get("/access-log", as_=world.customer, limit=1000)
    assert too_big.status_code == 422


# --- the sentences, word for word -------------------------------------------------------


def _event(outcome: str, **kwargs: Any) -> AccessEvent:
    return AccessEvent(
        staff_name="Jo Patel",
        organisation_name="Sunrise Care",
        purpose=kwargs.pop("purpose", "care_delivery"),
        categories=kwargs.pop("categories", ["care_plan"]),
        outcome=outcome,
        at=kwargs.pop("at", datetime(2025, 3, 3, 10, 14, tzinfo=LONDON)),
        **kwargs,
    )


NOW = datetime(2025, 6, 1, 12, 0, tzinfo=LONDON)


def test_sentence_for_a_read():
    assert (
        access_sentence(_event("allowed"), now=NOW)
        == "Jo Patel, Sunrise Care, read your care plan for delivering your care on 3 March at 10:14"
    )


def test_sentence_for_a_refusal():
    assert access_sentence(_event("refused", purpose="billing", categories=["financial"]), now=NOW) == (
        "Jo Patel, Sunrise Care, was refused your financial details for billing and payments on 3 March at 10:14: "
        "you had not given permission for that"
    )


def test_sentence_for_an_emergency():
    event = _event("break_glass", purpose="safeguarding", categories=["health_notes"], reason="Found on the floor.")
    assert access_sentence(event, now=NOW) == (
        "Jo Patel, Sunrise Care, opened your record in an emergency (notes about your health, for keeping you safe "
        "from harm) on 3 March at 10:14: Found on the floor."
    )
    event.reason = ""  # erased since
    assert access_sentence(event, now=NOW).endswith(": (the reason they gave has since been erased)")


def test_sentence_lists_categories_and_names_another_year_and_local_time():
    event = _event(
        "allowed",
        categories=["contact_details", "care_plan", "messages"],
        at=datetime(2024, 7, 9, 8, 5, tzinfo=ZoneInfo("UTC")),  # 09:05 in London (summer time)
    )
    assert access_sentence(event, now=NOW) == (
        "Jo Patel, Sunrise Care, read your contact details, your care plan and your requests and messages "
        "for delivering your care on 9 July 2024 at 09:05"
    )
