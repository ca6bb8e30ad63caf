"""`cityhall open311_requeue`: make Open311 submissions waiting out a retry delay due now."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from cityhall.open311.intake import requeue_waiting


class Command(BaseCommand):
    help = ("Make the accepted Open311 submissions that wait for a retry due at once (after "
            "an outage is fixed); workers claim due submissions by themselves.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--minutes", type=int, default=10,
                            help="only those accepted longer ago than this (default 10)")

    def handle(self, *args: Any, **options: Any) -> None:
        count = requeue_waiting(older_than=dt.timedelta(minutes=options["minutes"]))
        self.stdout.write(f"queued again: {count}")
