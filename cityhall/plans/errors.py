"""The one error the plan services raise, and the codes only plans give."""

from __future__ import annotations

from typing import Any

from cityhall.core.errors import Common, ErrorCode, Refused


class PlanCode(ErrorCode):
    """The refusals of the plan services (they also give `Common`'s)."""

    DEPENDENCY_CYCLE = "dependency_cycle", 409
    DEPENDENCY_ACROSS_PLANS = "dependency_across_plans", 400
    INVALID_DATES = "invalid_task_dates", 400
    INVALID_PROGRESS = "invalid_progress", 400
    INVALID_DEADLINE = "invalid_working_days", 400
    UNKNOWN_ASSIGNEE = "unknown_task_assignee", 400
    EXTENSION_PENDING = "extension_pending", 409
    TASK_CLOSED = "task_closed", 409
    NO_TARGET = "task_has_no_target", 409
    # Deliverables and evidence: a file the file layer refused (detail.file says why), a
    # virus scanner that could not answer (nothing stored: try again), a bad link.
    EVIDENCE_FILE_REFUSED = "evidence_file_refused", 400
    EVIDENCE_SCAN_FAILED = "evidence_scan_failed", 503
    INVALID_LINK = "invalid_evidence_link", 400
    INVALID_ORIGIN = "invalid_task_origin", 400
    UNKNOWN_ORIGIN = "unknown_task_origin", 400
    NO_DIRECTIVE_ITEMS = "invalid_directive_items", 400


#: Every code a plan refusal may carry.
Code = PlanCode | Common


class PlanError(Refused):
    """A plan action refused; `code` is stable, `detail` is for people (or maps fields)."""

    code: Code

    def __init__(self, code: Code, detail: Any) -> None:
        super().__init__(code, detail)
