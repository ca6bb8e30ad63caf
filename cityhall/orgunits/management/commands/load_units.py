"""`cityhall load_units`: load the real HCMC registry (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityhall.core.audit import SYSTEM
from cityhall.orgunits.services import load_registry


class Command(BaseCommand):
    help = (
        "Load the city, its departments, the 168 commune-level units and the units that "
        "ended on 30 June 2025, with their successions. Running it again changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = load_registry(actor=SYSTEM)
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"created {len(report.created)} units, updated {len(report.updated)}, "
                f"successions created {report.successions_created}, "
                f"updated {report.successions_updated}"
            )
            if report.successions_kept:
                self.stdout.write(
                    f"successors set by hand, left as they are: "
                    f"{', '.join(sorted(report.successions_kept))}"
                )
        if options["verbosity"] >= 2:
            for name, (ours, theirs) in sorted(report.code_disagreements.items()):
                self.stdout.write(
                    f"  code of {name}: {ours} (vietnam-provinces) kept, {theirs} "
                    "(vietnamadminunits) ignored"
                )
