"""The care API: staff set up carers and visits (coded errors, other organisations not
found, no permission refused), and the customer reads and moves their preferred times."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.test import Client

from steward.accounts.services import customer_token_issue
from steward.alerts.tests.factories import CareWorld, make_care_world
from steward.care.models import Carer, VisitPattern
from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern, make_skill
from steward.consent.models import AccessEvent
from steward.customers.models import Customer
from steward.organisations.tests.factories import make_staff
from steward.timeline.models import TimelineEvent
from steward.visits.models import ScheduleRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> CareWorld:
    return make_care_world()


def send(api: Any, method: str, path: str, body: Any, *, as_: Any) -> Any:
    return getattr(api.client, method)(
        "/api/v1" + path, body, content_type="application/json", headers=api._headers(as_)
    )


def test_a_team_lead_sets_up_a_carer_and_lists_them(api, world, django_assert_max_num_queries):
    p = world.provider
    assert (
        api.post("/care/skills", {"code": "medication", "name": "Help with medication"}, as_=p.lead).status_code == 201
    )
    made = api.post(
        "/care/carers",
        {"staff_id": p.bob.pk, "start_latitude": 53.48, "start_longitude": -2.24, "skills": ["medication"]},
        as_=p.lead,
    )
    assert made.status_code == 201, made.content
    carer_id = made.json()["id"]
    shifts = send(
        api,
        "put",
        f"/care/carers/{carer_id}/shifts",
        {
            "shifts": [
                {
                    "weekday": 0,
                    "starts_at": "07:00",
                    "ends_at": "15:00",
                    "break_minutes": 30,
                    "break_earliest": "11:00",
                    "break_latest": "13:00",
                }
            ]
        },
        as_=p.lead,
    )
    assert shifts.status_code == 200 and shifts.json()["shifts"][0]["break_latest"] == "13:00:00"
    changed = send(api, "patch", f"/care/carers/{carer_id}", {"travel_mode": "walk"}, as_=p.lead)
    assert changed.json()["travel_mode"] == "walk" and changed.json()["skills"] == ["medication"]
    away = api.post(
        f"/care/carers/{carer_id}/absences", {"starts_on": "2026-12-01", "ends_on": "2026-12-02"}, as_=p.lead
    )
    assert away.status_code == 201
    for staff in (p.alice, p.head):
        make_carer(staff=staff)
    with django_assert_max_num_queries(9):
        listed = api.get("/care/carers", as_=p.bob, limit=2)
    assert listed.json()["count"] == 3 and len(listed.json()["items"]) == 2
    gone = send(api, "delete", f"/care/absences/{away.json()['id']}", None, as_=p.lead)
    assert gone.status_code == 204


def test_carers_are_refused_to_others_with_codes(api, world):
    p = world.provider
    refused = api.post(
        "/care/carers", {"staff_id": p.bob.pk, "start_latitude": 53.4, "start_longitude": -2.2}, as_=p.bob
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not_carer_manager"
    other = api.post(
        "/care/carers", {"staff_id": p.bob.pk, "start_latitude": 53.4, "start_longitude": -2.2}, as_=world.council.lead
    )
    assert other.status_code == 404 and other.json()["code"] == "staff_not_found"
    carer = make_carer(staff=p.bob)
    assert api.get(f"/care/carers/{carer.pk}", as_=world.council.lead).json()["code"] == "carer_not_found"
    bad = send(
        api,
        "put",
        f"/care/carers/{carer.pk}/shifts",
        {"shifts": [{"weekday": 1, "starts_at": "09:00", "ends_at": "08:00"}]},
        as_=p.lead,
    )
    assert bad.status_code == 400 and bad.json()["code"] == "shift_ends_before_start"
    assert Carer.objects.get().shifts.count() == 7


def test_the_coordinator_arranges_visits_through_the_api(api, world):
    p = world.provider
    make_skill(organisation=p.org, code="hoist")
    made = api.post(
        "/care/agreements",
        {"service_agreement_id": world.agreement.pk, "address": "4 Mill Lane", "latitude": 53.47, "longitude": -2.25},
        as_=p.alice,
    )
    assert made.status_code == 201, made.content
    care_id = made.json()["id"]
    pattern = {
        "label": "Help into bed",
        "weekdays": [0, 1, 2, 3, 4, 5, 6],
        "duration_minutes": 30,
        "preferred_from": "19:00",
        "preferred_to": "19:30",
        "acceptable_from": "18:30",
        "acceptable_to": "20:30",
        "valid_from": "2026-01-01",
        "carers_needed": 2,
        "skills": ["hoist"],
    }
    added = api.post(f"/care/agreements/{care_id}/patterns", pattern, as_=p.alice)
    assert added.status_code == 201 and added.json()["carers_needed"] == 2
    wrong = api.post(f"/care/agreements/{care_id}/patterns", {**pattern, "preferred_from": "18:00"}, as_=p.alice)
    assert wrong.status_code == 400 and wrong.json()["code"] == "preferred_outside_acceptable"
    carer = make_carer(staff=p.bob)
    both = send(
        api,
        "patch",
        f"/care/agreements/{care_id}",
        {"preferred_carer_ids": [carer.pk], "excluded_carer_ids": [carer.pk]},
        as_=p.alice,
    )
    assert both.status_code == 400 and both.json()["code"] == "carer_preferred_and_excluded"
    fine = send(api, "patch", f"/care/agreements/{care_id}", {"preferred_carer_ids": [carer.pk]}, as_=p.alice)
    assert fine.json()["preferred_carer_ids"] == [carer.pk]
    ended = api.post(f"/care/patterns/{added.json()['id']}/end", {"last_day": "2030-01-01"}, as_=p.lead)
    assert ended.json()["valid_until"] == "2030-01-01"
    assert VisitPattern.objects.count() == 1


def test_reading_a_care_agreement_needs_a_purpose_and_is_logged(api, world):
    p = world.provider
    care = make_care_agreement(agreement=world.agreement)
    no_purpose = api.get(f"/care/agreements/{care.pk}", as_=p.alice)
    assert no_purpose.status_code == 400
    read = api.get(f"/care/agreements/{care.pk}", as_=p.alice, purpose="care_delivery")
    assert read.status_code == 200, read.content
    assert AccessEvent.objects.filter(customer_id=world.client.pk, resource=f"care:{care.pk}").exists()
    other = make_care_world()
    assert api.get(f"/care/agreements/{care.pk}", as_=other.provider.alice, purpose="care_delivery").status_code == 404


def test_only_managers_change_patterns_but_any_provider_staff_types_in_a_time(api, world):
    p = world.provider
    care = make_care_agreement(agreement=world.agreement)
    bed = make_pattern(
        care=care, label="Help into bed", preferred=(time(19), time(19, 30)), acceptable=(time(18, 30), time(20, 30))
    )
    body = {
        "label": "Bed",
        "weekdays": [0],
        "duration_minutes": 30,
        "preferred_from": "19:00",
        "preferred_to": "19:30",
        "acceptable_from": "18:30",
        "acceptable_to": "20:30",
        "valid_from": "2026-01-01",
    }
    refused = send(api, "put", f"/care/patterns/{bed.pk}", body, as_=p.bob)
    assert refused.status_code == 403 and refused.json()["code"] == "not_care_manager"
    moved = send(
        api,
        "put",
        f"/care/patterns/{bed.pk}/preferred-time",
        {"preferred_from": "21:00", "preferred_to": "21:30"},
        as_=p.bob,
    )
    assert moved.status_code == 200 and moved.json()["acceptable_to"] == "22:30:00"
    event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.VISIT_TIME_CHANGED)
    assert event.actor_name == "Bob Baker (for Amina Khan)"
    council = send(
        api,
        "put",
        f"/care/patterns/{bed.pk}/preferred-time",
        {"preferred_from": "20:00", "preferred_to": "20:30"},
        as_=world.council.lead,
    )
    assert council.status_code == 404


# --- the customer's side ---------------------------------------------------------------


def customer_call(method: str, path: str, customer: Customer, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {customer_token_issue(customer=customer, label='test')[1]}"}
    client = Client()
    if body is None:
        return getattr(client, method)("/api/v1/customer" + path, headers=headers)
    return getattr(client, method)("/api/v1/customer" + path, body, content_type="application/json", headers=headers)


def test_the_customer_sees_and_moves_their_bedtime(world, django_assert_max_num_queries):
    care = make_care_agreement(agreement=world.agreement)
    make_pattern(care=care, label="Help getting up")
    bed = make_pattern(
        care=care, label="Help into bed", preferred=(time(19), time(19, 30)), acceptable=(time(18, 30), time(20, 30))
    )
    with django_assert_max_num_queries(6):
        mine = customer_call("get", "/visit-patterns", world.client)
    assert mine.status_code == 200
    body = mine.json()
    assert [p["label"] for p in body] == ["Help getting up", "Help into bed"]
    assert body[1]["preferred"]["words"] == "between 19:00 and 19:30"
    assert body[1]["coordinator"] == "Alice Able" and body[1]["days"] == "every day"
    moved = customer_call(
        "put",
        f"/visit-patterns/{bed.pk}/preferred-time",
        world.client,
        {"preferred_from": "21:00", "preferred_to": "21:30"},
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["preferred"]["words"] == "between 21:00 and 21:30"
    assert moved.json()["acceptable"]["words"] == "between 20:30 and 22:30"
    assert ScheduleRun.objects.count() == 1


def test_the_customer_cannot_touch_another_customers_visit_or_use_a_staff_token(api, world):
    care = make_care_agreement(agreement=world.agreement)
    bed = make_pattern(care=care, label="Help into bed")
    other = make_care_world()
    theirs = customer_call(
        "put",
        f"/visit-patterns/{bed.pk}/preferred-time",
        other.client,
        {"preferred_from": "21:00", "preferred_to": "21:30"},
    )
    assert theirs.status_code == 404 and theirs.json()["code"] == "visit_not_found"
    staff = api.get("/customer/visit-patterns", as_=world.provider.alice)
    assert staff.status_code == 401
    backwards = customer_call(
        "put",
        f"/visit-patterns/{bed.pk}/preferred-time",
        world.client,
        {"preferred_from": "21:30", "preferred_to": "21:00"},
    )
    assert backwards.status_code == 400 and backwards.json()["code"] == "window_backwards"
    assert not ScheduleRun.objects.exists()


def test_a_customer_without_care_has_no_visits(world):
    assert customer_call("get", "/visit-patterns", world.client).json() == []
    admin = make_staff(organisation=world.provider.org, is_org_admin=True)
    assert admin.is_org_admin
