"""Building a day's care problem from the database: who works, which visits are due, who
usually comes, and in a number of queries that does not grow with the organisation."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from steward.agreements.services import agreement_end
from steward.alerts.tests.factories import make_care_world
from steward.care.models import Absence, CareAgreement, Carer
from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern
from steward.customers.tests.factories import make_customer
from steward.organisations.models import Organisation
from steward.organisations.tests.factories import make_staff
from steward.scheduling.care_problem import Sync
from steward.visits.models import Schedule, ScheduleRun
from steward.visits.problem_build import build_care_problem, visit_key
from steward.visits.tests.factories import make_schedule, make_visit

pytestmark = pytest.mark.django_db

MONDAY = date(2030, 1, 7)


def flat_travel(organisation: Organisation, places: list[tuple[float, float]], profile: str) -> list[list[int]]:
    """Ten minutes between any two different places (five on foot is not the point here)."""
    return [[0 if i == j else 10 for j in range(len(places))] for i in range(len(places))]


def _world():  # type: ignore[no-untyped-def]
    world = make_care_world()
    care = make_care_agreement(agreement=world.agreement, place=(53.5, -2.2))
    return world, care


def test_a_carer_on_shift_and_a_due_visit_become_the_problem() -> None:
    world, care = _world()
    alice = make_carer(
        staff=world.provider.alice,
        skills=["medication"],
        shift=(time(7, 0), time(15, 0)),
        break_minutes=30,
        travel_mode=Carer.TravelMode.WALK,
        contracted_minutes_per_day=360,
    )
    pattern = make_pattern(care=care, skills=["medication"], carers_needed=2, sync=Sync.SEQUENTIAL, gap_max_minutes=20)

    built = build_care_problem(organisation=world.provider.org, day=MONDAY, travel_matrix=flat_travel)

    (carer,) = built.problem.carers
    assert (carer.id, carer.shift_start, carer.shift_end) == (alice.pk, 7 * 60, 15 * 60)
    assert carer.skills == {"medication"}
    assert (carer.break_minutes, carer.break_earliest, carer.break_latest) == (30, 11 * 60, 13 * 60)
    assert carer.travel_profile == "walk" and carer.contracted_minutes == 360
    assert carer.name == "Alice Able"
    (need,) = built.problem.visits
    assert need.key == visit_key(pattern.pk, MONDAY)
    assert need.preferred == (8 * 60, 8 * 60 + 30) and need.acceptable == (7 * 60 + 30, 9 * 60 + 30)
    assert need.skills == {"medication"} and need.carers_needed == 2
    assert need.sync == Sync.SEQUENTIAL and need.gap == (0, 20)
    assert need.customer == world.client.pk
    assert need.place != carer.place
    assert set(built.problem.travel) == {"walk"}
    assert built.problem.travel["walk"][carer.place][need.place] == 10
    assert built.patterns[need.key] == pattern
    assert built.carers[alice.pk] == alice
    assert built.instant(8 * 60).hour == 8


def test_absent_inactive_and_off_shift_carers_are_left_out() -> None:
    world, care = _world()
    make_pattern(care=care)
    on_leave = make_carer(staff=world.provider.alice)
    Absence.objects.create(carer=on_leave, starts_on=MONDAY - timedelta(days=2), ends_on=MONDAY)
    make_carer(staff=world.provider.bob, weekdays=[1, 2])  # works Tuesdays and Wednesdays
    make_carer(staff=world.provider.lead, is_active=False)
    working = make_carer(staff=world.provider.head)

    built = build_care_problem(organisation=world.provider.org, day=MONDAY, travel_matrix=flat_travel)

    assert [c.id for c in built.problem.carers] == [working.pk]


def test_only_patterns_due_that_day_under_an_active_service_are_visits() -> None:
    world, care = _world()
    due = make_pattern(care=care, label="Getting up")
    make_pattern(care=care, label="Tuesdays only", weekdays=[1])
    make_pattern(care=care, label="Stopped", is_active=False)
    make_pattern(care=care, label="Not yet", valid_from=MONDAY + timedelta(days=1))
    make_pattern(care=care, label="Over", valid_until=MONDAY - timedelta(days=1))
    make_pattern(care=care, label="Last day", valid_until=MONDAY)
    # Another customer whose service with this provider has ended.
    other = make_care_world()
    ended_care = make_care_agreement(agreement=other.agreement)
    make_pattern(care=ended_care, label="Ended service")
    agreement_end(agreement=other.agreement, reason="Moved away", actor=other.provider.head)

    built = build_care_problem(organisation=world.provider.org, day=MONDAY, travel_matrix=flat_travel)

    assert sorted(v.label for v in built.problem.visits) == ["Getting up", "Last day"]
    assert built.patterns[visit_key(due.pk, MONDAY)] == due


def test_usual_carers_come_from_who_did_this_visit_most_in_the_last_four_weeks() -> None:
    world, care = _world()
    alice = make_carer(staff=world.provider.alice)
    bob = make_carer(staff=world.provider.bob)
    lena = make_carer(staff=world.provider.lead)
    pattern = make_pattern(care=care)
    other_pattern = make_pattern(
        care=care, label="Lunch", preferred=(time(12, 0), time(12, 30)), acceptable=(time(11, 30), time(13, 0))
    )
    org = world.provider.org
    for days_before, carer in [(1, bob), (2, bob), (3, alice), (4, bob), (5, alice), (6, lena)]:
        schedule = make_schedule(organisation=org, day=MONDAY - timedelta(days=days_before))
        make_visit(schedule=schedule, pattern=pattern, carers=[carer])
    # A draft and a day beyond four weeks do not count.
    draft = make_schedule(organisation=org, day=MONDAY - timedelta(days=1), status=Schedule.Status.DRAFT)
    make_visit(schedule=draft, pattern=pattern, carers=[lena])
    old = make_schedule(organisation=org, day=MONDAY - timedelta(days=40))
    for _ in range(5):
        make_visit(schedule=old, pattern=pattern, carers=[lena])

    built = build_care_problem(organisation=org, day=MONDAY, travel_matrix=flat_travel)

    needs = {v.key: v for v in built.problem.visits}
    assert needs[visit_key(pattern.pk, MONDAY)].usual_carers == (bob.pk, alice.pk)
    # The lunch visit has no history of its own: the customer's carers stand in.
    assert needs[visit_key(other_pattern.pk, MONDAY)].usual_carers == (bob.pk, alice.pk)


def test_a_run_of_several_days_counts_its_own_drafts_of_the_days_before() -> None:
    """Planning a week in one go: Tuesday's usual carer is who Monday's draft sends, not
    nobody; another run's draft still does not count."""
    world, care = _world()
    alice = make_carer(staff=world.provider.alice)
    bob = make_carer(staff=world.provider.bob)
    pattern = make_pattern(care=care)
    org = world.provider.org
    run = ScheduleRun.objects.create(organisation=org, first_day=MONDAY, last_day=MONDAY + timedelta(days=1))
    other_run = ScheduleRun.objects.create(organisation=org, first_day=MONDAY, last_day=MONDAY)
    make_visit(
        schedule=make_schedule(organisation=org, day=MONDAY, status=Schedule.Status.DRAFT, run=run),
        pattern=pattern,
        carers=[alice],
    )
    for _ in range(3):
        make_visit(
            schedule=make_schedule(organisation=org, day=MONDAY, status=Schedule.Status.DRAFT, run=other_run),
            pattern=pattern,
            carers=[bob],
        )
    tuesday = MONDAY + timedelta(days=1)

    in_run = build_care_problem(organisation=org, day=tuesday, travel_matrix=flat_travel, run=run)
    alone = build_care_problem(organisation=org, day=tuesday, travel_matrix=flat_travel)

    assert in_run.problem.visits[0].usual_carers == (alice.pk,)
    assert alone.problem.visits[0].usual_carers == ()


def test_without_history_the_preferred_carers_are_the_usual_ones_and_exclusions_carry() -> None:
    world, care = _world()
    alice = make_carer(staff=world.provider.alice)
    bob = make_carer(staff=world.provider.bob)
    care.preferred_carers.set([alice])
    care.excluded_carers.set([bob])
    make_pattern(care=care)

    built = build_care_problem(organisation=world.provider.org, day=MONDAY, travel_matrix=flat_travel)

    (need,) = built.problem.visits
    assert need.usual_carers == (alice.pk,)
    assert need.preferred_carers == {alice.pk}
    assert need.excluded_carers == {bob.pk}


def test_another_organisations_carers_and_customers_stay_out() -> None:
    world, care = _world()
    make_pattern(care=care)
    other = make_care_world()
    make_carer(staff=other.provider.alice)
    make_pattern(care=make_care_agreement(agreement=other.agreement))

    built = build_care_problem(organisation=world.provider.org, day=MONDAY, travel_matrix=flat_travel)

    assert built.problem.carers == ()
    assert len(built.problem.visits) == 1


def test_the_number_of_queries_does_not_grow_with_carers_and_customers(django_assert_max_num_queries) -> None:
    world, _care = _world()
    org = world.provider.org
    team = world.provider.team
    carers = [make_carer(staff=make_staff(team=team, first_name=f"Carer{i}"), skills=["hoist"]) for i in range(6)]
    for i in range(6):
        customer = make_customer(organisation=org)
        agreement = world.agreement.__class__.objects.create(
            customer=customer,
            provider=org,
            team=team,
            coordinator=world.provider.alice,
            service="Home care",
            started_at=world.agreement.started_at,
        )
        extra = make_care_agreement(agreement=agreement, place=(53.4 + i / 100, -2.2))
        extra.preferred_carers.set(carers[:2])
        extra.excluded_carers.set(carers[5:])
        make_pattern(care=extra, skills=["hoist"])
        make_pattern(
            care=extra, label="Bed", preferred=(time(20, 0), time(20, 30)), acceptable=(time(19, 0), time(21, 0))
        )
        schedule = make_schedule(organisation=org, day=MONDAY - timedelta(days=1 + i))
        make_visit(schedule=schedule, pattern=extra.patterns.first(), carers=[carers[i]])
    assert CareAgreement.objects.filter(provider=org).count() == 7

    with django_assert_max_num_queries(9):
        built = build_care_problem(organisation=org, day=MONDAY, travel_matrix=flat_travel)

    assert len(built.problem.carers) == 6
    assert len(built.problem.visits) == 12
