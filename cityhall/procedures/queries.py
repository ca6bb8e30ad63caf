"""Reads of the catalogue, named for the business."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.db import models

from cityhall.core.text import search_key

if TYPE_CHECKING:
    # Only in the quoted type argument, which pyflakes does not read.
    from cityhall.procedures.models import Procedure  # noqa: F401


class ProcedureQuerySet(models.QuerySet["Procedure"]):
    """The catalogue: public information, read by anyone."""

    def active(self) -> Self:
        return self.filter(is_active=True)

    def matching(self, text: str) -> Self:
        """Procedures whose code, name or sector hold every word of `text`, diacritics aside."""
        rows = self
        for word in search_key(text).split()[:10]:
            rows = rows.filter(search_text__contains=word)
        return rows

    def in_sector(self, sector: str) -> Self:
        """Procedures of a sector named with or without diacritics ("ho tich" = "Hộ tịch")."""
        return self.filter(sector_key=search_key(sector))
