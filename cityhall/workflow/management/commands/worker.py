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


def run_queued_tasks(worker_id: str, max_tasks: int) -> None:
    """Run queued django-tasks jobs until the queue is empty or `max_tasks` ran."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=max_tasks, worker_id=worker_id[:64],
        excluded_queue_names=[],
    ).run()


class Command(BaseCommand):
    help = "Run the background work: deadline sweeps, notification delivery, queued tasks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between rounds")
        parser.add_argument("--once", action="store_true", help="run one round and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = f"{socket.gethostname()}-{os.getpid()}"
        self.stdout.write(f"worker {worker_id} started")
        while True:
            close_old_connections()
            swept = sweep()
            delivered = deliver_outbox(worker=worker_id)
            run_queued_tasks(worker_id, max_tasks=100)
            if swept.total or delivered.sent or delivered.retried or delivered.failed:
                self.stdout.write(
                    f"reminded {swept.reminded}, escalated {swept.escalated}, "
                    f"closed {swept.closed}; sent {delivered.sent}, "
                    f"retry {delivered.retried}, failed {delivered.failed}"
                )
            if options["once"]:
                return
            time.sleep(options["interval"])
