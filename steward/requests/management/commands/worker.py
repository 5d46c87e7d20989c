"""The background worker: sweeps every STEWARD_SWEEP_INTERVAL_SECONDS and runs queued
tasks (notification emails) in between; refreshes the query planner's statistics hourly.
Run as many as you like: sweeps and tasks are idempotent and claim their work row by row."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from steward.database_upkeep import planner_statistics_refresh

from .sweep import describe, sweep_all

STATISTICS_EVERY_SECONDS = 3600
TASKS_EVERY_SECONDS = 3


class Command(BaseCommand):
    help = "Run the periodic sweeps forever (Ctrl-C to stop); also drains the task queue between sweeps."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=int, default=settings.STEWARD_SWEEP_INTERVAL_SECONDS)
        parser.add_argument("--once", action="store_true", help="Sweep and drain the queue once, then exit.")
        parser.add_argument("--no-tasks", action="store_true", help="Only sweep; leave tasks to `db_worker`.")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        statistics_refreshed = float("-inf")
        while not stopping:
            started = time.monotonic()
            if started - statistics_refreshed > STATISTICS_EVERY_SECONDS:
                planner_statistics_refresh()
                statistics_refreshed = started
            results = sweep_all()
            if results.changes or results.problems or options["once"]:
                self.stdout.write(describe(results))
            drains_tasks = not options["no_tasks"] and "DatabaseBackend" in settings.TASKS["default"]["BACKEND"]
            if drains_tasks:
                call_command("db_worker", batch=True, verbosity=0)
            if options["once"]:
                return
            # Between sweeps, queued tasks (emails, a transfer's offers) run within a few
            # seconds of being queued rather than at the next sweep.
            last_drain = time.monotonic()
            while not stopping and time.monotonic() - started < options["interval"]:
                time.sleep(0.5)
                if drains_tasks and time.monotonic() - last_drain >= TASKS_EVERY_SECONDS:
                    call_command("db_worker", batch=True, verbosity=0)
                    last_drain = time.monotonic()
