"""The carer's day and check-in/out over the API, and the refusals."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest

from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_carer
from steward.consent.models import AccessEvent, Grant
from steward.organisations.tests.factories import make_staff
from steward.visits.models import Visit, VisitAssignment
from steward.visits.tests.factories import PlannedDay, local_instant, make_planned_day, make_visit

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


@pytest.fixture
def d() -> PlannedDay:
    return make_planned_day(day=DAY)


def test_the_carer_reads_their_day_in_order(api: Any, d: PlannedDay) -> None:
    later = make_visit(schedule=d.schedule, pattern=d.pattern, carers=[d.bob], planned_start=time(9, 0))
    response = api.get("/visits/my-day", as_=d.world.provider.bob, date="2026-03-02")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["carer_name"] == "Bob Baker" and body["published"] is True
    assert [s["visit_id"] for s in body["stops"]] == [d.visit.pk, later.pk]
    first = body["stops"][0]
    assert first["customer_name"] == "Amina Khan"
    assert first["address"] == "12 Mill Lane, Northshire"
    assert first["access_notes"] == "Key safe by the back door: 1234."
    assert first["label"] == "Help getting up" and first["travel_minutes"] == 12
    assert first["can_check_in"] is True and first["details_withheld"] is False
    # Each customer on the day is read once, through the door, for delivering care.
    reads = AccessEvent.objects.filter(customer=d.world.client, resource="carer_day")
    assert [(r.purpose, r.outcome, r.channel) for r in reads] == [("care_delivery", "allowed", "api")]


def test_a_day_without_a_published_plan_is_empty(api: Any, d: PlannedDay) -> None:
    body = api.get("/visits/my-day", as_=d.world.provider.bob, date="2026-03-03").json()
    assert body["published"] is False and body["stops"] == []


def test_someone_who_is_not_a_carer_has_no_day(api: Any, d: PlannedDay) -> None:
    response = api.get("/visits/my-day", as_=d.world.provider.head, date="2026-03-02")
    assert response.status_code == 404 and response.json()["code"] == "not_a_carer"


def test_check_in_and_out(api: Any, d: PlannedDay) -> None:
    part = d.assignment
    response = api.post(
        f"/visits/assignments/{part.pk}/check-in",
        {"at": local_instant(DAY, time(8, 2)).isoformat()},
        as_=d.world.provider.bob,
    )
    assert response.status_code == 200, response.content
    assert response.json()["visit_status"] == Visit.Status.IN_PROGRESS
    response = api.post(f"/visits/assignments/{part.pk}/check-out", as_=d.world.provider.bob)
    assert response.status_code == 200 and response.json()["visit_status"] == Visit.Status.DONE


def test_double_check_in_is_a_conflict(api: Any, d: PlannedDay) -> None:
    url = f"/visits/assignments/{d.assignment.pk}/check-in"
    assert api.post(url, as_=d.world.provider.bob).status_code == 200
    response = api.post(url, as_=d.world.provider.bob)
    assert response.status_code == 409 and response.json()["code"] == "already_checked_in"


def test_another_carers_assignment_is_refused(api: Any, d: PlannedDay) -> None:
    cara = make_staff(team=d.world.provider.team, supervisor=d.world.provider.lead, first_name="Cara")
    make_carer(staff=cara)
    response = api.post(f"/visits/assignments/{d.assignment.pk}/check-in", as_=cara)
    assert response.status_code == 403 and response.json()["code"] == "not_your_visit"
    assert not VisitAssignment.objects.filter(checked_in_at__isnull=False).exists()


def test_another_organisation_cannot_see_or_record(api: Any, d: PlannedDay) -> None:
    other = make_care_world()
    make_carer(staff=other.provider.bob)
    response = api.post(f"/visits/assignments/{d.assignment.pk}/check-in", as_=other.provider.bob)
    assert response.status_code == 404 and response.json()["code"] == "assignment_not_found"
    response = api.get(f"/visits/carers/{d.bob.pk}/day", as_=other.provider.head, date="2026-03-02")
    assert response.status_code == 404 and response.json()["code"] == "carer_not_found"


def test_an_unpublished_plan_cannot_be_checked_in_to(api: Any) -> None:
    d = make_planned_day(day=DAY, schedule_status="draft")
    response = api.post(f"/visits/assignments/{d.assignment.pk}/check-in", as_=d.world.provider.bob)
    assert response.status_code == 409 and response.json()["code"] == "schedule_not_published"


def test_the_lead_sees_a_carers_day_but_a_colleague_does_not(api: Any, d: PlannedDay) -> None:
    url = f"/visits/carers/{d.bob.pk}/day"
    assert api.get(url, as_=d.world.provider.lead, date="2026-03-02").status_code == 200
    cara = make_staff(team=d.world.provider.team, supervisor=d.world.provider.lead, first_name="Cara")
    response = api.get(url, as_=cara, date="2026-03-02")
    assert response.status_code == 403 and response.json()["code"] == "not_your_carer"


def test_without_the_customers_permission_the_details_are_withheld(api: Any, d: PlannedDay) -> None:
    Grant.objects.filter(customer=d.world.client, organisation=d.world.provider.org).update(revoked_at=DAY_START)
    body = api.get("/visits/my-day", as_=d.world.provider.bob, date="2026-03-02").json()
    stop = body["stops"][0]
    assert stop["details_withheld"] is True
    assert (stop["customer_name"], stop["address"], stop["access_notes"]) == (None, None, None)
    refused = AccessEvent.objects.get(customer=d.world.client, resource="carer_day")
    assert refused.outcome == "refused"


DAY_START = local_instant(DAY, time(0, 0))


def test_my_day_costs_the_same_with_more_visits(api: Any, d: PlannedDay, django_assert_max_num_queries: Any) -> None:
    bob = d.world.provider.bob
    api.get("/visits/my-day", as_=bob, date="2026-03-02")  # the token is issued outside the measured calls
    with django_assert_max_num_queries(20) as one:
        api.get("/visits/my-day", as_=bob, date="2026-03-02")
    for hour in range(9, 16):
        make_visit(schedule=d.schedule, pattern=d.pattern, carers=[d.bob], planned_start=time(hour, 0))
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = api.get("/visits/my-day", as_=bob, date="2026-03-02").json()
    assert len(body["stops"]) == 8
