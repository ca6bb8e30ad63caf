"""The receiving clerk's decisions on documents that arrived by edXML: accept (registered in
the unit's incoming register with an arrival number, status 03 to the sender), reject (02,
with a reason), and answer a recall or update request (15 agreed, 16 refused).

Each takes an actor, runs in one transaction, writes an audit entry and queues the status
for the sender (`exchange.report`).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.accounts.models import User
from cityhall.core import audit
from cityhall.core.errors import Common
from cityhall.core.text import search_key
from cityhall.documents import edxml, exchange, services
from cityhall.documents.audit_actions import DocumentAudit
from cityhall.documents.errors import DocumentCode, DocumentError
from cityhall.documents.models import Arrival, Document, DocumentFile, DocumentType

Code = edxml.StatusCode


def _locked(arrival: Arrival) -> Arrival:
    return Arrival.objects.select_for_update().select_related("unit").get(pk=arrival.pk)


def _reason(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DocumentError(Common.INVALID, {field: message})
    return value[:1000]


def _type_code(envelope: edxml.Envelope) -> str:
    """Our type for the envelope's: its detail (our code, when we sent it), else its name."""
    by_code = DocumentType.objects.filter(code=envelope.document_type.detail[:40],
                                          active=True).first()
    if by_code is None and envelope.document_type.name:
        by_code = DocumentType.objects.filter(name__iexact=envelope.document_type.name,
                                              active=True).first()
    return by_code.code if by_code is not None else "cong_van"


def accept(*, actor: audit.Actor, arrival: Arrival, override_reason: str = "",
           now: dt.datetime | None = None) -> Document:
    """Register the arrived document in the receiving unit's incoming register (03). A PDF
    whose signatures are not all valid is refused unless the clerk says why it is
    registered all the same (`override_reason`, kept and audited)."""
    now = now or timezone.now()
    services.require_registrar(actor, arrival.unit)
    override_reason = (override_reason or "").strip()[:1000]
    with transaction.atomic():
        locked = _locked(arrival)
        if locked.state != Arrival.State.WAITING:
            raise DocumentError(Common.INVALID_STATE, _("This document was already decided."))
        if not locked.signatures_valid and not override_reason:
            raise DocumentError(DocumentCode.SIGNATURE_BROKEN, _(
                "The document's digital signature is missing or broken: reject it, or say "
                "why it is registered all the same."))
        envelope = edxml.read_envelope(locked.envelope.encode("utf-8"))
        notes = (_("Registered despite the signature check: %(reason)s")
                 % {"reason": override_reason}) if override_reason else ""
        document = services.register_incoming(
            actor=actor, unit=locked.unit, now=now, incoming=services.IncomingIn(
                doc_type=_type_code(envelope), author=envelope.sender.name or locked.sender_code,
                notation=locked.notation, document_date=min(locked.document_date,
                                                            timezone.localdate(now)),
                summary=locked.summary, signer_name=locked.signer_name,
                copies=max(1, min(envelope.amount or 1, 1000)), notes=notes[:1000]))
        for attachment in exchange.pdfs_of(envelope):
            stored = DocumentFile(document=document, kind=DocumentFile.Kind.ARRIVED,
                                  signed=locked.signatures_valid, created_at=now)
            stored.put(attachment.data, content_type="application/pdf", extension="pdf",
                       stem=search_key(locked.notation or "arrived").replace(" ", "-")[:60]
                       or "arrived")
            stored.save()
        Arrival.objects.filter(pk=locked.pk).update(
            state=Arrival.State.ACCEPTED, document=document, override_reason=override_reason,
            decided_by=actor if isinstance(actor, User) else None, decided_at=now)
        audit.record(actor=actor, action=DocumentAudit.ACCEPT_EDXML, obj=locked,
                     unit=locked.unit, changes={
                         "arrival_number": [None, document.number],
                         "signatures_valid": [None, locked.signatures_valid],
                         "override_reason": [None, override_reason or None]})
        exchange.report(locked, Code.ACCEPTED, now=now,
                        description=_("Registered with arrival number %(n)02d.")
                        % {"n": document.number or 0})
    arrival.refresh_from_db()
    return document


def reject(*, actor: audit.Actor, arrival: Arrival, reason: str,
           now: dt.datetime | None = None) -> Arrival:
    """Return the document to its sender (02) with the reason; nothing is registered."""
    now = now or timezone.now()
    services.require_registrar(actor, arrival.unit)
    reason = _reason(reason, "reason", _("Say why the document is returned."))
    with transaction.atomic():
        locked = _locked(arrival)
        if locked.state != Arrival.State.WAITING:
            raise DocumentError(Common.INVALID_STATE, _("This document was already decided."))
        Arrival.objects.filter(pk=locked.pk).update(
            state=Arrival.State.REJECTED, reason=reason,
            decided_by=actor if isinstance(actor, User) else None, decided_at=now)
        audit.record(actor=actor, action=DocumentAudit.REJECT_EDXML, obj=locked,
                     unit=locked.unit, changes={"reason": [None, reason[:200]]})
        exchange.report(locked, Code.REJECTED, description=reason, now=now)
    arrival.refresh_from_db()
    return arrival


def answer_recall(*, actor: audit.Actor, arrival: Arrival, agree: bool, reason: str = "",
                  now: dt.datetime | None = None) -> Arrival:
    """Answer the sender's recall or update request: agreed (15) or refused (16, with a
    reason).

    Agreed, the register stays consistent: a document not yet registered is never
    registered (the arrival is `recalled`); a registered one keeps its entry and arrival
    number (numbers are never taken back or given twice), its notes say it was recalled
    and when, and the arrival is `recalled`. Its handling, if any, is left to the leader.
    """
    now = now or timezone.now()
    services.require_registrar(actor, arrival.unit)
    if not agree:
        reason = _reason(reason, "reason", _("Say why the recall is refused."))
    with transaction.atomic():
        locked = _locked(arrival)
        if not locked.recall_requested:
            raise DocumentError(Common.INVALID_STATE, _("The sender asked for no recall."))
        if agree:
            if locked.document_id is not None:
                document = Document.objects.select_for_update().get(pk=locked.document_id)
                note = _("Recalled at the sender's request on %(day)s: %(reason)s") % {
                    "day": timezone.localdate(now).strftime("%d/%m/%Y"),
                    "reason": locked.recall_reason}
                notes = f"{document.notes}\n{note}".strip()[:1000]
                Document.objects.filter(pk=document.pk).update(notes=notes)
            Arrival.objects.filter(pk=locked.pk).update(
                state=Arrival.State.RECALLED, recall_requested=False, decided_at=now)
        else:
            Arrival.objects.filter(pk=locked.pk).update(recall_requested=False)
        audit.record(actor=actor, action=DocumentAudit.RECALL_ANSWER, obj=locked,
                     unit=locked.unit, changes={"agreed": [None, agree],
                                                "reason": [None, reason[:200] or None]})
        exchange.report(locked, Code.RECALL_AGREED if agree else Code.RECALL_REFUSED,
                        description=reason, now=now)
    arrival.refresh_from_db()
    return arrival
