"""`cityhall documents SUBCOMMAND ...`: the documents' tools, one module each in
`cityhall.documents.cli` (`verify`: the signatures of PDF files)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cityhall.documents.cli import subcommands


class Command(BaseCommand):
    help = "The documents' tools: " + "; ".join(
        f"{name}: {module.HELP}" for name, module in subcommands().items())

    def add_arguments(self, parser: CommandParser) -> None:
        chosen = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, module in subcommands().items():
            sub = chosen.add_parser(name, help=module.HELP, description=module.HELP)
            module.add_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        module = subcommands()[options["subcommand"]]
        status = module.handle({**options, "stdout": self.stdout, "stderr": self.stderr})
        if status:
            raise SystemExit(int(status))
