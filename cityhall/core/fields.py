"""Model fields looked up by name, typed for code that reads and writes columns directly."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.fields import Field


def concrete_field(model: type[models.Model] | models.Model, name: str) -> Field[Any, Any]:
    """The field `name` of `model` that has a column in the model's table."""
    # `_meta.get_field` may also answer with a reverse relation, which has no column.
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{model._meta.label}.{name} is not a field with a column")
    return field


def column_of(field: Field[Any, Any]) -> str:
    """The column of a field that has one (see `concrete_field`)."""
    if field.column is None:
        raise TypeError(f"{field} has no column")
    return field.column
