"""Swapping the carers of two visits of a draft: what a planner does when two carers
should trade calls, which no single move can do. Both change at once or neither does;
each customer's timeline says what happened to their visit, without naming the other."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_carer, make_pattern
from steward.errors import Conflict, InvalidInput, PermissionDenied
from steward.organisations.tests.factories import make_staff
from steward.timeline.models import TimelineEvent
from steward.visits.adjust import draft_visit_move, draft_visits_swap
from steward.visits.models import Schedule, Visit
from steward.visits.tests.factories import PlannedDay, local_instant, make_planned_day, make_schedule, make_visit
from steward.visits.tests.test_move import _far_care

pytestmark = pytest.mark.django_db


def _tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def _at(pd: PlannedDay, hour: int, minute: int = 0) -> datetime:
    return local_instant(pd.day, time(hour, minute))


def _two_calls(**kwargs: object) -> tuple[PlannedDay, Visit]:
    """Tomorrow's draft: Bob goes to Amina Khan at 08:00 and Alice to Grace Green, far
    away, at 08:00 too."""
    pd = make_planned_day(day=_tomorrow(), schedule_status=Schedule.Status.DRAFT, **kwargs)
    breakfast = make_pattern(care=_far_care(pd), label="Breakfast")
    grace = make_visit(schedule=pd.schedule, pattern=breakfast, carers=[pd.alice], planned_start=time(8, 0))
    return pd, grace


def _carers(visit: Visit) -> list[int]:
    return [a.carer_id for a in visit.assignments.order_by("position")]


def _unchanged(pd: PlannedDay, grace: Visit) -> None:
    assert _carers(pd.visit) == [pd.bob.pk]
    assert _carers(grace) == [pd.alice.pk]
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.VISIT_MOVED).exists()


def test_two_carers_trade_calls_that_no_single_move_could_give_them() -> None:
    pd, grace = _two_calls()
    lead = pd.world.provider.lead
    # One move alone is refused: Alice is busy at Grace's until both change at once.
    with pytest.raises(Conflict) as refused:
        draft_visit_move(visit=pd.visit, carers=[pd.alice], start=_at(pd, 8), actor=lead)
    assert refused.value.code == "carer_busy"

    amina, graces = draft_visits_swap(visit=pd.visit, other=grace, actor=lead)

    assert _carers(amina) == [pd.alice.pk] and _carers(graces) == [pd.bob.pk]
    assert amina.planned_start == _at(pd, 8) and graces.planned_start == _at(pd, 8)  # times kept
    alice_part = amina.assignments.get()
    assert alice_part.travel_minutes == 0  # Alice starts in the town, where Amina lives
    bob_part = graces.assignments.get()
    assert bob_part.travel_minutes > 0 and bob_part.route_order == 1
    pd.schedule.refresh_from_db()
    assert pd.schedule.summary["moved_by_hand"] == 2
    routes = pd.schedule.summary["routes"]
    assert routes[str(pd.alice.pk)]["travel_minutes"] == 0
    assert routes[str(pd.bob.pk)]["travel_minutes"] > 0
    events = {e.customer_id: e for e in TimelineEvent.objects.filter(kind=TimelineEvent.Kind.VISIT_MOVED)}
    day = pd.day
    on_aminas = events[pd.world.client.pk]
    assert on_aminas.is_internal and on_aminas.actor == lead
    assert on_aminas.summary == (
        f"Lena Lead swapped carers with another visit for help getting up on {day:%A} {day.day} {day:%B} "
        "in the draft plan: it was 08:00 with Bob Baker, now 08:00 with Alice Able."
    )
    assert on_aminas.data["swapped_with_visit_id"] == grace.pk
    assert "Grace" not in on_aminas.summary  # another customer's name stays off this record
    on_graces = events[grace.customer_id]
    assert "Amina" not in on_graces.summary and on_graces.summary.endswith("now 08:00 with Bob Baker.")


def test_double_handed_visits_trade_both_carers_in_order() -> None:
    pd = make_planned_day(day=_tomorrow(), schedule_status=Schedule.Status.DRAFT, carers_needed=2)
    staff = pd.world.provider
    carol = make_carer(staff=make_staff(team=staff.team, first_name="Carol", last_name="Cole"))
    dan = make_carer(staff=make_staff(team=staff.team, first_name="Dan", last_name="Dunn"))
    lunch = make_pattern(
        care=pd.care,
        label="Lunch",
        carers_needed=2,
        preferred=(time(12, 0), time(12, 30)),
        acceptable=(time(11, 30), time(13, 0)),
    )
    midday = make_visit(schedule=pd.schedule, pattern=lunch, carers=[carol, dan], planned_start=time(12, 0))

    morning, lunchtime = draft_visits_swap(visit=pd.visit, other=midday, actor=staff.lead)

    assert _carers(morning) == [carol.pk, dan.pk]
    assert _carers(lunchtime) == [pd.bob.pk, pd.alice.pk]
    assert morning.planned_start == _at(pd, 8) and lunchtime.planned_start == _at(pd, 12)


def test_a_swap_that_breaks_a_rule_changes_neither_visit() -> None:
    pd, grace = _two_calls()
    grace.care_agreement.excluded_carers.add(pd.bob)

    with pytest.raises(Conflict) as refused:
        draft_visits_swap(visit=pd.visit, other=grace, actor=pd.world.provider.lead)

    assert refused.value.code == "carer_excluded"
    assert refused.value.message == "Grace Green asked not to be visited by Bob Baker."
    assert refused.value.details and refused.value.details["problems"][0]["code"] == "carer_excluded"
    _unchanged(pd, grace)


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("same visit", "same_visit"),
        ("another plan", "not_same_plan"),
        ("unplaced", "visit_not_planned"),
        ("one and two carers", "different_number_of_carers"),
        ("same carers", "same_carers"),
        ("published", "schedule_not_draft"),
        ("under way", "visit_not_movable"),
    ],
)
def test_what_cannot_be_swapped_is_refused_in_plain_words(case: str, code: str) -> None:
    pd, grace = _two_calls()
    other: Visit = grace
    if case == "same visit":
        other = pd.visit
    elif case == "another plan":
        later = make_schedule(organisation=pd.schedule.organisation, day=pd.day + timedelta(days=1), status="draft")
        other = make_visit(schedule=later, pattern=grace.pattern, carers=[pd.alice])
    elif case == "unplaced":
        lunch = make_pattern(
            care=pd.care, label="Lunch", preferred=(time(12, 0), time(12, 30)), acceptable=(time(11, 30), time(13, 0))
        )
        other = make_visit(schedule=pd.schedule, pattern=lunch, status=Visit.Status.UNPLACED)
    elif case == "one and two carers":
        pair = make_pattern(
            care=grace.care_agreement,
            label="Bath",
            carers_needed=2,
            preferred=(time(15, 0), time(15, 30)),
            acceptable=(time(14, 30), time(16, 0)),
        )
        other = make_visit(schedule=pd.schedule, pattern=pair, carers=[pd.alice, pd.bob], planned_start=time(15, 0))
    elif case == "same carers":
        grace.assignments.update(carer=pd.bob)
    elif case == "published":
        Schedule.objects.filter(pk=pd.schedule.pk).update(status=Schedule.Status.PUBLISHED)
    elif case == "under way":
        grace.assignments.update(checked_in_at=timezone.now())
    refused_as = (InvalidInput, Conflict)

    with pytest.raises(refused_as) as refused:
        draft_visits_swap(visit=pd.visit, other=other, actor=pd.world.provider.lead)

    assert refused.value.code == code  # type: ignore[attr-defined]
    assert refused.value.message.endswith(".")  # type: ignore[attr-defined]
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.VISIT_MOVED).exists()
    assert _carers(pd.visit) == [pd.bob.pk]


def test_staff_of_another_organisation_and_non_planners_cannot_swap() -> None:
    pd, grace = _two_calls()

    for who in (make_care_world().provider.lead, pd.world.provider.bob):
        with pytest.raises(PermissionDenied) as refused:
            draft_visits_swap(visit=pd.visit, other=grace, actor=who)
        assert refused.value.code == "not_a_planner"
    _unchanged(pd, grace)
