"""The customer sends photos and documents with their reply, sees every file on their
request (name, size, date, who added it) and downloads their own; nobody else can."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from steward.customers.tests.factories import make_customer
from steward.requests.lifecycle import Status
from steward.requests.models import Attachment, Channel, Request
from steward.requests.services import request_attach, request_capture, request_change_status
from steward.requests.tests.attachment_samples import EXE, JPEG, PDF, media, stored_files, upload
from steward.timeline.models import TimelineEvent

from .conftest import as_customer

__all__ = ["media"]
pytestmark = pytest.mark.django_db


def capture(world) -> Request:
    return request_capture(
        customer=world.customer, need=world.need, channel=Channel.PHONE, description="No carer", actor=world.head
    )


def test_the_reply_form_is_multipart_and_offers_a_file(world, media: Path) -> None:
    req = capture(world)
    html = as_customer(world.customer).get(f"/me/requests/{req.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file" name="file"' in html
    assert "up to 10 MB" in html
    assert "No photos or documents yet." in html


def test_a_reply_with_a_photo_is_one_message_with_its_file(world, media: Path) -> None:
    req = capture(world)
    client = as_customer(world.customer)
    response = client.post(
        f"/me/requests/{req.pk}/reply/", {"body": "Here is the boiler.", "file": upload("boiler.jpg", JPEG)}
    )
    assert response.status_code == 302
    added = Attachment.objects.get()
    assert added.message is not None and added.message.body == "Here is the boiler."
    assert added.content_type == "image/jpeg" and added.added_by == "customer"
    page = client.get(f"/me/requests/{req.pk}/").content.decode()
    assert "your message and file" in page
    assert f"/me/requests/{req.pk}/files/{added.pk}/" in page
    assert "boiler.jpg" in page and "added by you" in page

    got = client.get(f"/me/requests/{req.pk}/files/{added.pk}/")
    assert got.status_code == 200
    assert got["Content-Disposition"] == 'attachment; filename="boiler.jpg"'
    assert got["X-Content-Type-Options"] == "nosniff" and got["Content-Type"] == "image/jpeg"
    assert b"".join(got.streaming_content) == JPEG


def test_a_file_alone_is_enough(world, media: Path) -> None:
    req = capture(world)
    response = as_customer(world.customer).post(f"/me/requests/{req.pk}/reply/", {"file": upload("letter.pdf", PDF)})
    assert response.status_code == 302
    added = Attachment.objects.get()
    assert added.message is None
    assert not TimelineEvent.objects.filter(request=req, kind=TimelineEvent.Kind.MESSAGE_IN).exists()
    assert TimelineEvent.objects.filter(request=req, kind=TimelineEvent.Kind.ATTACHMENT_ADDED).exists()


def test_a_refused_file_is_explained_at_the_field_and_nothing_is_sent(world, media: Path) -> None:
    req = capture(world)
    response = as_customer(world.customer).post(
        f"/me/requests/{req.pk}/reply/", {"body": "See attached.", "file": upload("setup.exe", EXE)}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "We cannot take this kind of file" in html and 'id="id_file_error"' in html
    assert not TimelineEvent.objects.filter(request=req, kind=TimelineEvent.Kind.MESSAGE_IN).exists()
    assert stored_files(media) == [] and not Attachment.objects.exists()


def test_a_too_large_file_says_the_limit(world, media: Path, settings) -> None:
    settings.STEWARD_ATTACHMENT_MAX_BYTES = 1024
    req = capture(world)
    response = as_customer(world.customer).post(
        f"/me/requests/{req.pk}/reply/", {"file": upload("big.pdf", PDF + b" " * 2000)}
    )
    assert response.status_code == 400
    assert "the most we can take is 1 KB" in response.content.decode()
    assert stored_files(media) == []


def test_staff_files_are_listed_with_who_added_them(world, media: Path) -> None:
    req = capture(world)
    request_attach(request=req, upload=upload("care plan.pdf", PDF), actor=world.lead)
    html = as_customer(world.customer).get(f"/me/requests/{req.pk}/").content.decode()
    assert "care plan.pdf" in html and "added by Lena Lead" in html


def test_another_customers_file_is_not_found(world, media: Path) -> None:
    req = capture(world)
    added = request_attach(request=req, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer)
    stranger = make_customer(organisation=world.org)
    client = as_customer(stranger)
    assert client.get(f"/me/requests/{req.pk}/files/{added.pk}/").status_code == 404
    posted = client.post(f"/me/requests/{req.pk}/reply/", {"file": upload("b.pdf", PDF)})
    assert posted.status_code == 404
    assert len(stored_files(media)) == 1


def test_a_file_of_another_request_is_not_found_through_this_one(world, media: Path) -> None:
    first, second = capture(world), capture(world)
    added = request_attach(request=second, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer)
    assert as_customer(world.customer).get(f"/me/requests/{first.pk}/files/{added.pk}/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(world, media: Path) -> None:
    req = capture(world)
    added = request_attach(request=req, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer)
    got = Client().get(f"/me/requests/{req.pk}/files/{added.pk}/")
    assert got.status_code == 302 and "/me/sign-in/" in got["Location"]
    posted = Client().post(f"/me/requests/{req.pk}/reply/", {"file": upload("b.pdf", PDF)})
    assert posted.status_code == 302
    assert len(stored_files(media)) == 1


def test_a_recently_closed_request_still_takes_a_file_but_not_a_message(world, media: Path) -> None:
    req = capture(world)
    request_change_status(request=req, status=Status.RESOLVED, actor=req.owner)
    request_change_status(request=req, status=Status.CLOSED, actor=req.owner)
    client = as_customer(world.customer)
    html = client.get(f"/me/requests/{req.pk}/").content.decode()
    assert "Send the file" in html
    assert client.post(f"/me/requests/{req.pk}/reply/", {"file": upload("late.pdf", PDF)}).status_code == 302
    Request.objects.filter(pk=req.pk).update(closed_at=timezone.now() - timedelta(days=30))
    assert "Send the file" not in client.get(f"/me/requests/{req.pk}/").content.decode()
    refused = client.post(f"/me/requests/{req.pk}/reply/", {"file": upload("later.pdf", PDF)})
    assert refused.status_code == 409 and "no longer takes files" in refused.content.decode()
    assert len(stored_files(media)) == 1


def test_the_request_page_query_count_does_not_grow_with_files(
    world, media: Path, django_assert_max_num_queries
) -> None:
    req = capture(world)
    client = as_customer(world.customer)
    request_attach(request=req, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer)
    with django_assert_max_num_queries(30) as one:
        client.get(f"/me/requests/{req.pk}/")
    for i in range(8):
        request_attach(request=req, upload=upload(f"{i}.pdf", PDF), actor=world.lead)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(f"/me/requests/{req.pk}/")
