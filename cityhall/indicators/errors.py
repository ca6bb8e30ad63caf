"""The refusals of the indicators: codes only indicators give."""

from __future__ import annotations

from typing import Any

from cityhall.core.errors import Common, ErrorCode, Refused


class IndicatorCode(ErrorCode):
    """What the dashboard and the API refuse besides `Common`'s (an unknown indicator, or a
    unit that does not exist or lies outside the reader's scope, is `not_found`)."""

    INVALID_PERIOD = "invalid_period", 400
    PERIOD_TOO_LONG = "period_too_long", 400


Code = IndicatorCode | Common


class IndicatorError(Refused):
    """A request for figures refused; `code` is stable, `detail` is for people."""

    code: Code

    def __init__(self, code: Code, detail: Any) -> None:
        super().__init__(code, detail)
