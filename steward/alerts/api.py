"""API: the alerts addressed to me, one alert, and resolving it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from steward.accounts.auth import acting_staff
from steward.organisations.api import PersonRef, person
from steward.pagination import Page, PageParams, page_of

from . import selectors, services
from .models import Alert

router = Router(tags=["alerts"])


class ResolveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    resolution: str = Field(min_length=1, max_length=services.MAX_RESOLUTION, description="What was done.")


class AlertOut(Schema):
    id: int
    kind: str
    kind_label: str
    subject: str
    status: str
    title: str
    detail: str
    assigned_to: PersonRef
    organisation_id: int
    customer_id: int | None
    customer_name: str | None
    request_id: int | None
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by: PersonRef | None
    resolution: str


def alert_out(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "kind_label": alert.get_kind_display(),
        "subject": alert.subject,
        "status": alert.status,
        "title": alert.title,
        "detail": alert.detail,
        "assigned_to": person(alert.assigned_to),
        "organisation_id": alert.organisation_id,
        "customer_id": alert.customer_id,
        "customer_name": alert.customer.full_name if alert.customer else None,
        "request_id": alert.request_id,
        "raised_at": alert.raised_at,
        "resolved_at": alert.resolved_at,
        "resolved_by": person(alert.resolved_by) if alert.resolved_by else None,
        "resolution": alert.resolution,
    }


@router.get("/alerts", response=Page[AlertOut], summary="Alerts addressed to me, newest first")
def my_alerts(
    request: HttpRequest, page: Query[PageParams], status: Literal["open", "resolved"] = "open"
) -> dict[str, Any]:
    result = page_of(selectors.alerts_for(staff=acting_staff(request), status=status), page, ids_first=True)
    result["items"] = [alert_out(a) for a in result["items"]]
    return result


@router.get("/alerts/{alert_id}", response=AlertOut, summary="One alert (mine, or of someone who answers to me)")
def get_alert(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    return alert_out(selectors.alert_get_for(staff=acting_staff(request), alert_id=alert_id))


@router.post("/alerts/{alert_id}/resolve", response=AlertOut, summary="Say what was done; the alert leaves the queue")
def resolve(request: HttpRequest, alert_id: int, payload: ResolveIn) -> dict[str, Any]:
    actor = acting_staff(request)
    found = selectors.alert_get_for(staff=actor, alert_id=alert_id)
    services.alert_resolve(alert=found, actor=actor, resolution=payload.resolution)
    return alert_out(selectors.alert_get_for(staff=actor, alert_id=alert_id))
