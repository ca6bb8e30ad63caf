"""`cityhall documents peers [list | add CODE URL --key KEY [--name NAME] [--inactive]]`:
the directory of the agencies documents are exchanged with by edXML (`documents.peers`)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError

from cityhall.documents import peers

HELP = "list or add the peers documents are exchanged with by edXML (code, endpoint, key)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    peers.add_arguments(parser)


def handle(options: dict[str, Any]) -> int:
    try:
        peers.run(options, options["stdout"])
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    return 0
