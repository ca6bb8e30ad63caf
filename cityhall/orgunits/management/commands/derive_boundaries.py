"""`cityhall derive_boundaries OLD.geojson`: the new units' boundaries from the old wards'."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.core.audit import SYSTEM
from cityhall.orgunits.boundaries import derive_boundaries
from cityhall.orgunits.services import import_boundaries


class Command(BaseCommand):
    help = (
        "Union the pre-2025 wards' polygons (a GeoJSON FeatureCollection whose features carry "
        "the old unit's code or name) through the registry's successions into the 2025 units' "
        "boundaries; split wards make the units concerned approximate. Writes the result "
        "with --output, loads it with --import (see docs/registry.md, 'Boundaries')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the old units' polygons (.geojson)")
        parser.add_argument("--source", required=True,
                            help="who made the old polygons and when, shown on the maps")
        parser.add_argument("--licence", required=True, help="their licence, e.g. 'ODbL 1.0'")
        parser.add_argument("--output", help="write the derived FeatureCollection here")
        parser.add_argument("--import", dest="load", action="store_true",
                            help="attach the derived boundaries to the units")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with open(options["file"], encoding="utf-8") as fh:
                collection = json.load(fh)
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
            raise CommandError("the file is not a GeoJSON FeatureCollection")
        derived = derive_boundaries(collection, source=options["source"],
                                    licence=options["licence"])
        features = derived.collection["features"]
        approximate = sum(1 for f in features if f["properties"]["approximate"])
        self.stdout.write(f"derived {len(features)} boundaries, {approximate} approximate")
        if derived.unmatched:
            self.stdout.write(f"old features not matched: {', '.join(derived.unmatched)}")
        if derived.without_boundary:
            self.stdout.write(f"units left without a boundary: "
                              f"{', '.join(derived.without_boundary)}")
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as fh:
                json.dump(derived.collection, fh, ensure_ascii=False, separators=(",", ":"))
        if options["load"]:
            result = import_boundaries(actor=SYSTEM, collection=derived.collection,
                                       source=options["source"], licence=options["licence"])
            self.stdout.write(f"attached {len(result.matched)} boundaries")
