"""Files on the console's request page: those who work on the request add them; a
download is a read of the customer's data, through the read door with the session's
purpose, one access event each."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from steward.consent.models import AccessEvent
from steward.organisations.models import StaffMember
from steward.organisations.tests.factories import TeamFactory, make_staff
from steward.requests.models import Attachment, Request
from steward.requests.services import request_attach, request_capture
from steward.requests.tests.attachment_samples import EXE, JPEG, PDF, media, stored_files, upload
from steward.requests.tests.factories import World, make_world

__all__ = ["media"]


@pytest.fixture
def world(db) -> World:
    return make_world("Northshire")


@pytest.fixture
def r(world: World) -> Request:
    return request_capture(
        customer=world.customer, need=world.need, channel="phone", description="No carer came", actor=world.alice
    )


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def outsider_in(world: World) -> StaffMember:
    """Same organisation, another team: sees the request, does not work on it."""
    return make_staff(team=TeamFactory(organisation=world.org), first_name="Otto", last_name="Other")


def events(customer_id: int) -> list[tuple[str, str]]:
    return list(AccessEvent.objects.filter(customer_id=customer_id).order_by("seq").values_list("outcome", "resource"))


def test_the_owner_adds_a_file_and_sees_it_listed(world: World, r: Request, media: Path) -> None:
    client = signed_in(r.owner)
    page = client.get(reverse("console:request", args=[r.pk])).content.decode()
    assert "No photos or documents yet." in page and 'enctype="multipart/form-data"' in page
    posted = client.post(
        reverse("console:request-attach", args=[r.pk]), {"file": upload("care plan.pdf", PDF), "body": "Your plan."}
    )
    assert posted.status_code == 302
    added = Attachment.objects.get()
    assert added.added_by_staff == r.owner and added.message is not None and added.message.kind == "message_out"
    page = client.get(reverse("console:request", args=[r.pk])).content.decode()
    assert "care plan.pdf" in page and reverse("console:request-file", args=[r.pk, added.pk]) in page


def test_adding_with_htmx_swaps_the_request_detail(world: World, r: Request, media: Path) -> None:
    response = signed_in(r.owner).post(
        reverse("console:request-attach", args=[r.pk]), {"file": upload("a.jpg", JPEG)}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="request-detail"') and "a.jpg" in html


def test_a_refused_kind_is_explained_at_the_field(world: World, r: Request, media: Path) -> None:
    response = signed_in(r.owner).post(reverse("console:request-attach", args=[r.pk]), {"file": upload("x.exe", EXE)})
    assert response.status_code == 400
    assert 'id="attach-file_error"' in response.content.decode()
    assert stored_files(media) == [] and not Attachment.objects.exists()


def test_the_owner_downloads_with_service_provision_assumed_and_logged(world: World, r: Request, media: Path) -> None:
    added = request_attach(request=r, upload=upload("photo.jpg", PDF), actor=None, customer=world.customer)
    before = events(world.customer.pk)
    got = signed_in(r.owner).get(reverse("console:request-file", args=[r.pk, added.pk]))
    assert got.status_code == 200
    assert got["Content-Disposition"] == 'attachment; filename="photo.jpg.pdf"'
    assert got["Content-Type"] == "application/pdf" and got["X-Content-Type-Options"] == "nosniff"
    assert b"".join(got.streaming_content) == PDF
    assert events(world.customer.pk) == [*before, ("allowed", f"attachment:{added.pk}")]
    assert AccessEvent.objects.order_by("-seq").first().channel == "page"


def test_someone_not_working_on_it_says_why_and_without_a_grant_is_refused(
    world: World, r: Request, media: Path
) -> None:
    added = request_attach(request=r, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer)
    otto = outsider_in(world)
    client = signed_in(otto)
    url = reverse("console:request-file", args=[r.pk, added.pk])
    before = events(world.customer.pk)
    asked = client.get(url)
    assert asked.status_code == 200 and "Why are you opening this record?" in asked.content.decode()
    assert "Content-Disposition" not in asked and events(world.customer.pk) == before
    client.post(reverse("console:read-purpose", args=[world.customer.pk]), {"purpose": "marketing", "next": url})
    refused = client.get(url)
    assert refused.status_code == 403 and "break_glass_reason" in refused.content.decode()
    assert "Content-Disposition" not in refused
    assert events(world.customer.pk) == [*before, ("refused", f"attachment:{added.pk}")]


def test_someone_not_working_on_it_cannot_add(world: World, r: Request, media: Path) -> None:
    otto = outsider_in(world)
    client = signed_in(otto)
    client.post(
        reverse("console:read-purpose", args=[world.customer.pk]), {"purpose": "service_provision", "next": "/console/"}
    )
    page = client.get(reverse("console:request", args=[r.pk])).content.decode()
    assert "add files to this request" in page and 'name="file"' not in page
    posted = client.post(reverse("console:request-attach", args=[r.pk]), {"file": upload("a.pdf", PDF)})
    assert posted.status_code == 403
    assert stored_files(media) == [] and not Attachment.objects.exists()


def test_another_organisation_gets_not_found(world: World, r: Request, media: Path) -> None:
    added = request_attach(request=r, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer)
    client = signed_in(make_world("Elsewhere").alice)
    assert client.get(reverse("console:request-file", args=[r.pk, added.pk])).status_code == 404
    assert (
        client.post(reverse("console:request-attach", args=[r.pk]), {"file": upload("b.pdf", PDF)}).status_code == 404
    )
    assert len(stored_files(media)) == 1


def test_signed_out_is_sent_to_sign_in(world: World, r: Request, media: Path) -> None:
    added = request_attach(request=r, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer)
    got = Client().get(reverse("console:request-file", args=[r.pk, added.pk]))
    assert got.status_code == 302 and "/console/login/" in got["Location"]
    posted = Client().post(reverse("console:request-attach", args=[r.pk]), {"file": upload("b.pdf", PDF)})
    assert posted.status_code == 302
    assert len(stored_files(media)) == 1


def test_the_request_page_query_count_does_not_grow_with_files(
    world: World, r: Request, media: Path, django_assert_max_num_queries
) -> None:
    client = signed_in(r.owner)
    request_attach(request=r, upload=upload("a.jpg", JPEG), actor=r.owner)
    with django_assert_max_num_queries(60) as one:
        client.get(reverse("console:request", args=[r.pk]))
    for i in range(8):
        request_attach(request=r, upload=upload(f"{i}.pdf", PDF), actor=r.owner)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("console:request", args=[r.pk]))
