"""`cityhall load_demo_plans`: the city's digital-transformation plan (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityhall.plans.demo import load_demo_plans


class Command(BaseCommand):
    help = "Create the demo plans (needs `load_units` and `load_demo` first)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_demo_plans()
        if options["verbosity"]:
            self.stdout.write(f"demo plans: {created} rows created")
