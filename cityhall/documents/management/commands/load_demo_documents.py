"""`cityhall load_demo_documents`: the demo registers of two wards and a department
(idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cityhall.core.audit import SYSTEM
from cityhall.documents.demo import load_demo_documents
from cityhall.documents.services import load_document_types


class Command(BaseCommand):
    help = "Make the demo documents and registers (after load_demo)."

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import get_user_model

        if not get_user_model().objects.filter(username="leader.saigon").exists():
            raise CommandError("Load the demo users first: cityhall load_demo")
        load_document_types(actor=SYSTEM)
        created = load_demo_documents()
        if options["verbosity"] > 0:
            self.stdout.write(f"demo documents: {created} created")
