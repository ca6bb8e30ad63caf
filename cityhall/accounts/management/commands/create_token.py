"""`cityhall create_token USERNAME`: a personal bearer token, printed once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.accounts import services
from cityhall.accounts.models import User
from cityhall.core.audit import SYSTEM


class Command(BaseCommand):
    help = "Issue a personal API token for a user and print it (it is not stored in clear)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="What the token is for.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        try:
            _token, raw = services.issue_token(actor=SYSTEM, user=user, name=options["name"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(raw)
