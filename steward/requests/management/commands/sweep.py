"""Run one sweep of the periodic checks: `manage.py sweep [--at 2026-11-25T10:00]`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from steward.alerts.continuity import ContinuityReport, continuity_sweep
from steward.alerts.team_needs import TeamNeedsReport, team_needs_sweep
from steward.handovers.services import HandoverSweepReport, handover_sweep
from steward.requests.services import SweepReport, sla_sweep

if TYPE_CHECKING:
    from steward.consent.privacy import PrivacySweepReport
    from steward.transfers.services import TransferSweepReport
    from steward.visits.missed import MissedVisitsReport


@dataclass
class SweepResults:
    """What one pass of every periodic check did."""

    requests: SweepReport
    handovers: HandoverSweepReport
    transfers: TransferSweepReport
    continuity: ContinuityReport
    team_needs: TeamNeedsReport
    privacy: PrivacySweepReport
    missed_visits: MissedVisitsReport
    planning_runs_resumed: list[int]  # schedule runs whose worker died, queued again

    @property
    def at(self) -> datetime:
        return self.requests.at

    @property
    def problems(self) -> list[str]:
        return self.requests.problems + self.continuity.problems + self.missed_visits.problems

    @property
    def changes(self) -> int:
        return (
            self.requests.changes
            + self.handovers.expired
            + self.handovers.reminded
            + self.transfers.expired
            + self.transfers.offered
            + self.transfers.reminded
            + self.continuity.changes
            + self.team_needs.changes
            + sum(self.privacy.as_dict().values())
            + self.missed_visits.changes
            + len(self.planning_runs_resumed)
        )


def sweep_all(*, at: datetime | None = None) -> SweepResults:
    """Every periodic check, in one place for the command and the worker. Requests come
    first (their orphan repair gives every request an active owner before anyone is
    alerted about it), and everything after is dated the same moment."""
    from steward.consent.privacy import privacy_sweep  # consent builds on everything it exports
    from steward.transfers.services import transfer_sweep  # transfers build on requests and agreements
    from steward.visits.missed import missed_visits_sweep  # visits build on care, agreements and alerts
    from steward.visits.planning import runs_resume_stale

    requests = sla_sweep(at=at)
    at = requests.at
    return SweepResults(
        requests=requests,
        handovers=handover_sweep(at=at),
        transfers=transfer_sweep(at=at),
        continuity=continuity_sweep(at=at),
        team_needs=team_needs_sweep(at=at),
        privacy=privacy_sweep(at),
        # After continuity: a coordinator who left has been replaced before anyone is told.
        missed_visits=missed_visits_sweep(at),
        planning_runs_resumed=runs_resume_stale(now=at),
    )


def describe(results: SweepResults) -> str:
    report, handovers, transfers = results.requests, results.handovers, results.transfers
    continuity, team_needs = results.continuity, results.team_needs
    lines = [
        f"Sweep as of {timezone.localtime(results.at):%Y-%m-%d %H:%M %Z}:",
        f"  first replies missed and escalated: {report.first_response_breaches}",
        f"  resolutions missed and escalated:   {report.resolution_breaches}",
        f"  closed after the reopen window:     {report.closed_after_window}",
        f"  requests moved off inactive owners: {report.repaired_owners}",
        f"  handover offers expired unanswered: {handovers.expired}",
        f"  receivers reminded of offers ending: {handovers.reminded}",
        f"  transfer clients offered:           {transfers.offered}",
        f"  transfer offers expired unanswered: {transfers.expired}",
        f"  transfer receivers reminded:        {transfers.reminded}",
        f"  no-contact alerts raised:           {continuity.no_contact_raised}",
        f"  no-contact alerts resolved:         {continuity.no_contact_resolved}",
        f"  services moved off inactive coordinators: {continuity.coordinators_repaired}",
        f"  alerts moved off inactive people:   {continuity.alerts_reassigned}",
        f"  owners asked to offer on (team no longer handles the need): {team_needs.raised}",
        f"  those questions settled:            {team_needs.resolved}",
        f"  visits missed (nobody checked in):  {results.missed_visits.missed}",
        f"  second carers missing:              {results.missed_visits.parts_missing}",
        f"  planning runs taken over (worker died): {len(results.planning_runs_resumed)}",
        f"  privacy requests: reminded {results.privacy.reminded}, escalated overdue "
        f"{results.privacy.escalated}, moved off leavers {results.privacy.reassigned}",
    ]
    lines += [f"  PROBLEM: {p}" for p in results.problems]
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Run the periodic checks once: missed service levels escalate to the owner's supervisor by name; "
        "unanswered handover and transfer offers expire; vulnerable customers nobody has contacted, "
        "requests left in a team that no longer handles their need, and visits nobody checked in to, raise "
        "alerts to a named person."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="Pretend it is this time (ISO 8601, e.g. 2026-11-25T10:00 or …+00:00).")

    def handle(self, *args: Any, **options: Any) -> None:
        at = None
        if options["at"]:
            at = parse_datetime(options["at"])
            if at is None:
                raise CommandError(f"--at {options['at']!r} is not an ISO 8601 date and time, e.g. 2026-11-25T10:00.")
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
        self.stdout.write(describe(sweep_all(at=at)))
