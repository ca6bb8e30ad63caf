"""Generic queued tasks of the workflow app, run by `cityhall worker` through django-tasks."""

from __future__ import annotations

from django_tasks import task

from cityhall.workflow.engine import sweep


@task()
def sweep_now() -> int:
    """Run a deadline sweep at once (e.g. after an administrator adds a day off)."""
    return sweep().total
