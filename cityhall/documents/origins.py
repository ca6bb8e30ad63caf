"""A document as the origin of tasks (`core.origins`): a directive gives tasks through plans."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from cityhall.core.origins import Described
from cityhall.documents.models import Document, Handling


def describe_origin(ref: str, reader: Any) -> Described | None:
    """The document `ref` (its id) for a reader who may see it; None otherwise."""
    if not ref.isdigit() or len(ref) > 18:
        return None
    document = (Document.objects.visible_to(reader).select_related("doc_type", "unit")
                .filter(pk=int(ref)).first())
    if document is None:
        return None
    name = document.doc_type.name + (f" {document.notation}" if document.notation else "")
    # The unit given it to handle answers for it first; else the unit that holds it.
    handling = (Handling.objects.visible_to(reader).filter(document=document)
                .select_related("unit").order_by("-pk").first())
    unit = handling.unit if handling is not None else document.unit
    return Described(label=f"{name}: {document.summary}"[:300],
                     url=reverse("documents:detail", args=[document.pk]),
                     title=document.summary[:500], unit_code=unit.code, many=True)
