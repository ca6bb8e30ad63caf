"""Make the DEMO certificate authority and signing keys of a development install."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.core.signing import demo


class Command(BaseCommand):
    help = ("Make the DEMO certificate authority (NOT FOR PRODUCTION) and PKCS#12 keys with "
            "signature images for the demo leaders and organisations, or for the ones named; "
            "what exists is kept (docs/signing.md).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=None,
                            help="directory (default CITYHALL_SIGNING_DEMO_DIR, var/pki)")
        parser.add_argument("--organisation", action="append", default=[], metavar="NAME",
                            help='a key and seal for this organisation ("UBND Phường Bến '
                                 'Thành"); repeatable')
        parser.add_argument("--person", metavar="FULL_NAME",
                            help="a personal key and signature image for this person "
                                 "(with --of)")
        parser.add_argument("--of", metavar="ORGANISATION", help="the person's organisation")
        parser.add_argument("--title", default="", help="the person's title")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"] or demo.demo_dir()
        if options["person"] and not options["of"]:
            raise CommandError("--person needs --of ORGANISATION")
        keys: list[demo.DemoKey] = []
        if options["person"] or options["organisation"]:
            demo.ensure_demo_ca(out)
            if options["person"]:
                keys.append(demo.demo_person_key(options["person"], organisation=options["of"],
                                                 title=options["title"], out=out))
            keys += [demo.demo_organisation_key(name, out=out)
                     for name in options["organisation"]]
        else:
            keys = demo.ensure_demo_pki(out)
        if options["verbosity"] > 0:
            self.stdout.write(f"DEMO PKI (NOT FOR PRODUCTION) in {out}: CA "
                              f"{out / demo.DEMO_CA_FILE}, {len(keys)} key(s), passphrase "
                              f"{demo.DEMO_PASSPHRASE!r}")
        if options["verbosity"] > 1:
            for key in keys:
                self.stdout.write(f"  {key.key_source.pkcs12_path}  {key.common_name}")
