"""Erasure (Art. 17): nothing readable about the customer is left anywhere in the
database, what must be kept is listed with its legal reason and end date, the timeline
keeps its events (I4: only their words go) and the access log's chain still verifies."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.db import models
from django.db.models.functions import Cast

from steward.consent.chain import verify_chain
from steward.consent.erasure import customer_erase
from steward.consent.models import AccessEvent, Grant, PrivacyRequest, RetainedItem
from steward.consent.privacy import privacy_request_open
from steward.customers.models import ContactPoint, Customer
from steward.errors import Conflict, NotFound
from steward.requests.services import request_capture
from steward.requests.tests.attachment_samples import media
from steward.requests.tests.factories import World, make_world
from steward.timeline.models import TimelineEvent

from .privacy_story import ADDRESS, EMAIL, NAME, PHONE, tell

__all__ = ["media"]

SEARCHED = [NAME, "Zenobia", "Quartermaine", EMAIL, PHONE, "07700900123", "447700900123", ADDRESS, "NT14QZ"]


@pytest.fixture
def world(db) -> World:
    world = make_world("Northshire")
    world.head.is_org_admin = True
    world.head.save(update_fields=["is_org_admin"])
    return world


def everywhere(needle: str) -> list[str]:
    """Every (table.column #id) whose text contains `needle`, in every table of every
    installed app: each CharField, TextField and JSONField."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField | models.JSONField):
                continue
            if isinstance(field, models.JSONField):
                rows = model._base_manager.annotate(_t=Cast(field.name, models.TextField()))
                hit = rows.filter(_t__icontains=needle) | rows.filter(_t__icontains=json.dumps(needle)[1:-1])
            else:
                hit = model._base_manager.filter(**{f"{field.name}__icontains": needle})
            found += [f"{model._meta.db_table}.{field.column} #{pk}" for pk in hit.values_list("pk", flat=True)]
    return found


def token_revoked(customer: Customer) -> bool:
    from steward.accounts.models import CustomerToken

    return not CustomerToken.objects.filter(customer=customer, revoked_at__isnull=True).exists()


def test_a_completed_erasure_leaves_nothing_readable(world: World) -> None:
    story = tell(world)
    assert everywhere(NAME) and everywhere(EMAIL)  # the search does find her before
    timeline_before = list(
        TimelineEvent.objects.filter(customer=story.customer).order_by("occurred_at", "id").values_list("pk", "kind")
    )
    from steward.accounts.services import customer_token_issue

    customer_token_issue(customer=story.customer)
    erasure = privacy_request_open(customer=story.customer, kind="erasure", actor=world.alice)
    result = customer_erase(privacy_request=erasure, actor=world.head)
    assert token_revoked(story.customer)  # their API token no longer works

    for needle in SEARCHED:
        assert everywhere(needle) == [], needle
    # I4: every event is still there, in order, with its kind; only the words went.
    after = TimelineEvent.objects.filter(customer=story.customer).order_by("occurred_at", "id")
    assert list(after.values_list("pk", "kind")) == timeline_before
    assert all(e.summary.startswith("[erased]") and e.body == "" for e in after)
    # The access log still verifies; its break-glass reason is gone, its digest stays.
    assert verify_chain(story.customer.pk) is None
    glass = AccessEvent.objects.get(customer=story.customer, outcome="break_glass")
    assert glass.reason == "" and glass.reason_digest
    assert not ContactPoint.objects.filter(customer=story.customer).exists()
    assert Customer.objects.get(pk=story.customer.pk).given_name == "[erased]"
    assert not Grant.objects.filter(customer=story.customer, revoked_at__isnull=True).exists()

    erasure.refresh_from_db()
    assert erasure.status == "done" and erasure.completed_by == world.head
    kept = {item.category: item for item in RetainedItem.objects.filter(privacy_request=erasure)}
    assert {
        "customer_record",
        "timeline",
        "requests",
        "service_agreements",
        "grants",
        "access_log",
        "privacy_request",
    } <= kept.keys()
    assert kept["access_log"].count == 2 and "Art. 5(2)" in kept["access_log"].legal_reason
    assert kept["timeline"].count == len(timeline_before) and "Limitation Act 1980" in kept["timeline"].legal_reason
    assert all(item.retain_until.year == erasure.completed_at.year + 6 for item in kept.values())
    assert result.retained and "until" in erasure.outcome


def test_mentions_in_other_peoples_records_are_erased_too(world: World) -> None:
    story = tell(world)
    other = Customer.objects.create(given_name="Ada", family_name="Other", search_name="ada other")
    request = request_capture(
        customer=other,
        need=world.need,
        channel="web",
        description=f"My neighbour {NAME} ({PHONE}) asked me to ring.",
        actor=None,
    )
    erasure = privacy_request_open(customer=story.customer, kind="erasure", actor=world.alice)
    customer_erase(privacy_request=erasure, actor=world.head)
    request.refresh_from_db()
    assert request.description == "My neighbour [erased] ([erased]) asked me to ring."
    assert everywhere(NAME) == [] and everywhere(PHONE) == []


def test_erasure_waits_while_someone_still_answers_for_the_customer(world: World) -> None:
    story = tell(world)
    open_request = request_capture(
        customer=story.customer, need=world.need, channel="web", description="Another thing", actor=None
    )
    erasure = privacy_request_open(customer=story.customer, kind="erasure", actor=world.alice)
    with pytest.raises(Conflict) as refused:
        customer_erase(privacy_request=erasure, actor=world.head)
    assert refused.value.code == "erasure_customer_in_service" and f"#{open_request.pk}" in refused.value.message
    assert everywhere(NAME)  # nothing changed (I7)
    erasure.refresh_from_db()
    assert erasure.status == "received"


def test_only_the_named_lead_and_their_line_may_erase(world: World) -> None:
    story = tell(world)
    erasure = privacy_request_open(customer=story.customer, kind="erasure", actor=world.alice)
    assert erasure.assigned_to == world.head
    with pytest.raises(NotFound):
        customer_erase(privacy_request=erasure, actor=world.bob)
    export = privacy_request_open(customer=story.customer, kind="export", actor=world.alice)
    with pytest.raises(Conflict):
        customer_erase(privacy_request=export, actor=world.head)
    assert PrivacyRequest.objects.filter(status="done").count() == 0


def test_photos_and_documents_are_deleted_and_their_rows_say_nothing(
    world: World, media, django_capture_on_commit_callbacks
) -> None:
    from steward.requests.models import Attachment
    from steward.requests.services import request_attach
    from steward.requests.tests.attachment_samples import JPEG, PDF, stored_files, upload

    story = tell(world)
    owner = story.request.owner or world.lead
    mine = request_attach(
        request=story.request, upload=upload(f"{NAME} boiler.jpg", JPEG), actor=None, customer=story.customer
    )
    theirs = request_attach(request=story.request, upload=upload(f"Letter to {NAME}.pdf", PDF), actor=owner)
    assert len(stored_files(media)) == 2 and everywhere(NAME)

    erasure = privacy_request_open(customer=story.customer, kind="erasure", actor=world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(privacy_request=erasure, actor=world.head)

    assert stored_files(media) == []  # the files are gone from storage
    for needle in SEARCHED:
        assert everywhere(needle) == [], needle
    rows = {a.pk: a for a in Attachment.objects.filter(customer=story.customer)}
    assert rows[mine.pk].filename == "[erased]" and rows[mine.pk].sha256 == "" and rows[mine.pk].erased_at
    assert rows[mine.pk].added_by_name == "The customer" and rows[theirs.pk].added_by_name == owner.display_name
    assert (rows[theirs.pk].size, rows[theirs.pk].content_type) == (len(PDF), "application/pdf")
    kept = RetainedItem.objects.get(privacy_request=erasure, category="attachments")
    assert kept.count == 2 and "Limitation Act 1980" in kept.legal_reason


def test_an_erasure_that_fails_keeps_the_files(world: World, media, monkeypatch) -> None:
    from steward.requests.services import request_attach
    from steward.requests.tests.attachment_samples import PDF, stored_files, upload

    story = tell(world)
    request_attach(request=story.request, upload=upload("letter.pdf", PDF), actor=story.request.owner or world.lead)
    erasure = privacy_request_open(customer=story.customer, kind="erasure", actor=world.alice)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("steward.consent.erasure._retain", broken)
    with pytest.raises(RuntimeError):
        customer_erase(privacy_request=erasure, actor=world.head)
    assert len(stored_files(media)) == 1


def test_nobody_acts_for_an_erased_customer_and_who_they_trusted_is_erased_too(world: World) -> None:
    from steward.trusted.services import trusted_read
    from steward.trusted.tests.factories import make_trusted

    story = tell(world)
    sara = make_trusted(customer=story.customer, name="Saffron Quill", email="saffron.quill@example.org")
    trusted_read(trusted=sara, resource="requests", categories=["messages"])
    assert everywhere("Saffron Quill")
    erasure = privacy_request_open(customer=story.customer, kind="erasure", actor=world.alice)
    customer_erase(privacy_request=erasure, actor=world.head)

    sara.refresh_from_db()
    assert sara.revoked_at is not None and not sara.is_current(sara.revoked_at)
    for needle in ["Saffron", "Quill", "saffron.quill@example.org"]:
        assert everywhere(needle) == [], needle
    # Their look stays in the access log, which still verifies.
    assert AccessEvent.objects.filter(customer=story.customer, actor_kind="trusted").count() == 1
    assert verify_chain(story.customer.pk) is None
    kept = RetainedItem.objects.get(privacy_request=erasure, category="trusted_people")
    assert kept.count == 1 and "access-log entries" in kept.legal_reason


def test_where_care_visits_happened_and_how_to_get_in_are_erased_and_the_visits_kept(db: None) -> None:
    """After her service ended, an erasure leaves no address, key-safe note, visit labels
    or carer preferences; the visits stay as who went when, listed as kept with the reason."""
    from datetime import date

    from steward.agreements.services import agreement_end
    from steward.alerts.tests.factories import make_care_world
    from steward.care.models import CareAgreement, VisitPattern
    from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern
    from steward.visits.models import Visit
    from steward.visits.tests.factories import make_schedule, make_visit

    care_world = make_care_world()
    provider = care_world.provider
    provider.head.is_org_admin = True
    provider.head.save(update_fields=["is_org_admin"])
    carer = make_carer(staff=provider.bob)
    care = make_care_agreement(agreement=care_world.agreement, address="17 Quartermaine Crescent")
    CareAgreement.objects.filter(pk=care.pk).update(access_notes="Key safe code 4471, back door")
    care.preferred_carers.add(carer)
    pattern = make_pattern(care=care, label="Help with my insulin")
    make_visit(schedule=make_schedule(organisation=provider.org, day=date(2026, 3, 2)), pattern=pattern, carers=[carer])
    agreement_end(agreement=care_world.agreement, actor=provider.alice, reason="Moved away.")

    erasure = privacy_request_open(customer=care_world.client, kind="erasure", actor=provider.alice)
    customer_erase(privacy_request=erasure, actor=provider.head)

    for needle in ("17 Quartermaine Crescent", "Key safe code 4471", "Help with my insulin"):
        assert everywhere(needle) == [], needle
    care.refresh_from_db()
    assert (care.latitude, care.longitude) == (0.0, 0.0) and not care.preferred_carers.exists()
    assert VisitPattern.objects.get(pk=pattern.pk).label == "[erased]"
    visit = Visit.objects.get(customer=care_world.client)
    assert visit.assignments.get().carer == carer  # who went, and when, is kept
    kept = RetainedItem.objects.get(privacy_request=erasure, category="visits")
    assert kept.count == 1 and "carer" in kept.description
