"""A task's follow-up in the JSON API: its deliverables and evidence, and the requests to
extend its deadline with the plan owner's decisions (mounted at /api/v1 beside `plans.api`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from cityhall.accounts.api_auth import AUTH, auth_user
from cityhall.core.api import NO_NUL, ApiError, DbId, Input, also_json, json_body, text
from cityhall.core.errors import Common
from cityhall.core.files.serve import serve_file
from cityhall.plans import evidence, services
from cityhall.plans.api import ERRORS, IDEMPOTENCY_KEY
from cityhall.plans.models import Evidence, ExtensionRequest, Task
from cityhall.plans.queries import pending_extensions

router = Router(tags=["plans"])

EVIDENCE_FILE = File(None, description="The file: PDF; Word, Excel, PowerPoint or "
                                        "OpenDocument without macros; JPEG, PNG, WebP.")
EVIDENCE_NOTE = Form("", max_length=4000, pattern=NO_NUL)


class EvidenceOut(Schema):
    """A deliverable or piece of evidence: a file (its download address) or a link."""

    id: int
    task: int
    kind: str = Field(description="`file` or `link`.")
    name: str = Field(description="The file's name as sent, or the link's address.")
    url: str | None = Field(description="A link's address.")
    download: str | None = Field(description="Where a file is downloaded (null once removed).")
    content_type: str | None
    size: int | None = Field(description="A file's size in bytes.")
    sha256: str | None
    note: str
    added_by: str | None = Field(description="Who added it (user name).")
    added_at: dt.datetime
    removed_by: str | None
    removed_at: dt.datetime | None = Field(description="When it was removed (kept in the "
                                                       "history); null while it stands.")


class EvidenceLinkIn(Input):
    """A link to a deliverable or to evidence (an http or https address), with a note."""

    url: Annotated[str, text(2000, blank=False)]
    note: Annotated[str, text(4000)] = ""


class RemoveIn(Input):
    reason: Annotated[str, text(500)] = ""


class ExtensionOut(Schema):
    """A request to extend a task's deadline and the plan owner's decision on it."""

    id: int
    task: int
    task_title: str
    asked_due: dt.date
    previous_due: dt.date
    reason: str
    asked_by: str | None
    asked_at: dt.datetime
    decision: str = Field(description="`pending`, `approved` or `refused`.")
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str


class ExtensionIn(Input):
    due: dt.date = Field(description="The due date asked for (after the current one).")
    reason: Annotated[str, text(4000, blank=False)]


class DecisionIn(Input):
    approve: bool
    note: Annotated[str, text(4000)] = ""


def _task(request: HttpRequest, task_id: int) -> Task:
    found = (Task.objects.visible_to(auth_user(request))
             .select_related("owner_unit", "lead_unit", "person_in_charge")
             .filter(pk=task_id).first())
    if found is None:
        raise ApiError(Common.NOT_FOUND, _("No such task."))
    return found


def _name(user: Any) -> str | None:
    return user.username if user is not None else None


def evidence_out(item: Evidence) -> dict[str, Any]:
    """An item as the API answers it."""
    is_file = item.kind == "file"
    return {
        "id": item.pk, "task": item.task_id, "kind": item.kind,
        "name": item.original_name if is_file else item.url,
        "url": None if is_file else item.url,
        "download": (reverse("api:evidence_file", args=[item.task_id, item.pk])
                     if is_file and not item.removed else None),
        "content_type": item.content_type if is_file else None,
        "size": item.size if is_file else None, "sha256": item.sha256 if is_file else None,
        "note": item.note, "added_by": _name(item.added_by), "added_at": item.created_at,
        "removed_by": _name(item.removed_by), "removed_at": item.removed_at}


@router.get("/tasks/{task_id}/evidence", response={200: list[EvidenceOut], **ERRORS},
            auth=AUTH)
def list_evidence(request: HttpRequest, task_id: DbId) -> list[dict[str, Any]]:
    """The task's deliverables and evidence, oldest first; removed items stay listed."""
    return [evidence_out(e) for e in evidence.of_task(_task(request, task_id))]


@router.post("/tasks/{task_id}/evidence", response={200: EvidenceOut, 201: EvidenceOut,
                                                    **ERRORS},
             auth=AUTH, openapi_extra=also_json(EvidenceLinkIn))
def add_evidence(
    request: HttpRequest, task_id: DbId, file: UploadedFile | None = EVIDENCE_FILE,
    note: str = EVIDENCE_NOTE,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> Any:
    """Add a file (multipart: `file`, `note`) or a link (JSON: `{url, note}`) to the task;
    for its person in charge, its lead unit and the plan's leaders. A retry with the same
    `Idempotency-Key` returns the first item with 200."""
    task = _task(request, task_id)
    user = auth_user(request)
    link = json_body(request, EvidenceLinkIn)
    if link is not None:
        added = evidence.add_link(actor=user, task=task, url=link.url, note=link.note,
                                  idempotency_key=idempotency_key)
    elif file is not None:
        added = evidence.add_file(actor=user, task=task, upload=file, note=note,
                                  idempotency_key=idempotency_key)
    else:
        raise NinjaValidationError([{"type": "missing", "loc": ("file", "file"),
                                     "msg": "Field required"}])
    item = Evidence.objects.select_related("added_by", "removed_by").get(pk=added.evidence.pk)
    return Status(201 if added.created else 200, evidence_out(item))


def _item(request: HttpRequest, task_id: int, evidence_id: int) -> Evidence:
    task = _task(request, task_id)
    found = (Evidence.objects.select_related("task__owner_unit", "task__lead_unit", "added_by",
                                             "removed_by")
             .filter(task=task, pk=evidence_id).first())
    if found is None:
        raise ApiError(Common.NOT_FOUND, _("No such evidence."))
    return found


@router.get("/tasks/{task_id}/evidence/{evidence_id}/file", response={200: None, **ERRORS},
            auth=AUTH, url_name="evidence_file")
def evidence_file(request: HttpRequest, task_id: DbId, evidence_id: DbId) -> Any:
    """A file's bytes, for whoever may see the task (404 once it is removed)."""
    item = _item(request, task_id, evidence_id)
    if item.kind != "file" or item.removed:
        raise ApiError(Common.NOT_FOUND, _("No such evidence."))
    return serve_file(item, request=request, filename=item.original_name or str(item.file.name),
                      attachment=True, cache_control="private, no-store")


@router.post("/tasks/{task_id}/evidence/{evidence_id}/remove",
             response={200: EvidenceOut, **ERRORS}, auth=AUTH)
def remove_evidence(request: HttpRequest, task_id: DbId, evidence_id: DbId,
                    payload: RemoveIn) -> dict[str, Any]:
    """Remove an item (it stays in the history, its file is no longer served); for who
    added it and the plan's leaders."""
    item = _item(request, task_id, evidence_id)
    evidence.remove(actor=auth_user(request), item=item, reason=payload.reason)
    return evidence_out(item)


def extension_out(asked: ExtensionRequest) -> dict[str, Any]:
    """A request as the API answers it."""
    return {"id": asked.pk, "task": asked.task_id, "task_title": asked.task.title,
            "asked_due": asked.asked_due, "previous_due": asked.previous_due,
            "reason": asked.reason, "asked_by": _name(asked.asked_by),
            "asked_at": asked.asked_at, "decision": asked.decision,
            "decided_by": _name(asked.decided_by), "decided_at": asked.decided_at,
            "decision_note": asked.decision_note}


_EXTENSION_JOINS = ("task", "asked_by", "decided_by")


@router.get("/tasks/{task_id}/extensions", response={200: list[ExtensionOut], **ERRORS},
            auth=AUTH)
def list_extensions(request: HttpRequest, task_id: DbId) -> list[dict[str, Any]]:
    """The task's requests to extend its deadline and their decisions, oldest first."""
    task = _task(request, task_id)
    return [extension_out(e) for e in
            task.extensions.select_related(*_EXTENSION_JOINS).order_by("asked_at", "pk")]


@router.post("/tasks/{task_id}/extensions", response={201: ExtensionOut, **ERRORS}, auth=AUTH)
def ask_extension(request: HttpRequest, task_id: DbId, payload: ExtensionIn) -> Any:
    """Ask the plan's owner for a later due date, with a reason; one request waits at a
    time (`extension_pending`, 409), so a retry gives no second request."""
    task = _task(request, task_id)
    asked = services.request_extension(actor=auth_user(request), task=task,
                                       new_due=payload.due, reason=payload.reason)
    return Status(201, extension_out(
        ExtensionRequest.objects.select_related(*_EXTENSION_JOINS).get(pk=asked.pk)))


@router.get("/extensions", response={200: list[ExtensionOut], **ERRORS}, auth=AUTH)
def extensions_waiting(request: HttpRequest) -> list[dict[str, Any]]:
    """The requests waiting for the caller's decision (the plans they lead), oldest first."""
    rows = pending_extensions(auth_user(request)).select_related(*_EXTENSION_JOINS)
    return [extension_out(e) for e in rows[:500]]


@router.post("/extensions/{extension_id}/decision", response={200: ExtensionOut, **ERRORS},
             auth=AUTH)
def decide_extension(request: HttpRequest, extension_id: DbId,
                     payload: DecisionIn) -> dict[str, Any]:
    """Approve (the due date moves) or refuse a request, with a note; for the plan's
    leaders (`invalid_state`, 409, once decided)."""
    user = auth_user(request)
    asked = (ExtensionRequest.objects.filter(task__in=Task.objects.visible_to(user))
             .select_related("task__owner_unit", "task__lead_unit", "task__person_in_charge",
                             "asked_by").filter(pk=extension_id).first())
    if asked is None:
        raise ApiError(Common.NOT_FOUND, _("No such request."))
    services.decide_extension(actor=user, request=asked, approve=payload.approve,
                              note=payload.note)
    return extension_out(
        ExtensionRequest.objects.select_related(*_EXTENSION_JOINS).get(pk=asked.pk))
