"""Moving one visit of a draft by hand: to another carer (or two), another time, or placing
an unplaced visit; the independent checker refuses what breaks a hard rule, in plain
words, and nothing changes; travel, order and the day's figures follow the move."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.care.models import Absence, Carer
from steward.care.tests.factories import make_carer, make_pattern
from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.organisations.tests.factories import make_staff
from steward.timeline.models import TimelineEvent
from steward.visits.adjust import draft_visit_move
from steward.visits.models import Schedule, Visit, VisitAssignment
from steward.visits.tests.factories import PlannedDay, local_instant, make_planned_day, make_visit

pytestmark = pytest.mark.django_db

FAR = (53.55, -2.35)  # about 10 km from the town: 25 minutes or so by car


def _tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def _draft_day(**kwargs: Any) -> PlannedDay:
    """Tomorrow's draft: Bob goes to Amina Khan at 08:00 (help getting up, 07:30-09:30 accepted)."""
    return make_planned_day(day=_tomorrow(), schedule_status=Schedule.Status.DRAFT, **kwargs)


def _at(pd: PlannedDay, hour: int, minute: int = 0) -> datetime:
    return local_instant(pd.day, time(hour, minute))


def _unchanged(pd: PlannedDay) -> None:
    pd.visit.refresh_from_db()
    assert pd.visit.planned_start == _at(pd, 8)
    assert [a.carer_id for a in pd.visit.assignments.all()] == [a.carer_id for a in [pd.assignment]]
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.VISIT_MOVED).exists()


def test_a_lead_gives_the_visit_to_another_carer_at_another_time() -> None:
    pd = _draft_day()
    lead = pd.world.provider.lead

    moved = draft_visit_move(visit=pd.visit, carers=[pd.alice], start=_at(pd, 8, 40), actor=lead)

    assert moved.planned_start == _at(pd, 8, 40)
    assert moved.minutes_outside_preferred == 10  # preferred 08:00-08:30
    (part,) = moved.assignments.all()
    assert part.carer == pd.alice and part.position == 1 and part.route_order == 1
    assert part.planned_start == _at(pd, 8, 40) and part.planned_end == _at(pd, 9, 10)
    assert part.travel_minutes == 0  # Alice starts in the town, where the client lives
    pd.schedule.refresh_from_db()
    figures = pd.schedule.summary["figures"]
    assert figures["in_preferred"] == 0 and figures["minutes_outside"] == 10
    assert pd.schedule.summary["routes"][str(pd.alice.pk)]["travel_minutes"] == 0
    assert pd.schedule.summary["metrics"]["minutes_outside"] == 10
    assert pd.schedule.summary["moved_by_hand"] == 1
    event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.VISIT_MOVED)
    assert event.customer == pd.world.client and event.actor == lead and event.is_internal
    day = pd.day
    assert event.summary == (
        f"Lena Lead changed help getting up on {day:%A} {day.day} {day:%B} in the draft plan: "
        "it was 08:00 with Bob Baker, now 08:40 with Alice Able."
    )
    assert event.data["before"] == {"start": "08:00", "carer_ids": [pd.bob.pk]}
    assert event.data["after"] == {"start": "08:40", "carer_ids": [pd.alice.pk]}


def test_an_unplaced_visit_is_placed_by_hand() -> None:
    pd = _draft_day()
    lunch = make_pattern(
        care=pd.care, label="Lunch", preferred=(time(12, 0), time(12, 30)), acceptable=(time(11, 30), time(13, 0))
    )
    unplaced = make_visit(schedule=pd.schedule, pattern=lunch, status=Visit.Status.UNPLACED)

    placed = draft_visit_move(visit=unplaced, carers=[pd.bob], start=_at(pd, 12, 15), actor=pd.world.provider.lead)

    assert placed.status == Visit.Status.PLANNED and placed.unplaced_reason == ""
    assert placed.minutes_outside_preferred == 0
    lunch_part = placed.assignments.get()
    morning_part = pd.assignment
    assert (morning_part.route_order, lunch_part.route_order) == (1, 2)
    assert lunch_part.travel_minutes == 0  # from the client's home to the client's home
    pd.schedule.refresh_from_db()
    assert pd.schedule.summary["figures"]["unplaced"] == 0


def test_moving_earlier_than_another_visit_reorders_the_carers_day_and_travel() -> None:
    pd = _draft_day()
    lunch = make_pattern(
        care=pd.care, label="Lunch", preferred=(time(11, 0), time(11, 30)), acceptable=(time(7, 0), time(13, 0))
    )
    lunch_visit = make_visit(schedule=pd.schedule, pattern=lunch, carers=[pd.bob], planned_start=time(11, 0))

    draft_visit_move(visit=lunch_visit, carers=[pd.bob], start=_at(pd, 7, 20), actor=pd.world.provider.lead)

    orders = dict(VisitAssignment.objects.filter(carer=pd.bob).values_list("visit_id", "route_order"))
    assert orders == {lunch_visit.pk: 1, pd.visit.pk: 2}
    travel = dict(VisitAssignment.objects.filter(carer=pd.bob).values_list("visit_id", "travel_minutes"))
    assert travel[pd.visit.pk] == 0  # now straight after the other visit at the same home
    assert travel[lunch_visit.pk] > 0  # from Bob's start place


def test_a_published_plan_is_not_changed_by_hand() -> None:
    pd = make_planned_day(day=_tomorrow())

    with pytest.raises(Conflict) as refused:
        draft_visit_move(visit=pd.visit, carers=[pd.alice], start=_at(pd, 8, 10), actor=pd.world.provider.lead)

    assert refused.value.code == "schedule_not_draft"
    assert "only a draft can be changed" in refused.value.message
    _unchanged(pd)


def test_a_start_outside_the_acceptable_window_is_refused_in_plain_words() -> None:
    pd = _draft_day()

    with pytest.raises(Conflict) as refused:
        draft_visit_move(visit=pd.visit, carers=[pd.bob], start=_at(pd, 10, 0), actor=pd.world.provider.lead)

    assert refused.value.code == "outside_acceptable_window"
    assert refused.value.message == (
        "10:00 is outside the times Amina Khan's help getting up may start: between 07:30 and 09:30."
    )
    _unchanged(pd)


def test_a_carer_without_the_skill_is_refused() -> None:
    pd = _draft_day()
    pd.pattern.skills.set([])
    hoist = make_pattern(care=pd.care, label="Hoist", skills=["hoist"], acceptable=(time(7, 0), time(14, 0)))
    visit = make_visit(schedule=pd.schedule, pattern=hoist, status=Visit.Status.UNPLACED)

    with pytest.raises(Conflict) as refused:
        draft_visit_move(visit=visit, carers=[pd.alice], start=_at(pd, 10), actor=pd.world.provider.lead)

    assert refused.value.code == "carer_lacks_skill"
    assert refused.value.message == "Alice Able does not have the skills Amina Khan's hoist needs: hoist."
    visit.refresh_from_db()
    assert visit.status == Visit.Status.UNPLACED


def test_a_carer_the_customer_excluded_is_refused() -> None:
    pd = _draft_day()
    pd.care.excluded_carers.add(pd.alice)

    with pytest.raises(Conflict) as refused:
        draft_visit_move(visit=pd.visit, carers=[pd.alice], start=_at(pd, 8), actor=pd.world.provider.lead)

    assert refused.value.code == "carer_excluded"
    assert refused.value.message == "Amina Khan asked not to be visited by Alice Able."
    _unchanged(pd)


def test_overlapping_another_visit_of_the_carer_is_refused_saying_where_they_are() -> None:
    pd = _draft_day()
    # Another client of ours, far away: Alice is there 08:00-08:45.
    other = make_pattern(care=_far_care(pd), label="Breakfast", duration_minutes=45)
    make_visit(schedule=pd.schedule, pattern=other, carers=[pd.alice], planned_start=time(8, 0))

    with pytest.raises(Conflict) as refused:
        draft_visit_move(visit=pd.visit, carers=[pd.alice], start=_at(pd, 8, 30), actor=pd.world.provider.lead)

    assert refused.value.code == "carer_busy"
    message = refused.value.message
    assert message.startswith("Alice Able is at Grace Green's breakfast at 08:00 until 08:45, and needs ")
    assert message.endswith(" minutes to get to Amina Khan's help getting up at 08:30.")
    assert refused.value.details and refused.value.details["problems"]
    _unchanged(pd)


def _far_care(pd: PlannedDay) -> Any:
    """A second customer of pd's provider, living far from the first."""
    from steward.agreements.services import agreement_start
    from steward.care.tests.factories import make_care_agreement
    from steward.customers.tests.factories import make_customer

    grace = make_customer(organisation=pd.world.council.org, given_name="Grace", family_name="Green")
    agreement = agreement_start(
        customer=grace,
        team=pd.world.provider.team,
        coordinator=pd.world.provider.alice,
        service="Home care",
        commissioner=pd.world.council.org,
        contact_interval_days=7,
        started_at=timezone.now() - timedelta(days=3),
        actor=pd.world.council.lead,
    )
    return make_care_agreement(agreement=agreement, place=FAR, address="3 Far Lane")


def test_the_same_carer_twice_for_a_double_handed_visit_is_refused() -> None:
    pd = _draft_day(carers_needed=2)

    with pytest.raises(InvalidInput) as refused:
        draft_visit_move(visit=pd.visit, carers=[pd.alice, pd.alice], start=_at(pd, 8), actor=pd.world.provider.lead)

    assert refused.value.code == "same_carer_twice"


def test_the_number_of_carers_must_be_what_the_visit_needs() -> None:
    pd = _draft_day(carers_needed=2)
    with pytest.raises(InvalidInput) as refused:
        draft_visit_move(visit=pd.visit, carers=[pd.alice], start=_at(pd, 8), actor=pd.world.provider.lead)
    assert refused.value.code == "wrong_number_of_carers"

    moved = draft_visit_move(
        visit=pd.visit, carers=[pd.alice, pd.bob], start=_at(pd, 8, 5), actor=pd.world.provider.lead
    )

    assert [a.carer for a in moved.assignments.order_by("position")] == [pd.alice, pd.bob]
    assert {a.planned_start for a in moved.assignments.all()} == {_at(pd, 8, 5)}


def test_a_carer_not_working_that_day_is_refused() -> None:
    pd = _draft_day()
    Absence.objects.create(carer=pd.alice, starts_on=pd.day, ends_on=pd.day, reason="Leave")

    with pytest.raises(Conflict) as refused:
        draft_visit_move(visit=pd.visit, carers=[pd.alice], start=_at(pd, 8), actor=pd.world.provider.lead)

    assert refused.value.code == "carer_not_working"
    assert refused.value.message.startswith("Alice Able is not working on ")
    _unchanged(pd)


def test_after_the_end_of_the_carers_shift_is_refused() -> None:
    pd = _draft_day()
    late = make_pattern(
        care=pd.care, label="Tea", acceptable=(time(14, 0), time(18, 0)), preferred=(time(16, 0), time(16, 30))
    )
    visit = make_visit(schedule=pd.schedule, pattern=late, status=Visit.Status.UNPLACED)

    with pytest.raises(Conflict) as refused:
        draft_visit_move(visit=visit, carers=[pd.bob], start=_at(pd, 16), actor=pd.world.provider.lead)

    assert refused.value.code == "outside_shift"
    assert "after their shift ends at 15:00" in refused.value.message


def test_staff_of_another_organisation_and_non_planners_are_refused() -> None:
    pd = _draft_day()
    stranger = make_care_world().provider.lead

    with pytest.raises(PermissionDenied):
        draft_visit_move(visit=pd.visit, carers=[pd.alice], start=_at(pd, 8), actor=stranger)
    with pytest.raises(PermissionDenied):
        draft_visit_move(visit=pd.visit, carers=[pd.alice], start=_at(pd, 8), actor=pd.world.provider.bob)
    _unchanged(pd)


def test_a_carer_of_another_organisation_is_not_found() -> None:
    pd = _draft_day()
    theirs = make_carer(staff=make_staff(organisation=make_care_world().provider.org))

    with pytest.raises(NotFound):
        draft_visit_move(visit=pd.visit, carers=[theirs], start=_at(pd, 8), actor=pd.world.provider.lead)
    _unchanged(pd)


def test_a_visit_under_way_is_not_moved() -> None:
    pd = _draft_day()
    Visit.objects.filter(pk=pd.visit.pk).update(status=Visit.Status.IN_PROGRESS)

    with pytest.raises(Conflict) as refused:
        draft_visit_move(visit=pd.visit, carers=[pd.alice], start=_at(pd, 8), actor=pd.world.provider.lead)

    assert refused.value.code == "visit_not_movable"


def test_a_start_on_another_day_is_refused() -> None:
    pd = _draft_day()

    with pytest.raises(InvalidInput) as refused:
        draft_visit_move(
            visit=pd.visit, carers=[pd.bob], start=_at(pd, 8) + timedelta(days=1), actor=pd.world.provider.lead
        )

    assert refused.value.code == "start_not_on_day"


def test_a_problem_elsewhere_in_the_draft_does_not_block_a_move() -> None:
    pd = _draft_day()
    hana = make_carer(staff=pd.world.provider.head)
    other = make_pattern(
        care=pd.care, label="Lunch", preferred=(time(12, 0), time(12, 30)), acceptable=(time(11, 0), time(13, 0))
    )
    make_visit(schedule=pd.schedule, pattern=other, carers=[hana], planned_start=time(12, 0))
    Absence.objects.create(carer=hana, starts_on=pd.day, ends_on=pd.day, reason="Off sick since the plan was made")

    moved = draft_visit_move(visit=pd.visit, carers=[pd.alice], start=_at(pd, 8), actor=pd.world.provider.lead)

    assert moved.assignments.get().carer == pd.alice
    assert isinstance(hana, Carer)


def test_a_move_that_leaves_no_room_for_the_carers_break_is_refused_and_the_break_follows_one_that_does() -> None:
    pd = _draft_day()
    hana = make_carer(staff=pd.world.provider.head, break_minutes=150)  # 150 minutes starting 11:00-13:00
    lunch = make_pattern(
        care=pd.care, label="Lunch", preferred=(time(12, 0), time(12, 30)), acceptable=(time(11, 30), time(13, 0))
    )
    visit = make_visit(schedule=pd.schedule, pattern=lunch, status=Visit.Status.UNPLACED)

    with pytest.raises(Conflict) as refused:
        draft_visit_move(visit=visit, carers=[hana], start=_at(pd, 12, 15), actor=pd.world.provider.lead)
    assert refused.value.code == "break_does_not_fit"
    assert refused.value.message == (
        "Hana Head's 150-minute break starting between 11:00 and 13:00 would no longer fit between their visits."
    )

    draft_visit_move(visit=visit, carers=[hana], start=_at(pd, 11, 30), actor=pd.world.provider.lead)

    pd.schedule.refresh_from_db()
    assert pd.schedule.summary["routes"][str(hana.pk)]["break_start"] == 12 * 60


def test_after_moves_the_saved_draft_is_a_valid_plan_whose_travel_is_what_was_saved() -> None:
    from steward.scheduling.care_check import check_care_plan
    from steward.visits.adjust import _draft_of, _plan
    from steward.visits.problem_build import build_care_problem, visit_key
    from steward.visits.selectors import schedule_visits

    pd = _draft_day()
    grace = _far_care(pd)
    breakfast = make_pattern(care=grace, label="Breakfast", acceptable=(time(7, 0), time(10, 0)))
    lunch = make_pattern(
        care=pd.care, label="Lunch", preferred=(time(12, 0), time(12, 30)), acceptable=(time(11, 0), time(13, 0))
    )
    make_visit(schedule=pd.schedule, pattern=breakfast, status=Visit.Status.UNPLACED)
    make_visit(schedule=pd.schedule, pattern=lunch, carers=[pd.bob], planned_start=time(12, 0))
    lead = pd.world.provider.lead
    visits = {v.pattern_id: v for v in schedule_visits(schedule=pd.schedule)}

    draft_visit_move(visit=visits[breakfast.pk], carers=[pd.bob], start=_at(pd, 9), actor=lead)
    draft_visit_move(visit=visits[pd.pattern.pk], carers=[pd.alice], start=_at(pd, 8), actor=lead)
    draft_visit_move(visit=visits[lunch.pk], carers=[pd.alice], start=_at(pd, 11, 30), actor=lead)

    pd.schedule.refresh_from_db()
    built = build_care_problem(organisation=pd.world.provider.org, day=pd.day)
    saved = schedule_visits(schedule=pd.schedule)
    plan = _plan(built.problem, _draft_of(pd.schedule, saved))
    assert check_care_plan(built.problem, plan) == []
    travel = {(p.key, part.carer): part.travel_before for p in plan.visits for part in p.parts}
    for visit in saved:
        for part in visit.assignments.all():
            assert part.travel_minutes == travel[(visit_key(visit.pattern_id, pd.day), part.carer_id)]
    assert pd.schedule.summary["figures"]["unplaced"] == 0
    assert pd.schedule.summary["moved_by_hand"] == 3
