"""Background work for schedules: planning a run's days.

The task takes the run's id and is safe to run twice or from two workers at once: only
the one that moves the run from *waiting* to *planning* (a conditional update) does the
work; the other returns straight away.
"""

from __future__ import annotations

from django_tasks import task


@task()
def schedule_run_task(run_id: int) -> str:
    """Plan the run's days and save a draft schedule for each; returns the run's status."""
    from .planning import run_execute  # planning imports the engine; keep importing this module cheap

    return run_execute(run_id=run_id)
