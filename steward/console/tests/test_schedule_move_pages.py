"""Moving a visit by hand on a draft's page: each visit has a Move form defaulting to its
carers and time; a move that fits redirects back with what changed, one that does not is
explained beside the visit; published plans show no form; others cannot post."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.care.models import Absence
from steward.care.tests.factories import make_pattern
from steward.organisations.models import StaffMember
from steward.timeline.models import TimelineEvent
from steward.visits.models import Schedule, Visit
from steward.visits.tests.factories import PlannedDay, add_customers_to_day, local_instant, make_planned_day, make_visit

from .pages import queries_for

pytestmark = pytest.mark.django_db


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def _draft_day(**kwargs: object) -> PlannedDay:
    return make_planned_day(
        day=timezone.localdate() + timedelta(days=1), schedule_status=Schedule.Status.DRAFT, **kwargs
    )


def _move_url(pd: PlannedDay) -> str:
    return reverse("console:schedule-visit-move", args=[pd.schedule.pk, pd.visit.pk])


def _still_bob_at_eight(pd: PlannedDay) -> None:
    pd.visit.refresh_from_db()
    assert pd.visit.planned_start == local_instant(pd.day, time(8, 0))
    assert [a.carer_id for a in pd.visit.assignments.all()] == [pd.bob.pk]


def test_a_draft_shows_a_move_form_for_each_visit_with_its_current_carer_and_time() -> None:
    pd = _draft_day()
    lunch = make_pattern(
        care=pd.care, label="Lunch", preferred=(time(12, 0), time(12, 30)), acceptable=(time(11, 30), time(13, 0))
    )
    unplaced = make_visit(schedule=pd.schedule, pattern=lunch, status=Visit.Status.UNPLACED)
    Absence.objects.create(carer=pd.alice, starts_on=pd.day, ends_on=pd.day, reason="Leave")

    text = signed_in(pd.world.provider.lead).get(reverse("console:schedule-detail", args=[pd.schedule.pk]))
    html = text.content.decode()

    assert "Visits in this draft" in html
    assert f'action="{_move_url(pd)}"' in html
    assert reverse("console:schedule-visit-move", args=[pd.schedule.pk, unplaced.pk]) in html
    assert f'<option value="{pd.bob.pk}" selected>Bob Baker</option>' in html
    assert 'value="08:00"' in html and 'value="12:00"' in html  # the planned time, else the wanted one
    assert "Alice Able</option>" not in html  # away that day: not offered
    assert f'<label class="field__label" for="move-{pd.visit.pk}-start">Starts at</label>' in html


def test_a_lead_moves_a_visit_from_the_page_and_is_told_what_changed() -> None:
    pd = _draft_day()
    client = signed_in(pd.world.provider.lead)

    response = client.post(_move_url(pd), {"carer": pd.alice.pk, "start": "08:40"})

    assert response.status_code == 302
    assert response["Location"].endswith(f"#visit-{pd.visit.pk}")
    page = client.get(response["Location"]).content.decode()
    assert "Moved: Amina Khan&#x27;s help getting up is now at 08:40 with Alice Able." in page
    pd.visit.refresh_from_db()
    assert pd.visit.planned_start == local_instant(pd.day, time(8, 40))
    assert pd.visit.assignments.get().carer == pd.alice
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.VISIT_MOVED, actor=pd.world.provider.lead).exists()


def test_a_move_that_does_not_fit_is_explained_beside_the_visit_and_changes_nothing() -> None:
    pd = _draft_day()

    response = signed_in(pd.world.provider.lead).post(_move_url(pd), {"carer": pd.bob.pk, "start": "11:00"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "That move does not fit" in html
    assert "11:00 is outside the times Amina Khan&#x27;s help getting up may start: between 07:30 and 09:30." in html
    assert 'value="11:00"' in html  # what the planner typed stays in the form
    _still_bob_at_eight(pd)


def test_a_double_handed_visit_asks_for_two_different_carers() -> None:
    pd = _draft_day(carers_needed=2)
    client = signed_in(pd.world.provider.lead)

    html = client.get(reverse("console:schedule-detail", args=[pd.schedule.pk])).content.decode()
    assert "Second carer" in html
    same = client.post(_move_url(pd), {"carer": pd.alice.pk, "second_carer": pd.alice.pk, "start": "08:00"})
    assert same.status_code == 400
    assert "A visit for two carers needs two different people." in same.content.decode()
    missing = client.post(_move_url(pd), {"carer": pd.alice.pk, "start": "08:00"})
    assert missing.status_code == 400


def test_a_published_plan_has_no_move_form_and_refuses_a_post() -> None:
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1))
    client = signed_in(pd.world.provider.lead)

    html = client.get(reverse("console:schedule-detail", args=[pd.schedule.pk])).content.decode()
    assert "Visits in this draft" not in html and "Move this visit" not in html
    refused = client.post(_move_url(pd), {"carer": pd.alice.pk, "start": "08:00"})
    assert refused.status_code == 409
    _still_bob_at_eight(pd)


def test_carers_who_do_not_plan_and_other_organisations_cannot_move_visits() -> None:
    pd = _draft_day()
    body = {"carer": pd.alice.pk, "start": "08:10"}

    assert signed_in(pd.world.provider.bob).post(_move_url(pd), body).status_code == 403
    assert signed_in(make_care_world().provider.lead).post(_move_url(pd), body).status_code == 404
    assert signed_in(pd.world.council.head).post(_move_url(pd), body).status_code == 404
    assert Client().post(_move_url(pd), body).status_code == 302  # to sign in
    _still_bob_at_eight(pd)


def test_the_draft_page_with_its_move_forms_reads_a_fixed_number_of_queries() -> None:
    pd = _draft_day()
    client = signed_in(pd.world.provider.lead)
    detail = reverse("console:schedule-detail", args=[pd.schedule.pk])

    def add(n: int) -> None:
        add_customers_to_day(pd, n, carers_needed=2)

    add(2)
    few = queries_for(client, detail)
    add(10)
    many = queries_for(client, detail)
    assert many <= few <= 13, (few, many)
