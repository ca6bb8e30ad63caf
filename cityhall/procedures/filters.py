"""Which procedures a list shows: one definition for the API and the catalogue pages."""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from cityhall.core.api import text
from cityhall.procedures.queries import ProcedureQuerySet


class ProcedureFilter(Schema):
    """Search words (diacritics optional) over code, name and sector; sector, level, online."""

    model_config = ConfigDict(extra="ignore")

    q: Annotated[str, text(200)] = Field(
        "", description="Words of the name, the code or the sector; diacritics optional.")
    sector: Annotated[str, text(200)] = Field(
        "", description="A sector's name, diacritics optional (ho tich).")
    level: Literal["", "commune", "province"] = ""
    online: Literal["", "fully", "partly", "none"] = ""

    def apply(self, rows: ProcedureQuerySet) -> ProcedureQuerySet:
        """Narrow the catalogue to what the filter asks for."""
        if self.q.strip():
            rows = rows.matching(self.q)
        if self.sector.strip():
            rows = rows.in_sector(self.sector)
        if self.level:
            rows = rows.filter(level=self.level)
        if self.online:
            rows = rows.filter(online=self.online)
        return rows
