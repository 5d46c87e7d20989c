"""The export: everything held about a customer, following the published schema, in a
fixed order, and readable as HTML (Art. 15 and 20; the access log per CJEU C-579/21)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from steward.consent.export import customer_export, customer_export_html
from steward.consent.schema import EXPORT_SCHEMA, schema_errors, schema_json
from steward.requests.tests.attachment_samples import media
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent

from .privacy_story import EMAIL, NAME, PHONE, tell

__all__ = ["media"]

SCHEMA_FILE = Path(settings.BASE_DIR) / "docs" / "schema" / "customer-export.schema.json"


@pytest.fixture
def world(db) -> World:
    return make_world("Northshire")


def test_the_published_schema_is_the_one_the_code_checks() -> None:
    assert SCHEMA_FILE.read_text() == schema_json(), "regenerate docs/schema (see steward/consent/schema.py)"
    assert json.loads(SCHEMA_FILE.read_text())["$defs"].keys() == EXPORT_SCHEMA["$defs"].keys()


def test_the_export_holds_everything_and_follows_the_schema(world: World) -> None:
    story = tell(world)
    doc = customer_export(story.customer)
    try:
        import jsonschema  # not pinned; used when present
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        jsonschema.validate(doc, EXPORT_SCHEMA)
    assert schema_errors(doc) == []
    assert doc["format"] == "steward-customer-export" and doc["format_version"] == "1.0"
    assert doc["customer"]["given_name"] == "Zenobia" and doc["customer"]["what_matters_to_me"] == "My cat, Biscuit"
    assert {cp["value"] for cp in doc["contact_points"]} == {EMAIL, PHONE, "12 Larkspur Row, Northtown"}
    # The whole timeline, internal notes included and flagged as such.
    stored = TimelineEvent.objects.filter(customer=story.customer).count()
    assert len(doc["timeline"]) == stored
    notes = [e for e in doc["timeline"] if e["kind"] == "note"]
    assert notes and all(e["internal"] for e in notes) and NAME in notes[0]["body"]
    assert [r["status"] for r in doc["requests"]] == ["closed"]
    assert doc["service_agreements"][0]["end_reason"].endswith("moved to her daughter's")
    assert any(g["purpose"] == "care_delivery" and g["lawful_basis"] == "consent" for g in doc["grants"])
    assert any(r["action"] == "granted" for r in doc["receipts"])
    # The access log: who, when, for what, and the emergency reason.
    log = doc["access_log"]
    assert [e["outcome"] for e in log] == ["allowed", "break_glass"]
    assert log[0]["staff_name"] == "Bob Baker" and log[0]["purpose"] == "care_delivery"
    assert log[1]["reason"].startswith(NAME)


def test_lists_are_in_a_fixed_order(world: World) -> None:
    story = tell(world)
    one, two = customer_export(story.customer), customer_export(story.customer)
    one.pop("exported_at"), two.pop("exported_at")
    assert one == two
    times = [datetime.fromisoformat(e["occurred_at"]) for e in one["timeline"]]
    assert times == sorted(times)
    assert [e["seq"] for e in one["access_log"]] == [1, 2]
    assert all(e["occurred_at"].endswith("+00:00") for e in one["timeline"])


def test_the_html_document_says_the_same_to_a_person(world: World) -> None:
    story = tell(world)
    html = customer_export_html(customer_export(story.customer))
    assert "Everything we hold about Zenobia Quartermaine" in html
    assert EMAIL in html and "sounded frail" in html and "Bob Baker" in html
    assert "ambulance needs her details" in html
    assert "<script" not in html


def test_the_schema_check_names_what_is_wrong(world: World) -> None:
    doc = customer_export(tell(world).customer)
    doc["format_version"] = "9"
    doc["timeline"][0]["kind"] = "telepathy"
    doc["timeline"][1]["occurred_at"] = "yesterday"
    del doc["customer"]["given_name"]
    doc["surprise"] = True
    errors = schema_errors(doc)
    assert "format_version must be '1.0'" in errors
    assert any(e.startswith("timeline[0].kind: 'telepathy'") for e in errors)
    assert any("timeline[1].occurred_at: 'yesterday' is not a date-time" in e for e in errors)
    assert "customer.given_name is required" in errors
    assert "surprise is not a field of this format" in errors
    assert schema_errors([]) == ["the document must be object"]


def test_export_customer_command_writes_json_or_html(world: World, tmp_path: Path) -> None:
    story = tell(world)
    out = StringIO()
    call_command("export_customer", str(story.customer.pk), stdout=out)
    assert schema_errors(json.loads(out.getvalue())) == []
    target = tmp_path / "record.html"
    call_command("export_customer", str(story.customer.pk), "--html", "--output", str(target), stderr=StringIO())
    assert "Who read your information" in target.read_text()
    with pytest.raises(CommandError, match="no customer"):
        call_command("export_customer", "999999")


def test_exporting_ten_thousand_events_reads_them_in_a_bounded_number_of_queries(world: World) -> None:
    # How long it takes is measured in `make bench`, not here; what a test can hold is that
    # a long story is read in chunks, not one query per event.
    story = tell(world)
    with CaptureQueriesContext(connection) as short_story:
        customer_export(story.customer)
    now = timezone.now()
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            customer=story.customer,
            organisation=world.org,
            kind="message_in",
            channel="sms",
            actor_name="Zenobia Quartermaine",
            summary="A message",
            body="Please call me back about the visit times.",
            occurred_at=now.replace(tzinfo=UTC),
        )
        for _ in range(10_000)
    )
    with CaptureQueriesContext(connection) as long_story:
        doc = customer_export(story.customer)
    assert len(doc["timeline"]) > 10_000
    assert len(long_story) <= len(short_story) + 10, [q["sql"][:80] for q in long_story.captured_queries]


def test_photos_and_documents_are_listed_with_where_to_download_them(world: World, media) -> None:
    from steward.requests.services import request_attach
    from steward.requests.tests.attachment_samples import JPEG, PDF, upload

    story = tell(world)
    mine = request_attach(request=story.request, upload=upload("boiler.jpg", JPEG), actor=None, customer=story.customer)
    request_attach(request=story.request, upload=upload("scan.jpg", PDF), actor=story.request.owner or world.lead)
    doc = customer_export(story.customer)
    assert schema_errors(doc) == []
    files = doc["attachments"]
    assert [(a["filename"], a["content_type"], a["added_by"]) for a in files] == [
        ("boiler.jpg", "image/jpeg", "customer"),
        ("scan.jpg", "application/pdf", "staff"),
    ]
    assert files[0]["download"] == f"/me/requests/{story.request.pk}/files/{mine.pk}/"
    assert files[0]["size"] == len(JPEG) and len(files[0]["sha256"]) == 64
    html = customer_export_html(doc)
    assert "Your photos and documents (2)" in html
    assert f'<a href="/me/requests/{story.request.pk}/files/{mine.pk}/">boiler.jpg</a>' in html


def test_an_export_made_before_files_existed_still_follows_the_schema(world: World) -> None:
    doc = customer_export(tell(world).customer)
    doc.pop("attachments")
    assert schema_errors(doc) == []


def test_the_export_holds_her_care_visits_and_when_she_wants_them(db: None) -> None:
    """Where the visits happen, how to get in, who she wants, her regular visits with her
    windows, and the visits of published plans with who came: in the JSON, valid by the
    schema, and on the readable page."""
    from datetime import date, time

    from steward.alerts.tests.factories import make_care_world
    from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern
    from steward.consent.export import customer_export_html
    from steward.visits.tests.factories import make_schedule, make_visit

    care_world = make_care_world()
    carer = make_carer(staff=care_world.provider.bob)
    care = make_care_agreement(agreement=care_world.agreement, address="3 Willow Walk")
    care.preferred_carers.add(carer)
    bed = make_pattern(
        care=care, label="Help into bed", preferred=(time(21), time(21, 30)), acceptable=(time(20, 30), time(22))
    )
    schedule = make_schedule(organisation=care_world.provider.org, day=date(2026, 3, 2))
    make_visit(schedule=schedule, pattern=bed, carers=[carer])

    doc = customer_export(care_world.client)

    assert schema_errors(doc) == []
    (exported,) = doc["care"]
    assert exported["address"] == "3 Willow Walk" and exported["preferred_carers"] == ["Bob Baker"]
    (regular,) = exported["regular_visits"]
    assert (regular["label"], regular["preferred_from"], regular["preferred_to"]) == ("Help into bed", "21:00", "21:30")
    (visit,) = doc["visits"]
    assert visit["day"] == "2026-03-02" and visit["carers"][0]["name"] == "Bob Baker"
    page = customer_export_html(doc)
    assert "Your care visits" in page and "3 Willow Walk" in page and "02 Mar 2026 21:00" in page
