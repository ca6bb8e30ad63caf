"""`cityhall demo_logins`: the demo accounts to sign in with, and their password."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cityhall.accounts.demo import DEMO_PASSWORD, demo_logins


class Command(BaseCommand):
    help = "Print the demo usernames with their role and unit, and the shared password."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = demo_logins()
        if not rows:
            self.stdout.write(_("No demo accounts yet: run `cityhall load_demo`."))
            return
        header = (_("username"), _("role"), _("unit"))
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(3)]
        for row in [header, *rows]:
            cells = (str(c).ljust(w) for c, w in zip(row, widths, strict=True))
            self.stdout.write("  " + "  ".join(cells))
        self.stdout.write("")
        message = _("Password of every demo account: %(password)s")
        self.stdout.write(message % {"password": DEMO_PASSWORD})
