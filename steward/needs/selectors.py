"""Reading the needs catalogue."""

from __future__ import annotations

from django.db.models import QuerySet

from steward.errors import NotFound

from .models import Need


def need_list(*, organisation_id: int | None = None, include_inactive: bool = False) -> QuerySet[Need]:
    qs = Need.objects.select_related("organisation", "team")
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("organisation__name", "title", "id")


def need_get(*, need_id: int) -> Need:
    try:
        return Need.objects.select_related("organisation", "team").get(pk=need_id)
    except Need.DoesNotExist as exc:
        raise NotFound(f"There is no need with id {need_id}.") from exc
