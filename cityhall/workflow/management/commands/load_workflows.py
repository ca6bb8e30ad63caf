"""`cityhall load_workflows`: load every workflows/*.yaml definition into the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cityhall.workflow.definitions import DefinitionError, load_all


class Command(BaseCommand):
    help = "Load the workflow definitions from the apps' workflows/*.yaml files."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            loaded = load_all()
        except DefinitionError as exc:
            raise CommandError(str(exc)) from exc
        for definition, changed in loaded:
            self.stdout.write(f"{definition} {'loaded' if changed else 'unchanged'}")
