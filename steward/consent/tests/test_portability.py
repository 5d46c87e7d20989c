"""Portability (Art. 20): an export imported elsewhere recreates the customer with every
event of their story, in order, marked with where it came from; a bad document is refused
and changes nothing (I7)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from steward.consent.export import customer_export, export_json
from steward.consent.portability import customer_import
from steward.customers.models import Customer
from steward.errors import InvalidInput, PermissionDenied
from steward.requests.services import request_capture
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent

from .privacy_story import EMAIL, tell

FIELDS = ("kind", "summary", "body", "occurred_at", "channel", "actor_name", "internal")


@pytest.fixture
def world(db) -> World:
    return make_world("Northshire")


@pytest.fixture
def elsewhere(db) -> World:
    return make_world("Meadow Homecare")


def _story(doc: dict) -> list[tuple]:
    return [tuple(e[f] for f in FIELDS) for e in doc["timeline"]]


def test_export_then_import_keeps_every_event_in_order(world: World, elsewhere: World) -> None:
    source = tell(world)
    still_open = request_capture(
        customer=source.customer, need=world.need, channel="sms", description="Can visits start at 9?", actor=None
    )
    exported = customer_export(source.customer)
    # Through text, as it would travel.
    result = customer_import(
        document=json.loads(export_json(exported)), organisation=elsewhere.org, actor=elsewhere.alice
    )
    assert result.events == len(exported["timeline"])
    assert [r["subject"] for r in result.open_requests_at_source] == [still_open.subject]

    again = customer_export(result.customer)
    imported = [e for e in again["timeline"] if "imported" in e["data"]]
    assert _story({"timeline": imported}) == _story(exported)
    assert all(e["organisation"] == "Meadow Homecare" for e in imported)
    assert imported[0]["data"]["imported"]["organisation"] == "Northshire"
    assert {cp["value"] for cp in again["contact_points"]} == {cp["value"] for cp in exported["contact_points"]}
    assert again["customer"]["what_matters_to_me"] == "My cat, Biscuit"
    # The import says what it did, and the new organisation records its own grant.
    note = TimelineEvent.objects.get(customer=result.customer, kind="note", data__import__isnull=False)
    assert "Still open at Northshire" in note.body and note.is_internal
    assert [g["organisation"] for g in again["grants"]] == ["Meadow Homecare"]
    # The source is untouched: a copy, not a move; the open request keeps its owner there.
    still_open.refresh_from_db()
    assert still_open.status == "open" and still_open.owner is not None


def test_a_correction_points_at_the_copy_of_what_it_corrected(world: World, elsewhere: World) -> None:
    source = tell(world)
    doc = customer_export(source.customer)
    doc["timeline"][-1]["corrects"] = doc["timeline"][2]["id"]
    result = customer_import(document=doc, organisation=elsewhere.org, actor=elsewhere.alice)
    copies = TimelineEvent.objects.filter(customer=result.customer, data__imported__isnull=False)
    corrected = copies.get(data__imported__event=doc["timeline"][-1]["id"]).corrects
    assert corrected.data["imported"]["event"] == doc["timeline"][2]["id"]


def test_a_bad_document_is_refused_and_changes_nothing(world: World, elsewhere: World) -> None:
    doc = customer_export(tell(world).customer)
    customers, events = Customer.objects.count(), TimelineEvent.objects.count()
    broken = {**doc, "format_version": "0.1"}
    with pytest.raises(InvalidInput) as refused:
        customer_import(document=broken, organisation=elsewhere.org, actor=elsewhere.alice)
    assert refused.value.code == "export_invalid" and "format_version" in refused.value.message
    bad_email = json.loads(json.dumps(doc))
    bad_email["contact_points"][0]["value"] = "not an email"
    with pytest.raises(InvalidInput):
        customer_import(document=bad_email, organisation=elsewhere.org, actor=elsewhere.alice)
    with pytest.raises(PermissionDenied):
        customer_import(document=doc, organisation=elsewhere.org, actor=world.alice)
    assert (Customer.objects.count(), TimelineEvent.objects.count()) == (customers, events)


def test_import_customer_command(world: World, elsewhere: World, tmp_path: Path) -> None:
    doc = customer_export(tell(world).customer)
    path = tmp_path / "export.json"
    path.write_text(export_json(doc))
    out = StringIO()
    call_command(
        "import_customer",
        str(path),
        "--organisation",
        elsewhere.org.slug,
        "--as",
        elsewhere.alice.user.username,
        stdout=out,
    )
    assert f"{len(doc['timeline'])} timeline entries" in out.getvalue()
    assert Customer.objects.filter(contact_points__value=EMAIL).count() == 2
    path.write_text("{}")
    with pytest.raises(CommandError, match="export_invalid"):
        call_command(
            "import_customer", str(path), "--organisation", elsewhere.org.slug, "--as", elsewhere.alice.user.username
        )
