"""`cityhall calendar due|days`: deadlines and days off from the working-day calendar."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cityhall.workflow.calendar_data import current_calendar


class Command(BaseCommand):
    help = "Compute a deadline in working time, or list a year's non-working days."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        due = sub.add_parser("due", help="print the deadline as ISO 8601")
        due.add_argument("--start", required=True, help="ISO 8601 moment with its UTC offset")
        span = due.add_mutually_exclusive_group(required=True)
        span.add_argument("--working-days", type=int)
        span.add_argument("--working-hours", type=float)
        days = sub.add_parser("days", help="list the non-working days of a year")
        days.add_argument("year", type=int)
        days.add_argument("--weekends", action="store_true", help="include plain weekends")

    def handle(self, *args: Any, **options: Any) -> None:
        cal = current_calendar()
        if options["what"] == "due":
            try:
                start = dt.datetime.fromisoformat(options["start"])
            except ValueError as exc:
                raise CommandError(f"--start is not ISO 8601: {exc}") from exc
            if start.tzinfo is None:
                raise CommandError("--start needs a UTC offset, e.g. 2026-02-13T10:00:00+07:00")
            if options["working_days"] is not None:
                due = cal.add_working_days(start, options["working_days"])
            else:
                due = cal.add_working_hours(start, options["working_hours"])
            self.stdout.write(due.isoformat())
            return
        for day, name in cal.non_working_days(options["year"]):
            if name or options["weekends"]:
                self.stdout.write(f"{day.isoformat()} {day.strftime('%a')} {name}".rstrip())
