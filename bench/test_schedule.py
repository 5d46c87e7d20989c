"""``make bench-schedule`` keeps working: on a folder of instances the test writes itself,
it solves, writes each solution in the format, checks it and prints the gap table."""

from __future__ import annotations

import json

from bench import schedule
from steward.scheduling.hhcrsp_check import check
from steward.scheduling.tests.instances import random_instance, tiny_instance

BEST_KNOWN = """# Best published results

| instance | distance_traveled | max_tardiness | total_tardiness | total_cost |
|---|---:|---:|---:|---:|
| tiny.json | 129 | 7 | 7 | 47.667 |
| random_12.json | 1 | 0 | 0 | 1.5 |
"""


def test_bench_solves_writes_checks_and_reports(tmp_path, monkeypatch, capsys) -> None:
    data = tmp_path / "hhcrsp"
    (data / "toy").mkdir(parents=True)
    (data / "toy" / "tiny.json").write_text(json.dumps(tiny_instance()))
    (data / "toy" / "random_12.json").write_text(json.dumps(random_instance(12, 3, seed=1)))
    (data / "best_known.md").write_text(BEST_KNOWN)
    out = tmp_path / "out"
    monkeypatch.setenv("HHCRSP_DIR", str(data))
    monkeypatch.setenv("HHCRSP_OUT", str(out))
    monkeypatch.setenv("HHCRSP_LIMITS", "0.3")
    monkeypatch.setenv("BENCH_SCHEDULE", "hhcrsp")
    monkeypatch.delenv("HHCRSP_ONLY", raising=False)
    monkeypatch.delenv("HHCRSP_MAX_PATIENTS", raising=False)

    assert schedule.main() == 0

    written = json.loads((out / "toy" / "0.3s" / "tiny.json").read_text())
    assert written["instance"] == "tiny.json"
    assert check(tiny_instance(), written).valid
    printed = capsys.readouterr().out
    assert "| toy | tiny.json | 3 | 0.3 |" in printed
    assert "| 47.67 | " in printed  # the best known, read from best_known.md
    assert "mean gap up to 100 patients" in printed
    assert (out / "results.md").read_text().strip() == printed.strip()


def test_bench_keeps_only_the_instances_asked_for(tmp_path, monkeypatch) -> None:
    (tmp_path / "a").mkdir()
    for name in ("x_10_1.json", "x_25_1.json"):
        (tmp_path / "a" / name).write_text(json.dumps(tiny_instance()))
    chosen = schedule._instances(tmp_path, ["_10_"], None)
    assert [path.name for _, path, _ in chosen] == ["x_10_1.json"]
    assert schedule._instances(tmp_path, [], 2) == []


def test_best_known_reads_the_tables(tmp_path) -> None:
    (tmp_path / "best_known.md").write_text(BEST_KNOWN)
    assert schedule.best_known(tmp_path) == {"tiny.json": 47.667, "random_12.json": 1.5}


def test_bench_runs_the_realistic_day_alone_and_checks_every_plan(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("BENCH_SCHEDULE", "day")
    monkeypatch.setenv("DAY_ITERATIONS", "3")
    monkeypatch.setenv("DAY_OUT", str(tmp_path))

    assert schedule.main() == 0

    printed = capsys.readouterr().out
    assert "| 0 | care engine |" in printed
    assert "| 0 | staff-first |" in printed
    # Last week's rota, from which the usual carers come: it keeps every one of them.
    assert "| 0 | by hand (last week's rota) |" in printed
    assert "NO:" not in printed
    assert "HHCRSP results" not in printed
    # Six generated days by default, so the verdicts are not one run's luck.
    assert "Care engine against the issue's targets, over 6 runs:" in printed
    assert "| 5 | care engine |" in printed
    assert (tmp_path / "results.md").read_text().strip() == printed.strip()


def _engine_row(window: tuple[int, int], usual: tuple[int, int], wall: float, planner: str = "care engine"):
    from bench.realistic_day import DayRow
    from steward.scheduling.care_check import CareMetrics

    metrics = CareMetrics(
        visits=10, placed=10, unplaced=0, in_preferred=9, minutes_outside=5, with_usual_carers=8,
        kept_usual_carer=7, travel_minutes=100, overtime_minutes=0,
    )  # fmt: skip
    return DayRow(
        seed=0,
        planner=planner,
        cpu_seconds=wall,
        wall_seconds=wall,
        metrics=metrics,
        feasible_in_preferred=window[1],
        in_preferred_of_feasible=window[0],
        usual_working=usual[1],
        kept_of_working=usual[0],
        errors=(),
    )


def test_the_day_report_sets_every_engine_run_against_the_issues_targets() -> None:
    from bench.realistic_day import against_targets

    rows = [
        _engine_row((96, 100), (85, 100), 28.1, "care engine, search seed 0"),
        _engine_row((94, 100), (78, 100), 28.4, "care engine, search seed 1"),
        # The baselines are not the engine: they do not count.
        _engine_row((30, 100), (5, 100), 0.1, "staff-first"),
    ]

    lines = against_targets(rows)

    assert lines[0] == "Care engine against the issue's targets, over 2 runs:"
    assert "95 %: 95.0 % on average (94.0–96.0); 1 of 2 runs at or above it — met on average" in lines[2]
    assert "80 %: 81.5 % on average (78.0–85.0); 1 of 2 runs at or above it — met on average" in lines[3]
    assert "the slowest took 28.4 s (wall) — met" in lines[4]

    short = against_targets([_engine_row((90, 100), (85, 100), 31.0)])
    assert short[0].endswith("over 1 run:")
    assert short[2].endswith("0 of 1 runs at or above it — not met")
    assert short[3].endswith("1 of 1 runs at or above it — met")
    assert short[4].endswith("— not met")
    assert against_targets([_engine_row((90, 100), (85, 100), 1.0, "staff-first")]) == []
