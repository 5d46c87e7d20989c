"""The planning pages: a planner picks days and plans them, watches the run (HTMX polling,
with a refresh for browsers without JavaScript), reads each draft's report and publishes
it; carers who do not plan, other organisations and bad input are refused clearly."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern
from steward.organisations.models import Organisation, StaffMember, Team
from steward.visits.models import Schedule, ScheduleRun, Visit
from steward.visits.tests.engine_stand_in import stand_in_solve
from steward.visits.tests.factories import add_customers_to_day, make_planned_day, make_schedule

from .pages import queries_for
from .sign_in import signed_in_by_form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stand_in_engine(monkeypatch: Any) -> None:
    monkeypatch.setattr("steward.visits.planning._engine", lambda: stand_in_solve)


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def _care_provider(world: Any) -> None:
    Organisation.objects.filter(pk=world.provider.org.pk).update(kind=Organisation.Kind.CARE_PROVIDER)


def test_a_lead_plans_tomorrow_reads_the_report_and_publishes(django_capture_on_commit_callbacks) -> None:
    world = make_care_world()
    _care_provider(world)
    make_carer(staff=world.provider.bob)
    care = make_care_agreement(agreement=world.agreement)
    make_pattern(care=care, label="Help getting up")
    make_pattern(
        care=care,
        label="Hoist into bed",
        skills=["hoist"],
        preferred=(time(20, 0), time(20, 30)),
        acceptable=(time(19, 30), time(21, 0)),
    )
    client = signed_in(world.provider.lead)
    tomorrow = timezone.localdate() + timedelta(days=1)

    home = client.get(reverse("console:schedule"))
    assert home.status_code == 200
    assert b">Schedule</a>" in home.content  # in the navigation
    assert b'name="first_day"' in home.content and tomorrow.isoformat().encode() in home.content

    with django_capture_on_commit_callbacks(execute=True):
        planned = client.post(
            reverse("console:schedule-plan"),
            {"first_day": tomorrow.isoformat(), "last_day": tomorrow.isoformat(), "reason": "Tomorrow"},
        )
    run = ScheduleRun.objects.get()
    assert planned.status_code == 302 and planned["Location"] == reverse("console:schedule-run", args=[run.pk])

    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.DONE, run.error
    run_page = client.get(planned["Location"])
    text = run_page.content.decode()
    assert "Planned: check each day, then publish it" in text
    assert "1 of 2 visits in the customer's preferred window" in text
    draft = Schedule.objects.get(run=run)
    assert reverse("console:schedule-detail", args=[draft.pk]) in text

    detail = client.get(reverse("console:schedule-detail", args=[draft.pk])).content.decode()
    assert "1 of 2</span> visits at the customer's preferred time" in detail
    assert "Bob Baker" in detail  # the carers' table
    assert "Hoist into bed" in detail and "No carer with the skills needed works that day." in detail
    assert reverse("console:customer", args=[world.client.pk]) in detail
    assert world.client.full_name in detail
    assert ">Publish</button>" in detail

    published = client.post(reverse("console:schedule-publish", args=[draft.pk]), follow=True)
    assert published.status_code == 200
    text = published.content.decode()
    assert "Published: this is now the plan for" in text and "1 customer whose visits changed was told" in text
    draft.refresh_from_db()
    assert draft.status == Schedule.Status.PUBLISHED
    assert ">Publish</button>" not in text


def test_the_run_page_polls_while_planning_and_refreshes_without_javascript() -> None:
    world = make_care_world()
    tomorrow = timezone.localdate() + timedelta(days=1)
    run = ScheduleRun.objects.create(
        organisation=world.provider.org,
        first_day=tomorrow,
        last_day=tomorrow,
        status=ScheduleRun.Status.RUNNING,
        progress_percent=40,
        progress_message="Improving: 10 of 12 visits placed",
    )
    client = signed_in(world.provider.lead)
    url = reverse("console:schedule-run", args=[run.pk])

    text = client.get(url).content.decode()
    assert 'hx-get="' + url + '?part=progress"' in text
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in text
    assert "40%" in text and "Improving: 10 of 12 visits placed" in text

    box = client.get(url + "?part=progress", headers={"HX-Request": "true"})
    assert box.status_code == 200 and "<h1" not in box.content.decode()

    ScheduleRun.objects.filter(pk=run.pk).update(status=ScheduleRun.Status.FAILED, error="Planning Monday failed: x.")
    done = client.get(url + "?part=progress", headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"
    text = client.get(url).content.decode()
    assert "Planning Monday failed: x." in text and "noscript" not in text


def test_bad_days_are_explained_on_the_page_and_nothing_is_queued() -> None:
    world = make_care_world()
    client = signed_in(world.provider.lead)
    today = timezone.localdate()
    response = client.post(
        reverse("console:schedule-plan"),
        {"first_day": today.isoformat(), "last_day": (today + timedelta(days=10)).isoformat()},
    )
    assert response.status_code == 400
    assert "Plan at most 7 days at a time." in response.content.decode()
    empty = client.post(reverse("console:schedule-plan"), {"first_day": "", "last_day": ""})
    assert empty.status_code == 400
    assert not ScheduleRun.objects.exists()


def test_a_carer_who_does_not_plan_is_told_who_can() -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT)
    _care_provider(pd.world)
    client = signed_in(pd.world.provider.bob)
    for response in (
        client.get(reverse("console:schedule")),
        client.get(reverse("console:schedule-detail", args=[pd.schedule.pk])),
        client.post(reverse("console:schedule-publish", args=[pd.schedule.pk])),
        client.post(reverse("console:schedule-plan"), {"first_day": str(pd.day), "last_day": str(pd.day)}),
    ):
        assert response.status_code == 403
        assert "Only planners can use this page" in response.content.decode()
    pd.schedule.refresh_from_db()
    assert pd.schedule.status == Schedule.Status.DRAFT
    assert not ScheduleRun.objects.exists()


def test_the_schedule_link_is_shown_to_planners_only() -> None:
    """A carer who does not plan gets no Schedule link to a page that would refuse them;
    a team lead does, from sign-in; the council (not a care provider) has none."""
    world = make_care_world()
    _care_provider(world)
    link = 'href="/console/schedule/"'
    assert link not in signed_in_by_form(world.provider.bob).get("/console/").content.decode()
    assert link in signed_in_by_form(world.provider.lead).get("/console/").content.decode()
    assert link not in signed_in_by_form(world.council.lead).get("/console/").content.decode()


def test_the_link_follows_a_change_once_the_schedule_page_is_opened() -> None:
    """Made a team lead after signing in: the Schedule page lets them in and the link
    appears from then on, without signing in again."""
    world = make_care_world()
    _care_provider(world)
    client = signed_in_by_form(world.provider.bob)
    assert 'href="/console/schedule/"' not in client.get("/console/").content.decode()
    Team.objects.filter(organisation=world.provider.org).update(lead=world.provider.bob)
    assert client.get(reverse("console:schedule")).status_code == 200
    assert 'href="/console/schedule/"' in client.get("/console/").content.decode()


def test_another_organisation_cannot_see_or_publish_our_plans() -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT)
    run = ScheduleRun.objects.create(organisation=pd.world.provider.org, first_day=pd.day, last_day=pd.day)
    stranger = signed_in(make_care_world().provider.lead)
    assert stranger.get(reverse("console:schedule-run", args=[run.pk])).status_code == 404
    assert stranger.get(reverse("console:schedule-detail", args=[pd.schedule.pk])).status_code == 404
    assert stranger.post(reverse("console:schedule-publish", args=[pd.schedule.pk])).status_code == 404
    assert (
        pd.world.client.full_name not in stranger.get(reverse("console:schedule") + f"?day={pd.day}").content.decode()
    )
    pd.schedule.refresh_from_db()
    assert pd.schedule.status == Schedule.Status.DRAFT


def test_a_stale_draft_says_why_it_cannot_be_published() -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT)
    newer = make_schedule(organisation=pd.world.provider.org, day=pd.day)  # published after the draft was made
    assert newer.pk > pd.schedule.pk
    response = signed_in(pd.world.provider.lead).post(reverse("console:schedule-publish", args=[pd.schedule.pk]))
    assert response.status_code == 409
    assert "A newer plan for this day was published after this draft was made" in response.content.decode()


def test_the_report_and_home_pages_read_a_fixed_number_of_queries() -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT)
    org = pd.world.provider.org
    client = signed_in(pd.world.provider.lead)
    detail = reverse("console:schedule-detail", args=[pd.schedule.pk])
    home = reverse("console:schedule") + f"?day={pd.day}"

    def add(n: int) -> None:
        add_customers_to_day(pd, n)
        for _ in range(n):
            make_schedule(organisation=org, day=pd.day, status=Schedule.Status.DRAFT)
            ScheduleRun.objects.create(organisation=org, first_day=pd.day, last_day=pd.day)

    add(2)
    few = (queries_for(client, detail), queries_for(client, home))
    add(10)
    many = (queries_for(client, detail), queries_for(client, home))
    assert many[0] <= few[0] <= 13, (few, many)  # a draft's Move forms: visits, their carers, who works
    assert many[1] <= few[1] <= 10, (few, many)


def test_the_report_lists_visits_away_from_the_wanted_time_with_their_carer() -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT)
    Visit.objects.filter(pk=pd.visit.pk).update(minutes_outside_preferred=25)

    text = signed_in(pd.world.provider.lead).get(reverse("console:schedule-detail", args=[pd.schedule.pk]))
    text = text.content.decode()

    assert "Visits away from the preferred time" in text
    assert "08:00–08:30" in text and "<td>25</td>" in text and "Bob Baker" in text
