"""`cityhall load_procedures`: the seeded catalogue (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.core.audit import SYSTEM
from cityhall.procedures.catalogue import SEED, CatalogueError, read_seed
from cityhall.procedures.services import load_catalogue


class Command(BaseCommand):
    help = "Create or update the seeded administrative procedures (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=SEED, help="another YAML file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = read_seed(options["file"])
        except CatalogueError as exc:
            raise CommandError("\n".join(exc.problems)) from None
        done = load_catalogue(actor=SYSTEM, rows=rows, source=str(options["file"].name))
        self.stdout.write(f"procedures: {done.created} created, {done.updated} updated, "
                          f"{done.unchanged} unchanged")
