"""`cityhall load_demo_reports`: a few demo reports in the demo wards (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cityhall.reports.demo import load_demo_reports


class Command(BaseCommand):
    help = "File a few demo reports through the services (after load_categories and load_demo)."

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import get_user_model

        if not get_user_model().objects.filter(username="officer.thuduc").exists():
            raise CommandError("Load the demo users first: cityhall load_demo")
        created = load_demo_reports()
        if options["verbosity"] > 0:
            self.stdout.write(f"demo reports: {created} created")
