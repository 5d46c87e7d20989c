"""Carrying out a schedule run: claim it, plan each day, save the drafts."""

from __future__ import annotations

from django.utils import timezone

from .models import ScheduleRun


def run_claim(*, run_id: int) -> bool:
    """Move a waiting run to *planning*; False if it was not waiting (another worker has it, or it ended)."""
    return bool(
        ScheduleRun.objects.filter(pk=run_id, status=ScheduleRun.Status.QUEUED).update(
            status=ScheduleRun.Status.RUNNING,
            started_at=timezone.now(),
            progress_percent=0,
            progress_message="Starting.",
        )
    )


def run_execute(*, run_id: int) -> str:
    if not run_claim(run_id=run_id):
        status = ScheduleRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
        return str(status or "missing")
    ScheduleRun.objects.filter(pk=run_id).update(
        status=ScheduleRun.Status.FAILED,
        finished_at=timezone.now(),
        error="The planner is not ready yet.",
    )
    return ScheduleRun.Status.FAILED
