"""The one error the reports services raise."""

from __future__ import annotations

from typing import Any


class ReportError(Exception):
    """A report action refused; `code` is stable, `detail` is for people (or maps fields)."""

    def __init__(self, code: str, detail: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
