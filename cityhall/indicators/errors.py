"""The refusals of the indicators: codes only indicators give."""

from __future__ import annotations

from typing import Any

from cityhall.core.errors import Common, ErrorCode, Refused


class IndicatorCode(ErrorCode):
    """What the dashboard and the API refuse besides `Common`'s (an unknown indicator, or a
    unit that does not exist or lies outside the reader's scope, is `not_found`)."""

    INVALID_PERIOD = "invalid_period", 400
    PERIOD_TOO_LONG = "period_too_long", 400
    NOT_REPORTED = "not_reported", 400  # a computed indicator is not reported by units
    NOT_A_REPORTER = "not_a_reporter", 403  # the unit's kind does not report it
    PENDING_EXISTS = "pending_exists", 409  # a value for the period awaits approval
    OWN_SUBMISSION = "own_submission", 403  # the submitter does not approve their value
    IMPORT_REFUSED = "import_refused", 400  # rows of an import are wrong: nothing imported


Code = IndicatorCode | Common


class IndicatorError(Refused):
    """A request for figures refused; `code` is stable, `detail` is for people."""

    code: Code

    def __init__(self, code: Code, detail: Any) -> None:
        super().__init__(code, detail)
