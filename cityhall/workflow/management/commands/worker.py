"""`cityhall worker`: deadline sweeps, outbox delivery and queued tasks, in a loop."""

from __future__ import annotations

import os
import socket
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from cityhall.notifications.services import deliver_outbox
from cityhall.workflow.engine import sweep


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
    help = "Run the background work: deadline sweeps, notification delivery, queued tasks."

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
            if swept.total or delivered.sent or delivered.retried or delivered.failed or tasks:
                self.stdout.write(
                    f"reminded {swept.reminded}, escalated {swept.escalated}, "
                    f"closed {swept.closed}; sent {delivered.sent}, "
                    f"retry {delivered.retried}, failed {delivered.failed}; tasks {tasks}"
                )
            if options["once"]:
                return
            time.sleep(options["interval"])
            close_old_connections()  # drop connections that died or aged out while idle
