"""The missed-visits sweep: when a visit counts as missed, who is told, and that it is told once."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.core.management import call_command
from django.test import override_settings

from steward.alerts.models import Alert
from steward.notifications.models import Notification
from steward.organisations.models import StaffMember
from steward.requests.management.commands.sweep import sweep_all
from steward.timeline.models import TimelineEvent
from steward.visits.attendance import visit_check_in, visit_check_out
from steward.visits.missed import missed_visits_sweep, parts_missing_at, visit_deadline, visits_missed_at
from steward.visits.models import Schedule, Visit
from steward.visits.tests.factories import PlannedDay, local_instant, make_planned_day, make_visit

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def at(hh: int, mm: int = 0) -> datetime:
    return local_instant(DAY, time(hh, mm))


def test_the_deadline_is_the_grace_or_the_preferred_window_but_never_past_the_acceptable_one() -> None:
    d = make_planned_day(day=DAY)  # planned 08:00; preferred 08:00-08:30; acceptable 07:30-09:30
    assert visit_deadline(d.visit) == at(8, 30)  # grace (30) and preferred end agree
    late = make_visit(schedule=d.schedule, pattern=d.pattern, carers=[d.alice], planned_start=time(9, 20))
    assert visit_deadline(late) == at(9, 30)  # grace would run to 09:50: the acceptable window ends first
    early = make_visit(schedule=d.schedule, pattern=d.pattern, carers=[d.alice], planned_start=time(7, 30))
    assert visit_deadline(early) == at(8, 30)  # grace ends 08:00, but the customer prefers up to 08:30
    with override_settings(STEWARD_VISIT_GRACE_MINUTES=45):
        assert visit_deadline(d.visit) == at(8, 45)
    # The one query agrees with the rule.
    assert list(visits_missed_at(at(8, 29))) == []
    assert list(visits_missed_at(at(8, 30))) == [early, d.visit]
    assert list(visits_missed_at(at(9, 30))) == [early, d.visit, late]


def test_a_missed_visit_alerts_the_coordinator_and_tells_the_customer() -> None:
    d = make_planned_day(day=DAY)
    alice = d.world.provider.alice

    report = missed_visits_sweep(at(8, 30))

    assert report.missed == 1 and report.problems == []
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.MISSED
    alert = Alert.objects.get(kind=Alert.Kind.MISSED_VISIT)
    assert d.visit.missed_alert == alert
    assert alert.assigned_to == alice and alert.customer == d.world.client
    assert alert.subject == f"visit:{d.visit.pk}"
    assert alert.title == "Visit missed: Amina Khan, Mon 02 Mar 08:00 (Help getting up)"
    assert "Bob Baker was planned to go" in alert.detail
    assert Notification.objects.filter(recipient=alice, kind=Notification.Kind.ALERT_RAISED).count() == 1
    missed = TimelineEvent.objects.get(customer=d.world.client, kind=TimelineEvent.Kind.VISIT_MISSED)
    assert missed.summary == (
        "Your 08:00 visit (Help getting up) did not happen. "
        "Alice Able (coordinator) has been told and will be in touch."
    )
    assert not missed.is_internal and missed.organisation == d.world.provider.org
    staff_only = TimelineEvent.objects.get(customer=d.world.client, kind=TimelineEvent.Kind.ALERT_RAISED)
    assert staff_only.is_internal


def test_sweeping_again_changes_nothing() -> None:
    d = make_planned_day(day=DAY)
    missed_visits_sweep(at(8, 30))
    again = missed_visits_sweep(at(8, 31))
    assert again.missed == 0
    assert Alert.objects.filter(kind=Alert.Kind.MISSED_VISIT).count() == 1
    assert TimelineEvent.objects.filter(customer=d.world.client, kind=TimelineEvent.Kind.VISIT_MISSED).count() == 1


def test_a_visit_someone_checked_in_to_is_not_missed() -> None:
    d = make_planned_day(day=DAY, carers_needed=2)
    bob_part = d.visit.assignments.get(position=1)
    visit_check_in(assignment=bob_part, actor=d.world.provider.bob, at=at(8, 10))
    assert missed_visits_sweep(at(12, 0)).missed == 0
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.IN_PROGRESS


def test_only_published_plans_and_planned_visits_count() -> None:
    draft = make_planned_day(day=DAY, schedule_status=Schedule.Status.DRAFT)
    replaced = make_planned_day(day=DAY, schedule_status=Schedule.Status.SUPERSEDED)
    d = make_planned_day(day=DAY)
    make_visit(schedule=d.schedule, pattern=d.pattern, status=Visit.Status.UNPLACED)
    make_visit(schedule=d.schedule, pattern=d.pattern, carers=[d.alice], status=Visit.Status.CANCELLED)
    assert missed_visits_sweep(at(12, 0)).missed == 1
    assert Visit.objects.get(status=Visit.Status.MISSED) == d.visit
    for other in (draft, replaced):
        other.visit.refresh_from_db()
        assert other.visit.status == Visit.Status.PLANNED


def test_the_team_lead_is_told_when_the_coordinator_has_left() -> None:
    d = make_planned_day(day=DAY)
    # Deactivated behind the services' back (the continuity sweep repairs the agreement).
    StaffMember.objects.filter(pk=d.world.provider.alice.pk).update(is_active=False)
    missed_visits_sweep(at(8, 30))
    alert = Alert.objects.get(kind=Alert.Kind.MISSED_VISIT)
    assert alert.assigned_to == d.world.provider.lead
    missed = TimelineEvent.objects.get(customer=d.world.client, kind=TimelineEvent.Kind.VISIT_MISSED)
    assert "Lena Lead (team lead) has been told" in missed.summary


def test_with_nobody_to_tell_the_visit_stays_planned_and_the_sweep_says_so() -> None:
    d = make_planned_day(day=DAY)
    StaffMember.objects.filter(organisation=d.world.provider.org).update(is_active=False)
    report = missed_visits_sweep(at(8, 30))
    assert report.missed == 0 and len(report.problems) == 1
    assert "nobody at" in report.problems[0]
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.PLANNED


def test_the_worker_sweep_runs_it(capsys: pytest.CaptureFixture[str]) -> None:
    make_planned_day(day=DAY)
    results = sweep_all(at=at(8, 30))
    assert results.missed_visits.missed == 1
    call_command("sweep", "--at", at(8, 31).isoformat())
    printed = capsys.readouterr().out
    assert "visits missed (nobody checked in):  0" in printed
    assert "second carers missing:              0" in printed


def test_finding_the_missed_visits_is_one_query(django_assert_num_queries: object) -> None:
    d = make_planned_day(day=DAY)
    for hour in (9, 10, 11):
        make_visit(schedule=d.schedule, pattern=d.pattern, carers=[d.alice], planned_start=time(hour, 0))
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert len(list(visits_missed_at(at(13, 0)).values_list("pk", flat=True))) == 4


def _begun_by_bob_alone() -> PlannedDay:
    """A hoist visit for two at 08:00 (Bob and Alice); Bob checked in at 08:05."""
    d = make_planned_day(day=DAY, carers_needed=2)
    visit_check_in(assignment=d.visit.assignments.get(position=1), actor=d.world.provider.bob, at=at(8, 5))
    return d


def test_a_carer_who_does_not_come_to_a_visit_for_two_is_reported_once() -> None:
    d = _begun_by_bob_alone()
    alice_part = d.visit.assignments.get(position=2)

    assert missed_visits_sweep(at(8, 29)).parts_missing == 0  # still within the grace
    report = missed_visits_sweep(at(8, 30))

    assert (report.missed, report.parts_missing, report.problems) == (0, 1, [])
    alert = Alert.objects.get(kind=Alert.Kind.MISSED_VISIT)
    assert alert.subject == f"visit:{d.visit.pk}:carer:2"
    assert alert.assigned_to == d.world.provider.alice  # the coordinator, as for a missed visit
    assert alert.title == "Carer missing: Alice Able at Amina Khan, Mon 02 Mar 08:00 (Help getting up)"
    assert "Bob Baker checked in" in alert.detail and "must not be done by one alone" in alert.detail
    alice_part.refresh_from_db()
    assert alice_part.missed_alert == alert
    told = TimelineEvent.objects.get(customer=d.world.client, kind=TimelineEvent.Kind.VISIT_MISSED)
    assert told.summary.startswith("Your visit (Help getting up) needs two carers and Alice Able has not arrived")
    assert not told.is_internal
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.IN_PROGRESS  # Bob is there: the visit itself goes on

    again = missed_visits_sweep(at(9, 30))
    assert again.parts_missing == 0
    assert Alert.objects.filter(kind=Alert.Kind.MISSED_VISIT).count() == 1
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.VISIT_MISSED).count() == 1


def test_the_missing_carer_arriving_late_resolves_the_alert() -> None:
    d = _begun_by_bob_alone()
    missed_visits_sweep(at(8, 30))
    alice_part = d.visit.assignments.get(position=2)

    visit_check_in(assignment=alice_part, actor=d.world.provider.alice, at=at(8, 50))

    alert = Alert.objects.get(kind=Alert.Kind.MISSED_VISIT)
    assert alert.status == Alert.Status.RESOLVED
    assert alert.resolution.startswith("Alice Able arrived at 08:50, 50 min after the planned 08:00.")


def test_once_the_missing_carer_is_reported_the_visit_ends_when_the_one_who_came_leaves() -> None:
    d = _begun_by_bob_alone()
    missed_visits_sweep(at(8, 30))
    bob = d.world.provider.bob

    visit_check_out(assignment=d.visit.assignments.get(position=1), actor=bob, at=at(8, 50))

    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.DONE  # not "carer there now" with nobody there
    left = TimelineEvent.objects.get(customer=d.world.client, kind=TimelineEvent.Kind.VISIT_CHECKED_OUT)
    assert left.summary.endswith("The visit is over without Alice Able, who did not come.")
    alert = Alert.objects.get(kind=Alert.Kind.MISSED_VISIT)
    assert alert.status == Alert.Status.OPEN  # the named person still has to follow it up


def test_leaving_before_the_missing_carer_is_reported_keeps_the_visit_open_until_the_report() -> None:
    d = _begun_by_bob_alone()
    visit_check_out(assignment=d.visit.assignments.get(position=1), actor=d.world.provider.bob, at=at(8, 20))
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.IN_PROGRESS  # Alice is still due: within the grace
    left = TimelineEvent.objects.get(customer=d.world.client, kind=TimelineEvent.Kind.VISIT_CHECKED_OUT)
    assert "visit is over" not in left.summary

    report = missed_visits_sweep(at(8, 30))

    assert report.parts_missing == 1
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.DONE
    told = TimelineEvent.objects.get(customer=d.world.client, kind=TimelineEvent.Kind.VISIT_MISSED)
    assert "Bob Baker has left since, so the visit is over." in told.summary
    assert missed_visits_sweep(at(9, 0)).changes == 0


def test_the_missing_carer_coming_after_the_visit_ended_opens_it_again() -> None:
    d = _begun_by_bob_alone()
    missed_visits_sweep(at(8, 30))
    visit_check_out(assignment=d.visit.assignments.get(position=1), actor=d.world.provider.bob, at=at(8, 50))
    alice_part = d.visit.assignments.get(position=2)

    visit_check_in(assignment=alice_part, actor=d.world.provider.alice, at=at(9, 0))

    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.IN_PROGRESS
    assert Alert.objects.get(kind=Alert.Kind.MISSED_VISIT).status == Alert.Status.RESOLVED
    visit_check_out(assignment=alice_part, actor=d.world.provider.alice, at=at(9, 30))
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.DONE


def test_a_visit_for_two_is_not_over_while_the_second_carer_is_there() -> None:
    d = _begun_by_bob_alone()
    alice_part = d.visit.assignments.get(position=2)
    visit_check_in(assignment=alice_part, actor=d.world.provider.alice, at=at(8, 10))
    visit_check_out(assignment=d.visit.assignments.get(position=1), actor=d.world.provider.bob, at=at(8, 40))
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.IN_PROGRESS
    visit_check_out(assignment=alice_part, actor=d.world.provider.alice, at=at(8, 45))
    d.visit.refresh_from_db()
    assert d.visit.status == Visit.Status.DONE
    assert not TimelineEvent.objects.filter(summary__contains="visit is over").exists()


def test_when_both_carers_came_nothing_is_reported() -> None:
    d = _begun_by_bob_alone()
    visit_check_in(assignment=d.visit.assignments.get(position=2), actor=d.world.provider.alice, at=at(8, 10))
    report = missed_visits_sweep(at(12, 0))
    assert (report.missed, report.parts_missing) == (0, 0)
    assert not Alert.objects.filter(kind=Alert.Kind.MISSED_VISIT).exists()


def test_finding_the_missing_carers_is_one_query(django_assert_num_queries: object) -> None:
    _begun_by_bob_alone()
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert len(list(parts_missing_at(at(9, 0)).values_list("pk", flat=True))) == 1
