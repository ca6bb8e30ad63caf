"""`cityhall load_indicators`: the indicator catalogue from its YAML file (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.core.audit import SYSTEM
from cityhall.indicators.catalogue import CATALOGUE, CatalogueError, load_catalogue, read_catalogue


class Command(BaseCommand):
    help = "Create or update the indicator catalogue from its YAML file (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=CATALOGUE, help="another YAML file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = read_catalogue(options["file"])
        except CatalogueError as exc:
            raise CommandError("\n".join(exc.problems)) from None
        done = load_catalogue(actor=SYSTEM, rows=rows, source=options["file"].name)
        self.stdout.write(f"indicators: {len(done.created)} created, {len(done.updated)} "
                          f"updated, {done.unchanged} unchanged")
