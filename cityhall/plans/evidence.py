"""Deliverables and evidence on a task: files on the shared file layer, and links.

Who may add: whoever reports the task's progress (its person in charge, the lead unit's
leaders, officers and administrators, the plan's steering leaders). Who may remove: who
added it, or the plan's steering leaders; removal is soft (the row stays in the task's
history) and a removed file is no longer served. Every write is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityhall.accounts.models import User
from cityhall.core import audit
from cityhall.core.errors import Common
from cityhall.core.files import FileError, FilePolicy, FileRejected, check_upload, office
from cityhall.plans import policy
from cityhall.plans.audit_actions import PlanAudit
from cityhall.plans.errors import PlanCode, PlanError
from cityhall.plans.models import Evidence, EvidenceKind, Task

#: What a task's file may be: a document (PDF; Word, Excel, PowerPoint or OpenDocument
#: without macros) or a picture (JPEG, PNG, WebP).
TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/webp",
                   office.DOCX.content_type, office.XLSX.content_type,
                   office.PPTX.content_type, office.ODT.content_type, office.ODS.content_type})
#: The longest link kept.
MAX_URL = 2000
_links = URLValidator(schemes=["http", "https"])


def file_policy() -> FilePolicy:
    """What an evidence file may be (the size limit is read from the settings at each call)."""
    return FilePolicy(types=TYPES, max_bytes=settings.CITYHALL_PLANS_EVIDENCE_MAX_BYTES,
                      accepted=gettext_lazy("a PDF, an office document (Word, Excel, "
                                            "PowerPoint, OpenDocument) or an image (JPEG, "
                                            "PNG, WebP)"))


def may_add(user: Any, task: Task) -> bool:
    """Whether the user may add evidence to the task (those who report its progress)."""
    return policy.may_report(user, task)


def may_remove(user: Any, item: Evidence) -> bool:
    """Whether the user may remove the item: who added it, or the plan's steering leaders."""
    if not getattr(user, "is_authenticated", False) or item.removed:
        return False
    return item.added_by_id == user.pk or policy.may_steer(user, item.task.owner_unit)


def of_task(task: Task) -> QuerySet[Evidence]:
    """The task's evidence, removed items included (history), oldest first."""
    return (Evidence.objects.filter(task=task)
            .select_related("added_by", "removed_by").order_by("created_at", "pk"))


@dataclass(frozen=True)
class Added:
    """The outcome of adding evidence: the row, and whether this call made it."""

    evidence: Evidence
    created: bool


def _scope(actor: audit.Actor) -> str:
    return f"user:{actor.pk}" if isinstance(actor, User) else f"key:{getattr(actor, 'pk', '')}"


def _refuse_unless_adder(actor: audit.Actor, task: Task) -> None:
    if isinstance(actor, User) and not may_add(actor, task):
        raise PlanError(Common.NOT_ALLOWED,
                        _("Only the task's person in charge, its lead unit and the plan's "
                          "leaders add evidence to it."))
    if task.cancelled:
        raise PlanError(PlanCode.TASK_CLOSED, _("The task is cancelled."))


def _earlier(actor: audit.Actor, task: Task, key: str) -> Evidence | None:
    if not key:
        return None
    return Evidence.objects.filter(task=task, idempotency_scope=_scope(actor),
                                   idempotency_key=key).first()


def clean_link(url: str) -> str:
    """The link as kept: an http or https address without credentials; `PlanError` if not."""
    url = url.strip()
    problem = None
    if not url:
        problem = _("Give the link's address.")
    elif len(url) > MAX_URL:
        problem = _("The address is longer than %(n)s characters.") % {"n": MAX_URL}
    else:
        try:
            _links(url)
        except ValidationError:
            problem = _("Give a web address starting with http:// or https://.")
        else:
            if urlsplit(url).username is not None:
                problem = _("The address must not carry a user name or a password.")
    if problem:
        raise PlanError(PlanCode.INVALID_LINK, {"url": problem})
    return url


def add_link(*, actor: audit.Actor, task: Task, url: str, note: str = "",
             idempotency_key: str = "") -> Added:
    """Add a link (an http or https address) with a note to the task."""
    key = idempotency_key.strip()[:100]
    found = _earlier(actor, task, key)
    if found is not None:
        return Added(found, created=False)
    _refuse_unless_adder(actor, task)
    url = clean_link(url)
    with transaction.atomic():
        item = Evidence.objects.create(
            task=task, kind=EvidenceKind.LINK, url=url, note=note.strip()[:4000], size=0,
            added_by=actor if isinstance(actor, User) else None,
            idempotency_scope=_scope(actor) if key else "", idempotency_key=key)
        audit.record(actor=actor, action=PlanAudit.EVIDENCE_ADD, obj=task, unit=task.lead_unit,
                     changes={"evidence": item.pk, "kind": "link", "url": url})
    return Added(item, created=True)


def add_file(*, actor: audit.Actor, task: Task, upload: Any, note: str = "",
             idempotency_key: str = "") -> Added:
    """Check a file on the file layer and add it, with a note, to the task."""
    key = idempotency_key.strip()[:100]
    found = _earlier(actor, task, key)
    if found is not None:
        return Added(found, created=False)
    _refuse_unless_adder(actor, task)
    try:
        checked = check_upload(upload, policy=file_policy())
    except FileRejected as refused:
        code = (PlanCode.EVIDENCE_SCAN_FAILED if refused.code == FileError.SCAN_FAILED
                else PlanCode.EVIDENCE_FILE_REFUSED)
        raise PlanError(code, {"file": refused.detail}) from None
    with transaction.atomic():
        item = Evidence(task=task, kind=EvidenceKind.FILE, note=note.strip()[:4000],
                        original_name=checked.name[:255],
                        added_by=actor if isinstance(actor, User) else None,
                        idempotency_scope=_scope(actor) if key else "", idempotency_key=key)
        # The stored name is ours (the task and the digest); the client's name is kept aside.
        item.put(File(checked.file), content_type=checked.content_type,
                 extension=checked.kind.extension, sha256=checked.sha256,
                 stem=f"task{task.pk}-{checked.sha256[:12]}")
        item.save()
        audit.record(actor=actor, action=PlanAudit.EVIDENCE_ADD, obj=task, unit=task.lead_unit,
                     changes={"evidence": item.pk, "kind": "file", "name": item.original_name,
                              "content_type": item.content_type, "size": item.size,
                              "sha256": item.sha256})
    return Added(item, created=True)


def remove(*, actor: audit.Actor, item: Evidence, reason: str = "") -> Evidence:
    """Remove an item (softly: it stays in the history); for who added it or the leaders."""
    if item.removed:
        raise PlanError(Common.INVALID_STATE, _("This evidence has been removed."))
    if isinstance(actor, User) and not may_remove(actor, item):
        raise PlanError(Common.NOT_ALLOWED,
                        _("Only who added it and the plan's leaders remove evidence."))
    with transaction.atomic():
        fresh = Evidence.objects.select_for_update().get(pk=item.pk)
        if fresh.removed_at is not None:
            raise PlanError(Common.INVALID_STATE, _("This evidence has been removed."))
        item.removed_at = timezone.now()
        item.removed_by = actor if isinstance(actor, User) else None
        item.save(update_fields=["removed_at", "removed_by"])
        audit.record(actor=actor, action=PlanAudit.EVIDENCE_REMOVE, obj=item.task,
                     unit=item.task.lead_unit,
                     changes={"evidence": item.pk, "kind": item.kind,
                              "what": item.url or item.original_name,
                              "reason": reason.strip()[:500]})
    return item
