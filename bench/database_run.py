"""One database's part of ``make bench``, run in a process of its own so Django is set up
for that database alone (bench.run sets DATABASE_URL): migrate, generate the dataset
unless its marker says it is already there, measure, and write the results as JSON.

Import after ``django.setup()``.
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from steward.customers.models import ContactPoint, Customer
from steward.database_upkeep import planner_statistics_refresh
from steward.needs.models import Need
from steward.organisations.models import Organisation, StaffMember, Team
from steward.requests.models import Request
from steward.timeline.models import TimelineEvent

from . import measure, pages, transfers
from .databases import MARKER_COLUMNS, MARKER_DDL, MARKER_TABLE, Marker
from .dataset import DatasetGenerator, dataset_generate
from .parameters import BenchParameters
from .world import ORGANISATIONS, World


def say(message: str) -> None:
    print(f"[{connection.vendor}] {message}", file=sys.stderr, flush=True)


def marker_read() -> Marker | None:
    with connection.cursor() as cursor:
        if MARKER_TABLE not in connection.introspection.table_names(cursor):
            return None
        cursor.execute(f"SELECT {', '.join(MARKER_COLUMNS)} FROM {MARKER_TABLE}")
        row = cursor.fetchone()
    return Marker.from_row(row) if row else None


def marker_write(marker: Marker) -> None:
    values = [getattr(marker, column) for column in MARKER_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(MARKER_DDL)
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} ({', '.join(MARKER_COLUMNS)}) VALUES ({', '.join(['%s'] * len(values))})",
            values,
        )


def _tune_for_loading() -> None:
    """Settings for this connection only, while it loads: a load that fails is thrown
    away whole (no marker), so it need not survive a crash."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -1048576")  # 1 GiB
            cursor.execute("PRAGMA temp_store = MEMORY")
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '512MB'")


def _settle_after_loading() -> None:
    """Leave the database as it would be in service: PostgreSQL's autovacuum would have
    analysed and vacuumed the tables by now; SQLite's write-ahead log is folded back in.
    (SQLite's statistics are refreshed before measuring, as the worker does at start.)"""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (Customer, ContactPoint, Request, TimelineEvent):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()  # measurements start on a fresh connection with the project's own settings


def _generate(parameters: BenchParameters) -> tuple[Marker, dict[str, float]]:
    if Organisation.objects.exists():
        raise RuntimeError("The bench database holds data but no dataset marker; run with BENCH_REBUILD=1.")
    say(f"generating {parameters.size.describe()} (seed {parameters.seed}, ~{parameters.staff} staff)")
    started = time.perf_counter()
    _tune_for_loading()
    report = dataset_generate(parameters.size, seed=parameters.seed, staff_count=parameters.staff, defer_indexes=True)
    settle_started = time.perf_counter()
    _settle_after_loading()
    steps = asdict(report)
    steps["settle"] = time.perf_counter() - settle_started
    seconds = time.perf_counter() - started
    steps["total"] = seconds
    marker = Marker(
        customers=parameters.size.customers,
        requests=parameters.size.requests,
        events=parameters.size.events,
        seed=parameters.seed,
        staff=parameters.staff,
        generation_seconds=round(seconds, 1),
        generated_at=timezone.now().isoformat(timespec="seconds"),
    )
    marker_write(marker)
    say(f"generated in {seconds:.0f} s")
    return marker, {k: round(v, 1) for k, v in steps.items()}


def _engine() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def _dataset_counts() -> dict[str, Any]:
    statuses = dict(Request.objects.values("status").annotate(n=Count("id")).values_list("status", "n"))
    world = [o.name for o in ORGANISATIONS]  # not the transfer scenario's organisations (bench.transfers)
    staff = StaffMember.objects.filter(organisation__name__in=world)
    return {
        "organisations": Organisation.objects.filter(name__in=world).count(),
        "teams": Team.objects.filter(organisation__name__in=world).count(),
        "needs": Need.objects.filter(organisation__name__in=world).count(),
        "staff": staff.count(),
        "staff_active": staff.filter(is_active=True).count(),
        "customers": Customer.objects.count(),
        "contact_points": ContactPoint.objects.count(),
        "requests": sum(statuses.values()),
        "requests_by_status": statuses,
        "timeline_events": TimelineEvent.objects.count(),
    }


def run_on_database(name: str, results_path: Path) -> None:
    """The whole run for the database Django is configured with."""
    parameters = BenchParameters.from_env()
    say("migrating")
    call_command("migrate", interactive=False, verbosity=0)
    marker = marker_read()
    steps: dict[str, float] = {}
    reused = marker is not None
    if marker is None:
        marker, steps = _generate(parameters)
    else:
        say(f"reusing the dataset generated {marker.generated_at} (BENCH_REBUILD=1 builds it again)")
    say("refreshing the planner's statistics, as `manage.py worker` does when it starts")
    planner_statistics_refresh()
    world = World.load()
    generator = DatasetGenerator(world, seed=parameters.seed + 1)
    rng = random.Random(parameters.seed)
    measurements = []
    leftovers = transfers.scenario_clear()  # an interrupted run's transfer must not weigh on the timings below
    if leftovers:
        say(f"cleared the transfer scenario an earlier run left: {leftovers}")
    say("timing the first sweep")
    measurements.append(measure.first_sweep())
    say(f"timing capture ({parameters.samples} calls)")
    measurements.append(measure.capture(generator, rng, samples=parameters.samples))
    say(f"timing the team queue ({parameters.samples} calls)")
    measurements.append(measure.team_queue(samples=parameters.samples))
    say(f"timing customer timelines ({parameters.samples} calls)")
    measurements.append(measure.customer_timeline(rng, samples=parameters.samples))
    say(f"timing customer search ({parameters.samples} calls per kind of query)")
    measurements += pages.customer_search(rng, samples=parameters.samples)
    say(f"timing pages ({parameters.samples} views each)")
    measurements += pages.page_timings(rng, samples=parameters.samples)
    say(
        f"timing sweeps ({parameters.samples} idle, {parameters.sweep_samples} with "
        f"{parameters.sweep_batch} overdue each)"
    )
    measurements += measure.sweeps(
        generator, idle_samples=parameters.samples, busy_samples=parameters.sweep_samples, batch=parameters.sweep_batch
    )
    if parameters.transfer_clients > 0:
        measurements += transfers.transfer_measure(clients=parameters.transfer_clients, seed=parameters.seed, say=say)
    results = {
        "database": name,
        "engine": _engine(),
        "reused": reused,
        "generated_at": marker.generated_at,
        "generation_seconds": marker.generation_seconds,
        "generation_steps": steps,
        "requested": asdict(parameters.size),
        "dataset": _dataset_counts(),
        "parameters": {k: v for k, v in asdict(parameters).items() if k != "size"},
        "measurements": [m.as_dict() for m in measurements],
    }
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2, default=str))
