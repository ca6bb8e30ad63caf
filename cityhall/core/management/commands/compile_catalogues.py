"""Compile the .po message catalogues to .mo with polib, so no gettext install is needed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every locale/*/LC_MESSAGES/*.po into its .mo (no GNU gettext needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                # Written aside then renamed: parallel test workers compile at once, and a
                # reader must never see half a catalogue.
                partial = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.tmp")
                polib.pofile(str(po_path)).save_as_mofile(str(partial))
                partial.replace(mo_path)
                count += 1
        if options["verbosity"] > 1:
            self.stdout.write(f"compiled {count} catalogue(s)")
