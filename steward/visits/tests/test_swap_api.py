"""Swapping the carers of two visits of a draft over the API: both visits and the day's
figures back, coded refusals that change nothing, and nothing for other organisations,
non-planners or customers."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from steward.accounts.services import customer_token_issue
from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_pattern
from steward.visits.models import Schedule, Visit
from steward.visits.tests.factories import PlannedDay, make_planned_day, make_visit
from steward.visits.tests.test_move import _far_care

pytestmark = pytest.mark.django_db


def _two_calls() -> tuple[PlannedDay, Visit]:
    """Tomorrow's draft: Bob at Amina Khan's and Alice at Grace Green's, both at 08:00."""
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT)
    breakfast = make_pattern(care=_far_care(pd), label="Breakfast")
    return pd, make_visit(schedule=pd.schedule, pattern=breakfast, carers=[pd.alice], planned_start=time(8, 0))


def _path(pd: PlannedDay) -> str:
    return f"/schedules/{pd.schedule.pk}/visits/{pd.visit.pk}/swap"


def _unchanged(pd: PlannedDay, grace: Visit) -> None:
    assert [a.carer_id for a in pd.visit.assignments.all()] == [pd.bob.pk]
    assert [a.carer_id for a in grace.assignments.all()] == [pd.alice.pk]


def test_a_lead_swaps_two_carers_calls(api) -> None:
    pd, grace = _two_calls()

    response = api.post(_path(pd), {"with_visit_id": grace.pk}, as_=pd.world.provider.lead)

    assert response.status_code == 200, response.content
    body = response.json()
    first, second = body["visits"]
    assert first["id"] == pd.visit.pk and [p["name"] for p in first["parts"]] == ["Alice Able"]
    assert second["id"] == grace.pk and [p["name"] for p in second["parts"]] == ["Bob Baker"]
    assert first["parts"][0]["travel_minutes"] == 0 and second["parts"][0]["travel_minutes"] > 0
    assert body["figures"]["planned"] == 2 and body["figures"]["in_preferred"] == 2


def test_refusals_are_coded_and_change_nothing(api) -> None:
    pd, grace = _two_calls()
    lead = pd.world.provider.lead

    itself = api.post(_path(pd), {"with_visit_id": pd.visit.pk}, as_=lead)
    assert itself.status_code == 400 and itself.json()["code"] == "same_visit"
    missing = api.post(_path(pd), {"with_visit_id": 999999}, as_=lead)
    assert missing.status_code == 404 and missing.json()["code"] == "visit_not_found"
    grace.care_agreement.excluded_carers.add(pd.bob)
    excluded = api.post(_path(pd), {"with_visit_id": grace.pk}, as_=lead)
    assert excluded.status_code == 409 and excluded.json()["code"] == "carer_excluded"
    assert excluded.json()["message"] == "Grace Green asked not to be visited by Bob Baker."
    extra = api.post(_path(pd), {"with_visit_id": grace.pk, "x": 1}, as_=lead)
    assert extra.status_code == 422
    _unchanged(pd, grace)


def test_another_plans_visit_is_not_found(api) -> None:
    pd, grace = _two_calls()
    theirs = make_planned_day(day=pd.day, schedule_status=Schedule.Status.DRAFT)

    response = api.post(_path(pd), {"with_visit_id": theirs.visit.pk}, as_=pd.world.provider.lead)

    assert response.status_code == 404 and response.json()["code"] == "visit_not_found"
    _unchanged(pd, grace)


def test_non_planners_other_organisations_and_customers_are_refused(api) -> None:
    pd, grace = _two_calls()
    body = {"with_visit_id": grace.pk}

    assert api.post(_path(pd), body, as_=pd.world.provider.bob).status_code == 403
    assert api.post(_path(pd), body, as_=make_care_world().provider.lead).status_code == 404
    assert api.post(_path(pd), body, as_=pd.world.council.head).status_code == 404
    token = customer_token_issue(customer=pd.world.client, label="test")[1]
    as_customer = api.client.post(
        f"/api/v1{_path(pd)}", body, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )
    assert as_customer.status_code == 401
    _unchanged(pd, grace)
