"""Reads of carers, care agreements and the customer's visits.

Staff reads are restricted to the staff member's own organisation (a carer or care
agreement of another provider is "not found", never "forbidden", so ids reveal nothing).
Reads of a customer's care agreement by staff go through the read door in the API
(``consent.reads.read_for``), like service agreements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from steward.customers.models import Customer
from steward.errors import NotFound
from steward.organisations.models import StaffMember
from steward.visits.models import Schedule, Visit, VisitAssignment

from .models import Absence, CareAgreement, Carer, Skill, VisitPattern


def skills_of(*, actor: StaffMember) -> QuerySet[Skill]:
    return Skill.objects.filter(organisation_id=actor.organisation_id).order_by("name", "id")


def carers_of(*, actor: StaffMember, active: bool | None = None) -> QuerySet[Carer]:
    """The carers of the staff member's organisation, by name, with skills and shifts."""
    qs = (
        Carer.objects.filter(organisation_id=actor.organisation_id)
        .select_related("staff")
        .prefetch_related("skills", "shifts")
        .order_by("staff__display_name", "id")
    )
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def carer_get(*, actor: StaffMember, carer_id: int) -> Carer:
    found = carers_of(actor=actor).filter(pk=carer_id).first()
    if found is None:
        raise NotFound("There is no such carer in your organisation.", code="carer_not_found")
    return found


def carers_get(*, actor: StaffMember, carer_ids: list[int]) -> list[Carer]:
    """Carers by id, all of the actor's organisation (one query)."""
    wanted = sorted(set(carer_ids))
    found = list(Carer.objects.filter(organisation_id=actor.organisation_id, pk__in=wanted).select_related("staff"))
    if len(found) != len(wanted):
        missing = sorted(set(wanted) - {c.pk for c in found})
        raise NotFound(f"There is no carer #{missing[0]} in your organisation.", code="carer_not_found")
    return found


def absences_of(*, carer: Carer) -> QuerySet[Absence]:
    return Absence.objects.filter(carer=carer).order_by("starts_on", "id")


def absence_get(*, actor: StaffMember, absence_id: int) -> Absence:
    found = (
        Absence.objects.filter(pk=absence_id, carer__organisation_id=actor.organisation_id)
        .select_related("carer")
        .first()
    )
    if found is None:
        raise NotFound("There is no such absence in your organisation.", code="absence_not_found")
    return found


def _care_qs() -> QuerySet[CareAgreement]:
    return CareAgreement.objects.select_related(
        "customer", "provider", "service_agreement__coordinator"
    ).prefetch_related(
        Prefetch("patterns", queryset=VisitPattern.objects.prefetch_related("skills").order_by("preferred_from", "id")),
        Prefetch("preferred_carers", queryset=Carer.objects.select_related("staff")),
        Prefetch("excluded_carers", queryset=Carer.objects.select_related("staff")),
    )


def care_get(*, actor: StaffMember, care_id: int) -> CareAgreement:
    """A care agreement of the staff member's organisation (as the provider)."""
    found = _care_qs().filter(pk=care_id, provider_id=actor.organisation_id).first()
    if found is None:
        raise NotFound("There is no such care agreement in your organisation.", code="care_not_found")
    return found


def care_for_customer(*, actor: StaffMember, customer_id: int) -> QuerySet[CareAgreement]:
    return _care_qs().filter(customer_id=customer_id, provider_id=actor.organisation_id).order_by("id")


def pattern_get(*, actor: StaffMember, pattern_id: int) -> VisitPattern:
    found = (
        VisitPattern.objects.filter(pk=pattern_id, care_agreement__provider_id=actor.organisation_id)
        .select_related("care_agreement__customer")
        .first()
    )
    if found is None:
        raise NotFound("There is no such visit pattern in your organisation.", code="pattern_not_found")
    return found


# --- the customer's side ---------------------------------------------------------------


def customer_patterns(*, customer: Customer, today: date | None = None) -> list[VisitPattern]:
    """The customer's regular visits that have not ended, on active services, earliest in
    the day first (one query)."""
    today = today or timezone.localdate(timezone=ZoneInfo(settings.TIME_ZONE))
    return list(
        VisitPattern.objects.filter(
            care_agreement__customer=customer,
            care_agreement__service_agreement__status="active",
            is_active=True,
        )
        .exclude(valid_until__lt=today)
        .select_related("care_agreement__provider", "care_agreement__service_agreement__coordinator")
        .order_by("preferred_from", "id")
    )


def customer_pattern(*, customer: Customer, pattern_id: int) -> VisitPattern:
    """One of the customer's current regular visits; anyone else's is not found."""
    for pattern in customer_patterns(customer=customer):
        if pattern.pk == pattern_id:
            return pattern
    raise NotFound("There is no such regular visit among yours.", code="visit_not_found")


def customer_has_care(*, customer: Customer) -> bool:
    return CareAgreement.objects.filter(customer=customer).exists()


@dataclass(frozen=True)
class Week:
    first_day: date
    last_day: date


def week_from(day: date) -> Week:
    """The seven days from `day`: "this week" for someone looking ahead (on a Sunday,
    Monday to Sunday would already be over)."""
    return Week(day, day + timedelta(days=6))


def customer_visits(*, customer: Customer, first_day: date, last_day: date) -> list[Visit]:
    """The customer's visits on these days from *published* plans only (drafts are not
    promised to anyone), with the carers coming and the coordinator to call (3 queries)."""
    return list(
        Visit.objects.filter(
            customer=customer,
            day__gte=first_day,
            day__lte=last_day,
            schedule__status=Schedule.Status.PUBLISHED,
        )
        .exclude(status=Visit.Status.CANCELLED)
        .select_related("pattern", "care_agreement__service_agreement__coordinator")
        .prefetch_related(
            Prefetch(
                "assignments", queryset=VisitAssignment.objects.select_related("carer__staff").order_by("position")
            )
        )
        .order_by("day", "planned_start", "preferred_start", "id")
    )
