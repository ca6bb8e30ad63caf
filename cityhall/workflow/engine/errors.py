"""The engine's refusals."""

from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    """An action that cannot be taken; `code` is stable, `detail` is for people."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class BatchError(WorkflowError):
    """An action refused on one case of a batch; `case` says which (nothing was written)."""

    def __init__(self, case: Any, error: WorkflowError) -> None:
        super().__init__(error.code, error.detail)
        self.case = case
