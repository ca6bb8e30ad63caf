"""The states of a dossier as people read them, named once."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STATE_LABELS: dict[str, str | Promise] = {
    "received": _("received"),
    "in_processing": _("in processing"),
    "supplement_requested": _("waiting for the applicant to supplement"),
    "result_issued": _("result ready"),
    "returned": _("result returned"),
    "refused": _("refused at receipt"),
    "withdrawn": _("withdrawn by the applicant"),
    "stopped": _("processing stopped"),
}


def state_label(state: str) -> str | Promise:
    """A state in the reader's language (the code itself if unknown)."""
    return STATE_LABELS.get(state, state)

#: The workflow's actions as buttons, in the order the staff page offers them.
ACTION_LABELS: dict[str, str | Promise] = {
    "accept": _("Receive for processing"),
    "request_supplement": _("Request a supplement (form 02)"),
    "refuse": _("Refuse at receipt (form 03)"),
    "supplement": _("Record the supplement"),
    "assign": _("Assign"),
    "transfer": _("Pass to another unit"),
    "reschedule": _("New appointment (form 04)"),
    "issue_result": _("Issue the result"),
    "return_result": _("Return the result"),
    "withdraw": _("Withdraw at the applicant's request"),
    "stop": _("Stop processing (form 05)"),
}

#: What each action's text box asks for (the actions that take one).
COMMENT_LABELS: dict[str, str | Promise] = {
    "request_supplement": _("What the applicant must supply, and why"),
    "refuse": _("Reasons for refusing the dossier"),
    "transfer": _("Why it goes to that unit"),
    "reschedule": _("Reasons for the delay"),
    "stop": _("Reason for stopping"),
    "withdraw": _("The applicant's request"),
    "supplement": _("What was supplied"),
}

#: Steps of the history that are not buttons.
STEP_LABELS: dict[str, str | Promise] = {
    "start": _("Received"),
    "abandon": _("Stopped: not supplemented in time"),
    "set_deadline": _("New deadline"),
    "accept": _("Received for processing"),
    "supplement": _("Supplemented"),
    "transfer": _("Passed to another unit"),
    "reschedule": _("New appointment"),
    "issue_result": _("Result issued"),
    "return_result": _("Result returned"),
    "refuse": _("Refused at receipt"),
    "request_supplement": _("Supplement requested"),
    "withdraw": _("Withdrawn"),
    "stop": _("Processing stopped"),
    "assign": _("Assigned"),
}
