"""`cityhall plans export PLAN_ID FILE.xlsx` and `cityhall plans import FILE.xlsx`: the same
columns both ways (docs/plans.md); an import with any bad row changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityhall.accounts.models import User
from cityhall.core import audit
from cityhall.plans import services
from cityhall.plans.errors import PlanError
from cityhall.plans.models import Plan
from cityhall.plans.workbook import WorkbookError, read_xlsx, write_xlsx


class Command(BaseCommand):
    help = "Export a plan to XLSX, or import one from XLSX (all rows or none)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        out = sub.add_parser("export", help="write a plan to an XLSX file")
        out.add_argument("plan_id", type=int)
        out.add_argument("file", type=Path)
        into = sub.add_parser("import", help="create a plan from an XLSX file")
        into.add_argument("file", type=Path)
        into.add_argument("--as", dest="username", default="",
                          help="the leader importing it (audited as them); the system if none")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            plan = Plan.objects.select_related("owner_unit").filter(pk=options["plan_id"]).first()
            if plan is None:
                raise CommandError(f"no plan {options['plan_id']}")
            options["file"].write_bytes(write_xlsx(plan))
            self.stdout.write(f"plan {plan.pk}: {plan.tasks.count()} tasks written to "
                              f"{options['file']}")
            return
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        actor: audit.Actor = audit.SYSTEM
        if options["username"]:
            found = User.objects.filter(username=options["username"], is_active=True).first()
            if found is None:
                raise CommandError(f"no active account {options['username']!r}")
            actor = found
        try:
            plan = services.import_plan(actor=actor, sheet=read_xlsx(path.read_bytes()),
                                        source=path.name)
        except WorkbookError as exc:
            services.refuse_import(actor=actor, source=path.name, problems=exc.problems)
            raise CommandError("nothing imported:\n" + "\n".join(exc.problems)) from None
        except PlanError as exc:
            raise CommandError(f"nothing imported: {exc.code}: {exc.detail}") from None
        self.stdout.write(f"plan {plan.pk}: {plan.tasks.count()} tasks imported from {path.name}")
