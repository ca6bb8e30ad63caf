"""`cityhall indicators verify|rebuild [--from D] [--to D]`: the roll-ups against the records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.core.audit import SYSTEM
from cityhall.indicators import services
from cityhall.indicators.models import DailyTally


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    help = ("verify: count every computed indicator's tallies again from the records and "
            "compare with the daily roll-ups (exit status 1 on any difference); "
            "rebuild: replace the roll-ups of the period by the records' count.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "rebuild"])
        parser.add_argument("--from", dest="first", type=_day, default=None,
                            help="first day (Vietnam's date), default: the beginning")
        parser.add_argument("--to", dest="last", type=_day, default=None,
                            help="last day, inclusive; default: today and later")
        parser.add_argument("--if-empty", action="store_true",
                            help="rebuild only when no roll-up is stored yet (make setup)")
        parser.add_argument("--show", type=int, default=20,
                            help="how many differences to list (default 20)")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = options["first"], options["last"]
        if first and last and first > last:
            raise CommandError("--from is after --to")
        if options["action"] == "rebuild":
            if options["if_empty"] and DailyTally.objects.exists():
                self.stdout.write("indicators: roll-ups there already, not rebuilt")
                return
            rows = services.rebuild(actor=SYSTEM, first=first, last=last)
            self.stdout.write(f"indicators: rebuilt {rows} daily rows from the records")
            return
        result = services.verify(first, last)
        for metric, n in result.by_metric().items():
            self.stdout.write(f"{metric:34} {n:6} differences  ({result.compared[metric]} rows)")
        for d in result.differences[:options["show"]]:
            self.stdout.write(f"  {d.day} unit {d.unit_id} {d.metric}: stored {d.stored}, "
                              f"records {d.counted}")
        total = len(result.differences)
        self.stdout.write(f"indicators: {total} differences")
        if total:
            raise SystemExit(1)
