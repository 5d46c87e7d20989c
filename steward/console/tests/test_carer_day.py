"""The carer's day page: what a carer sees of their published day, who else may see it,
the check-in and check-out buttons, and its queries."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_carer
from steward.consent.models import AccessEvent
from steward.organisations.models import StaffMember
from steward.organisations.tests.factories import make_staff
from steward.visits.models import Visit
from steward.visits.tests.factories import PlannedDay, make_planned_day, make_visit

from .pages import queries_for
from .sign_in import signed_in_by_form

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def url(d: PlannedDay, day: date = DAY) -> str:
    return f"/console/carers/{d.bob.pk}/day/{day.isoformat()}/"


@pytest.fixture
def d() -> PlannedDay:
    return make_planned_day(day=DAY, carers_needed=2)


def test_the_carer_sees_their_day_in_order(d: PlannedDay) -> None:
    make_visit(schedule=d.schedule, pattern=d.pattern, carers=[d.bob], planned_start=time(9, 15), travel_minutes=7)
    response = signed_in(d.world.provider.bob).get(url(d))
    assert response.status_code == 200
    html = response.content.decode()
    assert "My visits, Monday 2 March 2026" in html
    assert html.index("08:00") < html.index("09:15")
    assert f'href="/console/customers/{d.world.client.pk}/">Amina Khan</a>' in html
    assert "12 Mill Lane, Northshire" in html and "Key safe by the back door: 1234." in html
    assert "Help getting up" in html
    assert "Alice Able (two carers)" in html
    assert "12 minutes' travel from the start of the day" in html
    assert "7 minutes' travel from the previous visit" in html
    assert "2 visits, 19 minutes of travel in all." in html
    assert f'href="/console/carers/{d.bob.pk}/day/2026-03-01/"' in html  # previous day
    assert f'href="/console/carers/{d.bob.pk}/day/2026-03-03/"' in html  # next day
    assert html.count(">Check in<") == 2


def test_check_in_and_out_with_the_buttons(d: PlannedDay) -> None:
    client = signed_in(d.world.provider.bob)
    part = d.assignment
    base = url(d)
    response = client.post(f"{base}visits/{part.pk}/check-in/", follow=True)
    assert response.redirect_chain[-1][0] == base
    assert "Checked in at" in response.content.decode()
    part.refresh_from_db()
    assert part.checked_in_at is not None
    response = client.post(f"{base}visits/{part.pk}/check-in/", follow=True)
    assert "already checked in" in response.content.decode()
    response = client.post(f"{base}visits/{part.pk}/check-out/", follow=True)
    assert "Checked out at" in response.content.decode()
    part.refresh_from_db()
    assert part.checked_out_at is not None
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.IN_PROGRESS  # Alice has not arrived yet


def test_the_lead_and_a_planner_see_it_and_may_record(d: PlannedDay) -> None:
    lead = signed_in(d.world.provider.lead)
    html = lead.get(url(d)).content.decode()
    assert "Bob Baker’s visits" in html and "Record arrival" in html
    # Hana heads the provider: Bob answers to her through Lena.
    assert signed_in(d.world.provider.head).get(url(d)).status_code == 200
    # Alice coordinates a service there: a planner.
    assert signed_in(d.world.provider.alice).get(url(d)).status_code == 200


def test_a_colleague_who_is_not_a_planner_is_refused(d: PlannedDay) -> None:
    cara = make_staff(team=d.world.provider.team, supervisor=d.world.provider.lead, first_name="Cara")
    make_carer(staff=cara)
    client = signed_in(cara)
    response = client.get(url(d))
    assert response.status_code == 403
    assert "Amina Khan" not in response.content.decode()
    assert not AccessEvent.objects.filter(resource="carer_day").exists()
    response = client.post(f"{url(d)}visits/{d.assignment.pk}/check-in/", follow=True)
    assert response.status_code == 403
    assert "can record their visits" in response.content.decode()
    d.assignment.refresh_from_db()
    assert d.assignment.checked_in_at is None


def test_another_organisation_finds_nothing(d: PlannedDay) -> None:
    other = make_care_world()
    client = signed_in(other.provider.head)
    assert client.get(url(d)).status_code == 404
    response = client.post(f"{url(d)}visits/{d.assignment.pk}/check-in/")
    assert response.status_code == 404
    d.assignment.refresh_from_db()
    assert d.assignment.checked_in_at is None


def test_a_day_with_no_plan_and_a_bad_date(d: PlannedDay) -> None:
    client = signed_in(d.world.provider.bob)
    html = client.get(url(d, DAY + timedelta(days=1))).content.decode()
    assert "No plan has been published for this day yet." in html
    assert client.get(f"/console/carers/{d.bob.pk}/day/2026-02-31/").status_code == 404


def test_a_draft_plan_is_not_shown(d: PlannedDay) -> None:
    draft = make_planned_day(day=DAY, schedule_status="draft")
    html = signed_in(draft.world.provider.bob).get(url(draft)).content.decode()
    assert "No plan has been published for this day yet." in html


def test_each_customer_read_is_in_their_access_log(d: PlannedDay) -> None:
    signed_in(d.world.provider.bob).get(url(d))
    event = AccessEvent.objects.get(customer=d.world.client, resource="carer_day")
    assert (event.purpose, event.outcome, event.channel, event.staff_id) == (
        "care_delivery",
        "allowed",
        "page",
        d.world.provider.bob.pk,
    )


def test_my_visits_today_in_the_nav_for_carers_only() -> None:
    d = make_planned_day()  # today
    client = signed_in_by_form(d.world.provider.bob)
    html = client.get("/console/").content.decode()
    assert 'href="/console/my-day/">My visits today</a>' in html
    response = client.get("/console/my-day/")
    assert response.status_code == 302
    assert response["Location"] == f"/console/carers/{d.bob.pk}/day/{timezone.localdate().isoformat()}/"
    assert 'aria-current="page">My visits today</a>' in client.get(response["Location"]).content.decode()
    head = signed_in_by_form(d.world.provider.head)
    assert "My visits today" not in head.get("/console/").content.decode()
    assert head.get("/console/my-day/").status_code == 404


def test_the_page_reads_a_fixed_number_of_queries_per_customer(d: PlannedDay) -> None:
    """More visits do not cost more queries; each customer on the day costs the read
    door's few (the access log is per customer, I5)."""
    client = signed_in(d.world.provider.bob)
    few = queries_for(client, url(d))
    for hour in range(9, 15):
        make_visit(schedule=d.schedule, pattern=d.pattern, carers=[d.bob, d.alice], planned_start=time(hour, 0))
    many = queries_for(client, url(d))
    assert many <= few, f"{few} queries with 1 visit, {many} with 7 (an N+1?)"
    assert few <= 20, few
