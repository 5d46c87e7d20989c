"""The needs catalogue: in customers' words, each routed to a team."""

from __future__ import annotations

import pytest

from steward.needs.models import Need
from steward.organisations.models import Organisation


def test_catalogue_lists_needs_with_their_team(api, demo):
    needs = api.get("/needs", as_=demo.staff("dan.evans")).json()
    titles = {n["title"]: n for n in needs}
    assert titles["My carer didn't come"]["team_name"] == "Adult Social Care"
    council = Organisation.objects.get(name="Sunrise Care")
    only = api.get("/needs", as_=demo.staff("dan.evans"), organisation_id=council.pk).json()
    assert {n["organisation_name"] for n in only} == {"Sunrise Care"}


def test_org_admin_adds_a_need(api, demo):
    council = Organisation.objects.get(name="Northshire Council")
    team = council.teams.get(name="Housing")
    response = api.post(
        "/needs",
        {
            "organisation_id": council.pk,
            "title": "My neighbour is too loud",
            "team_id": team.pk,
            "first_response_minutes": 60,
            "resolution_minutes": 600,
        },
        as_=demo.staff("helen.carter"),
    )
    assert response.status_code == 201
    assert response.json()["code"] == "my-neighbour-is-too-loud"


def test_need_routed_to_another_organisations_team_is_refused(api, demo):
    council = Organisation.objects.get(name="Northshire Council")
    sunrise_team = Organisation.objects.get(name="Sunrise Care").teams.first()
    before = Need.objects.count()
    response = api.post(
        "/needs",
        {
            "organisation_id": council.pk,
            "title": "X",
            "team_id": sunrise_team.pk,
            "first_response_minutes": 60,
            "resolution_minutes": 600,
        },
        as_=demo.staff("helen.carter"),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "team_other_organisation"
    assert Need.objects.count() == before


def test_resolution_shorter_than_first_response_is_refused(api, demo):
    council = Organisation.objects.get(name="Northshire Council")
    response = api.post(
        "/needs",
        {
            "organisation_id": council.pk,
            "title": "Y",
            "team_id": council.teams.first().pk,
            "first_response_minutes": 600,
            "resolution_minutes": 60,
        },
        as_=demo.staff("helen.carter"),
    )
    assert response.json()["code"] == "invalid_service_level"


def test_non_admin_cannot_add_needs(api, demo):
    council = Organisation.objects.get(name="Northshire Council")
    response = api.post(
        "/needs",
        {
            "organisation_id": council.pk,
            "title": "Z",
            "team_id": council.teams.first().pk,
            "first_response_minutes": 60,
            "resolution_minutes": 600,
        },
        as_=demo.staff("dan.evans"),
    )
    assert response.status_code == 403


# --- changing a need -----------------------------------------------------------------


def patch(api, path, body, *, as_):
    return api.client.patch("/api/v1" + path, body, content_type="application/json", headers=api._headers(as_))


def test_org_admin_routes_a_need_to_another_team_and_it_is_recorded(api, demo):
    from steward.needs.models import NeedTeamChange

    council = Organisation.objects.get(name="Northshire Council")
    need = Need.objects.get(organisation=council, code="carer-did-not-come")
    housing = council.teams.get(name="Housing")
    helen = demo.staff("helen.carter")

    response = patch(api, f"/needs/{need.pk}", {"team_id": housing.pk, "first_response_minutes": 30}, as_=helen)

    assert response.status_code == 200
    body = response.json()
    assert body["team_name"] == "Housing" and body["first_response_minutes"] == 30
    assert body["resolution_minutes"] == 24 * 60 and body["title"] == "My carer didn't come"  # untouched
    change = NeedTeamChange.objects.get(need=need)
    assert change.from_team.name == "Adult Social Care" and change.to_team == housing and change.changed_by == helen
    assert api.get(f"/needs/{need.pk}", as_=demo.staff("dan.evans")).json()["team_name"] == "Housing"


def test_handover_time_can_be_set_and_cleared(api, demo):
    need = Need.objects.get(code="carer-did-not-come")
    helen = demo.staff("helen.carter")
    assert (
        patch(api, f"/needs/{need.pk}", {"handover_response_minutes": 120}, as_=helen).json()[
            "handover_response_minutes"
        ]
        == 120
    )
    assert (
        patch(api, f"/needs/{need.pk}", {"handover_response_minutes": None}, as_=helen).json()[
            "handover_response_minutes"
        ]
        is None
    )


@pytest.mark.parametrize(
    ("who", "code"),
    [("priya.shah", "not_org_admin"), ("sam.osei", "not_org_admin")],  # a team lead; another organisation's admin
)
def test_only_the_organisations_administrators_may_change_a_need(api, demo, who, code):
    need = Need.objects.get(code="carer-did-not-come")
    response = patch(api, f"/needs/{need.pk}", {"title": "Carer missing"}, as_=demo.staff(who))
    assert response.status_code == 403 and response.json()["code"] == code
    need.refresh_from_db()
    assert need.title == "My carer didn't come"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"resolution_minutes": 10}, 400, "invalid_service_level"),  # shorter than the first reply (60)
        ({"team_id": "sunrise"}, 422, "invalid_input"),
        ({"title": None}, 422, "invalid_input"),
        ({"title": ""}, 422, "invalid_input"),
        ({"colour": "red"}, 422, "invalid_input"),
        ({"team_id": 999999}, 404, "not_found"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(api, demo, body, status, code):
    from steward.needs.models import NeedTeamChange

    need = Need.objects.get(code="carer-did-not-come")
    before = Need.objects.values().get(pk=need.pk)
    response = patch(api, f"/needs/{need.pk}", body, as_=demo.staff("helen.carter"))
    assert response.status_code == status and response.json()["code"] == code
    assert Need.objects.values().get(pk=need.pk) == before
    assert not NeedTeamChange.objects.exists()


def test_a_team_of_another_organisation_is_refused(api, demo):
    need = Need.objects.get(code="carer-did-not-come")
    sunrise_team = Organisation.objects.get(name="Sunrise Care").teams.first()
    response = patch(api, f"/needs/{need.pk}", {"team_id": sunrise_team.pk}, as_=demo.staff("helen.carter"))
    assert response.status_code == 400 and response.json()["code"] == "team_other_organisation"
    need.refresh_from_db()
    assert need.team.name == "Adult Social Care"


def test_an_unknown_need_is_not_found(api, demo):
    response = patch(api, "/needs/999999", {"title": "x"}, as_=demo.staff("helen.carter"))
    assert response.status_code == 404
