"""Load the report categories from cityhall/reports/data/categories.yaml (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cityhall.core.audit import SYSTEM
from cityhall.reports.services.catalogue import load_categories


class Command(BaseCommand):
    help = "Create or update the report categories from the data file (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=None, help="another YAML file")

    def handle(self, *args: Any, **options: Any) -> None:
        created, updated = load_categories(actor=SYSTEM, path=options["file"])
        self.stdout.write(f"categories: {created} created, {updated} updated")
