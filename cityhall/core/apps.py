from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from cityhall.core.files.orphans import OrphanSweep


class CoreConfig(AppConfig):
    name = "cityhall.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from cityhall.core import checks, jobs

        checks.register()

        # Tasks enqueued with django-tasks (`@task`, database backend) run in the worker
        # too: after the apps' periodic jobs, before the outbox delivers what they wrote.
        jobs.register("core.tasks", jobs.run_queued_tasks, per_round=100, order=70,
                      says=lambda ran: {"ran": ran})
        # Files a rolled-back upload left in storage, at most hourly (core.files.orphans).
        jobs.register("core.file_orphans", _sweep_orphans, per_round=1000, order=95,
                      says=lambda swept: {"deleted": swept.deleted})


def _sweep_orphans(limit: int) -> OrphanSweep:
    from cityhall.core.files.orphans import sweep_orphans

    return sweep_orphans(limit)
