"""The requests API as an integrator or a console would use it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from steward.accounts.services import api_token_issue, api_token_revoke
from steward.requests.models import Request
from steward.requests.services import request_capture
from steward.timeline.models import TimelineEvent

from .factories import make_world


def capture_body(world, **extra):
    return {
        "customer_id": world.customer.pk,
        "need_id": world.need.pk,
        "channel": "phone",
        "description": "My carer didn't come last night.",
        **extra,
    }


class TestAuthentication:
    def test_no_token_is_401_with_a_code(self, api, world):
        response = api.post("/requests", capture_body(world), as_=None)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    def test_revoked_and_unknown_tokens_are_refused(self, api, world):
        token, raw = api_token_issue(user=world.alice.user)
        api_token_revoke(token=token)
        for bearer in (raw, "stw_nonsense"):
            response = api.client.get("/api/v1/requests/mine", headers={"Authorization": f"Bearer {bearer}"})
            assert response.status_code == 401

    def test_token_of_a_deactivated_staff_member_stops_working(self, api, world):
        _, raw = api_token_issue(user=world.bob.user)
        world.bob.is_active = False
        world.bob.save()
        response = api.client.get("/api/v1/requests/mine", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 401


class TestCapture:
    def test_capture_returns_the_owner_and_escalation_chain_by_name(self, api, world):
        response = api.post("/requests", capture_body(world), as_=world.alice)

        assert response.status_code == 201
        body = response.json()
        assert body["owner"]["name"] == "Lena Lead"
        assert [p["name"] for p in body["escalation_chain"]] == ["Hana Head"]
        assert body["status"] == "open"
        assert body["status_in_plain_words"] == "being worked on"

    def test_staff_of_another_organisation_can_capture_and_is_told_the_owner(self, api, world):
        other = make_world("Other org")
        response = api.post("/requests", capture_body(world), as_=other.bob)
        assert response.status_code == 201
        assert response.json()["owner"]["name"] == "Lena Lead"

    @pytest.mark.parametrize(
        ("change", "status", "code"),
        [
            ({"channel": "fax"}, 422, "invalid_input"),
            ({"description": ""}, 422, "invalid_input"),
            ({"surprise": 1}, 422, "invalid_input"),
            ({"description": "   "}, 400, "description_required"),
            ({"customer_id": 999999}, 404, "customer_not_found"),
            ({"need_id": 999999}, 404, "not_found"),
        ],
    )
    def test_bad_input_gets_a_coded_error_and_creates_nothing(self, api, world, change, status, code):
        before = (Request.objects.count(), TimelineEvent.objects.count())

        response = api.post("/requests", capture_body(world, **change), as_=world.alice)

        assert response.status_code == status
        assert response.json()["code"] == code
        assert response.json()["message"]
        assert (Request.objects.count(), TimelineEvent.objects.count()) == before

    def test_unknown_field_is_named_in_the_message(self, api, world):
        response = api.post("/requests", capture_body(world, priority="high"), as_=world.alice)
        assert "priority is not a field this endpoint accepts" in response.json()["message"]


class TestReading:
    def test_another_organisation_sees_not_found(self, api, world):
        request = request_capture(customer=world.customer, need=world.need, channel="web", description="x", actor=None)
        other = make_world("Other org")

        response = api.get(f"/requests/{request.pk}", as_=other.lead, purpose="service_provision")

        assert response.status_code == 404
        assert response.json()["code"] == "request_not_found"

    def test_my_requests_are_mine_only_and_most_urgent_first(self, api, world):
        for _ in range(4):
            request_capture(customer=world.customer, need=world.need, channel="web", description="x", actor=None)
        Request.objects.filter(owner=world.lead).update(due_at=None)  # lead's first one: no clock

        response = api.get("/requests/mine", as_=world.alice)

        items = response.json()["items"]
        assert items and all(i["owner"]["name"] == "Alice Able" for i in items)
        dues = [i["due_at"] for i in items]
        assert dues == sorted(dues)

    def test_team_queue_is_sorted_by_due_time_and_paginated(self, api, world, django_assert_max_num_queries):
        for n in range(7):
            r = request_capture(customer=world.customer, need=world.need, channel="web", description=f"{n}", actor=None)
            Request.objects.filter(pk=r.pk).update(due_at=r.due_at - timedelta(minutes=n))

        with django_assert_max_num_queries(12):
            page1 = api.get(f"/teams/{world.team.pk}/queue", as_=world.bob, limit=5).json()
        page2 = api.get(f"/teams/{world.team.pk}/queue", as_=world.bob, limit=5, offset=5).json()

        assert page1["count"] == 7 and len(page1["items"]) == 5 and len(page2["items"]) == 2
        dues = [i["due_at"] for i in page1["items"] + page2["items"]]
        assert dues == sorted(dues)
        assert all(i["escalation_chain"] for i in page1["items"])

    def test_queue_query_count_does_not_grow_with_rows(self, api, world, django_assert_max_num_queries):
        for n in range(30):
            request_capture(customer=world.customer, need=world.need, channel="web", description=f"{n}", actor=None)
        with django_assert_max_num_queries(12):
            response = api.get(f"/teams/{world.team.pk}/queue", as_=world.bob, limit=30)
        assert len(response.json()["items"]) == 30

    def test_other_organisations_team_queue_is_refused(self, api, world):
        other = make_world("Other org")
        response = api.get(f"/teams/{world.team.pk}/queue", as_=other.lead)
        assert response.status_code == 403
        assert response.json()["code"] == "team_not_visible"

    def test_page_size_is_bounded(self, api, world):
        response = api.get("/requests/mine", as_=world.alice, limit=1000)
        assert response.status_code == 422


class TestWorkingOnIt:
    @pytest.fixture
    def request_(self, world):
        return request_capture(customer=world.customer, need=world.need, channel="phone", description="x", actor=None)

    def test_message_note_and_status_through_the_api(self, api, world, request_):
        lead = world.lead
        assert (
            api.post(
                f"/requests/{request_.pk}/messages",
                {"direction": "out", "body": "We're on it", "channel": "phone"},
                as_=lead,
            ).status_code
            == 201
        )
        note = api.post(f"/requests/{request_.pk}/notes", {"body": "Carer was Jo"}, as_=lead).json()
        fix = api.post(
            f"/requests/{request_.pk}/notes", {"body": "Carer was Joe", "corrects_event_id": note["id"]}, as_=lead
        )
        assert fix.status_code == 201 and fix.json()["corrects_id"] == note["id"]

        response = api.post(f"/requests/{request_.pk}/status", {"status": "resolved", "reason": "Rebooked"}, as_=lead)

        assert response.status_code == 200
        assert response.json()["status"] == "resolved"
        timeline = api.get(f"/requests/{request_.pk}/timeline", as_=lead, purpose="service_provision").json()
        assert [e["kind"] for e in timeline["items"]][:4] == ["status_changed", "correction", "note", "message_out"]

    def test_illegal_status_move_is_409_and_changes_nothing(self, api, world, request_):
        response = api.post(f"/requests/{request_.pk}/status", {"status": "closed"}, as_=world.lead)
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_transition"
        request_.refresh_from_db()
        assert request_.status == "open"

    def test_correction_of_an_event_on_another_request_is_refused(self, api, world, request_):
        other = request_capture(customer=world.customer, need=world.need, channel="web", description="y", actor=None)
        foreign = TimelineEvent.objects.filter(request=other).first()
        response = api.post(
            f"/requests/{request_.pk}/notes", {"body": "x", "corrects_event_id": foreign.pk}, as_=world.lead
        )
        assert response.status_code == 400
        assert response.json()["code"] == "correction_mismatch"

    def test_other_organisation_cannot_write(self, api, world, request_):
        other = make_world("Other org")
        response = api.post(f"/requests/{request_.pk}/notes", {"body": "hello"}, as_=other.head)
        assert response.status_code == 404


class TestCustomerTimeline:
    def test_timeline_is_newest_first_and_hides_other_organisations(self, api, world):
        request_capture(customer=world.customer, need=world.need, channel="phone", description="ours", actor=None)
        other = make_world("Housing Co")
        from steward.needs.tests.factories import make_need

        theirs = make_need(team=other.team, title="Repair needed")
        request_capture(customer=world.customer, need=theirs, channel="web", description="theirs", actor=None)

        ours = api.get(f"/customers/{world.customer.pk}/timeline", as_=world.alice, purpose="service_provision").json()
        seen_by_them = api.get(
            f"/customers/{world.customer.pk}/timeline", as_=other.alice, purpose="service_provision"
        ).json()

        assert {e["organisation_id"] for e in ours["items"]} == {world.org.pk}
        assert {e["organisation_id"] for e in seen_by_them["items"]} == {other.org.pk}
        times = [e["occurred_at"] for e in ours["items"]]
        assert times == sorted(times, reverse=True)

    def test_unknown_customer_is_404(self, api, world):
        response = api.get("/customers/999999/timeline", as_=world.alice, purpose="service_provision")
        assert response.status_code == 404


def test_openapi_schema_is_published(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/requests" in paths and "/api/v1/teams/{team_id}/queue" in paths


def test_customer_timeline_reads_cost_the_same_for_long_stories(api, world, django_assert_max_num_queries):
    from steward.requests.services import request_add_note

    request = request_capture(customer=world.customer, need=world.need, channel="phone", description="x", actor=None)
    for n in range(40):
        request_add_note(request=request, actor=world.lead, body=f"note {n}")

    api.get("/me", as_=world.lead)  # issue the token outside the measured call
    # token lookup, customer exists, one page, one count: no per-event queries; plus the read
    # door's 6 (grant lookup, savepoint, customer row lock, chain tail, access event, release)
    with django_assert_max_num_queries(4 + 6):
        response = api.get(
            f"/customers/{world.customer.pk}/timeline", as_=world.lead, limit=50, purpose="service_provision"
        )
    assert len(response.json()["items"]) == 44  # one more than before grants: the request's grant_given entry (issue 4)
