"""The audit actions of `plans`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class PlanAudit(AuditAction):
    """Plans, tasks, progress and extensions."""

    PLAN_CREATE = "plans.plan_create"
    PLAN_IMPORT = "plans.plan_import"
    PLAN_IMPORT_REFUSED = "plans.plan_import_refused"
    TASK_CANCEL = "plans.task_cancel"
    TASK_CREATE = "plans.task_create"
    TASK_ASSIGN = "plans.task_assign"
    DIRECTIVE_TASKS = "plans.directive_tasks"
    TASK_RESCHEDULE = "plans.task_reschedule"
    TASK_REMIND = "plans.task_remind"
    DEPENDENCY_ADD = "plans.dependency_add"
    PROGRESS_REPORT = "plans.progress_report"
    EXTENSION_REQUEST = "plans.extension_request"
    EXTENSION_DECIDE = "plans.extension_decide"
    FEED_CREATE = "plans.feed_create"
    FEED_RENEW = "plans.feed_renew"
    TARGET_SET = "plans.target_set"
    TARGET_REPORT = "plans.target_report"
    EVIDENCE_ADD = "plans.evidence_add"
    EVIDENCE_REMOVE = "plans.evidence_remove"
