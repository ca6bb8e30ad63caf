"""`cityhall import_procedures FILE`: the catalogue from XLSX or CSV, all rows or none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.core.audit import SYSTEM
from cityhall.procedures.catalogue import CatalogueError, read_file
from cityhall.procedures.services import load_catalogue, refuse_import


class Command(BaseCommand):
    help = ("Import administrative procedures from an XLSX or CSV file (columns: see "
            "docs/dossiers.md). Any bad row refuses the whole file and lists every problem.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            rows = read_file(path)
        except CatalogueError as exc:
            refuse_import(actor=SYSTEM, source=path.name, error=exc)
            raise CommandError("nothing imported:\n" + "\n".join(exc.problems)) from None
        done = load_catalogue(actor=SYSTEM, rows=rows, source=path.name)
        self.stdout.write(f"procedures: {done.created} created, {done.updated} updated, "
                          f"{done.unchanged} unchanged")
