"""The demo's home care: CheapCare Ltd's carers and the visits of Mrs Khan and others."""

from __future__ import annotations

from datetime import time

import pytest

from steward.care.models import CareAgreement, Carer, Shift, VisitPattern
from steward.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


def test_cheapcare_has_carers_with_skills_shifts_and_places(demo):
    carers = Carer.objects.filter(organisation__name="CheapCare Ltd").select_related("staff")
    assert 6 <= carers.count() <= 8
    assert {c.travel_mode for c in carers} >= {"car", "walk", "public_transport"}
    late = Shift.objects.filter(carer__in=carers, ends_at__gte=time(22, 0)).values("carer").distinct().count()
    assert late >= 2  # someone can help Mrs Khan into bed at 21:00 and someone else with the hoist
    hoist = carers.filter(skills__code="hoist").count()
    assert hoist >= 2


def test_mrs_khan_wants_help_into_bed_at_nine(demo):
    bed = VisitPattern.objects.get(care_agreement__customer__given_name="Amina", label="Help into bed")
    assert (bed.preferred_from, bed.preferred_to) == (time(21), time(21, 30))
    care = bed.care_agreement
    assert care.service_agreement.coordinator.display_name == "Kim Lee"
    assert {c.staff.display_name for c in care.preferred_carers.all()} == {"Ruth Adams", "Joy Mensah"}
    labels = set(VisitPattern.objects.filter(care_agreement=care).values_list("label", flat=True))
    assert labels == {"Help getting up", "Lunch", "Help into bed"}
    assert TimelineEvent.objects.filter(customer=care.customer, kind="care_visits_changed").count() == 5


def test_several_clients_and_one_double_handed_visit(demo):
    assert CareAgreement.objects.filter(provider__name="CheapCare Ltd").count() == 6
    double = VisitPattern.objects.filter(carers_needed=2)
    assert double.exists() and double.values("care_agreement").distinct().count() == 1


def test_loading_the_demo_again_adds_no_care(demo):
    before = (Carer.objects.count(), CareAgreement.objects.count(), VisitPattern.objects.count(), Shift.objects.count())
    demo.load_demo()
    assert (
        Carer.objects.count(),
        CareAgreement.objects.count(),
        VisitPattern.objects.count(),
        Shift.objects.count(),
    ) == before
