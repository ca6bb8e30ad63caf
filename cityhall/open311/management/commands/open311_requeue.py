"""`cityhall open311_requeue`: queue again Open311 submissions still waiting (a worker died)."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from cityhall.open311.intake import requeue_waiting


class Command(BaseCommand):
    help = "Queue again the accepted Open311 submissions still waiting after some minutes."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--minutes", type=int, default=10,
                            help="only those accepted longer ago than this (default 10)")

    def handle(self, *args: Any, **options: Any) -> None:
        count = requeue_waiting(older_than=dt.timedelta(minutes=options["minutes"]))
        self.stdout.write(f"queued again: {count}")
