"""Attachments through the API: staff add and read them (reading needs a purpose and a
grant, and is logged); the customer, with their own token, adds and reads their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from steward.accounts.services import customer_token_issue
from steward.consent.models import AccessEvent
from steward.customers.models import Customer
from steward.requests.models import Attachment, Request
from steward.requests.services import request_attach, request_capture

from .attachment_samples import EXE, JPEG, PDF, media, stored_files, upload
from .factories import World, make_world

__all__ = ["media"]


@pytest.fixture
def r(world: World) -> Request:
    return request_capture(
        customer=world.customer, need=world.need, channel="web", description="The carer did not come.", actor=None
    )


def customer_headers(customer: Customer) -> dict[str, str]:
    return {"Authorization": f"Bearer {customer_token_issue(customer=customer, label='test')[1]}"}


def assert_download_headers(response: Any, *, content_type: str, filename: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


class TestStaff:
    def test_add_then_list_and_download_with_a_purpose(self, api, world: World, r: Request, media: Path) -> None:
        response = api.client.post(
            f"/api/v1/requests/{r.pk}/attachments",
            {"file": upload("scan.jpg", PDF), "message": "The letter we sent."},
            headers=api._headers(world.alice),
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["content_type"] == "application/pdf" and body["filename"] == "scan.jpg"
        assert body["added_by"] == "staff" and body["added_by_name"] == "Alice Able"
        assert body["message_event_id"] is not None

        listed = api.get(f"/requests/{r.pk}/attachments", as_=world.alice, purpose="service_provision")
        assert [a["id"] for a in listed.json()] == [body["id"]]

        before = AccessEvent.objects.count()
        got = api.get(f"/requests/{r.pk}/attachments/{body['id']}", as_=world.lead, purpose="service_provision")
        assert_download_headers(got, content_type="application/pdf", filename="scan.jpg.pdf")
        assert b"".join(got.streaming_content) == PDF
        read = AccessEvent.objects.order_by("-seq").first()
        assert AccessEvent.objects.count() == before + 1
        assert read.outcome == "allowed" and read.resource == f"attachment:{body['id']}"

    def test_reading_without_a_purpose_or_a_grant_is_refused(self, api, world: World, r: Request, media: Path) -> None:
        added = request_attach(request=r, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer)
        path = f"/requests/{r.pk}/attachments/{added.pk}"
        assert api.get(path, as_=world.alice).json()["code"] == "purpose_required"
        refused = api.get(path, as_=world.alice, purpose="marketing")
        assert refused.status_code == 403 and refused.json()["code"] == "no_grant"
        assert AccessEvent.objects.filter(outcome="refused", resource=f"attachment:{added.pk}").count() == 1
        listed = api.get(f"/requests/{r.pk}/attachments", as_=world.alice, purpose="marketing")
        assert listed.status_code == 403

    def test_another_organisation_gets_not_found(self, api, world: World, r: Request, media: Path) -> None:
        added = request_attach(request=r, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer)
        other = make_world("Other")
        got = api.get(f"/requests/{r.pk}/attachments/{added.pk}", as_=other.alice, purpose="service_provision")
        assert got.status_code == 404
        posted = api.client.post(
            f"/api/v1/requests/{r.pk}/attachments", {"file": upload("b.pdf", PDF)}, headers=api._headers(other.alice)
        )
        assert posted.status_code == 404
        assert len(stored_files(media)) == 1

    def test_a_file_of_another_request_is_not_found_through_this_one(
        self, api, world: World, r: Request, media: Path
    ) -> None:
        second = request_capture(
            customer=world.customer, need=world.need, channel="web", description="Another thing.", actor=None
        )
        added = request_attach(request=second, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer)
        got = api.get(f"/requests/{r.pk}/attachments/{added.pk}", as_=world.alice, purpose="service_provision")
        assert got.status_code == 404 and got.json()["code"] == "attachment_not_found"

    def test_refused_kinds_and_missing_files_get_coded_errors(self, api, world: World, r: Request, media: Path) -> None:
        headers = api._headers(world.alice)
        exe = api.client.post(f"/api/v1/requests/{r.pk}/attachments", {"file": upload("x.exe", EXE)}, headers=headers)
        assert exe.status_code == 400 and exe.json()["code"] == "attachment_type_refused"
        none = api.client.post(f"/api/v1/requests/{r.pk}/attachments", {"message": "hi"}, headers=headers)
        assert none.status_code == 422
        assert stored_files(media) == [] and not Attachment.objects.exists()

    def test_signed_out_is_401(self, api, world: World, r: Request, media: Path) -> None:
        posted = api.client.post(f"/api/v1/requests/{r.pk}/attachments", {"file": upload("a.pdf", PDF)})
        assert posted.status_code == 401
        assert stored_files(media) == []


class TestCustomer:
    def test_the_customer_adds_lists_and_downloads_their_own(self, world: World, r: Request, media: Path) -> None:
        client, headers = Client(), customer_headers(world.customer)
        posted = client.post(
            f"/api/v1/customer/requests/{r.pk}/attachments",
            {"file": upload("boiler.jpg", JPEG), "message": "The boiler."},
            headers=headers,
        )
        assert posted.status_code == 201, posted.content
        body = posted.json()
        assert body["added_by"] == "customer" and body["content_type"] == "image/jpeg"
        listed = client.get(f"/api/v1/customer/requests/{r.pk}/attachments", headers=headers).json()
        assert [a["id"] for a in listed] == [body["id"]]
        got = client.get(body["download"], headers=headers)
        assert_download_headers(got, content_type="image/jpeg", filename="boiler.jpg")
        assert b"".join(got.streaming_content) == JPEG

    def test_another_customer_gets_not_found(self, world: World, r: Request, media: Path) -> None:
        added = request_attach(request=r, upload=upload("a.jpg", JPEG), actor=None, customer=world.customer)
        stranger = make_world("Elsewhere").customer
        client, headers = Client(), customer_headers(stranger)
        base = f"/api/v1/customer/requests/{r.pk}/attachments"
        assert client.get(f"{base}/{added.pk}", headers=headers).status_code == 404
        assert client.get(base, headers=headers).status_code == 404
        assert client.post(base, {"file": upload("b.pdf", PDF)}, headers=headers).status_code == 404
        assert len(stored_files(media)) == 1

    def test_a_staff_token_is_not_a_customer_token(self, api, world: World, r: Request, media: Path) -> None:
        got = api.client.get(f"/api/v1/customer/requests/{r.pk}/attachments", headers=api._headers(world.alice))
        assert got.status_code == 401
