"""`cityhall load_demo_history`: two months of demo work in the demo wards (once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cityhall.indicators.demo import load_demo_history


class Command(BaseCommand):
    help = ("File and handle two months of demo reports and dossiers in the demo wards "
            "through the services (after load_demo, load_categories and load_procedures); "
            "does nothing when that history is there.")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import get_user_model

        if not get_user_model().objects.filter(username="clerk.thuduc").exists():
            raise CommandError("Load the demo users first: cityhall load_demo")
        done = load_demo_history()
        if options["verbosity"] > 0:
            self.stdout.write("demo history: there already" if done is None else
                              "demo history: " + ", ".join(f"{n} {k}" for k, n in
                                                             sorted(done.items())))
