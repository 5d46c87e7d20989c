"""Someone acting for a customer sends and downloads photos and documents on the
customer's requests: signed as them for the customer, refused without the reply scope,
and their downloads are in the customer's access log."""

from __future__ import annotations

from pathlib import Path

import pytest

from steward.consent.models import AccessEvent
from steward.requests.models import Attachment, Channel, Request
from steward.requests.services import request_capture
from steward.requests.tests.attachment_samples import JPEG, media, stored_files, upload
from steward.timeline.models import TimelineEvent
from steward.trusted.permissions import Scope
from steward.trusted.tests.factories import make_trusted

from .conftest import as_customer
from .test_trusted_people import as_trusted

__all__ = ["media"]
pytestmark = pytest.mark.django_db


def capture(world) -> Request:
    return request_capture(
        customer=world.customer, need=world.need, channel=Channel.PHONE, description="No carer", actor=world.head
    )


def test_a_trusted_person_sends_a_photo_signed_for_the_customer(world, media: Path) -> None:
    req = capture(world)
    sara = make_trusted(customer=world.customer, name="Sara Khan", scopes=[Scope.SEE_REQUESTS, Scope.REPLY])
    response = as_trusted(sara).post(
        f"/me/requests/{req.pk}/reply/", {"body": "The note the carer left.", "file": upload("note.jpg", JPEG)}
    )
    assert response.status_code == 302
    added = Attachment.objects.get()
    voice = f"Sara Khan (for {world.customer.full_name})"
    assert added.added_by == Attachment.AddedBy.TRUSTED_PERSON and added.added_by_name == voice
    assert added.message is not None and added.message.actor_name == voice
    event = TimelineEvent.objects.get(request=req, kind=TimelineEvent.Kind.ATTACHMENT_ADDED)
    assert event.actor_name == voice and event.data["trusted_person"] == sara.pk
    # The customer sees who sent it, not "you".
    page = as_customer(world.customer).get(f"/me/requests/{req.pk}/").content.decode()
    assert "added by Sara Khan (for" in page


def test_without_the_reply_scope_no_file_is_taken(world, media: Path) -> None:
    req = capture(world)
    sara = make_trusted(customer=world.customer, scopes=[Scope.SEE_REQUESTS])
    response = as_trusted(sara).post(f"/me/requests/{req.pk}/reply/", {"body": "", "file": upload("a.jpg", JPEG)})
    assert response.status_code == 403
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_their_download_is_in_the_customers_access_log(world, media: Path) -> None:
    req = capture(world)
    customer_client = as_customer(world.customer)
    customer_client.post(f"/me/requests/{req.pk}/reply/", {"body": "", "file": upload("boiler.jpg", JPEG)})
    added = Attachment.objects.get()
    sara = make_trusted(customer=world.customer, name="Sara Khan", scopes=[Scope.SEE_REQUESTS])
    got = as_trusted(sara).get(f"/me/requests/{req.pk}/files/{added.pk}/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == JPEG
    assert AccessEvent.objects.filter(
        customer=world.customer, resource=f"request:{req.pk}:file:{added.pk}", actor_kind="trusted"
    ).exists()
