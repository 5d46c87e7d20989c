"""Swapping the carers of two visits on a draft's page: each planned visit offers the
visits near it in time that need as many carers; a swap that fits redirects back saying
what changed, one that does not is explained beside the visit and changes nothing;
published plans offer nothing; others cannot post."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_pattern
from steward.organisations.models import StaffMember
from steward.timeline.models import TimelineEvent
from steward.visits.models import Schedule, Visit
from steward.visits.tests.factories import PlannedDay, add_customers_to_day, make_planned_day, make_visit
from steward.visits.tests.test_move import _far_care

from .pages import queries_for

pytestmark = pytest.mark.django_db


def signed_in(staff: StaffMember) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def _two_calls(status: str = Schedule.Status.DRAFT) -> tuple[PlannedDay, Visit]:
    """Tomorrow: Bob at Amina Khan's and Alice at Grace Green's, both at 08:00."""
    pd = make_planned_day(day=timezone.localdate() + timedelta(days=1), schedule_status=status)
    breakfast = make_pattern(care=_far_care(pd), label="Breakfast")
    return pd, make_visit(schedule=pd.schedule, pattern=breakfast, carers=[pd.alice], planned_start=time(8, 0))


def _swap_url(pd: PlannedDay) -> str:
    return reverse("console:schedule-visit-swap", args=[pd.schedule.pk, pd.visit.pk])


def _unchanged(pd: PlannedDay, grace: Visit) -> None:
    assert [a.carer_id for a in pd.visit.assignments.all()] == [pd.bob.pk]
    assert [a.carer_id for a in grace.assignments.all()] == [pd.alice.pk]
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.VISIT_MOVED).exists()


def test_each_planned_visit_offers_the_visits_near_it_to_swap_with() -> None:
    pd, grace = _two_calls()
    evening = make_pattern(
        care=pd.care,
        label="Help into bed",
        preferred=(time(21, 0), time(21, 30)),
        acceptable=(time(20, 30), time(22, 0)),
    )
    make_visit(schedule=pd.schedule, pattern=evening, carers=[pd.alice], planned_start=time(21, 0))
    lunch = make_pattern(
        care=pd.care, label="Lunch", preferred=(time(12, 0), time(12, 30)), acceptable=(time(11, 30), time(13, 0))
    )
    make_visit(schedule=pd.schedule, pattern=lunch, status=Visit.Status.UNPLACED)

    html = signed_in(pd.world.provider.lead).get(reverse("console:schedule-detail", args=[pd.schedule.pk])).content
    page = html.decode()

    assert f'action="{_swap_url(pd)}"' in page
    assert f'<option value="{grace.pk}">08:00 Grace Green, breakfast (Alice Able)</option>' in page
    assert "21:00 Amina Khan, help into bed" not in page  # thirteen hours away: not offered
    assert f'<label class="field__label" for="swap-{pd.visit.pk}-with_visit">Swap carers with</label>' in page


def test_a_lead_swaps_from_the_page_and_is_told_what_changed() -> None:
    pd, grace = _two_calls()
    client = signed_in(pd.world.provider.lead)

    response = client.post(_swap_url(pd), {"with_visit": grace.pk})

    assert response.status_code == 302
    assert response["Location"].endswith(f"#visit-{pd.visit.pk}")
    page = client.get(response["Location"]).content.decode()
    assert (
        "Swapped: Amina Khan&#x27;s help getting up is now with Alice Able, and Grace Green&#x27;s breakfast "
        "with Bob Baker, each at the same time." in page
    )
    assert [a.carer_id for a in grace.assignments.all()] == [pd.bob.pk]


def test_a_swap_that_does_not_fit_is_explained_beside_the_visit_and_changes_nothing() -> None:
    pd, grace = _two_calls()
    grace.care_agreement.excluded_carers.add(pd.bob)
    client = signed_in(pd.world.provider.lead)

    refused = client.post(_swap_url(pd), {"with_visit": grace.pk})

    assert refused.status_code == 409
    html = refused.content.decode()
    assert "That swap does not fit" in html and "Grace Green asked not to be visited by Bob Baker." in html
    nothing = client.post(_swap_url(pd), {})
    assert nothing.status_code == 400 and "Choose the visit to swap carers with." in nothing.content.decode()
    _unchanged(pd, grace)


def test_a_published_plan_offers_no_swap_and_refuses_a_post() -> None:
    pd, grace = _two_calls(status=Schedule.Status.PUBLISHED)
    client = signed_in(pd.world.provider.lead)

    html = client.get(reverse("console:schedule-detail", args=[pd.schedule.pk])).content.decode()
    assert "Swap carers with" not in html
    # Not a visit it would offer on a published plan, so the form refuses the choice.
    assert client.post(_swap_url(pd), {"with_visit": grace.pk}).status_code in (400, 409)
    _unchanged(pd, grace)


def test_carers_who_do_not_plan_and_other_organisations_cannot_swap() -> None:
    pd, grace = _two_calls()
    body = {"with_visit": grace.pk}

    assert signed_in(pd.world.provider.bob).post(_swap_url(pd), body).status_code == 403
    assert signed_in(make_care_world().provider.lead).post(_swap_url(pd), body).status_code == 404
    assert Client().post(_swap_url(pd), body).status_code == 302  # to sign in
    _unchanged(pd, grace)


def test_the_draft_page_with_its_swap_forms_reads_a_fixed_number_of_queries() -> None:
    pd, _ = _two_calls()
    client = signed_in(pd.world.provider.lead)
    detail = reverse("console:schedule-detail", args=[pd.schedule.pk])

    add_customers_to_day(pd, 2)
    few = queries_for(client, detail)
    add_customers_to_day(pd, 10)
    many = queries_for(client, detail)
    assert many <= few <= 13, (few, many)
    assert "Swap carers with" in client.get(detail).content.decode()
