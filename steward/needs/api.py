"""API: the needs catalogue and where each need is routed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict, Field, model_validator

from steward.accounts.auth import acting_staff
from steward.organisations.selectors import organisation_get, team_get

from . import selectors, services
from .models import Need

router = Router(tags=["needs"])


class NeedIn(Schema):
    model_config = ConfigDict(extra="forbid")

    organisation_id: int
    title: str = Field(min_length=1, max_length=200, description="In the customer's words.")
    description: str = Field(default="", max_length=2000)
    code: str = Field(default="", max_length=80)
    team_id: int = Field(description="The team this need is routed to.")
    first_response_minutes: int = Field(gt=0, le=60 * 24 * 365)
    resolution_minutes: int = Field(gt=0, le=60 * 24 * 365)


class NeedPatchIn(Schema):
    """Only the fields given change. ``team_id``: new requests go to that team from now on;
    requests already in the old team stay with their owners, who are asked whether to
    offer them on."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    team_id: int | None = None
    first_response_minutes: int | None = Field(default=None, gt=0, le=60 * 24 * 365)
    resolution_minutes: int | None = Field(default=None, gt=0, le=60 * 24 * 365)
    handover_response_minutes: int | None = Field(
        default=None, gt=0, le=60 * 24 * 365, description="null: the organisation's setting."
    )

    @model_validator(mode="after")
    def _no_null_for_required(self) -> NeedPatchIn:
        nulled = [
            name
            for name in ("title", "description", "team_id", "first_response_minutes", "resolution_minutes")
            if name in self.model_fields_set and getattr(self, name) is None
        ]
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null; leave a field out to keep it as it is")
        return self


class NeedOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str
    code: str
    title: str
    description: str
    team_id: int
    team_name: str
    first_response_minutes: int
    resolution_minutes: int
    handover_response_minutes: int | None
    is_active: bool


def need_out(need: Need) -> dict[str, Any]:
    return {
        "id": need.pk,
        "organisation_id": need.organisation_id,
        "organisation_name": need.organisation.name,
        "code": need.code,
        "title": need.title,
        "description": need.description,
        "team_id": need.team_id,
        "team_name": need.team.name,
        "first_response_minutes": need.first_response_minutes,
        "resolution_minutes": need.resolution_minutes,
        "handover_response_minutes": need.handover_response_minutes,
        "is_active": need.is_active,
    }


@router.get("/needs", response=list[NeedOut], summary="The needs catalogue (optionally one organisation's)")
def list_needs(request: HttpRequest, organisation_id: int | None = None) -> list[dict[str, Any]]:
    return [need_out(n) for n in selectors.need_list(organisation_id=organisation_id)]


@router.post("/needs", response={201: NeedOut})
def create_need(request: HttpRequest, payload: NeedIn) -> tuple[int, dict[str, Any]]:
    need = services.need_create(
        organisation=organisation_get(organisation_id=payload.organisation_id),
        title=payload.title,
        description=payload.description,
        code=payload.code,
        team=team_get(team_id=payload.team_id),
        first_response_minutes=payload.first_response_minutes,
        resolution_minutes=payload.resolution_minutes,
        actor=acting_staff(request),
    )
    return 201, need_out(selectors.need_get(need_id=need.pk))


@router.get("/needs/{need_id}", response=NeedOut)
def get_need(request: HttpRequest, need_id: int) -> dict[str, Any]:
    return need_out(selectors.need_get(need_id=need_id))


@router.patch("/needs/{need_id}", response=NeedOut, summary="Change a need's words, team or service levels")
def update_need(request: HttpRequest, need_id: int, payload: NeedPatchIn) -> dict[str, Any]:
    given = payload.model_fields_set
    need = services.need_update(
        need=selectors.need_get(need_id=need_id),
        actor=acting_staff(request),
        title=payload.title,
        description=payload.description,
        team=team_get(team_id=payload.team_id) if payload.team_id is not None else None,
        first_response_minutes=payload.first_response_minutes,
        resolution_minutes=payload.resolution_minutes,
        handover_response_minutes=(
            payload.handover_response_minutes if "handover_response_minutes" in given else services.UNSET
        ),
    )
    return need_out(selectors.need_get(need_id=need.pk))
