"""``make bench``: build (or reuse) the benchmark dataset on SQLite and, when it can be
reached, PostgreSQL; time the operations in `bench.measure`; print p50/p95 per database
and operation and write the same report to bench/out/results.md.

    .venv/bin/python -m bench.run

Each database runs in a child process (``python -m bench.run --database NAME``) so
Django is set up for that database alone. See bench/README.md for the knobs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .databases import BASE_DIR, BenchDatabase, postgres_database, sqlite_database
from .parameters import BenchParameters

OUT_DIR = BASE_DIR / "bench" / "out"
DATABASES = ("sqlite", "postgresql")
SECTIONS = (
    ("operations", "API calls and the worker"),
    ("search", "Customer search (GET /api/v1/customers)"),
    ("pages", "Pages (server time, in-process)"),
)
PAGE_TARGET_MS = 100


def _child_environment(database: BenchDatabase) -> dict[str, str]:
    """The project's production-like settings (DEBUG off, so no query log in memory),
    pointed at the bench database, with the test client's host allowed."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database.url,
        DJANGO_SETTINGS_MODULE="config.settings.base",
        STEWARD_DEBUG="0",
        STEWARD_SECRET_KEY=os.environ.get("STEWARD_SECRET_KEY") or "bench-only-not-a-secret",
        STEWARD_ALLOWED_HOSTS="testserver,localhost,127.0.0.1",
        STEWARD_LOG_LEVEL=os.environ.get("STEWARD_LOG_LEVEL", "WARNING"),
    )
    return env


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def code_version() -> str:
    """The commit measured, and whether the working tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("BENCH_CODE_VERSION", "unknown (not a git checkout)")
    return f"{commit} (with uncommitted changes)" if dirty else commit


def machine_info() -> dict[str, Any]:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0
    return {
        "cpus": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": round(memory_gib, 1),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "code": code_version(),
    }


def _describe_counts(dataset: dict[str, Any]) -> str:
    statuses = ", ".join(
        f"{n:,} {status}" for status, n in sorted(dataset["requests_by_status"].items(), key=lambda item: -item[1])
    )
    return (
        f"{dataset['organisations']} organisations, {dataset['teams']} teams, {dataset['needs']} needs, "
        f"{dataset['staff']} staff ({dataset['staff_active']} active), {dataset['customers']:,} customers, "
        f"{dataset['contact_points']:,} contact points, {dataset['requests']:,} requests ({statuses}), "
        f"{dataset['timeline_events']:,} timeline events"
    )


def render_report(
    machine: dict[str, Any],
    parameters: BenchParameters,
    results: list[dict[str, Any]],
    skipped: list[tuple[str, str]],
    failed: list[str],
    seconds: float,
) -> str:
    """The Markdown report: machine, datasets, one table, notes."""
    lines = [
        "# Steward benchmark",
        "",
        f"- Machine: {machine['cpus']} CPUs ({machine['cpu']}), {machine['memory_gib']} GiB RAM, {machine['os']}, "
        f"Python {machine['python']}; load average at start {' / '.join(map(str, machine['load_average_at_start']))}",
        f"- Code: {machine['code']}",
        f"- Asked for: {parameters.size.describe()} (seed {parameters.seed}); {parameters.samples} timed calls per "
        f"API operation and idle sweep, {parameters.sweep_samples} sweeps with {parameters.sweep_batch} "
        "newly overdue requests each"
        + (
            f"; one transfer of {parameters.transfer_clients:,} clients between providers (each step timed once)"
            if parameters.transfer_clients
            else ""
        ),
    ]
    for result in results:
        how = "reused, generated" if result["reused"] else "generated"
        lines.append(
            f"- {result['engine']}: {how} {result['generated_at']} in {result['generation_seconds']:.0f} s; "
            f"holds {_describe_counts(result['dataset'])}"
        )
    for name, reason in skipped:
        lines.append(f"- {name}: skipped, {reason}")
    for name in failed:
        lines.append(f"- {name}: FAILED (see the output above)")
    for section, heading in SECTIONS:
        rows = [
            (r["engine"], m) for r in results for m in r["measurements"] if m.get("section", "operations") == section
        ]
        if not rows:
            continue
        lines += [
            "",
            f"## {heading}",
            "",
            "| database | operation | samples | p50 ms | p95 ms | queries |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for engine, m in rows:
            over = " ⚠" if section == "pages" and m["p95_ms"] > PAGE_TARGET_MS else ""
            lines.append(
                f"| {engine} | {m['operation']} | {m['samples']} | {m['p50_ms']:.1f} | "
                f"{m['p95_ms']:.1f}{over} | {m['queries']} |"
            )
    if any(m.get("section") == "pages" for r in results for m in r["measurements"]):
        lines += ["", f"⚠: a page's p95 above the {PAGE_TARGET_MS} ms target (issue 5)."]
    lines += ["", "Notes:"]
    for result in results:
        for m in result["measurements"]:
            if m["note"]:
                lines.append(f"- {result['engine']}, {m['operation']}: {m['note']}")
    lines.append(f"- Whole run: {seconds:.0f} s; load average at end {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return "\n".join(lines) + "\n"


def _prepare(name: str, parameters: BenchParameters, *, rebuild: bool) -> BenchDatabase | str:
    """The database ready for its child run (emptied if its dataset will not do), or why not."""
    database = sqlite_database() if name == "sqlite" else postgres_database()
    if isinstance(database, str):
        return database
    marker = database.marker()
    if rebuild or marker is None or not marker.matches(parameters.size, seed=parameters.seed, staff=parameters.staff):
        if rebuild:
            why = "BENCH_REBUILD=1"
        elif marker is None:
            why = "no complete dataset there yet"
        else:
            why = f"it holds {marker.customers:,}/{marker.requests:,}/{marker.events:,} (seed {marker.seed})"
        print(f"[{name}] starting from an empty database ({why})", file=sys.stderr, flush=True)
        database.wipe()
    return database


def orchestrate() -> int:
    started = time.perf_counter()
    try:
        parameters = BenchParameters.from_env()
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    wanted = [d.strip() for d in os.environ.get("BENCH_DATABASES", ",".join(DATABASES)).split(",") if d.strip()]
    unknown = set(wanted) - set(DATABASES)
    if unknown:
        print(f"bench: unknown BENCH_DATABASES {sorted(unknown)}; use {', '.join(DATABASES)}", file=sys.stderr)
        return 2
    rebuild = os.environ.get("BENCH_REBUILD") == "1"
    machine = machine_info()
    results: list[dict[str, Any]] = []
    skipped: list[tuple[str, str]] = []
    failed: list[str] = []
    for name in wanted:
        database = _prepare(name, parameters, rebuild=rebuild)
        if isinstance(database, str):
            print(f"[{name}] skipped: {database}", file=sys.stderr, flush=True)
            skipped.append((name, database))
            continue
        results_path = OUT_DIR / f"{name}.json"
        results_path.unlink(missing_ok=True)
        child = subprocess.run(
            [sys.executable, "-m", "bench.run", "--database", name],
            env=_child_environment(database),
            cwd=BASE_DIR,
            check=False,
        )
        if child.returncode != 0 or not results_path.exists():
            failed.append(name)
            continue
        results.append(json.loads(results_path.read_text()))
    report = render_report(machine, parameters, results, skipped, failed, time.perf_counter() - started)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "results.md").write_text(report)
    print()
    print(report)
    print(f"(written to {(OUT_DIR / 'results.md').relative_to(BASE_DIR)})")
    return 1 if failed else 0


def run_child(name: str) -> int:
    """One database's run, in this process (DATABASE_URL already points at it)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from .database_run import run_on_database

    run_on_database(name, OUT_DIR / f"{name}.json")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=DATABASES, help="(internal) run one database's part in this process")
    args = parser.parse_args(argv)
    return run_child(args.database) if args.database else orchestrate()


if __name__ == "__main__":
    sys.exit(main())
