"""`cityhall demo_logins`: the demo accounts to sign in with, what each is for, the password.

Printed in Vietnamese and English alike, whatever the terminal's language: `make run`
prints it for whoever tries the portal.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from cityhall.accounts.demo import DEMO_PASSWORD, DemoAccount, demo_accounts

LANGUAGES = ("vi", "en")

#: What an account of each role or kind is for, in a line.
PURPOSES: dict[str, Promise] = {
    "leader": gettext_lazy("leads the unit: assigns and declines reports, sees the units below"),
    "officer": gettext_lazy("handles reports: takes the unassigned, works on and answers them"),
    "clerk": gettext_lazy("receives reports: assigns them, enters those taken by phone"),
    "neighbourhood_head": gettext_lazy("files reports for the neighbourhood's residents"),
    "admin": gettext_lazy("administers the unit: what a leader does, and the back office"),
    "superuser": gettext_lazy("everything, the back office (/admin/) included"),
    "resident": gettext_lazy("a resident: files reports and follows them"),
    "business": gettext_lazy("an enterprise: files reports on business matters"),
}


def _both(text: Promise | str) -> str:
    """A text in Vietnamese, then in English if it differs."""
    said = []
    for language in LANGUAGES:
        with translation.override(language):
            said.append(str(text))
    return said[0] if said[0] == said[1] else f"{said[0]} · {said[1]}"


def _role(account: DemoAccount) -> str:
    said = []
    for language in LANGUAGES:
        with translation.override(language):
            said.append(account.label())
    return said[0] if said[0] == said[1] else f"{said[0]} · {said[1]}"


class Command(BaseCommand):
    help = "Print the demo accounts (both languages): username, role, unit, what each is for."

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = demo_accounts()
        if not accounts:
            empty = gettext_lazy("No demo accounts yet: run `cityhall load_demo`.")
            self.stdout.write(_both(empty))
            return
        self.stdout.write("  " + _both(gettext_lazy("Demo accounts to try the portal with")))
        self.stdout.write("")
        rows = [(a.username, _role(a), a.unit, a.what) for a in accounts]
        widths = [max(len(r[i]) for r in rows) for i in range(2)]
        for username, role, unit, what in rows:
            self.stdout.write(f"  {username.ljust(widths[0])}  {role.ljust(widths[1])}  {unit}")
            purpose = PURPOSES.get(what)
            if purpose is not None:
                for language in LANGUAGES:
                    with translation.override(language):
                        self.stdout.write(f"  {'':{widths[0]}}    {language}: {purpose}")
        self.stdout.write("")
        self.stdout.write("  " + _both(gettext_lazy(
            "Password of every demo account: %(password)s")) % {"password": DEMO_PASSWORD})
