"""The states of documents and their handling as people read them, named once."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STATE_LABELS: dict[str, str | Promise] = {
    "drafted": _("draft"),
    "reviewed": _("reviewed"),
    "signed": _("signed by the leader"),
    "issued": _("issued"),
    "sent": _("sent"),
    "withdrawn": _("withdrawn"),
    "assigned": _("being handled"),
    "completed": _("handled"),
    "": _("registered"),
}

ACTION_LABELS: dict[str, str | Promise] = {
    "review": _("Mark reviewed"),
    "send_back": _("Send back to the drafter"),
    "sign": _("Sign (leader)"),
    "issue": _("Issue: give the number"),
    "send": _("Mark sent"),
    "withdraw": _("Withdraw"),
    "complete": _("Report handled"),
    "reassign": _("Reassign"),
}


def state_label(state: str) -> str | Promise:
    """A state in the reader's language (the code itself if unknown)."""
    return STATE_LABELS.get(state, state)


def action_label(action: str) -> str | Promise:
    """An action as its button says it."""
    return ACTION_LABELS.get(action, action)
