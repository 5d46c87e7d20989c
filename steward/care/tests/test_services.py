"""Care services: who may set up carers and visits, the rules they keep, the timeline
they write, and the customer moving their preferred time (with a reschedule)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from steward.agreements.services import agreement_end
from steward.alerts.tests.factories import CareWorld, make_care_world
from steward.care import services
from steward.care.models import Absence, CareAgreement, Carer, Shift, VisitPattern
from steward.care.services import PatternData, ShiftData
from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern, make_skill
from steward.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from steward.notifications.models import Notification
from steward.organisations.tests.factories import make_staff
from steward.requests.tests.factories import make_world
from steward.timeline.models import TimelineEvent
from steward.trusted.models import TrustedPerson
from steward.visits.models import ScheduleRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> CareWorld:
    return make_care_world()


def bedtime(**overrides: object) -> PatternData:
    fields: dict[str, object] = {
        "label": "Help into bed",
        "weekdays": [0, 1, 2, 3, 4, 5, 6],
        "duration_minutes": 30,
        "preferred_from": time(19, 0),
        "preferred_to": time(19, 30),
        "acceptable_from": time(18, 30),
        "acceptable_to": time(20, 30),
        "valid_from": date(2026, 1, 1),
    }
    fields.update(overrides)
    return PatternData(**fields)  # type: ignore[arg-type]


def events(world: CareWorld, kind: str) -> list[TimelineEvent]:
    return list(TimelineEvent.objects.filter(customer=world.client, kind=kind).order_by("id"))


# --- carers ------------------------------------------------------------------------------


def test_a_team_lead_makes_a_carer_with_skills_and_shifts(world):
    p = world.provider
    make_skill(organisation=p.org, code="medication", name="Help with medication")
    carer = services.carer_create(
        staff=p.bob,
        start_latitude=53.48,
        start_longitude=-2.24,
        skills=["medication"],
        travel_mode="walk",
        contracted_minutes_per_day=420,
        actor=p.lead,
    )
    assert [s.code for s in carer.skills.all()] == ["medication"] and carer.travel_mode == "walk"
    services.carer_set_shifts(
        carer=carer,
        shifts=[
            ShiftData(0, time(7), time(11)),
            ShiftData(0, time(16), time(22), break_minutes=30, break_earliest=time(18), break_latest=time(19)),
        ],
        actor=p.lead,
    )
    assert Shift.objects.filter(carer=carer).count() == 2
    services.carer_set_shifts(carer=carer, shifts=[ShiftData(2, time(8), time(14))], actor=p.lead)
    assert list(Shift.objects.filter(carer=carer).values_list("weekday", flat=True)) == [2]


def test_a_carer_who_leads_nothing_and_other_organisations_cannot_manage_carers(world):
    p = world.provider
    with pytest.raises(PermissionDenied) as denied:
        services.carer_create(staff=p.bob, start_latitude=53.4, start_longitude=-2.2, actor=p.alice)
    assert denied.value.code == "not_carer_manager"
    with pytest.raises(PermissionDenied):
        services.carer_create(staff=p.bob, start_latitude=53.4, start_longitude=-2.2, actor=world.council.lead)
    assert not Carer.objects.exists()


def test_unknown_skills_bad_places_and_second_carers_are_refused(world):
    p = world.provider
    with pytest.raises(InvalidInput) as bad:
        services.carer_create(staff=p.bob, start_latitude=53.4, start_longitude=-2.2, skills=["hoist"], actor=p.lead)
    assert bad.value.code == "unknown_skill"
    with pytest.raises(InvalidInput) as bad:
        services.carer_create(staff=p.bob, start_latitude=153.4, start_longitude=-2.2, actor=p.lead)
    assert bad.value.code == "coordinates_invalid"
    assert not Carer.objects.exists()
    services.carer_create(staff=p.bob, start_latitude=53.4, start_longitude=-2.2, actor=p.lead)
    with pytest.raises(Conflict):
        services.carer_create(staff=p.bob, start_latitude=53.4, start_longitude=-2.2, actor=p.lead)


def test_carer_update_changes_only_what_is_given(world):
    p = world.provider
    carer = make_carer(staff=p.bob, contracted_minutes_per_day=400)
    services.carer_update(carer=carer, travel_mode="bicycle", actor=p.lead)
    carer.refresh_from_db()
    assert carer.travel_mode == "bicycle" and carer.contracted_minutes_per_day == 400
    services.carer_update(carer=carer, contracted_minutes_per_day=None, actor=p.lead)
    carer.refresh_from_db()
    assert carer.contracted_minutes_per_day is None
    with pytest.raises(InvalidInput):
        services.carer_update(carer=carer, travel_mode="helicopter", actor=p.lead)


@pytest.mark.parametrize(
    ("shifts", "code"),
    [
        ([ShiftData(0, time(7), time(12)), ShiftData(0, time(11), time(15))], "shifts_overlap"),
        ([ShiftData(0, time(12), time(7))], "shift_ends_before_start"),
        ([ShiftData(7, time(7), time(12))], "weekday_invalid"),
        ([ShiftData(0, time(7), time(12), break_minutes=30)], "break_window_required"),
        ([ShiftData(0, time(7), time(12), 30, time(6, 30), time(9))], "break_outside_shift"),
        ([ShiftData(0, time(7), time(12), 30, time(10), time(11, 45))], "break_outside_shift"),
        ([ShiftData(0, time(7), time(12), 30, time(10), time(9))], "break_window_invalid"),
    ],
)
def test_bad_shifts_are_refused_and_the_old_ones_stay(world, shifts, code):
    carer = make_carer(staff=world.provider.bob)
    with pytest.raises(InvalidInput) as bad:
        services.carer_set_shifts(carer=carer, shifts=shifts, actor=world.provider.lead)
    assert bad.value.code == code
    assert Shift.objects.filter(carer=carer).count() == 7


def test_absences_are_recorded_without_overlap_and_cancelled(world):
    p = world.provider
    carer = make_carer(staff=p.bob)
    absence = services.absence_record(
        carer=carer, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3), reason="Leave", actor=p.lead
    )
    with pytest.raises(Conflict) as clash:
        services.absence_record(carer=carer, starts_on=date(2026, 12, 3), ends_on=date(2026, 12, 4), actor=p.lead)
    assert clash.value.code == "absence_overlaps"
    with pytest.raises(InvalidInput):
        services.absence_record(carer=carer, starts_on=date(2026, 12, 9), ends_on=date(2026, 12, 8), actor=p.lead)
    with pytest.raises(PermissionDenied):
        services.absence_cancel(absence=absence, actor=p.bob)
    services.absence_cancel(absence=absence, actor=p.lead)
    assert not Absence.objects.exists()


# --- care agreements and patterns ------------------------------------------------------------


def test_the_coordinator_arranges_visits_and_the_timeline_says_so(world):
    p = world.provider
    care = services.care_agreement_create(
        service_agreement=world.agreement, address="4 Mill Lane", latitude=53.47, longitude=-2.25, actor=p.alice
    )
    pattern = services.visit_pattern_add(care=care, data=bedtime(), actor=p.alice)
    assert pattern.preferred_from == time(19)
    said = [e.summary for e in events(world, TimelineEvent.Kind.CARE_VISITS_CHANGED)]
    assert said[0] == "Alice Able started arranging visits at 4 Mill Lane."
    assert said[1].startswith("Alice Able added a visit: Help into bed, every day, 30 minutes, starting between 19:00")
    assert all(e.organisation_id == p.org.pk for e in events(world, TimelineEvent.Kind.CARE_VISITS_CHANGED))


def test_the_team_lead_and_an_org_admin_may_but_a_carer_and_the_council_may_not(world):
    p = world.provider
    with pytest.raises(PermissionDenied) as denied:
        services.care_agreement_create(
            service_agreement=world.agreement, address="x", latitude=53.4, longitude=-2.2, actor=p.bob
        )
    assert denied.value.code == "not_care_manager"
    with pytest.raises(PermissionDenied):
        services.care_agreement_create(
            service_agreement=world.agreement, address="x", latitude=53.4, longitude=-2.2, actor=world.council.lead
        )
    care = services.care_agreement_create(
        service_agreement=world.agreement, address="x", latitude=53.4, longitude=-2.2, actor=p.lead
    )
    admin = make_staff(organisation=p.org, first_name="Ada", last_name="Admin", is_org_admin=True)
    services.visit_pattern_add(care=care, data=bedtime(), actor=admin)
    with pytest.raises(PermissionDenied):
        services.visit_pattern_add(care=care, data=bedtime(), actor=p.bob)
    assert VisitPattern.objects.count() == 1


def test_visits_only_for_an_active_service_and_only_once(world):
    p = world.provider
    services.care_agreement_create(
        service_agreement=world.agreement, address="x", latitude=53.4, longitude=-2.2, actor=p.alice
    )
    with pytest.raises(Conflict) as again:
        services.care_agreement_create(
            service_agreement=world.agreement, address="x", latitude=53.4, longitude=-2.2, actor=p.alice
        )
    assert again.value.code == "care_exists"
    other = make_care_world()
    agreement_end(agreement=other.agreement, actor=other.provider.alice, reason="Moved away")
    with pytest.raises(Conflict) as ended:
        services.care_agreement_create(
            service_agreement=other.agreement, address="x", latitude=53.4, longitude=-2.2, actor=other.provider.alice
        )
    assert ended.value.code == "service_ended"


def test_a_carer_cannot_be_both_preferred_and_excluded(world):
    p = world.provider
    care = make_care_agreement(agreement=world.agreement)
    alice, bob = make_carer(staff=p.alice), make_carer(staff=p.bob)
    services.care_agreement_update(care=care, preferred_carers=[bob], excluded_carers=[alice], actor=p.alice)
    with pytest.raises(InvalidInput) as both:
        services.care_agreement_update(care=care, excluded_carers=[alice, bob], actor=p.alice)
    assert both.value.code == "carer_preferred_and_excluded"
    assert list(care.excluded_carers.all()) == [alice]
    stranger = make_carer(staff=make_world("Elsewhere Care").bob)
    with pytest.raises(InvalidInput) as other:
        services.care_agreement_update(care=care, preferred_carers=[stranger], actor=p.alice)
    assert other.value.code == "carer_other_organisation"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"preferred_from": time(18)}, "preferred_outside_acceptable"),
        ({"preferred_to": time(18, 45)}, "preferred_outside_acceptable"),
        ({"weekdays": []}, "weekdays_required"),
        ({"weekdays": [7]}, "weekday_invalid"),
        ({"duration_minutes": 0}, "duration_invalid"),
        ({"carers_needed": 3}, "carers_needed_invalid"),
        ({"carers_needed": 2, "sync": "sequential", "gap_min_minutes": 20, "gap_max_minutes": 10}, "gap_invalid"),
        ({"acceptable_to": time(23, 45), "preferred_to": time(23, 40)}, "runs_past_midnight"),
        ({"valid_until": date(2025, 12, 31)}, "valid_until_before_valid_from"),
        ({"skills": ["hoist"]}, "unknown_skill"),
    ],
)
def test_bad_patterns_are_refused(world, overrides, code):
    care = make_care_agreement(agreement=world.agreement)
    with pytest.raises(InvalidInput) as bad:
        services.visit_pattern_add(care=care, data=bedtime(**overrides), actor=world.provider.alice)
    assert bad.value.code == code
    assert not VisitPattern.objects.exists()


def test_a_double_handed_visit_and_changing_and_ending_a_pattern(world):
    p = world.provider
    make_skill(organisation=p.org, code="hoist")
    care = make_care_agreement(agreement=world.agreement)
    pattern = services.visit_pattern_add(
        care=care,
        data=bedtime(carers_needed=2, sync="sequential", gap_min_minutes=5, gap_max_minutes=15, skills=["hoist"]),
        actor=p.alice,
    )
    assert (pattern.carers_needed, pattern.gap_max_minutes) == (2, 15)
    services.visit_pattern_change(pattern=pattern, data=bedtime(duration_minutes=45, weekdays=[0, 2, 4]), actor=p.lead)
    pattern.refresh_from_db()
    assert pattern.carers_needed == 1 and pattern.gap_max_minutes == 0 and pattern.weekdays == [0, 2, 4]
    services.visit_pattern_end(pattern=pattern, last_day=timezone.localdate(), actor=p.alice)
    pattern.refresh_from_db()
    assert pattern.valid_until == timezone.localdate()
    summaries = [e.summary for e in events(world, TimelineEvent.Kind.CARE_VISITS_CHANGED)]
    assert "by two carers" in summaries[0]
    assert "Mondays, Wednesdays and Fridays" in summaries[1]
    assert summaries[2].startswith("Alice Able ended a visit: Help into bed, last on")


# --- the customer's preferred time -----------------------------------------------------------


@pytest.fixture
def bed(world) -> VisitPattern:
    care = make_care_agreement(agreement=world.agreement)
    return make_pattern(
        care=care, label="Help into bed", preferred=(time(19), time(19, 30)), acceptable=(time(18, 30), time(20, 30))
    )


def test_the_customer_moves_bedtime_and_the_plan_is_redone(world, bed, django_capture_on_commit_callbacks):
    services.visit_time_change(pattern=bed, customer=world.client, preferred_from=time(21), preferred_to=time(21, 30))
    bed.refresh_from_db()
    # The acceptable window keeps its margins: 30 minutes before, an hour after.
    assert (bed.acceptable_from, bed.preferred_from, bed.preferred_to, bed.acceptable_to) == (
        time(20, 30),
        time(21),
        time(21, 30),
        time(22, 30),
    )
    (event,) = events(world, TimelineEvent.Kind.VISIT_TIME_CHANGED)
    assert event.actor_name == "Amina Khan (customer)" and event.channel == "web"
    assert "it was between 19:00 and 19:30, it is now between 21:00 and 21:30" in event.summary
    assert event.data["before"]["preferred_from"] == "19:00" and event.data["after"]["acceptable_to"] == "22:30"
    run = ScheduleRun.objects.get()
    today = timezone.localdate()
    assert run.organisation_id == world.provider.org.pk and run.requested_by is None
    assert (run.first_day, run.last_day) == (today + timedelta(days=1), today + timedelta(days=7))
    assert "Amina Khan (customer) changed the preferred time" in run.reason
    # The coordinator, by name, is told: the new plan waits for someone to publish it.
    (told,) = Notification.objects.filter(kind=Notification.Kind.VISIT_TIME_CHANGED)
    assert told.recipient == world.agreement.coordinator
    assert told.title == "Amina Khan (customer) changed when help into bed should start"
    assert "between 21:00 and 21:30" in told.body and "publish them" in told.body


def test_the_coordinator_typing_in_a_change_is_not_told_of_it_again(world, bed):
    coordinator = world.agreement.coordinator
    services.visit_time_change(
        pattern=bed, customer=world.client, preferred_from=time(21), preferred_to=time(21, 30), actor=coordinator
    )
    assert not Notification.objects.filter(kind=Notification.Kind.VISIT_TIME_CHANGED).exists()


def test_a_trusted_person_who_may_ask_signs_it_for_the_customer(world, bed):
    sara = TrustedPerson.objects.create(
        customer=world.client,
        name="Sara Khan",
        email="sara@example.org",
        relationship="daughter",
        scopes=["see_requests", "ask"],
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    services.visit_time_change(
        pattern=bed, customer=world.client, preferred_from=time(21), preferred_to=time(21, 30), trusted=sara
    )
    (event,) = events(world, TimelineEvent.Kind.VISIT_TIME_CHANGED)
    assert event.actor_name == "Sara Khan (for Amina Khan)" and event.data["trusted_person"] == sara.pk


def test_a_trusted_person_who_may_only_look_cannot_change_it(world, bed):
    sara = TrustedPerson.objects.create(
        customer=world.client,
        name="Sara Khan",
        email="sara@example.org",
        relationship="daughter",
        scopes=["see_requests"],
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    with pytest.raises(PermissionDenied) as denied:
        services.visit_time_change(
            pattern=bed, customer=world.client, preferred_from=time(21), preferred_to=time(21, 30), trusted=sara
        )
    assert denied.value.code == "scope_missing"
    bed.refresh_from_db()
    assert bed.preferred_from == time(19) and not ScheduleRun.objects.exists()


def test_staff_of_the_provider_type_it_in_but_not_the_council_or_another_customer(world, bed):
    with pytest.raises(PermissionDenied):
        services.visit_time_change(
            pattern=bed,
            customer=world.client,
            preferred_from=time(21),
            preferred_to=time(21, 30),
            actor=world.council.lead,
        )
    other = make_care_world()
    with pytest.raises(NotFound):
        services.visit_time_change(
            pattern=bed, customer=other.client, preferred_from=time(21), preferred_to=time(21, 30)
        )
    services.visit_time_change(
        pattern=bed, customer=world.client, preferred_from=time(21), preferred_to=time(21, 30), actor=world.provider.bob
    )
    (event,) = events(world, TimelineEvent.Kind.VISIT_TIME_CHANGED)
    assert event.actor_name == "Bob Baker (for Amina Khan)" and event.channel == "phone"
    assert ScheduleRun.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (time(21, 30), time(21), "window_backwards"),
        (time(23, 30), time(23, 45), "runs_past_midnight"),
        (time(19), time(19, 30), "same_time"),
    ],
)
def test_impossible_times_change_nothing(world, bed, start, end, code):
    with pytest.raises(InvalidInput) as bad:
        services.visit_time_change(pattern=bed, customer=world.client, preferred_from=start, preferred_to=end)
    assert bad.value.code == code
    bed.refresh_from_db()
    assert bed.preferred_from == time(19) and not ScheduleRun.objects.exists()
    assert not events(world, TimelineEvent.Kind.VISIT_TIME_CHANGED)


def test_the_acceptable_window_is_cut_at_the_ends_of_the_day(world, bed):
    services.visit_time_change(pattern=bed, customer=world.client, preferred_from=time(23), preferred_to=time(23, 15))
    bed.refresh_from_db()
    assert (bed.acceptable_from, bed.acceptable_to) == (time(22, 30), time(23, 30))
    services.visit_time_change(pattern=bed, customer=world.client, preferred_from=time(0, 10), preferred_to=time(0, 20))
    bed.refresh_from_db()
    assert bed.acceptable_from == time(0, 0)


def test_an_ended_service_or_visit_cannot_be_moved(world, bed):
    agreement_end(agreement=world.agreement, actor=world.provider.alice, reason="Moved away")
    with pytest.raises(Conflict) as ended:
        services.visit_time_change(
            pattern=bed, customer=world.client, preferred_from=time(21), preferred_to=time(21, 30)
        )
    assert ended.value.code == "service_ended"
    assert CareAgreement.objects.count() == 1
