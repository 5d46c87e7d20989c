"""Moving a visit of a draft over the API: the moved visit and the day's figures back,
coded refusals in plain words, and nothing for other organisations, non-planners or
customers."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from steward.accounts.services import customer_token_issue
from steward.alerts.tests.factories import make_care_world
from steward.visits.models import Schedule
from steward.visits.tests.factories import PlannedDay, local_instant, make_planned_day

pytestmark = pytest.mark.django_db


def _draft_day(**kwargs: object) -> PlannedDay:
    return make_planned_day(
        day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT, **kwargs
    )


def _path(pd: PlannedDay) -> str:
    return f"/schedules/{pd.schedule.pk}/visits/{pd.visit.pk}/move"


def _still_bob_at_eight(pd: PlannedDay) -> None:
    pd.visit.refresh_from_db()
    assert pd.visit.planned_start == local_instant(pd.day, time(8, 0))
    assert [a.carer_id for a in pd.visit.assignments.all()] == [pd.bob.pk]


def test_a_lead_moves_a_visit_to_alice_at_0840(api) -> None:
    pd = _draft_day()

    response = api.post(_path(pd), {"carer_ids": [pd.alice.pk], "start": "08:40"}, as_=pd.world.provider.lead)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["minutes_outside_preferred"] == 10 and body["status"] == "planned"
    (part,) = body["parts"]
    assert part["carer_id"] == pd.alice.pk and part["name"] == "Alice Able" and part["travel_minutes"] == 0
    assert body["figures"]["minutes_outside"] == 10


def test_an_iso_start_is_understood_too(api) -> None:
    pd = _draft_day()
    start = local_instant(pd.day, time(8, 20)).isoformat()

    response = api.post(_path(pd), {"carer_ids": [pd.bob.pk], "start": start}, as_=pd.world.provider.lead)

    assert response.status_code == 200, response.content
    pd.visit.refresh_from_db()
    assert pd.visit.planned_start == local_instant(pd.day, time(8, 20))


def test_refusals_are_coded_and_change_nothing(api) -> None:
    pd = _draft_day()
    lead = pd.world.provider.lead

    outside = api.post(_path(pd), {"carer_ids": [pd.bob.pk], "start": "11:00"}, as_=lead)
    assert outside.status_code == 409
    assert outside.json()["code"] == "outside_acceptable_window"
    assert "between 07:30 and 09:30" in outside.json()["message"]
    assert outside.json()["details"]["problems"][0]["code"] == "outside_acceptable_window"

    two = api.post(_path(pd), {"carer_ids": [pd.bob.pk, pd.alice.pk], "start": "08:00"}, as_=lead)
    assert two.status_code == 400 and two.json()["code"] == "wrong_number_of_carers"
    bad_time = api.post(_path(pd), {"carer_ids": [pd.bob.pk], "start": "tea time"}, as_=lead)
    assert bad_time.status_code == 400 and bad_time.json()["code"] == "invalid_start"
    nobody = api.post(_path(pd), {"carer_ids": [999999], "start": "08:00"}, as_=lead)
    assert nobody.status_code == 404 and nobody.json()["code"] == "carer_not_found"
    no_visit = api.post(
        f"/schedules/{pd.schedule.pk}/visits/999999/move", {"carer_ids": [pd.bob.pk], "start": "08:00"}, as_=lead
    )
    assert no_visit.status_code == 404 and no_visit.json()["code"] == "visit_not_found"
    extra = api.post(_path(pd), {"carer_ids": [pd.bob.pk], "start": "08:00", "x": 1}, as_=lead)
    assert extra.status_code == 422
    _still_bob_at_eight(pd)


def test_a_published_plan_is_refused_with_409(api) -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1))

    response = api.post(_path(pd), {"carer_ids": [pd.alice.pk], "start": "08:00"}, as_=pd.world.provider.lead)

    assert response.status_code == 409 and response.json()["code"] == "schedule_not_draft"
    _still_bob_at_eight(pd)


def test_non_planners_other_organisations_and_customers_are_refused(api) -> None:
    pd = _draft_day()
    body = {"carer_ids": [pd.alice.pk], "start": "08:10"}

    assert api.post(_path(pd), body, as_=pd.world.provider.bob).status_code == 403
    assert api.post(_path(pd), body, as_=make_care_world().provider.lead).status_code == 404
    assert api.post(_path(pd), body, as_=pd.world.council.head).status_code == 404
    token = customer_token_issue(customer=pd.world.client, label="test")[1]
    as_customer = api.client.post(
        f"/api/v1{_path(pd)}", body, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )
    assert as_customer.status_code == 401
    _still_bob_at_eight(pd)
