"""A task's follow-up on its page: the forms for evidence and extension requests, and what
the page shows of them (the history, the pending request, who may do what)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cityhall.plans import evidence, policy
from cityhall.plans.models import Decision, Task


def _key() -> forms.CharField:
    return forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)


class EvidenceFileForm(forms.Form):
    """A file (checked by the file layer in the service) with a note."""

    file = forms.FileField(label=_("File (PDF, Word, Excel, PowerPoint, OpenDocument, JPEG, "
                                   "PNG, WebP)"))
    note = forms.CharField(label=_("Note"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    idempotency_key = _key()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = secrets.token_urlsafe(16)


class EvidenceLinkForm(forms.Form):
    """A link (checked in the service: http or https) with a note."""

    url = forms.CharField(label=_("Link (http:// or https://)"), max_length=2000,
                          widget=forms.URLInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    idempotency_key = _key()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = secrets.token_urlsafe(16)


class ExtensionForm(forms.Form):
    """The person in charge asks for a later due date, with a reason."""

    due = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    """The plan owner's decision on a request, with a note."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
                                 widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note on the decision"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 2}))


def task_followup(user: Any, task: Task, *, today: dt.date,
                  forms_in: dict[str, forms.Form] | None = None) -> dict[str, Any]:
    """What the task page shows of the task's evidence and extension requests."""
    given = forms_in or {}
    items = list(evidence.of_task(task))
    requests = list(task.extensions.select_related("asked_by", "decided_by")
                    .order_by("asked_at", "pk"))
    pending = next((r for r in requests if r.decision == Decision.PENDING), None)
    open_task = not task.cancelled and task.done_on is None
    return {
        "evidence_items": [(item, evidence.may_remove(user, item)) for item in items],
        "may_add_evidence": not task.cancelled and evidence.may_add(user, task),
        "evidence_file_form": given.get("file") or EvidenceFileForm(),
        "evidence_link_form": given.get("link") or EvidenceLinkForm(),
        "extension_requests": requests,
        "extension_pending": pending,
        "may_ask_extension": open_task and pending is None and policy.may_report(user, task),
        "may_decide_extension": pending is not None and policy.may_steer(user, task.owner_unit),
        "extension_form": given.get("extension") or ExtensionForm(
            initial={"due": task.due + dt.timedelta(days=14)}),
        "decision_form": given.get("decision") or DecisionForm(),
        "today": today,
    }
