"""The handovers API: offer, inboxes, the story before accepting, answers, refusals."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from steward.handovers.models import HandoverOffer
from steward.requests.models import Request
from steward.timeline.models import TimelineEvent


@pytest.fixture
def khan(demo) -> Request:
    return Request.objects.select_related("owner").get(customer__given_name="Amina")


@pytest.fixture
def sunrise(demo):
    from steward.organisations.models import Organisation

    return Organisation.objects.get(name="Sunrise Care")


def offer_to_sunrise(api, khan, sunrise, **extra):
    body = {
        "to_organisation_id": sunrise.pk,
        "reason": "Sunrise Care provides her home care",
        "note_for_receiver": "Visits after 9pm; call Sara first.",
        **extra,
    }
    return api.post(f"/requests/{khan.pk}/handovers", body, as_=khan.owner)


def test_offer_then_the_receiver_reads_the_story_and_accepts(api, demo, khan, sunrise):
    made = offer_to_sunrise(api, khan, sunrise)
    assert made.status_code == 201
    body = made.json()
    assert body["status"] == "pending" and body["target_label"] == "Sunrise Care"
    assert (
        api.get(f"/requests/{khan.pk}", as_=khan.owner, purpose="service_provision").json()["owner"]["name"]
        == khan.owner.display_name
    )

    jo = demo.staff("jo.patel")
    inbox = api.get("/handovers/inbox", as_=jo).json()
    assert [o["id"] for o in inbox["items"]] == [body["id"]]
    detail = api.get(f"/handovers/{body['id']}", as_=jo, purpose="service_provision").json()
    assert any("sat in my chair" in e["body"] for e in detail["story"])  # what Mrs Khan told the council

    accepted = api.post(f"/handovers/{body['id']}/accept", as_=jo)

    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    now = api.get(f"/requests/{khan.pk}", as_=jo, purpose="service_provision").json()
    assert now["owner"]["name"] == "Jo Patel"
    assert [p["name"] for p in now["escalation_chain"]] == ["Sam Osei"]


def test_the_old_organisation_no_longer_sees_it_after_acceptance(api, demo, khan, sunrise):
    offer_id = offer_to_sunrise(api, khan, sunrise).json()["id"]
    api.post(f"/handovers/{offer_id}/accept", as_=demo.staff("jo.patel"))
    assert api.get(f"/requests/{khan.pk}", as_=demo.staff("dan.evans"), purpose="service_provision").status_code == 404


def test_someone_at_a_third_organisation_cannot_see_or_accept(api, demo, khan, sunrise):
    offer_id = offer_to_sunrise(api, khan, sunrise).json()["id"]
    kim = demo.staff("kim.lee")  # CheapCare Ltd
    assert api.get(f"/handovers/{offer_id}", as_=kim, purpose="service_provision").status_code == 404
    assert api.post(f"/handovers/{offer_id}/accept", as_=kim).status_code == 404
    assert HandoverOffer.objects.get(pk=offer_id).status == "pending"


def test_a_colleague_cannot_offer_someone_elses_request(api, demo, khan, sunrise):
    colleague = demo.staff("tom.reid") if khan.owner.user.username != "tom.reid" else demo.staff("grace.okafor")
    response = api.post(
        f"/requests/{khan.pk}/handovers", {"to_organisation_id": sunrise.pk, "reason": "x"}, as_=colleague
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_owner_or_manager"
    assert not HandoverOffer.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"reason": "x"}, 400, "one_target_needed"),
        ({"reason": "x", "to_team_id": 1, "to_staff_id": 1}, 400, "one_target_needed"),
        ({"to_organisation_id": 999999, "reason": "x"}, 404, "not_found"),
        ({"to_organisation_id": 1, "reason": ""}, 422, "invalid_input"),
        ({"to_organisation_id": 1, "reason": "x", "urgent": True}, 422, "invalid_input"),
    ],
)
def test_bad_offers_are_refused_and_change_nothing(api, demo, khan, body, status, code):
    events = TimelineEvent.objects.count()
    response = api.post(f"/requests/{khan.pk}/handovers", body, as_=khan.owner)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert TimelineEvent.objects.count() == events
    assert not HandoverOffer.objects.exists()


def test_decline_needs_a_reason_and_leaves_the_sender_owning_it(api, demo, khan, sunrise):
    offer_id = offer_to_sunrise(api, khan, sunrise).json()["id"]
    jo = demo.staff("jo.patel")
    assert api.post(f"/handovers/{offer_id}/decline", {}, as_=jo).status_code == 422

    declined = api.post(f"/handovers/{offer_id}/decline", {"reason": "No carers in her area"}, as_=jo)

    assert declined.json()["status"] == "declined"
    assert (
        api.get(f"/requests/{khan.pk}", as_=khan.owner, purpose="service_provision").json()["owner"]["name"]
        == khan.owner.display_name
    )
    again = api.post(f"/handovers/{offer_id}/accept", as_=jo)
    assert again.status_code == 409 and again.json()["code"] == "offer_not_open"


def test_withdraw_and_sent_list(api, demo, khan, sunrise):
    offer_id = offer_to_sunrise(api, khan, sunrise).json()["id"]
    assert [o["id"] for o in api.get("/handovers/sent", as_=khan.owner).json()["items"]] == [offer_id]
    assert api.post(f"/handovers/{offer_id}/withdraw", {}, as_=demo.staff("jo.patel")).status_code == 403
    assert (
        api.post(f"/handovers/{offer_id}/withdraw", {"reason": "Wrong provider"}, as_=khan.owner).json()["status"]
        == "withdrawn"
    )
    history = api.get(f"/requests/{khan.pk}/handovers", as_=khan.owner).json()
    assert [o["status"] for o in history] == ["withdrawn"]


def test_team_inbox_lists_offers_to_the_team_and_refuses_other_organisations(api, demo, khan):
    from steward.demo.personas import team

    care = team("Sunrise Care", "Care Coordination")
    made = api.post(f"/requests/{khan.pk}/handovers", {"to_team_id": care.pk, "reason": "Home care"}, as_=khan.owner)
    assert made.status_code == 201
    listed = api.get(f"/teams/{care.pk}/handovers", as_=demo.staff("mia.jones")).json()
    assert [o["id"] for o in listed["items"]] == [made.json()["id"]]
    assert api.get(f"/teams/{care.pk}/handovers", as_=demo.staff("dan.evans")).status_code == 403


def test_the_sweep_command_expires_unanswered_offers(api, demo, khan, sunrise):
    offer = HandoverOffer.objects.get(pk=offer_to_sunrise(api, khan, sunrise).json()["id"])
    out = StringIO()
    at = (offer.respond_by + timedelta(minutes=1)).isoformat()
    call_command("sweep", "--at", at, stdout=out)
    assert "handover offers expired unanswered: 1" in out.getvalue()
    offer.refresh_from_db()
    assert offer.status == "expired"


def test_the_receiver_reads_what_the_customer_said_but_not_internal_notes(api, demo, khan, sunrise):
    api.post(f"/requests/{khan.pk}/notes", {"body": "Staff-only: neighbour dispute, be careful"}, as_=khan.owner)
    offer_id = offer_to_sunrise(api, khan, sunrise).json()["id"]

    story = api.get(f"/handovers/{offer_id}", as_=demo.staff("jo.patel"), purpose="service_provision").json()["story"]

    bodies = " ".join(e["body"] for e in story)
    assert "sat in my chair" in bodies
    assert "neighbour dispute" not in bodies
