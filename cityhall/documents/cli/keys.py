"""`cityhall documents keys list|add|check|retire`: the key store of the leaders' and the
units' signing keys (`documents.keystore`; docs/operations.md, "Signing keys").

- `list [--all]`: the keys in use (`--all`: retired and revoked too);
- `add (--user USERNAME | --unit CODE) (--pkcs12 FILE | --pkcs11-module LIB --token-label
  LABEL (--key-label LABEL | --key-id HEX)) (--secret-env CITYHALL_KEY_... | --secret-file
  FILE) [--image PNG] [--replace]`: register a key (opened, test-signed, chain checked);
- `check [ID ...]`: open each key (all in use when none is named), sign a test digest,
  judge the chain against the trust roots; exit 1 when one is not usable;
- `retire ID --reason TEXT [--revoked]`: stop using a key.

Run as the service's user, with its environment: the secret is read from there.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from cityhall.accounts.models import User
from cityhall.core import audit
from cityhall.documents import keystore
from cityhall.documents.errors import DocumentError
from cityhall.documents.models import SigningKey
from cityhall.orgunits.models import Unit

HELP = ("the leaders' and units' signing keys: list, add (PKCS#12 or PKCS#11), check "
        "(open, test-sign, chain), retire")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="keys_action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="List the keys in use.")
    listing.add_argument("--all", action="store_true", help="Retired and revoked keys too.")
    add = sub.add_parser("add", help="Register a key for a leader or a unit.")
    holder = add.add_mutually_exclusive_group(required=True)
    holder.add_argument("--user", help="The leader's username: a personal key.")
    holder.add_argument("--unit", help="The unit's code: the organisation's key (its seal).")
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--pkcs12", metavar="FILE", help="A PKCS#12 (.p12, .pfx) file.")
    where.add_argument("--pkcs11-module", metavar="LIB",
                       help="The token's PKCS#11 library (listed in CITYHALL_PKCS11_MODULES).")
    add.add_argument("--token-label", default="", help="The token's label.")
    add.add_argument("--key-label", default="", help="The key's label on the token.")
    add.add_argument("--key-id", default="", help="The key's id on the token (hexadecimal).")
    secret = add.add_mutually_exclusive_group()
    secret.add_argument("--secret-env", default="", metavar="CITYHALL_KEY_...",
                        help="The service's environment variable holding the passphrase/PIN.")
    secret.add_argument("--secret-file", default="", metavar="FILE",
                        help="A file the service reads the passphrase/PIN from.")
    add.add_argument("--image", metavar="PNG",
                     help="The signature (leader) or seal (unit) image; a unit needs one.")
    add.add_argument("--replace", action="store_true",
                     help="Retire the holder's key in use and register this one.")
    check = sub.add_parser("check", help="Open keys, sign a test digest, check the chain.")
    check.add_argument("ids", nargs="*", type=int, metavar="ID",
                       help="The keys to check (all keys in use when none).")
    retire = sub.add_parser("retire", help="Stop using a key.")
    retire.add_argument("id", type=int, metavar="ID")
    retire.add_argument("--reason", required=True, help="Why (replaced, the leader left...).")
    retire.add_argument("--revoked", action="store_true",
                        help="The key is compromised or its certificate revoked.")


def _key(pk: int) -> SigningKey:
    found = SigningKey.objects.select_related("user", "unit").filter(pk=pk).first()
    if found is None:
        raise CommandError(f"no signing key #{pk}")
    return found


def _row(key: SigningKey) -> str:
    where = (key.pkcs12_path if key.storage == SigningKey.Storage.PKCS12
             else f"{key.pkcs11_module} token {key.token_label!r} key "
                  f"{key.key_label or key.key_id!r}")
    secret = (f"env {key.secret_env}" if key.secret_env
              else f"file {key.secret_file}" if key.secret_file else "no secret")
    return (f"#{key.pk}\t{key.holder}\t{key.status}\t{key.common_name}\tserial {key.serial}\t"
            f"valid until {timezone.localdate(key.not_after)}\t{key.storage}: {where}\t{secret}")


def _refused(exc: DocumentError) -> CommandError:
    detail = exc.detail
    words = ("; ".join(f"{name}: {text}" for name, text in detail.items())
             if isinstance(detail, dict) else str(detail))
    return CommandError(f"{exc.code}: {words}")


def _add(options: dict[str, Any]) -> SigningKey:
    user = unit = None
    if options["user"]:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user {options['user']!r}")
    else:
        unit = Unit.objects.active_on().filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"no unit {options['unit']!r}")
    image = Path(options["image"]).read_bytes() if options["image"] else None
    pkcs12 = options["pkcs12"]
    key_in = keystore.KeyIn(
        storage=SigningKey.Storage.PKCS12 if pkcs12 else SigningKey.Storage.PKCS11,
        pkcs12_path=str(Path(pkcs12).resolve()) if pkcs12 else "",
        module=options["pkcs11_module"] or "", token_label=options["token_label"],
        key_label=options["key_label"], key_id=options["key_id"],
        secret_env=options["secret_env"],
        secret_file=str(Path(options["secret_file"]).resolve()) if options["secret_file"] else "",
        image_png=image)
    return keystore.register_key(actor=audit.SYSTEM, key_in=key_in, user=user, unit=unit,
                                 replace=options["replace"])


def handle(options: dict[str, Any]) -> int:
    out, action = options["stdout"], options["keys_action"]
    try:
        if action == "add":
            out.write(f"added {_row(_add(options))}\n")
        elif action == "retire":
            key = keystore.retire_key(actor=audit.SYSTEM, key=_key(options["id"]),
                                      reason=options["reason"], revoked=options["revoked"])
            out.write(f"{key.status} {_row(key)}\n")
        elif action == "check":
            return _check(options)
        else:
            found = SigningKey.objects.select_related("user", "unit").order_by("pk")
            for key in found if options["all"] else found.active():
                out.write(_row(key) + "\n")
    except DocumentError as exc:
        raise _refused(exc) from None
    except OSError as exc:
        raise CommandError(str(exc)) from None
    return 0


def _check(options: dict[str, Any]) -> int:
    out = options["stdout"]
    keys = ([_key(pk) for pk in options["ids"]] if options["ids"]
            else list(SigningKey.objects.active().select_related("user", "unit").order_by("pk")))
    worst = 0
    for key in keys:
        found = keystore.check_key(key)
        out.write(f"#{key.pk} {key.holder} ({key.common_name}, serial {key.serial}): "
                  f"{'OK' if found.ok else 'NOT USABLE'}\n")
        out.write(f"  opened: {'yes' if found.opened else 'no'}; test signature: "
                  f"{'yes' if found.signed else 'no'}; chain to the trust roots: "
                  f"{'trusted' if found.trusted else 'NOT trusted'}; valid until: "
                  f"{timezone.localdate(key.not_after)}\n")
        for problem in found.problems:
            out.write(f"  - {problem}\n")
        worst = max(worst, 0 if found.ok else 1)
    if not keys:
        out.write("no signing key in use\n")
    return worst
