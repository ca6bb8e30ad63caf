"""The directory of edXML peers, as `cityhall documents peers` (`cli/peers.py`)
shows and edits it: `add_arguments(parser)` and `run(options, out)` are all a command needs.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from cityhall.core import audit
from cityhall.documents.audit_actions import DocumentAudit
from cityhall.documents.models import Peer


class Out(Protocol):
    def write(self, text: str) -> Any: ...


def add_peer(*, actor: audit.Actor, code: str, url: str, key: str, name: str = "",
             active: bool = True) -> tuple[Peer, bool]:
    """Add a peer, or change the one with that code (its key is never written to the
    audit trail); whether it was created."""
    code, url = code.strip()[:32], url.strip()[:500]
    if not code or not key.strip():
        raise ValueError("a peer needs a code and a key")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise ValueError(f"not an http(s) URL: {url}") from exc
    with transaction.atomic():
        peer, created = Peer.objects.update_or_create(
            code=code, defaults={"url": url, "key": key.strip()[:200], "name": name[:300],
                                 "active": active})
        audit.record(actor=actor, action=DocumentAudit.PEER, obj=peer, changes={
            "code": [None, code], "url": [None, url], "key": [None, "(changed)"],
            "active": [None, active]})
    return peer, created


def add_arguments(parser: ArgumentParser) -> None:
    """`list` (default) or `add CODE URL --key KEY [--name NAME] [--inactive]`."""
    sub = parser.add_subparsers(dest="peers_action")
    sub.add_parser("list", help="List the peers: code, endpoint, name, in use.")
    add = sub.add_parser("add", help="Add a peer, or change the one with this code.")
    add.add_argument("code", help="The agency's electronic identification code.")
    add.add_argument("url", help="The peer's exchange endpoint (…/api/v1/edxml/messages).")
    add.add_argument("--key", required=True, help="The key shared with that peer.")
    add.add_argument("--name", default="", help="The agency's name.")
    add.add_argument("--inactive", action="store_true", help="Keep it, but send nothing.")


def run(options: dict[str, Any], out: Out) -> None:
    """Do what `add_arguments` parsed; ValueError for a bad peer."""
    if options.get("peers_action") == "add":
        peer, created = add_peer(actor=audit.SYSTEM, code=options["code"], url=options["url"],
                                 key=options["key"], name=options["name"],
                                 active=not options["inactive"])
        out.write(f"{'added' if created else 'changed'} {peer.code} → {peer.url}\n")
        return
    for peer in Peer.objects.order_by("code"):
        out.write(f"{peer.code}\t{peer.url}\t{peer.name}\t"
                  f"{'in use' if peer.active else 'not in use'}\n")
