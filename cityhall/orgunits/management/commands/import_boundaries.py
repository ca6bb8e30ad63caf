"""`cityhall import_boundaries FILE.geojson`: attach real polygons to the commune-level units."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.core.audit import SYSTEM
from cityhall.orgunits.services import import_boundaries


class Command(BaseCommand):
    help = (
        "Load unit boundaries from a GeoJSON FeatureCollection whose features carry the unit's "
        "code (or name) in their properties. Features are matched by code, then by name."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to a .geojson file")
        parser.add_argument("--source", default="",
                            help="who made the boundaries and when, shown on the maps")
        parser.add_argument("--licence", default="",
                            help="their licence (e.g. 'CC BY 4.0'), shown beside the source")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with open(options["file"], encoding="utf-8") as fh:
                collection = json.load(fh)
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        try:
            result = import_boundaries(actor=SYSTEM, collection=collection,
                                        source=options["source"], licence=options["licence"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"matched {len(result.matched)} features")
        if result.unmatched:
            self.stdout.write(f"unmatched {len(result.unmatched)}: {', '.join(result.unmatched)}")
