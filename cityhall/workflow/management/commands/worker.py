"""`cityhall worker`: deadline sweeps, outbox delivery, queued tasks and Open311 intakes."""

from __future__ import annotations

import os
import socket
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from cityhall.notifications.services import deliver_outbox
from cityhall.open311.intake import file_pending
from cityhall.workflow.engine import sweep

#: Queued Open311 submissions filed per round at most, so sweeps and delivery keep their turn.
INTAKES_PER_ROUND = 500


def run_queued_tasks(worker_id: str, max_tasks: int) -> int:
    """Run queued django-tasks jobs until the queue is empty or `max_tasks` ran.

    Claiming and running use django-tasks-db's own pieces (SKIP LOCKED on
    PostgreSQL, an exclusive transaction on SQLite); its polling loop is not
    used because this worker has its own.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    runner = Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=max_tasks, worker_id=worker_id[:64],
        excluded_queue_names=[],
    )
    ran = 0
    while ran < max_tasks:
        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        with exclusive_transaction(ready.db):
            found = ready.get_locked()
            if found is not None:
                found.claim(runner.worker_id)
        if found is None:
            break
        runner.run_task(found)
        ran += 1
    return ran


class Command(BaseCommand):
    help = ("Run the background work: deadline sweeps, notification delivery, queued tasks, "
            "queued Open311 submissions.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between rounds")
        parser.add_argument("--once", action="store_true", help="run one round and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = f"{socket.gethostname()}-{os.getpid()}"
        self.stdout.write(f"worker {worker_id} started")
        while True:
            swept = sweep()
            delivered = deliver_outbox(worker=worker_id)
            tasks = run_queued_tasks(worker_id, max_tasks=100)
            intakes = file_pending(limit=INTAKES_PER_ROUND)
            if (swept.total or delivered.sent or delivered.retried or delivered.failed or tasks
                    or intakes.total):
                self.stdout.write(
                    f"reminded {swept.reminded}, escalated {swept.escalated}, "
                    f"closed {swept.closed}; sent {delivered.sent}, "
                    f"retry {delivered.retried}, failed {delivered.failed}; tasks {tasks}; "
                    f"Open311 filed {intakes.filed}, refused {intakes.refused}, "
                    f"retry {intakes.retried}, given up {intakes.failed}"
                )
            if options["once"]:
                return
            if intakes.total < INTAKES_PER_ROUND:
                # A full round means a backlog: go on at once instead of sleeping.
                time.sleep(options["interval"])
            close_old_connections()  # drop connections that died or aged out while idle
