"""`cityhall import_reported FILE.xlsx --user NAME`: reported values from a workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.accounts.models import User
from cityhall.indicators import reporting


class Command(BaseCommand):
    help = ("Submit the reported values of an XLSX file (first sheet: indicator, unit, period, "
            "value, note) as USER, all or nothing: any wrong row is listed and nothing changes "
            "(exit status 1). The values then wait for the units' leaders' approval.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True,
                            help="the user name of the member of staff who submits them")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no such user: {options['user']}")
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            saved = reporting.import_values(actor=user,
                                            rows=reporting.read_workbook(path.read_bytes()),
                                            source=path.name)
        except reporting.ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(problem)
            self.stderr.write(f"import_reported: nothing imported ({len(refused.problems)} "
                              f"problems)")
            raise SystemExit(1) from None
        self.stdout.write(f"import_reported: {len(saved)} values submitted, awaiting approval")
