"""The planning API: start a run (202), follow its progress, read a day's plans and their
report, publish; other organisations, non-planners and customers are refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from steward.accounts.services import customer_token_issue
from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern
from steward.visits.models import Schedule, ScheduleRun
from steward.visits.tests.engine_stand_in import stand_in_solve
from steward.visits.tests.factories import make_planned_day, make_schedule, make_visit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stand_in_engine(monkeypatch: Any) -> None:
    monkeypatch.setattr("steward.visits.planning._engine", lambda: stand_in_solve)


def test_a_team_lead_plans_tomorrow_follows_the_run_and_publishes(api, django_capture_on_commit_callbacks) -> None:
    world = make_care_world()
    make_carer(staff=world.provider.bob)
    make_pattern(care=make_care_agreement(agreement=world.agreement))
    lead = world.provider.lead
    tomorrow = timezone.localdate() + timedelta(days=1)

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            "/schedule-runs", {"first_day": str(tomorrow), "last_day": str(tomorrow), "reason": "Tomorrow"}, as_=lead
        )
    assert started.status_code == 202, started.content
    assert started.json()["status"] == "queued"  # as it was when the request was answered

    run = api.get(f"/schedule-runs/{started.json()['id']}", as_=lead).json()
    assert run["status"] == "done" and run["progress_percent"] == 100
    assert run["requested_by"] == "Lena Lead"
    (draft,) = run["schedules"]
    assert draft["status"] == "draft" and draft["figures"]["visits"] == 1

    day = api.get("/schedules", as_=lead, day=str(tomorrow)).json()
    assert [s["id"] for s in day] == [draft["id"]]
    report = api.get(f"/schedules/{draft['id']}/report", as_=lead).json()
    assert report["visits"] == 1 and report["percent_in_preferred"] == 100.0
    assert report["carers"][0]["name"] == "Bob Baker"

    published = api.post(f"/schedules/{draft['id']}/publish", as_=lead)
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "published" and published.json()["published_by"] == "Lena Lead"
    again = api.post(f"/schedules/{draft['id']}/publish", as_=lead)
    assert again.status_code == 409 and again.json()["code"] == "schedule_not_draft"
    week = api.get("/schedule-report", as_=lead, first_day=str(tomorrow), last_day=str(tomorrow)).json()
    assert week["schedule_ids"] == [draft["id"]]


def test_bad_days_get_a_coded_error_and_no_run(api) -> None:
    world = make_care_world()
    today = timezone.localdate()
    response = api.post(
        "/schedule-runs", {"first_day": str(today), "last_day": str(today + timedelta(days=9))}, as_=world.provider.lead
    )
    assert response.status_code == 400 and response.json()["code"] == "too_many_days"
    unknown = api.post(
        "/schedule-runs", {"first_day": str(today), "last_day": str(today), "x": 1}, as_=world.provider.lead
    )
    assert unknown.status_code == 422
    assert not ScheduleRun.objects.exists()


def test_a_carer_who_is_not_a_planner_is_refused(api) -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT)
    bob = pd.world.provider.bob
    today = str(timezone.localdate())
    assert api.post("/schedule-runs", {"first_day": today, "last_day": today}, as_=bob).status_code == 403
    assert api.get("/schedules", as_=bob, day=str(pd.day)).status_code == 403
    assert api.get(f"/schedules/{pd.schedule.pk}/report", as_=bob).status_code == 403
    assert api.post(f"/schedules/{pd.schedule.pk}/publish", as_=bob).status_code == 403
    pd.schedule.refresh_from_db()
    assert pd.schedule.status == Schedule.Status.DRAFT


def test_another_organisation_sees_nothing_of_ours(api) -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT)
    run = ScheduleRun.objects.create(organisation=pd.world.provider.org, first_day=pd.day, last_day=pd.day)
    stranger = make_care_world().provider.lead
    assert api.get(f"/schedule-runs/{run.pk}", as_=stranger).status_code == 404
    assert api.get(f"/schedules/{pd.schedule.pk}/report", as_=stranger).status_code == 404
    assert api.post(f"/schedules/{pd.schedule.pk}/publish", as_=stranger).status_code == 404
    assert api.get("/schedules", as_=stranger, day=str(pd.day)).json() == []
    # Nor does the council that commissioned the care.
    assert api.post(f"/schedules/{pd.schedule.pk}/publish", as_=pd.world.council.head).status_code == 404
    pd.schedule.refresh_from_db()
    assert pd.schedule.status == Schedule.Status.DRAFT


def test_customers_and_strangers_cannot_use_the_planner(api) -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1))
    draft = make_schedule(organisation=pd.world.provider.org, day=pd.day, status=Schedule.Status.DRAFT)
    make_visit(schedule=draft, pattern=pd.pattern, carers=[pd.alice])
    token = customer_token_issue(customer=pd.world.client, label="test")[1]
    headers = {"Authorization": f"Bearer {token}"}
    client = api.client
    assert client.post(f"/api/v1/schedules/{draft.pk}/publish", headers=headers).status_code == 401
    assert client.get(f"/api/v1/schedules/{draft.pk}/report", headers=headers).status_code == 401
    assert client.get(f"/api/v1/schedules/{draft.pk}/report").status_code == 401
    draft.refresh_from_db()
    assert draft.status == Schedule.Status.DRAFT


def test_the_run_endpoint_is_cheap_to_poll(api, django_assert_max_num_queries) -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT)
    run = ScheduleRun.objects.create(organisation=pd.world.provider.org, first_day=pd.day, last_day=pd.day)
    Schedule.objects.filter(pk=pd.schedule.pk).update(run=run)
    lead = pd.world.provider.lead
    api.get(f"/schedule-runs/{run.pk}", as_=lead)  # issue the token first
    with django_assert_max_num_queries(9):
        response = api.get(f"/schedule-runs/{run.pk}", as_=lead)
    assert response.status_code == 200 and len(response.json()["schedules"]) == 1
