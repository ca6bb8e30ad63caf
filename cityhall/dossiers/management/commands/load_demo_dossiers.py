"""`cityhall load_demo_dossiers`: a few demo dossiers (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cityhall.dossiers.demo import load_demo_dossiers
from cityhall.procedures.models import Procedure


class Command(BaseCommand):
    help = "Submit a few demo dossiers (after load_procedures and load_demo)."

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import get_user_model

        if not get_user_model().objects.filter(username="clerk.thuduc").exists():
            raise CommandError("Load the demo users first: cityhall load_demo")
        if not Procedure.objects.exists():
            raise CommandError("Load the procedures first: cityhall load_procedures")
        created = load_demo_dossiers()
        if options["verbosity"] > 0:
            self.stdout.write(f"demo dossiers: {created} created")
