from __future__ import annotations

from typing import Any

from steward.needs.models import Need
from steward.needs.services import need_create
from steward.organisations.models import Team

_counter = iter(range(1, 10**9))


def make_need(*, team: Team, **kwargs: Any) -> Need:
    n = next(_counter)
    kwargs.setdefault("title", f"Need number {n}")
    kwargs.setdefault("first_response_minutes", 60)
    kwargs.setdefault("resolution_minutes", 24 * 60)
    return need_create(organisation=team.organisation, team=team, actor=None, **kwargs)
