"""The task page's follow-up: adding, downloading and removing evidence; asking for and
deciding extensions; the plan owner's list of requests waiting for a decision."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cityhall.accounts.web import staff_required
from cityhall.core.files.serve import serve_file
from cityhall.plans import evidence, services
from cityhall.plans.errors import PlanError
from cityhall.plans.followup import DecisionForm, EvidenceFileForm, EvidenceLinkForm, ExtensionForm
from cityhall.plans.models import Evidence, ExtensionRequest, Task
from cityhall.plans.queries import pending_extensions
from cityhall.plans.views import _refusal_text, _staff, _task, _task_page


def _back(task: Task, anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("plans:task", args=[task.pk]) + anchor)


@require_POST
@staff_required
def add_file(request: HttpRequest, task_id: int) -> HttpResponse:
    """Add a file with a note to the task (checked on the file layer by the service)."""
    task = _task(request, task_id)
    form = EvidenceFileForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            evidence.add_file(actor=_staff(request), task=task, upload=data["file"],
                              note=data["note"], idempotency_key=data["idempotency_key"])
        except PlanError as refusal:
            form.add_error(None, _refusal_text(refusal))
        else:
            messages.success(request, _("File added."))
            return _back(task, "#evidence")
    return _task_page(request, task, status=400, followup_forms={"file": form})


@require_POST
@staff_required
def add_link(request: HttpRequest, task_id: int) -> HttpResponse:
    """Add a link with a note to the task."""
    task = _task(request, task_id)
    form = EvidenceLinkForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            evidence.add_link(actor=_staff(request), task=task, url=data["url"],
                              note=data["note"], idempotency_key=data["idempotency_key"])
        except PlanError as refusal:
            form.add_error(None, _refusal_text(refusal))
        else:
            messages.success(request, _("Link added."))
            return _back(task, "#evidence")
    return _task_page(request, task, status=400, followup_forms={"link": form})


def _item(request: HttpRequest, task_id: int, evidence_id: int) -> Evidence:
    task = _task(request, task_id)
    found = Evidence.objects.select_related("task__owner_unit").filter(
        task=task, pk=evidence_id).first()
    if found is None:
        raise Http404
    return found


@require_GET
@staff_required
def download(request: HttpRequest, task_id: int, evidence_id: int) -> HttpResponse:
    """A file's bytes, for whoever may see the task; removed files are not served."""
    item = _item(request, task_id, evidence_id)
    if item.kind != "file" or item.removed:
        raise Http404
    # A FileResponse (or 304): an HttpResponseBase, as documents' own download.
    return serve_file(item, request=request,  # type: ignore[return-value]
                      filename=item.original_name or str(item.file.name), attachment=True,
                      cache_control="private, no-store")


@require_POST
@staff_required
def remove(request: HttpRequest, task_id: int, evidence_id: int) -> HttpResponse:
    """Remove an item (kept in the history); for who added it and the plan's leaders."""
    item = _item(request, task_id, evidence_id)
    try:
        evidence.remove(actor=_staff(request), item=item,
                        reason=request.POST.get("reason", "")[:500])
    except PlanError as refusal:
        messages.error(request, _refusal_text(refusal))
    else:
        messages.success(request, _("Removed; it stays in the task's history."))
    return _back(item.task, "#evidence")


@require_POST
@staff_required
def ask_extension(request: HttpRequest, task_id: int) -> HttpResponse:
    """The task's unit asks the plan's owner for a later due date."""
    task = _task(request, task_id)
    form = ExtensionForm(request.POST)
    if form.is_valid():
        try:
            services.request_extension(actor=_staff(request), task=task,
                                       new_due=form.cleaned_data["due"],
                                       reason=form.cleaned_data["reason"])
        except PlanError as refusal:
            form.add_error(None, _refusal_text(refusal))
        else:
            messages.success(request, _("Your request has been sent to the plan's leaders."))
            return _back(task, "#extensions")
    return _task_page(request, task, status=400, followup_forms={"extension": form})


@require_POST
@staff_required
def decide_extension(request: HttpRequest, task_id: int, request_id: int) -> HttpResponse:
    """The plan's owner approves (the due date moves) or refuses a request, with a note."""
    task = _task(request, task_id)
    asked = (ExtensionRequest.objects.filter(task=task, pk=request_id)
             .select_related("asked_by").first())
    if asked is None:
        raise Http404
    asked.task = task
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide_extension(actor=_staff(request), request=asked, approve=approve,
                                      note=form.cleaned_data["note"])
        except PlanError as refusal:
            form.add_error(None, _refusal_text(refusal))
        else:
            messages.success(request, _("Approved: the task is now due %(due)s.") % {
                "due": formats.date_format(asked.asked_due)} if approve else _("Refused."))
            if request.POST.get("next") == "list":
                return HttpResponseRedirect(reverse("plans:extensions"))
            return _back(task, "#extensions")
    return _task_page(request, task, status=400, followup_forms={"decision": form})


@require_GET
@staff_required
def extension_list(request: HttpRequest) -> HttpResponse:
    """The requests waiting for the user's decision, on the plans they lead."""
    rows = list(pending_extensions(request.user)
                .select_related("task__plan", "task__lead_unit", "asked_by")[:500])
    return render(request, "plans/extensions.html", {
        "requests": rows, "decision_form": DecisionForm()})
