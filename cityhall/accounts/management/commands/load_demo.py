"""`cityhall load_demo`: the demo staff, neighbourhoods, resident and business (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityhall.accounts.demo import load_demo


class Command(BaseCommand):
    help = "Create the demo accounts, memberships and neighbourhoods (needs `load_units` first)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_demo()
        if options["verbosity"]:
            self.stdout.write(f"demo data: {created} rows created")
