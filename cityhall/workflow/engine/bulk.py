"""Writing the engine's fields of many cases in one statement."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from cityhall.core.fields import column_of, concrete_field
from cityhall.workflow.models import WorkflowCase


def bulk_set(model: type[WorkflowCase], rows: Sequence[WorkflowCase], names: Sequence[str]) -> None:
    """Write `names` of many rows in one statement.

    On PostgreSQL this is one `UPDATE ... FROM (VALUES ...)`; Django's
    `bulk_update` builds a CASE per field and row, which costs more time in
    Python than the database spends on the whole batch.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(rows, list(names))
        return
    fields = [model._meta.pk, *(concrete_field(model, n) for n in names)]
    quote = connection.ops.quote_name
    casts = ", ".join(f"%s::{f.cast_db_type(connection)}" for f in fields)
    values = ", ".join(f"({casts})" for _ in rows)
    params = [
        f.get_db_prep_value(getattr(row, f.attname), connection) for row in rows for f in fields
    ]
    columns = ", ".join(quote(column_of(f)) for f in fields)
    assignments = ", ".join(
        f"{quote(column_of(f))} = v.{quote(column_of(f))}" for f in fields[1:]
    )
    pk = quote(column_of(fields[0]))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608 (names are quoted identifiers from the model)
            f"FROM (VALUES {values}) AS v ({columns}) WHERE t.{pk} = v.{pk}",
            params,
        )
