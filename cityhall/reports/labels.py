"""Words for the report workflow's states, steps and channels, for people."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STATE_LABELS: dict[str, Promise] = {
    "received": _("received"),
    "assigned": _("assigned"),
    "in_progress": _("in progress"),
    "resolved": _("answered"),
    "closed": _("closed"),
    "rejected": _("declined"),
    "merged": _("merged into another report"),
}

ACTION_LABELS: dict[str, Promise] = {
    "start": _("Received and routed"),
    "take": _("Taken by a member of staff"),
    "assign": _("Assigned"),
    "start_work": _("Work started"),
    "resolve": _("Answered"),
    "rate": _("Rated by the reporter"),
    "close_unrated": _("Closed without rating"),
    "reopen": _("Reopened by the reporter"),
    "transfer": _("Transferred"),
    "reject": _("Declined"),
    "merge": _("Merged as a duplicate"),
    "remind": _("Deadline reminder"),
    "escalate": _("Escalated to the unit's leader"),
}

ACTION_BUTTONS: dict[str, Promise] = {
    "take": _("Take it"),
    "assign": _("Assign"),
    "start_work": _("Start work"),
    "resolve": _("Answer and resolve"),
    "transfer": _("Transfer to another unit"),
    "reject": _("Decline"),
    "merge": _("Merge as a duplicate"),
}

REJECT_REASONS: dict[str, Promise] = {
    "not_in_remit": _("not within this unit's remit"),
    "not_a_public_matter": _("not a public matter"),
    "insufficient_information": _("not enough information"),
    "handled_elsewhere": _("handled through another procedure"),
}


def state_label(state: str) -> str:
    """A report state in words."""
    return str(STATE_LABELS.get(state, state))


def action_label(action: str) -> str:
    """A workflow step in words."""
    return str(ACTION_LABELS.get(action, action))


#: The engine's and the services' refusals in words for people, by their stable code (the
#: engine's own detail is English, for logs and the API's callers).
REFUSALS: dict[str, Promise] = {
    "invalid_state": _("This cannot be done in the report's present state. "
                       "Someone may have acted on it a moment ago: look at it again."),
    "not_allowed": _("You may not do this on this report now. Someone may have taken it "
                     "a moment ago: look at it again."),
    "comment_required": _("Write a note: this step needs one."),
    "assignee_required": _("Choose who takes the report."),
    "assignee_out_of_scope": _("That person does not work for the report's unit."),
    "assignee_not_allowed": _("Whoever takes a report becomes its assignee."),
    "reason_required": _("Choose one of the listed reasons."),
    "attachment_required": _("Attach a file: this step needs one."),
    "unknown_action": _("No such action."),
}


def refusal(code: str, detail: object) -> str:
    """A refusal in the reader's language: ours by its code, else the service's own words."""
    if code in REFUSALS:
        return str(REFUSALS[code])
    if isinstance(detail, dict):
        return "; ".join(str(v) for v in detail.values())
    return str(detail)
