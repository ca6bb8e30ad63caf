"""`cityhall documents_peers [list|add CODE URL --key KEY]`: the directory of edXML peers
(`cityhall.documents.peers`; a `documents` command with subcommands calls the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.documents import peers


class Command(BaseCommand):
    help = "List or add the peers documents are exchanged with by edXML."

    def add_arguments(self, parser: CommandParser) -> None:
        peers.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            peers.run(options, self.stdout)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
