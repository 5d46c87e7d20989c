"""Setting up organisations, teams and staff through the API, and who may do it."""

from __future__ import annotations

import pytest

from steward.organisations.models import Organisation, StaffMember


@pytest.fixture
def council(demo):
    return Organisation.objects.get(name="Northshire Council")


def test_me_shows_my_escalation_chain_by_name(api, demo):
    body = api.get("/me", as_=demo.staff("dan.evans")).json()
    assert body["name"] == "Dan Evans"
    assert [p["name"] for p in body["escalation_chain"]] == ["Nadia Hussain", "Helen Carter"]


def test_only_platform_admins_register_organisations(api, demo):
    before = Organisation.objects.count()
    response = api.post("/organisations", {"name": "Rogue Ltd", "kind": "other"}, as_=demo.staff("helen.carter"))
    assert response.status_code == 403
    assert response.json()["code"] == "not_platform_admin"
    assert Organisation.objects.count() == before


def test_platform_admin_registers_an_organisation(api, demo):
    helen = demo.staff("helen.carter")
    helen.user.is_superuser = True
    helen.user.save()
    response = api.post("/organisations", {"name": "Riverside Housing", "kind": "housing"}, as_=helen)
    assert response.status_code == 201
    assert response.json()["slug"] == "riverside-housing"
    duplicate = api.post("/organisations", {"name": "riverside housing", "kind": "housing"}, as_=helen)
    assert duplicate.status_code == 409


def test_org_admin_creates_team_and_staff_with_a_supervisor(api, demo, council):
    helen = demo.staff("helen.carter")
    team = api.post("/teams", {"organisation_id": council.pk, "name": "Libraries"}, as_=helen).json()
    staff = api.post(
        "/staff",
        {
            "organisation_id": council.pk,
            "username": "li.wei",
            "first_name": "Li",
            "last_name": "Wei",
            "team_id": team["id"],
            "supervisor_id": helen.pk,
            "job_title": "Librarian",
        },
        as_=helen,
    )
    assert staff.status_code == 201
    assert [p["name"] for p in staff.json()["escalation_chain"]] == ["Helen Carter"]
    lead = api.post(f"/teams/{team['id']}/lead", {"staff_id": staff.json()["id"]}, as_=helen)
    assert lead.json()["lead"]["name"] == "Li Wei"


def test_non_admin_cannot_set_up(api, demo, council):
    dan = demo.staff("dan.evans")
    assert api.post("/teams", {"organisation_id": council.pk, "name": "Shadow"}, as_=dan).status_code == 403


def test_admin_of_another_organisation_cannot_set_up_ours(api, demo, council):
    sam = demo.staff("sam.osei")  # admin of Sunrise Care
    response = api.post("/teams", {"organisation_id": council.pk, "name": "Takeover"}, as_=sam)
    assert response.status_code == 403
    assert response.json()["code"] == "not_org_admin"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"supervisor_id": None}, "supervisor_required"),
        ({"username": "dan.evans"}, "duplicate_username"),
        ({"first_name": "", "last_name": ""}, "name_required"),
    ],
)
def test_staff_bad_input_is_refused(api, demo, council, change, code):
    helen = demo.staff("helen.carter")
    body = {
        "organisation_id": council.pk,
        "username": "new.person",
        "first_name": "New",
        "last_name": "Person",
        "supervisor_id": helen.pk,
        **change,
    }
    before = StaffMember.objects.count()
    response = api.post("/staff", body, as_=helen)
    assert response.json()["code"] == code
    assert StaffMember.objects.count() == before


def test_supervisor_from_another_organisation_is_refused(api, demo, council):
    helen = demo.staff("helen.carter")
    body = {
        "organisation_id": council.pk,
        "username": "x.y",
        "first_name": "X",
        "last_name": "Y",
        "supervisor_id": demo.staff("sam.osei").pk,
    }
    response = api.post("/staff", body, as_=helen)
    assert response.status_code == 400
    assert response.json()["code"] == "supervisor_other_organisation"


def test_reporting_lines_cannot_go_round_in_a_circle(api, demo):
    helen = demo.staff("helen.carter")
    priya = demo.staff("priya.shah")
    response = api.post(f"/staff/{demo.staff('marcus.bell').pk}/supervisor", {"supervisor_id": priya.pk}, as_=helen)
    assert response.status_code == 400
    assert response.json()["code"] == "supervisor_cycle"


def test_staff_list_is_my_organisation_only(api, demo):
    body = api.get("/staff", as_=demo.staff("jo.patel"), limit=100).json()
    assert {s["organisation_id"] for s in body["items"]} == {demo.staff("jo.patel").organisation_id}
    other = demo.staff("dan.evans").pk
    assert api.get(f"/staff/{other}", as_=demo.staff("jo.patel")).status_code == 404


def test_deactivate_through_the_api_moves_work_to_a_named_person(api, demo):
    from steward.requests.models import Request

    priya = demo.staff("priya.shah")
    owned = list(Request.objects.filter(owner=priya).exclude(status="closed"))
    assert owned
    response = api.post(
        f"/staff/{priya.pk}/deactivate", {"reason": "Moved to another council"}, as_=demo.staff("marcus.bell")
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    for request in owned:
        request.refresh_from_db()
        assert request.owner == demo.staff("marcus.bell")


def test_a_peer_cannot_deactivate(api, demo):
    response = api.post(
        f"/staff/{demo.staff('tom.reid').pk}/deactivate", {"reason": "x"}, as_=demo.staff("grace.okafor")
    )
    assert response.status_code == 403
