"""The authorisation matrix (issue 4, I5): every API endpoint that reveals a customer's
data refuses a reader whose organisation has no grant for the purpose they give, and
logs the refusal; every allowed read leaves exactly one access event; a missing purpose
is a 400 that reads nothing; break-glass opens it, logged as such.

Each row names how to reach the endpoint as someone who *can see* the thing (so the
grant check, not the not-found rule, is what is tested), the purpose their grant covers,
and a purpose it does not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from steward.agreements.services import agreement_start
from steward.consent.minimal import grants_backfill
from steward.consent.models import AccessEvent
from steward.handovers.services import handover_offer
from steward.requests.services import request_attach, request_capture
from steward.requests.tests.factories import World, make_world
from steward.transfers.models import TransferClient
from steward.transfers.services import ReceiverSpec, transfer_add_clients, transfer_create, transfer_open
from steward.transfers.tests.factories import make_transfer_world


@dataclass
class Row:
    name: str
    path: str
    reader: Any
    purpose: str
    customer_id: int


@pytest.fixture
def rows(db, django_capture_on_commit_callbacks) -> list[Row]:
    world: World = make_world("Northshire")
    other = make_world("Sunrise Care")
    request = request_capture(
        customer=world.customer, need=world.need, channel="phone", description="No carer came", actor=world.alice
    )
    offer = handover_offer(request=request, actor=request.owner, reason="Their patch", to_organisation=other.org)
    agreement = agreement_start(
        customer=world.customer, team=world.team, coordinator=world.bob, service="Home care", actor=world.lead
    )
    c = world.customer.pk
    attachment = request_attach(
        request=request, upload=SimpleUploadedFile("letter.pdf", b"%PDF-1.4\n%%EOF\n"), actor=world.alice
    )
    found = [
        Row("customer", f"/customers/{c}", world.alice, "service_provision", c),
        Row("customer timeline", f"/customers/{c}/timeline", world.alice, "service_provision", c),
        Row("request", f"/requests/{request.pk}", world.alice, "service_provision", c),
        Row("request timeline", f"/requests/{request.pk}/timeline", world.alice, "service_provision", c),
        Row("request's files", f"/requests/{request.pk}/attachments", world.alice, "service_provision", c),
        Row("a file", f"/requests/{request.pk}/attachments/{attachment.pk}", world.alice, "service_provision", c),
        Row("handover, sender", f"/handovers/{offer.pk}", world.alice, "service_provision", c),
        Row("handover, receiver", f"/handovers/{offer.pk}", other.alice, "service_provision", c),
        Row("customer's services", f"/customers/{c}/agreements", world.alice, "care_delivery", c),
        Row("a service", f"/agreements/{agreement.pk}", world.alice, "care_delivery", c),
    ]
    tw = make_transfer_world(clients=2, suffix=" T")
    grants_backfill()  # the factory writes services directly, as a database made before grants
    transfer = transfer_create(
        from_provider=tw.old.org,
        receivers=[ReceiverSpec(tw.sunrise.org)],
        reason="Contract ended",
        actor=tw.council.alice,
    )
    transfer_add_clients(transfer=transfer, actor=tw.council.alice, every_active_client=True)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_open(transfer=transfer, actor=tw.council.alice)
    client = TransferClient.objects.filter(transfer=transfer).first()
    path = f"/transfers/{transfer.pk}/clients/{client.pk}"
    found += [
        Row("transfer client, receiver", path, tw.sunrise.alice, "care_coordination", client.customer_id),
        Row("transfer client, commissioner", path, tw.council.alice, "care_coordination", client.customer_id),
        Row("transfer client, old provider", path, tw.old.alice, "care_delivery", client.customer_id),
    ]
    return found


def _events(customer_id: int) -> list[str]:
    return list(AccessEvent.objects.filter(customer_id=customer_id).order_by("seq").values_list("outcome", flat=True))


def test_every_read_needs_a_grant_for_the_purpose_and_leaves_one_access_event(api, rows: list[Row]) -> None:
    for row in rows:
        before = _events(row.customer_id)

        missing = api.get(row.path, as_=row.reader)
        assert (missing.status_code, missing.json()["code"]) == (400, "purpose_required"), row.name
        assert "service_provision" in missing.json()["message"]
        assert _events(row.customer_id) == before, f"{row.name}: a missing purpose reads nothing"

        allowed = api.get(row.path, as_=row.reader, purpose=row.purpose)
        assert allowed.status_code == 200, (row.name, allowed.json())
        assert _events(row.customer_id) == [*before, "allowed"], row.name

        refused = api.get(row.path, as_=row.reader, purpose="marketing")
        assert (refused.status_code, refused.json()["code"]) == (403, "no_grant"), row.name
        assert set(refused.json()) == {"code", "message"}, f"{row.name}: a refusal reveals nothing"
        assert _events(row.customer_id) == [*before, "allowed", "refused"], row.name
        event = AccessEvent.objects.filter(customer_id=row.customer_id).order_by("-seq").first()
        assert (event.staff_id, event.purpose, event.channel) == (row.reader.pk, "marketing", "api")

        emergency = api.get(row.path, as_=row.reader, purpose="marketing", break_glass_reason="She collapsed")
        assert emergency.status_code == 200, row.name
        assert _events(row.customer_id) == [*before, "allowed", "refused", "break_glass"], row.name


def test_an_organisation_with_no_relationship_is_refused_and_logged(api, db) -> None:
    world = make_world("Northshire")
    stranger = make_world("Elsewhere")
    request_capture(customer=world.customer, need=world.need, channel="phone", description="x", actor=None)
    for path in (f"/customers/{world.customer.pk}", f"/customers/{world.customer.pk}/timeline"):
        response = api.get(path, as_=stranger.alice, purpose="service_provision")
        assert (response.status_code, response.json()["code"]) == (403, "no_grant")
    assert _events(world.customer.pk) == ["refused", "refused"]


def test_search_answers_who_someone_is_and_reads_nothing(api, db) -> None:
    world = make_world("Northshire")
    stranger = make_world("Elsewhere")
    body = api.get("/customers", as_=stranger.alice, q=world.customer.full_name).json()
    assert body["count"] == 1
    assert set(body["items"][0]) == {"id", "full_name", "preferred_name", "date_of_birth", "postcodes"}
    assert not AccessEvent.objects.exists()


def test_the_break_glass_report_is_for_supervisors(api, db) -> None:
    world = make_world("Northshire")
    api.get(f"/customers/{world.customer.pk}", as_=world.bob, purpose="safeguarding", break_glass_reason="Fell")
    report = api.get("/access/break-glass", as_=world.lead).json()
    assert report["count"] == 1
    assert report["items"][0]["staff_name"] == "Bob Baker" and report["items"][0]["reason"] == "Fell"
    refused = api.get("/access/break-glass", as_=world.alice)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_supervisor")
    assert api.get("/access/break-glass", as_=make_world("Elsewhere").head).json()["count"] == 0


def test_console_pages_read_through_the_door_too(db, client) -> None:
    from django.urls import reverse

    world = make_world("Northshire")
    request = request_capture(
        customer=world.customer, need=world.need, channel="phone", description="No carer came", actor=None
    )
    c = world.customer.pk
    owner = request.owner
    client.force_login(owner.user)
    request_page, customer_page = reverse("console:request", args=[request.pk]), reverse("console:customer", args=[c])

    # The owner working on their request: service provision is assumed; one access event.
    assert client.get(request_page).status_code == 200
    assert _events(c) == ["allowed"]
    # The customer page asks why first, reading nothing.
    asked = client.get(customer_page)
    assert asked.status_code == 200 and "Why are you opening this record?" in asked.content.decode()
    assert _events(c) == ["allowed"]
    # A purpose the organisation holds no grant for: refused, logged, with a break-glass form.
    client.post(reverse("console:read-purpose", args=[c]), {"purpose": "marketing", "next": customer_page})
    refused = client.get(customer_page)
    assert refused.status_code == 403 and "break_glass_reason" in refused.content.decode()
    assert _events(c) == ["allowed", "refused"]
    client.post(reverse("console:read-purpose", args=[c]), {"purpose": "service_provision", "next": customer_page})
    assert client.get(customer_page).status_code == 200
    assert client.get(request_page).status_code == 200  # the chosen purpose applies to the request page too
    assert _events(c) == ["allowed", "refused", "allowed", "allowed"]
    assert set(AccessEvent.objects.filter(customer_id=c).values_list("channel", flat=True)) == {"page"}
