"""`cityhall load_demo_reported`: demo targets and reported values (once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cityhall.indicators.demo_reported import load_demo_reported


class Command(BaseCommand):
    help = ("Set demo targets and report a year of approved socio-economic values (and the "
            "current month awaiting approval) for the demo wards and departments through the "
            "services (after load_demo and load_indicators); does nothing when values exist.")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import get_user_model

        if not get_user_model().objects.filter(username="leader.thuduc").exists():
            raise CommandError("Load the demo users first: cityhall load_demo")
        done = load_demo_reported()
        if options["verbosity"] > 0:
            self.stdout.write("demo reported values: there already" if done is None else
                              f"demo reported values: {done} submitted")
