"""The codes only the procedure catalogue gives."""

from __future__ import annotations

from cityhall.core.errors import ErrorCode


class ProcedureCode(ErrorCode):
    """The refusals of the catalogue (it also gives `Common`'s)."""

    INVALID_CATALOGUE = "invalid_catalogue", 400
