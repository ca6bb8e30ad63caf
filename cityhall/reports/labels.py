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
