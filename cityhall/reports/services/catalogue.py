"""Loading the category catalogue from the data file in the repository."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from cityhall.core import audit
from cityhall.reports.audit_actions import ReportAudit
from cityhall.reports.models import COMMUNE, Audience, Category, validate_attribute_specs

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "categories.yaml"
FIELDS = ("name", "name_en", "group", "group_en", "description", "keywords", "handler",
          "workflow", "deadline_days", "attributes", "anonymous_allowed", "audience")


def _row(raw: dict[str, Any], order: int) -> dict[str, Any]:
    row = {
        "name": raw["name"], "name_en": raw["name_en"], "group": raw["group"],
        "group_en": raw.get("group_en", ""), "description": raw.get("description", ""),
        "keywords": list(raw.get("keywords", [])), "handler": raw.get("handler", COMMUNE),
        "workflow": raw.get("workflow", "report"), "deadline_days": int(raw["deadline_days"]),
        "attributes": list(raw.get("attributes", [])),
        "anonymous_allowed": bool(raw.get("anonymous_allowed", True)),
        "audience": raw.get("audience", Audience.RESIDENT), "order": order,
    }
    validate_attribute_specs(row["attributes"])
    if row["audience"] not in Audience.values or row["deadline_days"] < 1:
        raise ValidationError(f"category {raw['code']}: bad audience or deadline")
    return row


def load_categories(*, actor: audit.Actor, path: Path | None = None) -> tuple[int, int]:
    """Create or update the categories of the data file; return (created, updated)."""
    entries = yaml.safe_load((path or DATA_FILE).read_text(encoding="utf-8"))
    created = updated = 0
    with transaction.atomic():
        for order, raw in enumerate(entries, start=1):
            row = _row(raw, order * 10)
            found = Category.objects.filter(code=raw["code"]).first()
            if found is None:
                category = Category.objects.create(code=raw["code"], **row)
                audit.record(actor=actor, action=ReportAudit.CATEGORY_CREATE, obj=category,
                             changes=audit.diff({}, row))
                created += 1
                continue
            before = {k: getattr(found, k) for k in row}
            if before == row:
                continue
            for key, value in row.items():
                setattr(found, key, value)
            found.save()
            audit.record(actor=actor, action=ReportAudit.CATEGORY_UPDATE, obj=found,
                         changes=audit.diff(before, row))
            updated += 1
    return created, updated
