"""The needs catalogue: in customers' words, each routed to a team."""

from __future__ import annotations

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
