"""The privacy-request API: taken down by staff or asked by the customer, answered by the
named lead (export download, erasure, refusal); others cannot see or act on it."""

from __future__ import annotations

import json

import pytest

from steward.accounts.services import customer_token_issue
from steward.consent.models import PrivacyRequest
from steward.requests.tests.factories import World, make_world

from .privacy_story import NAME, tell


@pytest.fixture
def world(db) -> World:
    world = make_world("Northshire")
    world.head.is_org_admin = True
    world.head.save(update_fields=["is_org_admin"])
    return world


def test_an_export_request_reaches_the_lead_who_downloads_and_completes_it(api, world: World) -> None:
    story = tell(world)
    opened = api.post(f"/customers/{story.customer.pk}/privacy-requests", {"kind": "export"}, as_=world.alice)
    assert opened.status_code == 201, opened.json()
    body = opened.json()
    assert body["assigned_to"]["name"] == world.head.display_name and body["status"] == "received"
    queue = api.get("/privacy-requests", as_=world.head).json()
    assert [item["id"] for item in queue["items"]] == [body["id"]]
    assert api.get("/privacy-requests", as_=world.bob).json()["count"] == 0

    download = api.get(f"/privacy-requests/{body['id']}/export", as_=world.head)
    assert download.status_code == 200
    document = json.loads(download.content)
    assert document["customer"]["family_name"] == "Quartermaine"
    assert document["timeline"]
    html = api.get(f"/privacy-requests/{body['id']}/export", as_=world.head, format="html")
    assert NAME in html.content.decode()
    done = api.post(f"/privacy-requests/{body['id']}/complete", {"outcome": "Sent by post"}, as_=world.head)
    assert done.json()["status"] == "done"


def test_others_cannot_read_or_answer_someone_elses_privacy_request(api, world: World) -> None:
    story = tell(world)
    opened = api.post(f"/customers/{story.customer.pk}/privacy-requests", {"kind": "export"}, as_=world.alice).json()
    outsider = make_world("Elsewhere").alice
    for who in (world.bob, outsider):
        assert api.get(f"/privacy-requests/{opened['id']}/export", as_=who).status_code == 404
        refused = api.post(f"/privacy-requests/{opened['id']}/refuse", {"reason": "no"}, as_=who)
        assert refused.status_code == 404
    assert PrivacyRequest.objects.get(pk=opened["id"]).status == "received"
    bad = api.post(f"/customers/{story.customer.pk}/privacy-requests", {"kind": "forget-me-a-bit"}, as_=world.alice)
    assert bad.status_code == 400 and bad.json()["code"] == "privacy_kind_unknown"


def test_the_customer_asks_for_erasure_and_the_lead_erases(api, world: World, client) -> None:
    story = tell(world)
    _, token = customer_token_issue(customer=story.customer)
    asked = client.post(
        "/api/v1/customer/privacy-requests",
        {"kind": "erasure", "organisation_id": world.org.pk},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert asked.status_code == 201, asked.json()
    request_id = asked.json()["id"]
    # Staff tokens do not work on the customer's side.
    staff_try = api.post(
        "/customer/privacy-requests", {"kind": "export", "organisation_id": world.org.pk}, as_=world.alice
    )
    assert staff_try.status_code == 401
    erased = api.post(f"/privacy-requests/{request_id}/erase", as_=world.head)
    if erased.status_code == 409:  # the story leaves nothing in play, but say why if it did
        pytest.fail(erased.json()["message"])
    assert erased.status_code == 200
    assert erased.json()["status"] == "done"
    assert erased.json()["retained"], "what must be kept is listed with its legal reason"
    assert all(item["legal_reason"] for item in erased.json()["retained"])


def test_the_customer_downloads_their_record_and_another_steward_imports_it(api, world: World, client) -> None:
    story = tell(world)
    _, token = customer_token_issue(customer=story.customer)
    download = client.get("/api/v1/customer/export", headers={"Authorization": f"Bearer {token}"})
    assert download.status_code == 200
    document = json.loads(download.content)
    assert document["access_log"] and document["grants"] and document["timeline"]
    assert client.get("/api/v1/customer/export").status_code == 401

    elsewhere = make_world("Riverside Care")
    imported = api.post("/customer-imports", document, as_=elsewhere.alice)
    assert imported.status_code == 201, imported.json()
    assert imported.json()["events"] == len(document["timeline"])
    broken = api.post("/customer-imports", {"format_version": "1.0"}, as_=elsewhere.alice)
    assert broken.status_code == 400 and broken.json()["code"] == "export_invalid"
