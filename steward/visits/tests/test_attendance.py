"""Checking in and out of a visit: who may, when, and what the customer's timeline says."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from steward.agreements.models import ServiceAgreement
from steward.agreements.selectors import last_contact_at
from steward.alerts.models import Alert
from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_carer
from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.organisations.tests.factories import make_staff
from steward.timeline.models import TimelineEvent
from steward.visits.attendance import visit_check_in, visit_check_out
from steward.visits.missed import missed_visits_sweep
from steward.visits.models import Schedule, Visit, VisitAssignment
from steward.visits.tests.factories import local_instant, make_planned_day

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)  # a Monday in the past, in winter time (London = UTC)


def at(hh: int, mm: int = 0, day: date = DAY) -> datetime:
    return local_instant(day, time(hh, mm))


def test_the_carer_checks_in_and_out_and_the_customer_sees_it() -> None:
    d = make_planned_day(day=DAY)
    part = d.assignment
    bob = d.world.provider.bob

    visit_check_in(assignment=part, actor=bob, at=at(8, 3))
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.IN_PROGRESS

    visit_check_out(assignment=part, actor=bob, at=at(8, 35))
    d.visit.refresh_from_db()
    part.refresh_from_db()
    assert d.visit.status == Visit.Status.DONE
    assert (part.checked_in_at, part.checked_out_at) == (at(8, 3), at(8, 35))

    events = list(
        TimelineEvent.objects.filter(customer=d.world.client, kind__startswith="visit_").order_by("occurred_at")
    )
    assert [e.kind for e in events] == [TimelineEvent.Kind.VISIT_CHECKED_IN, TimelineEvent.Kind.VISIT_CHECKED_OUT]
    assert events[0].summary == "Bob Baker arrived for your 08:00 visit (Help getting up) at 08:03."
    assert events[1].summary == "Bob Baker left at 08:35 after 32 minutes (Help getting up)."
    assert all(e.channel == TimelineEvent.Channel.IN_PERSON and not e.is_internal for e in events)
    assert all(e.organisation_id == d.world.provider.org.pk for e in events)


def test_a_double_handed_visit_is_done_only_when_both_have_left() -> None:
    d = make_planned_day(day=DAY, carers_needed=2)
    bob_part, alice_part = d.visit.assignments.order_by("position")
    visit_check_in(assignment=alice_part, actor=d.world.provider.alice, at=at(8, 0))
    visit_check_in(assignment=bob_part, actor=d.world.provider.bob, at=at(8, 1))
    visit_check_out(assignment=bob_part, actor=d.world.provider.bob, at=at(8, 30))
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.IN_PROGRESS
    visit_check_out(assignment=alice_part, actor=d.world.provider.alice, at=at(8, 31))
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.DONE


def test_a_lead_records_on_the_carers_behalf_and_says_so() -> None:
    d = make_planned_day(day=DAY)
    lena = d.world.provider.lead
    visit_check_in(assignment=d.assignment, actor=lena, at=at(8, 5))
    event = TimelineEvent.objects.get(customer=d.world.client, kind=TimelineEvent.Kind.VISIT_CHECKED_IN)
    assert event.actor == lena
    assert event.summary.endswith("(recorded by Lena Lead for Bob Baker)")
    assert event.data["on_behalf"] is True


def test_another_carer_cannot_check_in_for_bob() -> None:
    d = make_planned_day(day=DAY)
    # Alice coordinates a service, so she plans; a plain colleague does not.
    colleague = make_staff(team=d.world.provider.team, supervisor=d.world.provider.lead, first_name="Cara")
    make_carer(staff=colleague)
    with pytest.raises(PermissionDenied) as exc:
        visit_check_in(assignment=d.assignment, actor=colleague, at=at(8, 0))
    assert exc.value.code == "not_your_visit"
    assert not VisitAssignment.objects.filter(checked_in_at__isnull=False).exists()
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.VISIT_CHECKED_IN).exists()


def test_staff_of_another_organisation_are_told_there_is_no_such_visit() -> None:
    d = make_planned_day(day=DAY)
    other = make_care_world()
    with pytest.raises(NotFound):
        visit_check_in(assignment=d.assignment, actor=other.provider.head, at=at(8, 0))
    with pytest.raises(NotFound):  # the commissioning council is another organisation too
        visit_check_in(assignment=d.assignment, actor=d.world.council.lead, at=at(8, 0))


def test_no_check_in_on_a_draft_or_replaced_plan() -> None:
    for status in (Schedule.Status.DRAFT, Schedule.Status.SUPERSEDED):
        d = make_planned_day(day=DAY, schedule_status=status)
        with pytest.raises(Conflict) as exc:
            visit_check_in(assignment=d.assignment, actor=d.world.provider.bob, at=at(8, 0))
        assert exc.value.code == "schedule_not_published"
        d.visit.refresh_from_db()
        assert d.visit.status == Visit.Status.PLANNED


def test_no_check_in_to_a_cancelled_visit_nor_reopening_a_finished_one_for_two() -> None:
    d = make_planned_day(day=DAY)
    Visit.objects.filter(pk=d.visit.pk).update(status=Visit.Status.CANCELLED)
    with pytest.raises(Conflict) as exc:
        visit_check_in(assignment=d.assignment, actor=d.world.provider.bob, at=at(8, 0))
    assert exc.value.code == "visit_not_open"
    assert not VisitAssignment.objects.get(pk=d.assignment.pk).checked_in_at

    # Only a carer reported missing may open a finished visit again: a visit for two
    # that ended (here, marked done by hand) with Alice's part never reported stays done.
    pair = make_planned_day(day=date(2026, 3, 3), carers_needed=2)
    Visit.objects.filter(pk=pair.visit.pk).update(status=Visit.Status.DONE)
    alice_part = pair.visit.assignments.get(position=2)
    with pytest.raises(Conflict) as exc:
        visit_check_in(assignment=alice_part, actor=pair.world.provider.alice, at=at(8, 0, date(2026, 3, 3)))
    assert exc.value.code == "visit_not_open"
    pair.visit.refresh_from_db()
    assert pair.visit.status == Visit.Status.DONE


def test_not_twice_and_out_only_after_in() -> None:
    d = make_planned_day(day=DAY)
    bob = d.world.provider.bob
    with pytest.raises(Conflict) as exc:
        visit_check_out(assignment=d.assignment, actor=bob, at=at(8, 0))
    assert exc.value.code == "not_checked_in"
    visit_check_in(assignment=d.assignment, actor=bob, at=at(8, 0))
    with pytest.raises(Conflict) as exc:
        visit_check_in(assignment=d.assignment, actor=bob, at=at(8, 2))
    assert exc.value.code == "already_checked_in"
    assert "already checked in to this visit at 08:00" in exc.value.message
    with pytest.raises(InvalidInput) as bad:
        visit_check_out(assignment=d.assignment, actor=bob, at=at(7, 59))
    assert bad.value.code == "out_before_in"
    visit_check_out(assignment=d.assignment, actor=bob, at=at(8, 30))
    with pytest.raises(Conflict) as exc:
        visit_check_out(assignment=d.assignment, actor=bob, at=at(8, 31))
    assert exc.value.code == "already_checked_out"
    assert TimelineEvent.objects.filter(customer=d.world.client, kind__startswith="visit_").count() == 2


def test_check_in_opens_an_hour_before_the_planned_start() -> None:
    d = make_planned_day(day=DAY)
    with pytest.raises(Conflict) as exc:
        visit_check_in(assignment=d.assignment, actor=d.world.provider.bob, at=at(6, 59))
    assert exc.value.code == "too_early"
    assert "opens at 07:00" in exc.value.message
    visit_check_in(assignment=d.assignment, actor=d.world.provider.bob, at=at(7, 0))


def test_a_time_in_the_future_is_refused() -> None:
    d = make_planned_day(day=DAY)
    with pytest.raises(InvalidInput) as exc:
        visit_check_in(assignment=d.assignment, actor=d.world.provider.bob, at=timezone.now() + timedelta(minutes=10))
    assert exc.value.code == "time_in_future"


def test_a_visit_counts_as_contact_for_the_continuity_checks() -> None:
    d = make_planned_day(day=DAY)
    agreements = ServiceAgreement.objects.annotate(last=last_contact_at())
    assert agreements.get(pk=d.world.agreement.pk).last is None
    visit_check_in(assignment=d.assignment, actor=d.world.provider.bob, at=at(8, 3))
    assert agreements.get(pk=d.world.agreement.pk).last == at(8, 3)


def test_a_late_arrival_after_a_missed_visit_resolves_the_alert() -> None:
    d = make_planned_day(day=DAY)
    missed_visits_sweep(at(9, 31))
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.MISSED
    alert = Alert.objects.get(kind=Alert.Kind.MISSED_VISIT)

    visit_check_in(assignment=d.assignment, actor=d.world.provider.bob, at=at(10, 12))
    d.visit.refresh_from_db()
    alert.refresh_from_db()
    assert d.visit.status == Visit.Status.IN_PROGRESS
    assert alert.status == Alert.Status.RESOLVED
    assert alert.resolution.startswith("Bob Baker arrived at 10:12, 2 h 12 min after the planned 08:00.")
    arrival = TimelineEvent.objects.get(customer=d.world.client, kind=TimelineEvent.Kind.VISIT_CHECKED_IN)
    assert arrival.summary == "Bob Baker arrived for your 08:00 visit (Help getting up) at 10:12, 2 h 12 min late."
    # The "did not happen" entry stays: the timeline is append-only.
    assert TimelineEvent.objects.filter(customer=d.world.client, kind=TimelineEvent.Kind.VISIT_MISSED).exists()


def test_an_arrival_after_the_grace_is_called_late_even_before_the_sweep() -> None:
    d = make_planned_day(day=DAY)
    visit_check_in(assignment=d.assignment, actor=d.world.provider.bob, at=at(8, 45))
    arrival = TimelineEvent.objects.get(customer=d.world.client, kind=TimelineEvent.Kind.VISIT_CHECKED_IN)
    assert arrival.summary == "Bob Baker arrived for your 08:00 visit (Help getting up) at 08:45, 45 min late."
