"""`cityhall create_api_key NAME --scopes a,b [--unit CODE]`: a partner key, printed once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.accounts import services
from cityhall.core.audit import SYSTEM
from cityhall.orgunits.models import Unit


class Command(BaseCommand):
    help = "Create an API key for a partner system and print its secret (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--scopes", required=True,
            help=f"Comma-separated, from: {', '.join(sorted(services.KNOWN_SCOPES))}.",
        )
        parser.add_argument("--unit", help="Code of the unit that owns the key.")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"], valid_to__isnull=True).first()
            if unit is None:
                raise CommandError(f"no open unit with code {options['unit']!r}")
        try:
            _key, raw = services.create_api_key(
                actor=SYSTEM, name=options["name"],
                scopes=options["scopes"].split(","), owner_unit=unit,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(raw)
