"""Carrying out a run: one worker plans it, each day gets a draft with every visit placed or
unplaced with its reason, the run shows its progress and figures, and failures say why."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from steward.alerts.tests.factories import make_care_world
from steward.care.tests.factories import make_care_agreement, make_carer, make_pattern
from steward.scheduling import care_solver
from steward.visits.models import Schedule, ScheduleRun, Visit
from steward.visits.planning import run_execute
from steward.visits.services import schedule_run_request
from steward.visits.tests.engine_stand_in import stand_in_solve

pytestmark = pytest.mark.django_db


def _world() -> Any:
    world = make_care_world()
    alice = make_carer(staff=world.provider.alice, skills=["personal-care"])
    bob = make_carer(staff=world.provider.bob, skills=["personal-care"], place=(53.49, -2.25))
    care = make_care_agreement(agreement=world.agreement, place=(53.5, -2.2))
    morning = make_pattern(care=care, label="Help getting up", skills=["personal-care"])
    hoist = make_pattern(
        care=care,
        label="Hoist to bed",
        skills=["hoist"],
        carers_needed=2,
        preferred=(time(13, 0), time(13, 30)),
        acceptable=(time(12, 30), time(14, 0)),
    )
    return world, alice, bob, morning, hoist


def _run(world: Any, days: int = 2) -> ScheduleRun:
    tomorrow = timezone.localdate() + timedelta(days=1)
    return schedule_run_request(
        organisation=world.provider.org,
        first_day=tomorrow,
        last_day=tomorrow + timedelta(days=days - 1),
        reason="Next days",
        actor=world.provider.lead,
        seed=3,
    )


def test_a_run_saves_a_draft_per_day_with_every_visit_placed_or_explained() -> None:
    world, alice, _bob, morning, hoist = _world()
    run = _run(world)

    assert run_execute(run_id=run.pk, solve=stand_in_solve) == ScheduleRun.Status.DONE

    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.DONE
    assert run.progress_percent == 100
    assert "2 days planned" in run.progress_message
    assert run.started_at and run.finished_at
    drafts = list(Schedule.objects.filter(run=run).order_by("day"))
    assert [s.day for s in drafts] == [run.first_day, run.last_day]
    assert all(s.status == Schedule.Status.DRAFT for s in drafts)
    getting_up = Visit.objects.get(schedule=drafts[0], pattern=morning)
    assert getting_up.status == Visit.Status.PLANNED
    assert timezone.localtime(getting_up.planned_start).time() == time(8, 0)
    assert getting_up.minutes_outside_preferred == 0
    (part,) = getting_up.assignments.all()
    assert part.carer == alice and part.route_order == 1 and part.travel_minutes == 7
    assert part.planned_end - part.planned_start == timedelta(minutes=30)
    hoisting = Visit.objects.get(schedule=drafts[0], pattern=hoist)
    assert hoisting.status == Visit.Status.UNPLACED
    assert hoisting.unplaced_reason == Visit.UnplacedReason.NO_SKILLED_CARER
    assert hoisting.unplaced_detail == "Needs a hoist"
    assert not hoisting.assignments.exists()
    figures = drafts[0].summary["figures"]
    assert (figures["visits"], figures["planned"], figures["unplaced"]) == (2, 1, 1)
    assert figures["percent_in_preferred"] == 50.0
    assert run.summary["visits"] == 4 and run.summary["unplaced"] == 2
    assert [d["day"] for d in run.summary["days"]] == [run.first_day.isoformat(), run.last_day.isoformat()]


def test_running_the_task_again_or_from_a_second_worker_changes_nothing() -> None:
    world, *_ = _world()
    run = _run(world, days=1)
    run_execute(run_id=run.pk, solve=stand_in_solve)
    assert run_execute(run_id=run.pk, solve=stand_in_solve) == ScheduleRun.Status.DONE
    assert Schedule.objects.filter(run=run).count() == 1

    other = _run(make_care_world(), days=1)
    ScheduleRun.objects.filter(pk=other.pk).update(status=ScheduleRun.Status.RUNNING)
    assert run_execute(run_id=other.pk, solve=stand_in_solve) == ScheduleRun.Status.RUNNING
    assert not Schedule.objects.filter(run=other).exists()


def test_a_failure_is_recorded_in_plain_words() -> None:
    world, *_ = _world()
    run = _run(world)
    calls = []

    def breaks_on_the_second_day(problem: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the engine ran out of memory")
        return stand_in_solve(problem, **kwargs)

    assert run_execute(run_id=run.pk, solve=breaks_on_the_second_day) == ScheduleRun.Status.FAILED

    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.FAILED
    assert run.error.startswith(f"Planning {run.last_day:%A %-d %B} failed: the engine ran out of memory.")
    assert "The 1 day before it were planned" in run.error
    assert Schedule.objects.filter(run=run).count() == 1


def test_the_same_seed_and_data_give_the_same_drafts() -> None:
    world, *_ = _world()

    def plan() -> list[tuple[Any, ...]]:
        run = _run(world, days=1)
        run_execute(run_id=run.pk, solve=stand_in_solve)
        return list(
            Visit.objects.filter(schedule__run=run)
            .order_by("pattern_id")
            .values_list("pattern_id", "status", "planned_start", "assignments__carer_id")
        )

    assert plan() == plan()


def test_progress_is_written_while_planning_but_not_on_every_tick(monkeypatch) -> None:
    world, *_ = _world()
    run = _run(world, days=2)
    seen: list[tuple[int, str]] = []

    def watching(problem: Any, *, progress: Any, **kwargs: Any) -> Any:
        progress(50, "half way")
        row = ScheduleRun.objects.get(pk=run.pk)
        seen.append((row.progress_percent, row.progress_message))
        return stand_in_solve(problem, **kwargs)

    run_execute(run_id=run.pk, solve=watching)
    # Within a second of the day's first report, the engine's tick is not written.
    assert seen[0] == (0, f"{run.first_day:%A %-d %B}: reading visits and carers")

    monkeypatch.setattr("steward.visits.planning.PROGRESS_EVERY_SECONDS", 0)
    seen.clear()
    run = _run(world, days=2)
    run_execute(run_id=run.pk, solve=watching)
    # Half of the second day is three quarters of the run.
    assert seen == [(25, f"{run.first_day:%A %-d %B}: half way"), (75, f"{run.last_day:%A %-d %B}: half way")]
    run.refresh_from_db()
    assert run.progress_percent == 100


def test_the_queued_task_plans_with_the_engine_when_the_request_commits(
    django_capture_on_commit_callbacks, monkeypatch
) -> None:
    world, *_ = _world()
    monkeypatch.setattr("steward.visits.planning._engine", lambda: stand_in_solve)
    with django_capture_on_commit_callbacks(execute=True):
        run = _run(world, days=1)
    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.DONE
    assert Schedule.objects.filter(run=run, status=Schedule.Status.DRAFT).count() == 1


def test_a_run_whose_worker_died_is_resumed_by_the_sweep_for_the_days_it_had_not_saved(monkeypatch) -> None:
    from steward.visits.planning import runs_resume_stale
    from steward.visits.tests.factories import make_schedule

    monkeypatch.setattr("steward.visits.planning._engine", lambda: stand_in_solve)
    world, *_ = _world()
    run = _run(world, days=2)
    first = make_schedule(
        organisation=world.provider.org,
        day=run.first_day,
        status=Schedule.Status.DRAFT,
        run=run,
        summary={"figures": {"visits": 5, "unplaced": 0}},
    )
    an_hour_ago = timezone.now() - timedelta(hours=1)
    ScheduleRun.objects.filter(pk=run.pk).update(status=ScheduleRun.Status.RUNNING, started_at=an_hour_ago)
    still_fresh = _run(make_care_world(), days=1)
    ScheduleRun.objects.filter(pk=still_fresh.pk).update(status=ScheduleRun.Status.RUNNING, started_at=timezone.now())

    assert runs_resume_stale() == [run.pk]

    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.DONE
    drafts = list(Schedule.objects.filter(run=run).order_by("day"))
    assert [d.pk for d in drafts][:1] == [first.pk] and len(drafts) == 2
    assert run.summary["visits"] == 5 + 2  # the saved day's figures and the new day's
    assert ScheduleRun.objects.get(pk=still_fresh.pk).status == ScheduleRun.Status.RUNNING


def test_a_slow_worker_whose_run_was_taken_over_writes_nothing() -> None:
    world, *_ = _world()
    run = _run(world, days=1)

    def taken_over_meanwhile(problem: Any, **kwargs: Any) -> Any:
        # Another worker thought this one dead and took the run over while it searched.
        ScheduleRun.objects.filter(pk=run.pk).update(started_at=timezone.now() + timedelta(seconds=5))
        return stand_in_solve(problem, **kwargs)

    assert run_execute(run_id=run.pk, solve=taken_over_meanwhile) == ScheduleRun.Status.RUNNING

    assert not Schedule.objects.filter(run=run).exists()
    run.refresh_from_db()
    assert run.status == ScheduleRun.Status.RUNNING  # the other worker's to finish


def test_a_plan_that_breaks_a_rule_is_refused_and_not_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker stands between the engine and the drafts: a plan with a visit outside
    its acceptable window fails the run in words and leaves no draft for that day."""
    world, *_ = _world()
    run = _run(world, days=1)

    def comes_too_late(problem: Any, **kwargs: Any) -> Any:
        plan = stand_in_solve(problem, **kwargs)
        latest = {need.key: need.acceptable[1] for need in problem.visits}
        visits = tuple(
            replace(v, parts=tuple(replace(part, start=latest[v.key] + 60) for part in v.parts)) for v in plan.visits
        )
        assert any(v.parts for v in visits)  # the stand-in placed something to break
        return replace(plan, visits=visits)

    monkeypatch.setattr(care_solver, "solve_care", comes_too_late)  # what the worker's engine returns
    assert run_execute(run_id=run.pk) == ScheduleRun.Status.FAILED

    run.refresh_from_db()
    assert "the engine's plan broke a rule" in run.error
    assert "it was not saved" in run.error
    assert not Schedule.objects.filter(run=run).exists()
