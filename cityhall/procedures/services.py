"""Writes to the catalogue: loading checked rows, all of them or none, with an audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from cityhall.core import audit
from cityhall.procedures.audit_actions import ProcedureAudit
from cityhall.procedures.catalogue import CatalogueError, ProcedureRow
from cityhall.procedures.models import Procedure, ProcedureComponent

_FIELDS = ("name", "name_en", "sector", "sector_en", "level", "decided_by", "processing_days",
           "time_note", "fee_vnd", "fee_note", "online", "result", "result_electronic",
           "legal_basis", "workflow")


@dataclass(frozen=True)
class LoadResult:
    """What a load did, by procedure."""

    created: int
    updated: int
    unchanged: int


def _components_of(procedure: Procedure) -> list[tuple[str, int, str, str]]:
    return [(c.name, c.copies, c.form_file, c.data_source)
            for c in procedure.components.order_by("order")]


def load_catalogue(*, actor: audit.Actor, rows: Sequence[ProcedureRow],
                   source: str = "") -> LoadResult:
    """Create or update the procedures by code, in one transaction; the others stay.

    A procedure whose fields and components are those of the row is left as it is, so a
    second load of the same file changes nothing.
    """
    if not rows:
        raise CatalogueError(["the file holds no procedure"])
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {p.code: p for p in Procedure.objects.filter(code__in=[r.code for r in rows])
                    .prefetch_related("components")}
        for row in rows:
            procedure = existing.get(row.code) or Procedure(code=row.code)
            is_new = procedure.pk is None
            wanted = {f: getattr(row, f) for f in _FIELDS}
            parts = [(c.name, c.copies, c.form_file, c.data_source) for c in row.components]
            same = (not is_new and all(getattr(procedure, f) == v for f, v in wanted.items())
                    and list(procedure.unverified) == list(row.unverified)
                    and procedure.is_active and _components_of(procedure) == parts)
            if same:
                unchanged += 1
                continue
            for name, value in wanted.items():
                setattr(procedure, name, value)
            procedure.unverified = list(row.unverified)
            procedure.is_active = True
            procedure.save()
            procedure.components.all().delete()
            ProcedureComponent.objects.bulk_create(
                ProcedureComponent(procedure=procedure, order=n, name=c.name, copies=c.copies,
                                   form_file=c.form_file, data_source=c.data_source)
                for n, c in enumerate(row.components, start=1))
            created, updated = created + is_new, updated + (not is_new)
        audit.record(actor=actor, action=ProcedureAudit.IMPORT, changes={
            "source": source[:200], "created": created, "updated": updated,
            "unchanged": unchanged})
    return LoadResult(created=created, updated=updated, unchanged=unchanged)


def refuse_import(*, actor: audit.Actor, source: str, error: CatalogueError) -> None:
    """Record that a file was refused (nothing of it was stored)."""
    audit.record(actor=actor, action=ProcedureAudit.IMPORT_REFUSED, changes={
        "source": source[:200], "problems": len(error.problems),
        "first": error.problems[0][:300] if error.problems else ""})
