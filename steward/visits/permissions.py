"""Who may plan and publish an organisation's visits.

Planning decides when carers go to whom, so it is for the people who answer for the
service: an **organisation administrator**, the **head** of the organisation, a **team
lead**, or a **coordinator** of an active care service the organisation provides. A carer
who is none of these sees their own day (the carer-day page), not the planner.

Steward itself (no actor) may request a run, e.g. after a customer changed their preferred
time; publishing always needs a person, because carers' days change when it happens.
"""

from __future__ import annotations

from steward.agreements.models import ServiceAgreement
from steward.organisations.models import Organisation, StaffMember, Team


def can_plan(actor: StaffMember, *, organisation_id: int) -> bool:
    """May ``actor`` start schedule runs, read their reports and publish them for this organisation?"""
    if not actor.is_active or actor.organisation_id != organisation_id:
        return False
    if actor.is_org_admin or actor.supervisor_id is None:
        return True
    if Team.objects.filter(organisation_id=organisation_id, lead=actor).exists():
        return True
    return ServiceAgreement.objects.filter(
        provider_id=organisation_id, coordinator=actor, status=ServiceAgreement.Status.ACTIVE
    ).exists()


def can_plan_organisation(actor: StaffMember, organisation: Organisation) -> bool:
    return can_plan(actor, organisation_id=organisation.pk)
