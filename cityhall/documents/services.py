"""Writes on documents: drafting, the approval steps (numbering at issue), registering an
incoming document, giving it to be handled and reporting the handling done.

Every function takes keyword-only arguments and an explicit actor, runs in one transaction
and leaves an audit entry (the engine writes its steps' own).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.accounts.models import Role, User
from cityhall.accounts.scope import scope_of
from cityhall.core import audit, facts
from cityhall.core.errors import Common
from cityhall.core.text import search_key
from cityhall.documents import arrivals, edxml, exchange, numbering, pdf, signatures, verification
from cityhall.documents.audit_actions import DocumentAudit
from cityhall.documents.doctypes import DECREE_30_TYPES
from cityhall.documents.errors import DocumentCode, DocumentError
from cityhall.documents.models import (
    Authority,
    Direction,
    Document,
    DocumentFile,
    DocumentType,
    Handling,
)
from cityhall.orgunits.models import COMMUNE_LEVEL, Unit, UnitKind
from cityhall.workflow import engine
from cityhall.workflow.models import Transition

#: Who drafts and registers documents for a unit.
STAFF_ROLES = {Role.OFFICER.value, Role.CLERK.value, Role.LEADER.value, Role.ADMIN.value}
#: Who registers incoming documents (the clerk, văn thư) and who gives them to be handled.
REGISTRAR_ROLES = {Role.CLERK.value, Role.LEADER.value, Role.ADMIN.value}
LEADER_ROLES = {Role.LEADER.value, Role.ADMIN.value}
#: The longest handling deadline a leader may give, in working days.
MAX_HANDLING_DAYS = 90


@dataclass(frozen=True)
class DraftIn:
    """What an outgoing draft says; the unit's defaults fill the agency and place."""

    doc_type: str
    summary: str
    content: str = ""
    signer_name: str = ""
    signer_title: str = ""
    authority: str = ""
    authority_for: str = ""
    recipients: list[str] = field(default_factory=list)
    copies: int = 1
    file_copy_unit: str = ""
    drafting_unit: str = ""
    notes: str = ""
    signer: User | None = None


@dataclass(frozen=True)
class IncomingIn:
    """An incoming document as the clerk enters it from what arrived (Appendix IV)."""

    doc_type: str
    author: str
    notation: str
    document_date: dt.date
    summary: str
    receiving_unit: str = ""
    notes: str = ""
    signer_name: str = ""
    copies: int = 1


def load_document_types(*, actor: audit.Actor) -> int:
    """Write the types of Decree 30 (`doctypes.py`) into the table; how many changed.

    The data migration `0002_document_types` seeds them on `migrate`; this puts back the
    seed's names and abbreviations (a database emptied by tests, an abbreviation edited by
    mistake) and is what `cityhall load_demo_documents` runs first. Idempotent.
    """
    changed = 0
    with transaction.atomic():
        for order, row in enumerate(DECREE_30_TYPES, start=1):
            found = DocumentType.objects.filter(code=row.code).first()
            values = {"name": row.name, "abbreviation": row.abbreviation, "order": order}
            if found is not None and all(getattr(found, k) == v for k, v in values.items()):
                continue
            DocumentType.objects.update_or_create(code=row.code, defaults=values)
            changed += 1
        if changed:
            audit.record(actor=actor, action=DocumentAudit.LOAD_TYPES,
                         changes={"types": [None, changed]})
    return changed


def agency_of(unit: Unit) -> tuple[str, str, str]:
    """The issuing agency as printed, its abbreviation in notations, and the place name."""
    place = unit.short_name or unit.name
    if unit.kind in COMMUNE_LEVEL:
        return f"Ủy ban nhân dân {unit.name}", "UBND", place
    if unit.kind == UnitKind.PROVINCE:
        return f"Ủy ban nhân dân {unit.name}", "UBND", unit.name
    # A department: its code's last part (79-SXD -> SXD), in the city's name.
    city = unit.parent.name if unit.parent_id and unit.parent else "Thành phố Hồ Chí Minh"
    return unit.name, unit.code.rsplit("-", 1)[-1].upper()[:20], city


def _roles_in(actor: audit.Actor, unit: Unit) -> set[str]:
    if not isinstance(actor, User) or not actor.is_active:
        return set()
    probe = Document(unit=unit)
    return engine.roles_of(actor, probe)


def _require(actor: audit.Actor, unit: Unit, roles: set[str]) -> User:
    if not _roles_in(actor, unit) & roles:
        raise DocumentError(DocumentCode.NOT_IN_UNIT, _(
            "You do not keep this unit's documents (or not in this role)."))
    return cast(User, actor)  # _roles_in gives roles only to people


def require_registrar(actor: audit.Actor, unit: Unit) -> User:
    """The actor, if they register the unit's incoming documents (clerk, leader); else refused."""
    return _require(actor, unit, REGISTRAR_ROLES)


def require_sender(actor: audit.Actor, document: Document) -> User:
    """The actor, if they send the unit's documents (clerk, leader); else refused."""
    return _require(actor, document.unit, REGISTRAR_ROLES)


def _doc_type(code: str) -> DocumentType:
    found = DocumentType.objects.filter(code=str(code)[:40], active=True).first()
    if found is None:
        raise DocumentError(DocumentCode.UNKNOWN_TYPE, {"doc_type": _("No such document type.")})
    return found


def _text(problems: dict[str, str], name: str, value: str, limit: int, *,
          required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        problems[name] = _("This field is required.")
    elif len(value) > limit:
        problems[name] = _("At most %(n)s characters.") % {"n": limit}
    return value


def index_text(document: Document) -> str:
    """What the register search matches: notation, summary, author, type, signer."""
    return search_key(" ".join([document.notation, document.summary, document.author,
                                document.doc_type.name, document.signer_name,
                                document.receiving_unit]))


def _checked(draft: DraftIn) -> dict[str, Any]:
    """The draft's fields, stripped and checked; `DocumentError` naming every bad field."""
    kind = _doc_type(draft.doc_type)
    problems: dict[str, str] = {}
    summary = _text(problems, "summary", draft.summary, 1000, required=True)
    content = _text(problems, "content", draft.content, 100_000)
    signer_name = _text(problems, "signer_name", draft.signer_name, 200)
    signer_title = _text(problems, "signer_title", draft.signer_title, 200)
    authority_for = _text(problems, "authority_for", draft.authority_for, 200)
    file_copy = _text(problems, "file_copy_unit", draft.file_copy_unit, 200)
    drafting = _text(problems, "drafting_unit", draft.drafting_unit, 20)
    notes = _text(problems, "notes", draft.notes, 1000)
    recipients = [line.strip() for line in draft.recipients if line.strip()]
    if len(recipients) > 100 or any(len(line) > 300 for line in recipients):
        problems["recipients"] = _("At most 100 recipients of 300 characters each.")
    if draft.authority not in Authority.values:
        problems["authority"] = _("One of TM., KT., Q., TL., TUQ., or none.")
    if not 1 <= draft.copies <= 1000:
        problems["copies"] = _("Between 1 and 1000 copies.")
    if not kind.abbreviation and not drafting:
        problems["drafting_unit"] = _(
            "A Công văn's notation names the drafting unit (e.g. VX, VP).")
    if problems:
        raise DocumentError(DocumentCode.INVALID_DOCUMENT, problems)
    return {
        "doc_type": kind, "summary": summary, "content": content, "signer": draft.signer,
        "signer_name": signer_name or (draft.signer.display_name if draft.signer else ""),
        "signer_title": signer_title, "authority": draft.authority,
        "authority_for": authority_for, "recipients": "\n".join(recipients),
        "copies": draft.copies, "file_copy_unit": file_copy, "drafting_unit": drafting.upper(),
        "notes": notes,
    }


def draft_document(*, actor: audit.Actor, unit: Unit, draft: DraftIn,
                   now: dt.datetime | None = None) -> Document:
    """Start an outgoing document: checked, filled with the unit's agency, on its workflow."""
    now = now or timezone.now()
    user = _require(actor, unit, STAFF_ROLES)
    fields = _checked(draft)
    author, abbreviation, place = agency_of(unit)
    document = Document(
        unit=unit, direction=Direction.OUTGOING, author=author,
        agency_abbreviation=abbreviation, place=place, drafted_by=user, created_at=now,
        **fields)
    document.search_text = index_text(document)
    with transaction.atomic():
        engine.start(document, actor=user, now=now)
        audit.record(actor=user, action=DocumentAudit.DRAFT, obj=document, unit=unit, changes={
            "doc_type": [None, document.doc_type.code], "summary": [None, document.summary[:200]]})
    return document


#: The fields of a draft an edit may change, as the audit entry names them.
EDITABLE = ("doc_type", "summary", "content", "signer", "signer_name", "signer_title",
            "authority", "authority_for", "recipients", "copies", "file_copy_unit",
            "drafting_unit", "notes")


def edit_draft(*, actor: audit.Actor, document: Document, draft: DraftIn,
               now: dt.datetime | None = None) -> Document:
    """Change a draft (one sent back, or not yet reviewed); only in the `drafted` state."""
    if document.direction != Direction.OUTGOING:
        raise DocumentError(DocumentCode.WRONG_DIRECTION, _(
            "Only outgoing documents go through drafting and issue."))
    _require(actor, document.unit, STAFF_ROLES)
    fields = _checked(draft)
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.state != "drafted":
            raise DocumentError(Common.INVALID_STATE, _(
                "Only a draft is edited: send it back to the drafter first."))
        before = {name: _plain(getattr(locked, name)) for name in EDITABLE}
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.search_text = index_text(locked)
        after = {name: _plain(getattr(locked, name)) for name in EDITABLE}
        changed = audit.diff(before, after)
        if changed:
            locked.save(update_fields=[*fields, "search_text"])
            audit.record(actor=actor, action=DocumentAudit.EDIT, obj=locked,
                         unit=locked.unit, changes=changed)
    for name in (*fields, "search_text"):
        setattr(document, name, getattr(locked, name))
    return document


def _plain(value: object) -> object:
    """A value as the audit trail keeps it: a related row by its code or username."""
    if isinstance(value, DocumentType):
        return value.code
    if isinstance(value, User):
        return value.username
    return value


def _store(document: Document, made: signatures.Signed, *, kind: str, now: dt.datetime
           ) -> DocumentFile:
    stored = DocumentFile(document=document, kind=kind, signed=made.signed, created_at=now)
    stem = (document.notation or f"draft-{document.pk}").replace("/", "-")
    stored.put(made.pdf, content_type="application/pdf", extension="pdf",
               stem=search_key(stem).replace(" ", "-")[:60] or "document")
    stored.save()
    return stored


def act_on_document(*, actor: audit.Actor, document: Document, action: str, comment: str = "",
                    idempotency_key: str = "", now: dt.datetime | None = None,
                    to: list[str] | None = None, paper_reason: str = "") -> Transition | None:
    """Take a step of the outgoing workflow; `sign` and `issue` also make the PDF, signed
    with the holders' keys (`signatures.keys_for`: refused without a usable one), and
    `issue` gives the number. `paper_reason` takes `sign` or `issue` on paper instead (a
    hand signature and the seal; the PDF kept is not digitally signed), saying why: the one
    unsigned path, audited (`documents.on_paper`). `send` with `to` (electronic
    identification codes) also sends it by edXML, one message to each
    (`exchange.dispatch`): an unknown code refuses the step."""
    now = now or timezone.now()
    if document.direction != Direction.OUTGOING:
        raise DocumentError(DocumentCode.WRONG_DIRECTION, _(
            "Only outgoing documents go through drafting and issue."))
    paper_reason = " ".join((paper_reason or "").split())[:1000]
    if paper_reason and action not in ("sign", "issue"):
        raise DocumentError(Common.INVALID, {"paper_reason": _(
            "Only signing and issuing are done on paper.")})
    spec = engine.case_spec(document)
    if action not in spec.actions:
        raise DocumentError(engine.WorkflowCode.UNKNOWN_ACTION, _("No such action: %(a)s.") % {
            "a": action[:64]})
    if idempotency_key:
        done = Transition.objects.for_case(document).filter(
            idempotency_key=idempotency_key).first()
        if done is not None:
            return done  # a retried request: the step and its PDF were made the first time
    try:
        with transaction.atomic():
            step = engine.perform(document, action, actor=actor, comment=comment.strip(),
                                  idempotency_key=idempotency_key, now=now)
            if step is None:
                return None
            if action == "sign":
                _leader_signs(document, actor=actor, now=now, paper_reason=paper_reason)
            elif action == "issue":
                _issue(document, actor=actor, now=now, paper_reason=paper_reason)
            elif action == "send" and to:
                exchange.dispatch(actor=actor, document=document, codes=to, now=now)
    except engine.WorkflowError as exc:
        raise DocumentError(exc.code, exc.detail) from None
    except DocumentError:
        # The step was rolled back with the rest: the object in hand must say so too.
        document.refresh_from_db()
        raise
    return step


def _keys(document: Document, *, as_organisation: bool, now: dt.datetime, paper_reason: str
          ) -> contextlib.AbstractContextManager[signatures.Keys | None]:
    """The step's keys, opened; none on paper."""
    if paper_reason:
        return contextlib.nullcontext()
    return signatures.keys_for(document, signer=document.signer,
                               as_organisation=as_organisation, now=now)


def _made(rendered: pdf.Rendered, document: Document, keys: signatures.Keys | None
          ) -> signatures.Signed:
    if keys is None:
        return signatures.Signed(pdf=rendered.pdf, signed=False)
    return signatures.sign_document(rendered.pdf, document=document, keys=keys,
                                    box=rendered.signature_box)


def _on_paper(document: Document, *, actor: audit.Actor, step: str, reason: str) -> None:
    audit.record(actor=actor, action=DocumentAudit.ON_PAPER, obj=document, unit=document.unit,
                 changes={"step": [None, step], "reason": [None, reason]})


def _leader_signs(document: Document, *, actor: audit.Actor, now: dt.datetime,
                  paper_reason: str = "") -> None:
    """The leader's approval: the draft as it stands, signed with their personal key (or
    by hand on paper, with the reason)."""
    if isinstance(actor, User) and document.signer_id != actor.pk:
        # Whoever signs is the signer printed: a name typed for someone else gives way.
        named_other = document.signer_id is not None
        document.signer = actor
        if named_other or not document.signer_name:
            document.signer_name = actor.display_name
        document.search_text = index_text(document)
        Document.objects.filter(pk=document.pk).update(
            signer=actor, signer_name=document.signer_name, search_text=document.search_text)
    with _keys(document, as_organisation=False, now=now, paper_reason=paper_reason) as keys:
        made = _made(pdf.render(document, today=timezone.localdate(now)), document, keys)
    stored = _store(document, made, kind="leader", now=now)
    if paper_reason:
        _on_paper(document, actor=actor, step="sign", reason=paper_reason)
        return
    audit.record(actor=actor, action=DocumentAudit.SIGN, obj=document, unit=document.unit,
                 changes={"keys": [None, list(made.keys)], "pdf": [None, stored.sha256]})


def _issue(document: Document, *, actor: audit.Actor, now: dt.datetime,
           paper_reason: str = "") -> None:
    """Number the document from the unit's register, date it, make and keep its PDF."""
    if document.number is not None:
        raise DocumentError(DocumentCode.ALREADY_NUMBERED, _("It already has its number."))
    today = timezone.localdate(now)
    # The keys first: a refusal (no key, an unusable one) must come before the number.
    with _keys(document, as_organisation=True, now=now, paper_reason=paper_reason) as keys:
        # Taken last, just before the write: the register's row stays locked only for
        # the rest of this transaction (rendering and signing the PDF).
        register, number = numbering.take_number(document.unit, today.year,
                                                 Direction.OUTGOING)
        document.register, document.number = register, number
        document.notation = numbering.notation(
            number, type_abbreviation=document.doc_type.abbreviation,
            agency=document.agency_abbreviation, drafting_unit=document.drafting_unit)
        document.document_date, document.registered_at = today, now
        document.search_text = index_text(document)
        Document.objects.filter(pk=document.pk).update(
            register=register, number=number, notation=document.notation,
            document_date=today, registered_at=now, search_text=document.search_text)
        made = _made(pdf.render(document, today=today), document, keys)
    _store(document, made, kind="issued", now=now)
    if made.signed:
        # The dashboard's "issued digitally signed" (indicators' documents.issued_signed).
        facts.tell([facts.Fact(case_type=document._meta.label_lower, case=document,
                               kind="signed", at=now, unit_id=document.unit_id)])
    else:
        _on_paper(document, actor=actor, step="issue", reason=paper_reason)
    audit.record(actor=actor, action=DocumentAudit.NUMBER, obj=document, unit=document.unit,
                 changes={"number": [None, number], "notation": [None, document.notation],
                          "register": [None, f"{register.year}/{register.direction}"],
                          "signed": [None, made.signed], "keys": [None, list(made.keys)]})


def register_incoming(*, actor: audit.Actor, unit: Unit, incoming: IncomingIn,
                      arrival_date: dt.date | None = None, now: dt.datetime | None = None,
                      file: arrivals.ArrivedPdf | None = None) -> Document:
    """Enter an arrived document in the unit's incoming register with its arrival number.

    `file` is its PDF as `arrivals.check` accepted it: kept with the entry; a scan of
    paper marks the document digitised; a signature registered although not valid leaves
    a `documents.signature_override` entry with the clerk's reason.
    """
    now = now or timezone.now()
    user = _require(actor, unit, REGISTRAR_ROLES)
    kind = _doc_type(incoming.doc_type)
    problems: dict[str, str] = {}
    author = _text(problems, "author", incoming.author, 300, required=True)
    notation = _text(problems, "notation", incoming.notation, 80)
    summary = _text(problems, "summary", incoming.summary, 1000, required=True)
    receiving = _text(problems, "receiving_unit", incoming.receiving_unit, 300)
    notes = _text(problems, "notes", incoming.notes, 1000)
    signer_name = _text(problems, "signer_name", incoming.signer_name, 200)
    arrived = arrival_date or timezone.localdate(now)
    if incoming.document_date > arrived:
        problems["document_date"] = _("The document cannot be dated after it arrived.")
    if not 1 <= incoming.copies <= 1000:
        problems["copies"] = _("Between 1 and 1000 copies.")
    if problems:
        raise DocumentError(DocumentCode.INVALID_DOCUMENT, problems)
    with transaction.atomic():
        register, number = numbering.take_number(unit, arrived.year, Direction.INCOMING)
        document = Document(
            unit=unit, direction=Direction.INCOMING, register=register, number=number,
            notation=notation, document_date=incoming.document_date, doc_type=kind,
            summary=summary, author=author, signer_name=signer_name, copies=incoming.copies,
            receiving_unit=receiving, notes=notes, arrival_date=arrived, registered_at=now,
            drafted_by=user, created_at=now, digitised=bool(file and file.scanned))
        document.search_text = index_text(document)
        document.save()
        changes: dict[str, Any] = {"arrival_number": [None, number],
                                   "notation": [None, notation], "author": [None, author[:200]]}
        if file is not None:
            _arrived_file(document, file, user=user, changes=changes)
        audit.record(actor=user, action=DocumentAudit.REGISTER_INCOMING, obj=document,
                     unit=unit, changes=changes)
    return document


def _arrived_file(document: Document, arrived: arrivals.ArrivedPdf, *, user: User,
                  changes: dict[str, Any]) -> None:
    """Keep an arrival's PDF; what the audit entries say of it (and of an override)."""
    stored = arrivals.store(document, arrived)
    changes["pdf"] = [None, stored.sha256]
    if arrived.scanned:
        changes["digitised"] = [None, {"pages": len(arrived.pages), "min_dpi": arrived.min_dpi}]
        return
    assert arrived.verification is not None  # noqa: S101 - an electronic arrival is verified
    said = verification.summary(arrived.verification)
    changes["signatures"] = [None, said]
    if arrived.override_reason:
        audit.record(actor=user, action=DocumentAudit.SIGNATURE_OVERRIDE, obj=document,
                     unit=document.unit, changes={"reason": [None, arrived.override_reason],
                                                  "signatures": [None, said]})


def assign_handling(*, actor: audit.Actor, document: Document, unit: Unit | None = None,
                    assignee: User | None = None, working_days: int = 10,
                    instructions: str = "", now: dt.datetime | None = None) -> Handling:
    """The leader gives an incoming document to a unit or an officer, with a deadline in
    working days ("giao xử lý"); the handling is a case on the `document_handling` workflow."""
    now = now or timezone.now()
    if document.direction != Direction.INCOMING:
        raise DocumentError(DocumentCode.WRONG_DIRECTION, _(
            "Only incoming documents are given to be handled."))
    user = _require(actor, document.unit, LEADER_ROLES)
    handler = unit or document.unit
    problems: dict[str, str] = {}
    if not scope_of(user).covers(handler):
        problems["unit"] = _("Give it to your own unit or a unit below it.")
    if assignee is not None and not scope_of(assignee).covers(handler):
        problems["assignee"] = _("The officer does not work in that unit.")
    if not 1 <= working_days <= MAX_HANDLING_DAYS:
        problems["working_days"] = _("Between 1 and %(n)s working days.") % {
            "n": MAX_HANDLING_DAYS}
    instructions = _text(problems, "instructions", instructions, 4000)
    if problems:
        raise DocumentError(DocumentCode.INVALID_DOCUMENT, problems)
    handling = Handling(document=document, unit=handler, instructions=instructions,
                        created_at=now)
    whom = assignee.display_name if assignee else handler.name
    with transaction.atomic():
        engine.start(handling, actor=user, assignee=assignee, comment=instructions, now=now,
                     deadline={"working_days": working_days})
        # The register's columns: who received it to handle, and when it was passed on.
        receiving = document.receiving_unit or whom
        Document.objects.filter(pk=document.pk).update(
            transfer_date=timezone.localdate(now), receiving_unit=receiving[:300])
        document.transfer_date, document.receiving_unit = timezone.localdate(now), receiving
        audit.record(actor=user, action=DocumentAudit.ASSIGN_HANDLING, obj=document,
                     unit=document.unit, changes={
                         "handling_unit": [None, handler.code],
                         "assignee": [None, assignee.username if assignee else None],
                         "working_days": [None, working_days],
                         "transfer_date": [None, str(document.transfer_date)]})
        # Came by edXML: its sender hears that it was assigned (04).
        exchange.handling_moved(document, edxml.StatusCode.ASSIGNED, now=now)
    return handling


def act_on_handling(*, actor: audit.Actor, handling: Handling, action: str,
                    comment: str = "", assignee: User | None = None,
                    reply: Document | None = None, now: dt.datetime | None = None
                    ) -> Transition | None:
    """A step of a handling: `complete` (a report, and perhaps the reply document) or
    `reassign` (the leader, to another officer)."""
    now = now or timezone.now()
    spec = engine.case_spec(handling)
    if action not in spec.actions:
        raise DocumentError(engine.WorkflowCode.UNKNOWN_ACTION, _("No such action: %(a)s.") % {
            "a": action[:64]})
    if reply is not None and (reply.direction != Direction.OUTGOING
                              or not scope_of(actor).covers(reply.unit)):
        raise DocumentError(Common.INVALID, {"reply": _("Not one of your outgoing documents.")})
    try:
        with transaction.atomic():
            step = engine.perform(handling, action, actor=actor, comment=comment.strip(),
                                  assignee=assignee, now=now)
            if action == "complete":
                handling.report, handling.reply = comment.strip(), reply
                Handling.objects.filter(pk=handling.pk).update(
                    report=handling.report, reply=reply)
                audit.record(actor=actor, action=DocumentAudit.HANDLING_REPORT, obj=handling,
                             unit=handling.unit, changes={
                                 "report": [None, handling.report[:200]],
                                 "reply": [None, reply.notation if reply else None]})
            if step is not None:
                # Came by edXML: its sender hears it is being processed (05: passed on to
                # another officer) or completed (06).
                moved = {"complete": edxml.StatusCode.COMPLETED,
                         "reassign": edxml.StatusCode.PROCESSING}.get(action)
                if moved is not None:
                    exchange.handling_moved(handling.document, moved, now=now)
    except engine.WorkflowError as exc:
        raise DocumentError(exc.code, exc.detail) from None
    return step
