"""Run one sweep of the service-level checks: `manage.py sweep [--at 2026-11-25T10:00]`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from steward.handovers.services import HandoverSweepReport, handover_sweep
from steward.requests.services import SweepReport, sla_sweep


def sweep_all(*, at: datetime | None = None) -> tuple[SweepReport, HandoverSweepReport]:
    """Every periodic check, in one place for the command and the worker."""
    report = sla_sweep(at=at)
    return report, handover_sweep(at=report.at)


def describe(report: SweepReport, handovers: HandoverSweepReport) -> str:
    lines = [
        f"Sweep as of {timezone.localtime(report.at):%Y-%m-%d %H:%M %Z}:",
        f"  first replies missed and escalated: {report.first_response_breaches}",
        f"  resolutions missed and escalated:   {report.resolution_breaches}",
        f"  closed after the reopen window:     {report.closed_after_window}",
        f"  requests moved off inactive owners: {report.repaired_owners}",
        f"  handover offers expired unanswered: {handovers.expired}",
        f"  receivers reminded of offers ending: {handovers.reminded}",
    ]
    lines += [f"  PROBLEM: {p}" for p in report.problems]
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Run the periodic checks once: missed service levels escalate to the owner's supervisor by name; "
        "unanswered handover offers expire."
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
        self.stdout.write(describe(*sweep_all(at=at)))
