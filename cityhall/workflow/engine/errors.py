"""The engine's refusals: a stable code, and words for people in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cityhall.core.errors import Common, ErrorCode, Refused


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


#: What each refusal says to a person, unless the raise gives a more precise message.
MESSAGES: dict[ErrorCode, Promise] = {
    WorkflowCode.UNKNOWN_CASE_TYPE: _("This kind of case is not handled here."),
    WorkflowCode.NOT_STARTED: _("This case has not started yet."),
    WorkflowCode.ALREADY_STARTED: _("This case has already started."),
    WorkflowCode.UNKNOWN_ACTION: _("There is no such action."),
    WorkflowCode.ATTACHMENT_REQUIRED: _("This action needs an attachment."),
    WorkflowCode.ASSIGNEE_REQUIRED: _("Choose who takes it."),
    WorkflowCode.ASSIGNEE_OUT_OF_SCOPE: _("This person cannot work on the case's unit."),
    WorkflowCode.ASSIGNEE_NOT_ALLOWED: _("Whoever takes the case becomes its assignee: "
                                         "name nobody else."),
    WorkflowCode.DUPLICATE_CASE: _("A case is listed twice."),
    WorkflowCode.INVALID_DEADLINE: _("Give a valid deadline."),
    Common.COMMENT_REQUIRED: _("This action needs a comment."),
    Common.REASON_REQUIRED: _("Choose one of the listed reasons."),
    Common.INVALID_STATE: _("This action is not possible in the case's present state; "
                            "reload the page to see it."),
    Common.NOT_ALLOWED: _("Your role does not allow this action on this case now."),
    Common.NOT_FOUND: _("The case no longer exists."),
}

GENERIC: Promise = _("This action cannot be taken now.")


def message_for(code: ErrorCode) -> str:
    """The words for a refusal code, in the active language."""
    return str(MESSAGES.get(code, GENERIC))


class WorkflowError(Refused):
    """An action that cannot be taken; `code` is stable, `detail` is for people.

    `detail` is rendered in the language active where the error is raised (the reader's,
    in a request); without one, the code's entry in `MESSAGES` says it.
    """

    def __init__(self, code: WorkflowCode | Common, detail: str | Promise | None = None) -> None:
        super().__init__(code, message_for(code) if detail is None else str(detail))
        self.code: WorkflowCode | Common = code
        self.detail: str


class BatchError(WorkflowError):
    """An action refused on one case of a batch; `case` says which (nothing was written)."""

    def __init__(self, case: Any, error: WorkflowError) -> None:
        super().__init__(error.code, error.detail)
        self.case = case
