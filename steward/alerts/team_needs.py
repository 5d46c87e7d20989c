"""Requests sitting in a team that no longer handles their need.

When an administrator routes a need to another team (`needs.services.need_update`), new
requests go to the new team, but requests already under way stay where they are, with
their named owners: moving responsibility is an offer the receiver accepts (principle
2), never something the system does behind people's backs. This sweep finds those
requests and asks each owner, by name, whether to offer theirs to the team that handles
the need now. It never moves a request itself.

Which requests count. A request can legitimately sit in a team other than its need's:
someone accepted a handover of it there. So the question is not "is it in the need's
team?" but "did its team stop handling its need after the request was placed there?":

    the request is in play, its team is not the need's team now, and the need was
    routed *away from that very team* (a `NeedTeamChange` with ``from_team`` = the
    request's team) *after* the request was placed in it.

"Placed" is the request's last routing (``routed`` event, at capture) or accepted
handover (``handover_accepted``) on its timeline, else its capture time. So a request
routed to Adult Social Care before the need moved to Reablement is flagged; one handed
over to Housing is not (the need never left Housing); one accepted into Adult Social
Care after the need had left it was taken on knowingly and is not flagged either.

Limits. Only changes recorded by `need_update` are seen (a team changed directly in the
database leaves no `NeedTeamChange`). A request moved into a team by any path other than
routing or an accepted handover would count from its last such event. Once an owner
resolves the alert (say they keep it, and why), it is not raised again for that request
and team unless the need is routed away from that team again later.

The alert resolves itself when the request closes, leaves that team, or the need is
routed back to it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from steward.needs.models import NeedTeamChange
from steward.requests.lifecycle import IN_PLAY, Status
from steward.requests.models import Request
from steward.timeline.models import TimelineEvent

from .models import Alert
from .services import SWEEP_BATCH, _raise, alert_auto_resolve

logger = logging.getLogger(__name__)

PLACED_KINDS = (TimelineEvent.Kind.ROUTED, TimelineEvent.Kind.HANDOVER_ACCEPTED)


def request_team_subject(request_id: int, team_id: int) -> str:
    """The stable subject of the alert about one request in one team."""
    return f"request:{request_id}:team:{team_id}"


def _outer_subject() -> Concat:
    return Concat(
        Value("request:"),
        Cast(OuterRef("pk"), CharField()),
        Value(":team:"),
        Cast(OuterRef("team_id"), CharField()),
        output_field=CharField(),
    )


def requests_in_teams_no_longer_handling(*, at: datetime) -> QuerySet[Request]:
    """In-play requests whose team stopped handling their need after they were placed
    there, not yet alerted about since; annotated with ``team_changed_at`` (the latest
    such change). One query; it starts from the teams that needs were routed away from,
    on the in-play team index."""
    placed_at = Coalesce(
        Subquery(
            TimelineEvent.objects.filter(request_id=OuterRef("pk"), kind__in=PLACED_KINDS)
            .order_by("-occurred_at", "-id")
            .values("occurred_at")[:1]
        ),
        F("created_at"),
    )
    changes = NeedTeamChange.objects.filter(
        need_id=OuterRef("need_id"), from_team_id=OuterRef("team_id"), changed_at__gt=OuterRef("placed_at")
    )
    return (
        Request.objects.filter(status__in=IN_PLAY, team_id__in=NeedTeamChange.objects.values("from_team_id"))
        .exclude(team_id=F("need__team_id"))
        .annotate(placed_at=placed_at)
        .annotate(team_changed_at=Subquery(changes.order_by("-changed_at").values("changed_at")[:1]))
        .filter(team_changed_at__isnull=False, team_changed_at__lte=at)
        .exclude(
            Exists(
                Alert.objects.filter(
                    kind=Alert.Kind.TEAM_NO_LONGER_HANDLES,
                    subject=_outer_subject(),
                    raised_at__gte=OuterRef("team_changed_at"),
                )
            )
        )
        .order_by("pk")
    )


@dataclass
class TeamNeedsReport:
    """What one sweep of requests in teams that no longer handle their need did."""

    raised: int = 0
    resolved: int = 0

    @property
    def changes(self) -> int:
        return self.raised + self.resolved


def _ask_owner(request: Request, *, at: datetime) -> bool:
    owner = request.owner
    if owner is None or not owner.is_active:
        return False  # the requests sweep moves it to an active owner first; next time
    need, team, now_team = request.need, request.team, request.need.team
    when = timezone.localtime(getattr(request, "team_changed_at", None) or at)
    _, created = _raise(
        kind=Alert.Kind.TEAM_NO_LONGER_HANDLES,
        subject=request_team_subject(request.pk, team.pk),
        assigned_to=owner,
        organisation=request.organisation,
        customer=request.customer,
        request=request,
        title=f"Request #{request.pk}: {team.name} no longer handles “{need.title}”",
        detail=(
            f"{request.customer.full_name}'s request “{request.subject}” is with {team.name}, but since "
            f"{when:%a %d %b %Y} “{need.title}” is handled by {now_team.name}. Nothing has moved: you still "
            f"answer for it. If {now_team.name} should take it, offer it to them from the request page; if "
            "it is better where it is, resolve this alert saying why."
        ),
        timeline_summary=(
            f"{owner.display_name} was asked whether {now_team.name}, who now handle “{need.title}”, "
            "should take this request."
        ),
        at=at,
    )
    return created


def _settled_alerts() -> QuerySet[Alert]:
    """Open alerts of this kind that no longer hold: the request closed, left the team
    the alert is about (its subject no longer matches where it is), or its need is
    handled by the team it is in again. One query."""
    where_now = Concat(
        Value("request:"),
        Cast(F("request_id"), CharField()),
        Value(":team:"),
        Cast(F("request__team_id"), CharField()),
        output_field=CharField(),
    )
    return (
        Alert.objects.filter(kind=Alert.Kind.TEAM_NO_LONGER_HANDLES, status=Alert.Status.OPEN, request__isnull=False)
        .annotate(where_now=where_now)
        .filter(
            Q(request__status=Status.CLOSED)
            | ~Q(subject=F("where_now"))
            | Q(request__need__team_id=F("request__team_id"))
        )
        .select_related("request__team", "request__need")
        .order_by("pk")
    )


def _resolution(alert: Alert, request: Request) -> str:
    if request.status == Status.CLOSED:
        return "The request is closed."
    if alert.subject != request_team_subject(request.pk, request.team_id):
        return f"The request is now with {request.team.name}."
    return f"“{request.need.title}” is handled by {request.team.name} again."


def team_needs_sweep(*, at: datetime | None = None) -> TeamNeedsReport:
    """Ask owners of requests left in a team that no longer handles their need whether to
    offer them on; resolve those questions once they no longer hold. Idempotent; each
    alert in its own transaction."""
    at = at or timezone.now()
    report = TeamNeedsReport()
    found = requests_in_teams_no_longer_handling(at=at)
    for pk in list(found.values_list("pk", flat=True)[:SWEEP_BATCH]):
        with transaction.atomic():
            locked = Request.objects.select_for_update().filter(pk=pk).values_list("pk").first()
            request = (
                found.filter(pk=pk).select_related("customer", "organisation", "team", "owner", "need__team").first()
                if locked
                else None
            )
            if request is not None and _ask_owner(request, at=at):
                report.raised += 1
    for alert in list(_settled_alerts()[:SWEEP_BATCH]):
        assert alert.request is not None
        if alert_auto_resolve(alert=alert, resolution=_resolution(alert, alert.request), at=at):
            report.resolved += 1
    return report
