"""The engine's refusals."""

from __future__ import annotations

from typing import Any

from cityhall.core.errors import Common, ErrorCode


class WorkflowCode(ErrorCode):
    """The refusals only the engine gives (it also gives `Common`'s)."""

    UNKNOWN_CASE_TYPE = "unknown_case_type", 400
    NOT_STARTED = "not_started", 409
    ALREADY_STARTED = "already_started", 409
    UNKNOWN_ACTION = "unknown_action", 400
    ATTACHMENT_REQUIRED = "attachment_required", 400
    ASSIGNEE_REQUIRED = "assignee_required", 400
    ASSIGNEE_OUT_OF_SCOPE = "assignee_out_of_scope", 400
    # An assignee named with an action that makes its actor the assignee (`self_assign`).
    ASSIGNEE_NOT_ALLOWED = "assignee_not_allowed", 400
    DUPLICATE_CASE = "duplicate_case", 400
    INVALID_DEADLINE = "invalid_deadline", 400


class WorkflowError(Exception):
    """An action that cannot be taken; `code` is stable, `detail` is for people."""

    def __init__(self, code: WorkflowCode | Common, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class BatchError(WorkflowError):
    """An action refused on one case of a batch; `case` says which (nothing was written)."""

    def __init__(self, case: Any, error: WorkflowError) -> None:
        super().__init__(error.code, error.detail)
        self.case = case
