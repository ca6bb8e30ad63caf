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
