"""Reading alerts: a person's queue, and one alert."""

from __future__ import annotations

from django.db.models import QuerySet

from steward.errors import NotFound
from steward.organisations.models import StaffMember

from .models import Alert
from .permissions import can_see

RELATED = ("assigned_to", "organisation", "customer", "request", "resolved_by")


def alerts_for(*, staff: StaffMember, status: str | None = Alert.Status.OPEN) -> QuerySet[Alert]:
    """Alerts addressed to `staff`, newest first (``status=None``: open and resolved).
    Reads the queue index ``(assigned_to, status, raised_at)``."""
    qs = Alert.objects.filter(assigned_to=staff)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.select_related(*RELATED).order_by("-raised_at", "-id")


def alert_get_for(*, staff: StaffMember, alert_id: int) -> Alert:
    """One alert, if `staff` may see it; otherwise not-found, so alert numbers do not
    reveal whose customers are being watched."""
    alert = Alert.objects.select_related(*RELATED).filter(pk=alert_id).first()
    if alert is None or not can_see(staff, alert):
        raise NotFound(f"There is no alert {alert_id} for you.", code="alert_not_found")
    return alert


def open_alert(*, kind: str, subject: str) -> Alert | None:
    """The open alert of this kind about this subject, if any (there is at most one)."""
    return Alert.objects.filter(kind=kind, subject=subject, status=Alert.Status.OPEN).first()
