"""API: organisations, teams and staff (with their reporting line)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_staff
from steward.errors import InvalidInput, NotFound
from steward.pagination import Page, PageParams, page_of

from . import selectors, services
from .models import Organisation, StaffMember

router = Router(tags=["organisations"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class PersonRef(Schema):
    """A named person, as customers and colleagues see them."""

    id: int
    name: str
    job_title: str


def person(staff: StaffMember) -> dict[str, Any]:
    return {"id": staff.pk, "name": staff.display_name, "job_title": staff.job_title}


class OrganisationIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="other", description="council, care_provider, housing, bank, utility or other")


class OrganisationOut(Schema):
    id: int
    name: str
    slug: str
    kind: str


class TeamIn(Strict):
    organisation_id: int
    name: str = Field(min_length=1, max_length=200)


class TeamOut(Schema):
    id: int
    organisation_id: int
    name: str
    slug: str
    lead: PersonRef | None


class TeamLeadIn(Strict):
    staff_id: int | None


class StaffIn(Strict):
    organisation_id: int
    username: str = Field(min_length=1, max_length=150)
    first_name: str = Field(max_length=150)
    last_name: str = Field(max_length=150)
    email: str = Field(default="", max_length=254)
    team_id: int | None = None
    supervisor_id: int | None = Field(default=None, description="Required for everyone but the head.")
    job_title: str = Field(default="", max_length=200)
    is_org_admin: bool = False


class StaffOut(Schema):
    id: int
    name: str
    username: str
    email: str
    job_title: str
    organisation_id: int
    team_id: int | None
    supervisor: PersonRef | None
    is_active: bool
    is_org_admin: bool


class StaffDetailOut(StaffOut):
    escalation_chain: list[PersonRef]


class SupervisorIn(Strict):
    supervisor_id: int | None


class DeactivateIn(Strict):
    reason: str = Field(min_length=1, max_length=500)
    successor_id: int | None = Field(default=None, description="Defaults to the nearest active supervisor.")


def _team_out(team: Any) -> dict[str, Any]:
    return {
        "id": team.pk,
        "organisation_id": team.organisation_id,
        "name": team.name,
        "slug": team.slug,
        "lead": person(team.lead) if team.lead else None,
    }


def _staff_out(staff: StaffMember) -> dict[str, Any]:
    return {
        "id": staff.pk,
        "name": staff.display_name,
        "username": staff.user.username,
        "email": staff.user.email,
        "job_title": staff.job_title,
        "organisation_id": staff.organisation_id,
        "team_id": staff.team_id,
        "supervisor": person(staff.supervisor) if staff.supervisor else None,
        "is_active": staff.is_active,
        "is_org_admin": staff.is_org_admin,
    }


def _staff_detail(staff: StaffMember) -> dict[str, Any]:
    return {**_staff_out(staff), "escalation_chain": [person(p) for p in selectors.escalation_chain(staff)]}


def _same_org_staff(actor: StaffMember, staff_id: int | None, *, field: str) -> StaffMember | None:
    if staff_id is None:
        return None
    staff = selectors.staff_get(staff_id=staff_id)
    if staff.organisation_id != actor.organisation_id and not actor.user.is_superuser:
        message = f"There is no staff member {staff_id} in your organisation."
        if field == "staff_id":  # the address itself: read as not found, like any unknown id
            raise NotFound(message, code="staff_not_found")
        raise InvalidInput(f"{field}: {message}", code="unknown_staff")
    return staff


@router.get("/me", response=StaffDetailOut, summary="Who am I (the acting staff member)")
def me(request: HttpRequest) -> dict[str, Any]:
    return _staff_detail(selectors.staff_get(staff_id=acting_staff(request).pk))


@router.get("/organisations", response=list[OrganisationOut])
def list_organisations(request: HttpRequest) -> Any:
    return selectors.organisation_list()


@router.post("/organisations", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> tuple[int, Organisation]:
    return 201, services.organisation_create(name=payload.name, kind=payload.kind, actor=acting_staff(request))


@router.get("/teams", response=list[TeamOut])
def list_teams(request: HttpRequest, organisation_id: int | None = None) -> list[dict[str, Any]]:
    return [_team_out(t) for t in selectors.team_list(organisation_id=organisation_id)]


@router.post("/teams", response={201: TeamOut})
def create_team(request: HttpRequest, payload: TeamIn) -> tuple[int, dict[str, Any]]:
    organisation = selectors.organisation_get(organisation_id=payload.organisation_id)
    team = services.team_create(organisation=organisation, name=payload.name, actor=acting_staff(request))
    return 201, _team_out(team)


@router.post("/teams/{team_id}/lead", response=TeamOut)
def set_team_lead(request: HttpRequest, team_id: int, payload: TeamLeadIn) -> dict[str, Any]:
    team = selectors.team_get(team_id=team_id)
    lead = selectors.staff_get(staff_id=payload.staff_id) if payload.staff_id is not None else None
    return _team_out(services.team_set_lead(team=team, lead=lead, actor=acting_staff(request)))


@router.get("/staff", response=Page[StaffOut])
def list_staff(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    result = page_of(selectors.staff_list_visible_to(viewer=acting_staff(request)), page)
    result["items"] = [_staff_out(s) for s in result["items"]]
    return result


@router.post("/staff", response={201: StaffDetailOut})
def create_staff(request: HttpRequest, payload: StaffIn) -> tuple[int, dict[str, Any]]:
    actor = acting_staff(request)
    organisation = selectors.organisation_get(organisation_id=payload.organisation_id)
    team = selectors.team_get(team_id=payload.team_id) if payload.team_id is not None else None
    supervisor = selectors.staff_get(staff_id=payload.supervisor_id) if payload.supervisor_id is not None else None
    staff = services.staff_create(
        organisation=organisation,
        username=payload.username,
        first_name=payload.first_name,
        last_name=payload.last_name,
        email=payload.email,
        team=team,
        supervisor=supervisor,
        job_title=payload.job_title,
        is_org_admin=payload.is_org_admin,
        actor=actor,
    )
    return 201, _staff_detail(selectors.staff_get(staff_id=staff.pk))


@router.get("/staff/{staff_id}", response=StaffDetailOut)
def get_staff(request: HttpRequest, staff_id: int) -> dict[str, Any]:
    actor = acting_staff(request)
    staff = _same_org_staff(actor, staff_id, field="staff_id")
    assert staff is not None
    return _staff_detail(staff)


@router.post("/staff/{staff_id}/supervisor", response=StaffDetailOut)
def set_supervisor(request: HttpRequest, staff_id: int, payload: SupervisorIn) -> dict[str, Any]:
    actor = acting_staff(request)
    staff = _same_org_staff(actor, staff_id, field="staff_id")
    assert staff is not None
    supervisor = _same_org_staff(actor, payload.supervisor_id, field="supervisor_id")
    services.staff_set_supervisor(staff=staff, supervisor=supervisor, actor=actor)
    return _staff_detail(selectors.staff_get(staff_id=staff_id))


@router.post("/staff/{staff_id}/deactivate", response=StaffDetailOut)
def deactivate_staff(request: HttpRequest, staff_id: int, payload: DeactivateIn) -> dict[str, Any]:
    actor = acting_staff(request)
    staff = _same_org_staff(actor, staff_id, field="staff_id")
    assert staff is not None
    successor = _same_org_staff(actor, payload.successor_id, field="successor_id")
    services.staff_deactivate(staff=staff, actor=actor, reason=payload.reason, successor=successor)
    return _staff_detail(selectors.staff_get(staff_id=staff_id))
