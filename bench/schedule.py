"""``make bench-schedule``: the scheduler on the standard HHCRSP instances, and the care
engine on a realistic day (:mod:`bench.realistic_day`).

``BENCH_SCHEDULE`` chooses what runs: ``hhcrsp``, ``day``, or both (the default,
``hhcrsp,day``). Without the HHCRSP instances the day still runs.

For every instance under ``HHCRSP_DIR`` (the public JSON format; Mankowska et al. 2014
and the Italian real-road set), solve once per time limit, write the solution in the
format's solution format under ``HHCRSP_OUT``, check it with the independent checker
(:mod:`steward.scheduling.hhcrsp_check`), and print cost, best known (``best_known.md``
beside the instances), gap and validity, then the mean gap per limit for instances up to
100 patients and for the larger ones.

    .venv/bin/python -m bench.schedule

Knobs (environment):

    HHCRSP_DIR           instances (default ../shared/benchmarks/hhcrsp beside the project)
    HHCRSP_OUT           where solutions and results.md go (default bench/out/hhcrsp)
    HHCRSP_LIMITS        seconds per solve, comma-separated (default 10,60)
    HHCRSP_ONLY          comma-separated pieces of "set/file" to keep, e.g. "_10_,_25_" or "italian"
    HHCRSP_MAX_PATIENTS  skip larger instances (e.g. 100 for the target set)
    HHCRSP_ENGINE        lns (default) or ortools
    HHCRSP_SEED          search seed (default 0)
    HHCRSP_CLOCK         wall (default) or cpu: count this process's processor time, so a
                         run beside other work is still given its seconds
    BENCH_SCHEDULE       hhcrsp, day, or hhcrsp,day (default)
    DAY_SEEDS, DAY_SEARCH_SEEDS, DAY_LIMIT, DAY_CLOCK, DAY_ITERATIONS, DAY_OUT   see bench.realistic_day
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.realistic_day import load_words
from steward.scheduling import hhcrsp
from steward.scheduling.hhcrsp_check import check
from steward.scheduling.solver import NoPlan, SolveOptions, solve

BASE_DIR = Path(__file__).resolve().parent.parent
TARGET_PATIENTS = 100


@dataclass
class Row:
    set_name: str
    instance: str
    patients: int
    limit: float
    seconds: float
    cost: float | None
    best: float | None
    valid: bool
    note: str = ""

    @property
    def gap(self) -> float | None:
        if self.cost is None or not self.best:
            return None
        return 100 * (self.cost - self.best) / self.best


def best_known(directory: Path) -> dict[str, float]:
    """Instance file name → best published total cost, from best_known.md's tables."""
    path = directory / "best_known.md"
    found: dict[str, float] = {}
    if not path.exists():
        return found
    for line in path.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].endswith(".json"):
            try:
                found[cells[0]] = float(cells[-1])
            except ValueError:
                continue
    return found


def _instances(directory: Path, only: list[str], max_patients: int | None) -> list[tuple[str, Path, int]]:
    chosen = []
    for path in sorted(directory.glob("*/*.json"), key=_natural):
        key = f"{path.parent.name}/{path.name}"
        if only and not any(piece in key for piece in only):
            continue
        patients = len(json.loads(path.read_text())["patients"])
        if max_patients and patients > max_patients:
            continue
        chosen.append((path.parent.name, path, patients))
    return chosen


def _natural(path: Path) -> tuple:
    return (path.parent.name, [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)])


def _format(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value + 0.0:.{digits}f}".replace("-0.0", "0.0")


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def report(rows: list[Row], limits: list[float], header: str) -> str:
    lines = [header, ""]
    lines.append("| set | instance | patients | limit s | cost | best known | gap % | valid |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        lines.append(
            f"| {row.set_name} | {row.instance} | {row.patients} | {row.limit:g} | {_format(row.cost)} | "
            f"{_format(row.best)} | {_format(row.gap, 1)} | {'yes' if row.valid else 'NO ' + row.note} |"
        )
    lines.append("")
    for limit in limits:
        at = [r for r in rows if r.limit == limit]
        small = [r.gap for r in at if r.patients <= TARGET_PATIENTS and r.gap is not None]
        large = [r.gap for r in at if r.patients > TARGET_PATIENTS and r.gap is not None]
        invalid = sum(not r.valid for r in at)
        lines.append(
            f"- {limit:g} s: mean gap up to {TARGET_PATIENTS} patients {_format(_mean(small), 1)} % "
            f"({len(small)} instances); above {TARGET_PATIENTS} {_format(_mean(large), 1)} % "
            f"({len(large)} instances); invalid or unsolved: {invalid}"
        )
    return "\n".join(lines) + "\n"


def _commit() -> str:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, check=False
        )
    except OSError:
        return "unknown"
    return found.stdout.strip() or "unknown"


def main() -> int:
    parts = {x.strip() for x in os.environ.get("BENCH_SCHEDULE", "hhcrsp,day").split(",") if x.strip()}
    code = 0
    if "hhcrsp" in parts:
        code = hhcrsp_main(required="day" not in parts)
    if "day" in parts:
        from bench import realistic_day

        code = max(code, realistic_day.main())
    return code


def hhcrsp_main(*, required: bool = True) -> int:
    """The HHCRSP table; without the instances, 2 when they were the only thing asked for."""
    directory = Path(os.environ.get("HHCRSP_DIR") or BASE_DIR.parent / "shared" / "benchmarks" / "hhcrsp")
    out = Path(os.environ.get("HHCRSP_OUT") or BASE_DIR / "bench" / "out" / "hhcrsp")
    limits = [float(x) for x in os.environ.get("HHCRSP_LIMITS", "10,60").split(",") if x.strip()]
    only = [x.strip() for x in os.environ.get("HHCRSP_ONLY", "").split(",") if x.strip()]
    max_patients = int(os.environ["HHCRSP_MAX_PATIENTS"]) if os.environ.get("HHCRSP_MAX_PATIENTS") else None
    engine = os.environ.get("HHCRSP_ENGINE", "lns")
    seed = int(os.environ.get("HHCRSP_SEED", "0"))
    clock = "cpu" if os.environ.get("HHCRSP_CLOCK") == "cpu" else "wall"
    if not directory.is_dir():
        print(f"No HHCRSP instances at {directory}: set HHCRSP_DIR to the folder holding mankowska/ and italian/.")
        return 2 if required else 0
    best = best_known(directory)
    chosen = _instances(directory, only, max_patients)
    load_before = os.getloadavg()
    commit = _commit()
    print(
        f"HHCRSP bench: {len(chosen)} instances × limits {limits} s, engine {engine}, seed {seed}, "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} at start",
        file=sys.stderr,
    )
    rows: list[Row] = []
    for limit in limits:
        for set_name, path, patients in chosen:
            raw = json.loads(path.read_text())
            instance = hhcrsp.instance_from_dict(raw, name=path.name)
            started = time.perf_counter()
            try:
                solution = solve(instance, SolveOptions(time_limit=limit, seed=seed, engine=engine, clock=clock))  # type: ignore[arg-type]
            except NoPlan as error:
                rows.append(
                    Row(
                        set_name,
                        path.name,
                        patients,
                        limit,
                        time.perf_counter() - started,
                        None,
                        None,
                        False,
                        str(error),
                    )
                )
                continue
            seconds = time.perf_counter() - started
            target = out / set_name / f"{limit:g}s" / path.name
            hhcrsp.write_solution(solution, target, instance_name=path.name)
            checked = check(raw, json.loads(target.read_text()))
            row = Row(
                set_name,
                path.name,
                patients,
                limit,
                seconds,
                checked.cost,
                best.get(path.name),
                checked.valid,
                "; ".join(checked.errors[:2]),
            )
            rows.append(row)
            print(
                f"  {set_name}/{path.name} ({patients} patients) {limit:g} s: cost {_format(row.cost)}, "
                f"best {_format(row.best)}, gap {_format(row.gap, 1)} %, {'valid' if row.valid else 'INVALID'}",
                file=sys.stderr,
                flush=True,
            )
    load_after = os.getloadavg()
    header = (
        f"HHCRSP results — engine {engine} at commit {commit}, seed {seed}, {clock} clock, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load_before[0]:.2f} → {load_after[0]:.2f}" + load_words(load_before[0], load_after[0])
    )
    text = report(rows, limits, header)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(text)
    print(text)
    return 0 if all(r.valid for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
