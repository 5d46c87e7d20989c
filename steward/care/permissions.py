"""Who may set up carers and care agreements.

* **Carers, their skills, shifts and absences** belong to the provider's rota: its org
  admins and its team leads manage them (they plan who works when). Other staff, and
  anyone from another organisation, are refused.
* **A customer's care agreement and visit patterns** are managed by staff of the
  provider who answer for that customer: an org admin, the agreement's coordinator, or
  the lead of the agreement's team. A carer who happens to visit, or staff of the
  commissioning council, cannot change when and how visits happen.
* **The customer's preferred time** is the customer's to choose. They change it
  themselves (portal, customer API), through a trusted person allowed to ask for help
  for them, or by telling any active staff member of the provider, who types it in on
  their behalf (the timeline names both).
"""

from __future__ import annotations

from steward.agreements.models import ServiceAgreement
from steward.organisations.models import StaffMember, Team


def leads_a_team(actor: StaffMember) -> bool:
    return Team.objects.filter(lead=actor, organisation_id=actor.organisation_id).exists()


def can_manage_carers(actor: StaffMember, *, organisation_id: int) -> bool:
    """Org admins and team leads of the organisation the carers work for."""
    if not actor.is_active or actor.organisation_id != organisation_id:
        return False
    return actor.is_org_admin or leads_a_team(actor)


def can_manage_care(actor: StaffMember, agreement: ServiceAgreement) -> bool:
    """Org admins of the provider, the agreement's coordinator, or its team's lead."""
    if not actor.is_active or actor.organisation_id != agreement.provider_id:
        return False
    if actor.is_org_admin or agreement.coordinator_id == actor.pk:
        return True
    return Team.objects.filter(pk=agreement.team_id, lead=actor).exists()


def can_change_time_for_customer(actor: StaffMember, agreement: ServiceAgreement) -> bool:
    """Any active staff member of the provider may type in a preferred time the customer
    asked for (principle 4: any door is the right door; the choice is the customer's)."""
    return actor.is_active and actor.organisation_id == agreement.provider_id
