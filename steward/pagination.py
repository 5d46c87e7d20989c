"""Limit/offset pages for API lists: ``{"items": [...], "count": n, "limit": l, "offset": o}``."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from ninja import Schema
from pydantic import ConfigDict, Field

from steward.errors import InvalidInput

T = TypeVar("T")


class PageParams(Schema):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=settings.STEWARD_PAGE_SIZE, ge=1, le=settings.STEWARD_MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0)


class Page(Schema, Generic[T]):
    items: list[T]
    count: int
    limit: int
    offset: int


def page_of(qs: QuerySet[Any], params: PageParams, *, count: bool = True, ids_first: bool = False) -> dict[str, Any]:
    """One page of `qs`.

    ``ids_first``: pick the page's ids with the ordered query alone (an index-only scan
    when an index matches the order), then load just those rows with their joins.
    SQLite otherwise joins every matching row before sorting: on a 3,000-request queue
    that was 280 ms against 2 ms (docs/performance.md).
    """
    if params.offset > 100_000:
        raise InvalidInput("That page is too far in; narrow the list instead.", code="offset_too_large")
    window = slice(params.offset, params.offset + params.limit)
    if ids_first:
        ids = list(qs.values_list("pk", flat=True)[window])
        rows = {row.pk: row for row in qs.filter(pk__in=ids)} if ids else {}
        items = [rows[pk] for pk in ids if pk in rows]
    else:
        items = list(qs[window])
    total = qs.count() if count else len(items)
    return {"items": items, "count": total, "limit": params.limit, "offset": params.offset}
