"""'Your visits' in the portal: this week's published visits (time, carer, status; an
unplaced one says why and whom to call), regular visits with the preferred time, the
change of time with its confirmation, trusted people by scope, and the empty state."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.care.models import VisitPattern
from steward.care.tests.factories import make_pattern
from steward.consent.models import AccessEvent
from steward.customers.models import ContactPreferences
from steward.portal.access import EMAIL_KEY, SESSION_KEY, TRUST_KEY
from steward.timeline.models import TimelineEvent
from steward.trusted.models import TrustedPerson
from steward.visits.models import Schedule, ScheduleRun, Visit
from steward.visits.tests.factories import make_planned_day, make_schedule, make_visit

from .conftest import as_customer

pytestmark = pytest.mark.django_db

VISITS = reverse("portal:visits")


def time_url(pattern: VisitPattern) -> str:
    return reverse("portal:visit-time", args=[pattern.pk])


def as_trusted(trusted: TrustedPerson) -> Client:
    client = Client()
    session = client.session
    session[SESSION_KEY] = trusted.customer_id
    session[TRUST_KEY] = trusted.pk
    session[EMAIL_KEY] = trusted.email
    session.save()
    return client


def sara(customer, scopes) -> TrustedPerson:  # type: ignore[no-untyped-def]
    now = timezone.now()
    return TrustedPerson.objects.create(
        customer=customer,
        name="Sara Khan",
        email="sara@example.org",
        relationship="daughter",
        scopes=scopes,
        created_at=now,
        updated_at=now,
    )


def test_this_weeks_visits_with_time_carer_and_status():
    planned = make_planned_day(at=time(8, 10))
    html = as_customer(planned.world.client).get(VISITS).content.decode()
    assert "Your visits" in html and "Help getting up" in html
    assert "08:10" in html and "Carer: Bob" in html and "Planned" in html
    assert "Alice Able looks after your visits" in html
    assert "You want the carer to arrive <strong>between 08:00 and 08:30</strong>" in html


def test_an_unplaced_visit_says_why_and_whom_to_call():
    planned = make_planned_day()
    bed = make_pattern(
        care=planned.care,
        label="Help into bed",
        preferred=(time(21), time(21, 30)),
        acceptable=(time(20, 30), time(22, 30)),
    )
    make_visit(
        schedule=planned.schedule,
        pattern=bed,
        status=Visit.Status.UNPLACED,
        unplaced_reason=Visit.UnplacedReason.NO_SECOND_CARER,
    )
    html = as_customer(planned.world.client).get(VISITS).content.decode()
    assert "We could not plan this visit." in html
    assert "no second carer is free at the same time" in html
    assert "Please contact Alice Able, who coordinates your visits" in html


def test_draft_plans_are_not_shown():
    planned = make_planned_day(schedule_status=Schedule.Status.DRAFT)
    html = as_customer(planned.world.client).get(VISITS).content.decode()
    assert "Carer: Bob" not in html and "have not been planned yet" in html


def test_someone_without_care_sees_plainly_that_there_is_none():
    world = make_care_world()
    response = as_customer(world.client).get(VISITS)
    assert response.status_code == 200
    assert "You do not have visits from a care provider here." in response.content.decode()


def test_changing_the_preferred_time_confirms_then_changes_and_replans():
    planned = make_planned_day()
    client = as_customer(planned.world.client)
    form = client.get(time_url(planned.pattern)).content.decode()
    assert 'value="08:00"' in form and "between 08:00 and 08:30" in form
    check = client.post(time_url(planned.pattern), {"earliest": "09:00", "latest": "09:30"})
    text = check.content.decode()
    assert check.status_code == 200 and "Change help getting up to between 09:00 and 09:30?" in text
    assert "We will redo the plan of visits from tomorrow" in text
    planned.pattern.refresh_from_db()
    assert planned.pattern.preferred_from == time(8) and not ScheduleRun.objects.exists()
    done = client.post(time_url(planned.pattern), {"earliest": "09:00", "latest": "09:30", "confirm": "yes"})
    assert done.status_code == 302 and done["Location"] == VISITS
    planned.pattern.refresh_from_db()
    assert (planned.pattern.preferred_from, planned.pattern.acceptable_to) == (time(9), time(10, 30))
    assert ScheduleRun.objects.get().first_day == timezone.localdate() + timedelta(days=1)
    event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.VISIT_TIME_CHANGED)
    assert event.actor_name == "Amina Khan (customer)"
    assert "should now start between 09:00 and 09:30" in client.get(VISITS).content.decode()


def test_bad_times_are_shown_on_the_form_and_change_nothing():
    planned = make_planned_day()
    client = as_customer(planned.world.client)
    backwards = client.post(time_url(planned.pattern), {"earliest": "09:30", "latest": "09:00"})
    assert backwards.status_code == 400 and "the same as or later than" in backwards.content.decode()
    late = client.post(time_url(planned.pattern), {"earliest": "23:45", "latest": "23:50", "confirm": "yes"})
    assert late.status_code == 400 and "to finish before midnight" in late.content.decode()
    empty = client.post(time_url(planned.pattern), {"earliest": "", "latest": "09:00"})
    assert empty.status_code == 400 and "Enter the earliest time" in empty.content.decode()
    planned.pattern.refresh_from_db()
    assert planned.pattern.preferred_from == time(8) and not ScheduleRun.objects.exists()


def test_another_customers_visit_is_not_found():
    planned = make_planned_day()
    other = make_care_world()
    response = as_customer(other.client).post(
        time_url(planned.pattern), {"earliest": "09:00", "latest": "09:30", "confirm": "yes"}
    )
    assert response.status_code == 404
    planned.pattern.refresh_from_db()
    assert planned.pattern.preferred_from == time(8)


def test_a_trusted_person_who_may_ask_changes_it_for_the_customer_and_their_look_is_logged():
    planned = make_planned_day()
    trusted = sara(planned.world.client, ["see_requests", "ask"])
    client = as_trusted(trusted)
    html = client.get(VISITS).content.decode()
    assert "Amina&#x27;s visits" in html or "Amina's visits" in html
    assert AccessEvent.objects.filter(customer_id=planned.world.client.pk, resource="visits").exists()
    done = client.post(time_url(planned.pattern), {"earliest": "09:00", "latest": "09:30", "confirm": "yes"})
    assert done.status_code == 302
    event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.VISIT_TIME_CHANGED)
    assert event.actor_name == "Sara Khan (for Amina Khan)"


def test_a_trusted_person_who_may_only_look_sees_visits_but_cannot_change_them():
    planned = make_planned_day()
    client = as_trusted(sara(planned.world.client, ["see_requests"]))
    html = client.get(VISITS).content.decode()
    assert "Carer: Bob" in html and "preferred time" not in html
    refused = client.post(time_url(planned.pattern), {"earliest": "09:00", "latest": "09:30", "confirm": "yes"})
    assert refused.status_code == 403
    planned.pattern.refresh_from_db()
    assert planned.pattern.preferred_from == time(8) and not ScheduleRun.objects.exists()


def test_a_trusted_person_who_may_only_see_privacy_cannot_see_visits():
    planned = make_planned_day()
    client = as_trusted(sara(planned.world.client, ["see_privacy"]))
    assert client.get(VISITS).status_code == 403


def test_the_visits_page_reads_a_fixed_number_of_queries():
    planned = make_planned_day()
    client = as_customer(planned.world.client)
    client.get(VISITS)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(VISITS).status_code == 200
        return len(captured.captured_queries)

    few = count()
    week_start = timezone.localdate()
    for n in range(7):
        day = week_start + timedelta(days=n)
        if day == planned.day:
            continue
        schedule = make_schedule(organisation=planned.world.provider.org, day=day)
        for at in (time(8), time(12), time(21)):
            make_visit(
                schedule=schedule, pattern=planned.pattern, carers=[planned.bob, planned.alice], planned_start=at
            )
    for label in ("Lunch", "Tea", "Bed"):
        make_pattern(care=planned.care, label=label)
    many = count()
    assert many <= few, f"{few} queries with one visit, {many} with twenty"
    assert few <= 7, few


def test_times_are_shown_and_typed_in_the_customers_own_time_zone():
    planned = make_planned_day(at=time(8, 10))
    ContactPreferences.objects.create(customer=planned.world.client, time_zone="Europe/Helsinki")
    client = as_customer(planned.world.client)
    html = client.get(VISITS).content.decode()
    # Helsinki is two hours ahead of London in winter and summer alike.
    assert "10:10" in html and "between 10:00 and 10:30" in html
    done = client.post(time_url(planned.pattern), {"earliest": "23:00", "latest": "23:30", "confirm": "yes"})
    assert done.status_code == 302
    planned.pattern.refresh_from_db()
    assert (planned.pattern.preferred_from, planned.pattern.preferred_to) == (time(21), time(21, 30))
