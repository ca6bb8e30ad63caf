"""`cityhall demo --requests N --dossiers M --days D`: bulk history, fast (COPY on PostgreSQL)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from cityhall.indicators import bulk


def _count(value: str) -> int:
    try:
        n = int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise CommandError(f"not a whole number: {value}") from None
    if n < 0:
        raise CommandError(f"not a count: {value}")
    return n


class Command(BaseCommand):
    help = ("Write a realistic history of residents' requests and dossiers received over the "
            "last D days, spread over the city's units, categories and procedures, with their "
            "workflow steps and the daily roll-ups they count (COPY on PostgreSQL, batched "
            "inserts on SQLite; one transaction). Needs load_units, load_workflows, "
            "load_categories and load_procedures. Refuses when a demo history is there, "
            "unless --add.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=_count, default=0, help="residents' requests")
        parser.add_argument("--dossiers", type=_count, default=0, help="dossiers")
        parser.add_argument("--days", type=int, default=30,
                            help="received over the last D days, today included (default 30)")
        parser.add_argument("--seed", type=int, default=14)
        parser.add_argument("--add", action="store_true",
                            help="add to a demo history already loaded (new cases, new numbers)")
        parser.add_argument("--rollups", choices=["inline", "rebuild"], default="inline",
                            help="inline: add the roll-ups in the same load (default); "
                                 "rebuild: recount the load's days from the records after it")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 1:
            raise CommandError("--days is at least 1")
        verbose = options["verbosity"] > 1
        try:
            done = bulk.generate(
                requests=options["requests"], dossiers=options["dossiers"],
                days=options["days"], seed=options["seed"], add=options["add"],
                rollups=options["rollups"],
                progress=(lambda line: self.stdout.write(f"  {line}")) if verbose else None)
        except bulk.DemoExists:
            raise CommandError("a demo history is loaded already (its start steps are signed "
                               f"{bulk.MARK}): add to it with --add") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] > 0:
            how = "COPY" if connection.vendor == "postgresql" else "executemany"
            for table, n in sorted(done.rows.items()):
                self.stdout.write(f"  {table:32} {n:>12,}")
            self.stdout.write(
                f"demo: {done.total:,} rows in {done.seconds:.1f} s ({done.per_second:,.0f} "
                f"rows/s, {how}: rows built {done.build_seconds:.1f} s, written "
                f"{done.write_seconds:.1f} s (at the same time on PostgreSQL), indexes "
                f"made again {done.index_seconds:.1f} s, roll-ups {options['rollups']} "
                f"{done.tally_seconds:.1f} s, commit {done.commit_seconds:.1f} s), "
                f"days {done.first} to {done.last}")
