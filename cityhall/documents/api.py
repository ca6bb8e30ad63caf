"""The documents' JSON API at /api/v1/documents (and the registers under /api/v1/units):
drafts and their steps, incoming documents and their handling, the registers as JSON and
XLSX. Every read is scoped by the caller's units; a document outside them is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Path, Query, Router, Schema, Status, UploadedFile
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from cityhall.accounts.api_auth import AUTH, auth_user
from cityhall.accounts.errors import AccountCode
from cityhall.accounts.models import User
from cityhall.core.api import MAX_PAGE, NO_NUL, ApiError, Day, DbId, ErrorOut, Input, text
from cityhall.core.errors import Common
from cityhall.core.files.serve import serve_file
from cityhall.documents import (
    arrivals,
    edxml,
    exchange,
    receiving,
    registers,
    services,
    verification,
)
from cityhall.documents.errors import DocumentCode
from cityhall.documents.models import Arrival, Document, DocumentFile, Handling
from cityhall.orgunits.models import Unit
from cityhall.workflow import engine

router = Router(tags=["documents"])
#: The registers, at /api/v1/units/{code}/registers/... (mounted beside the registry's).
units_router = Router(tags=["documents"])

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                          409: ErrorOut, 422: ErrorOut}
IDEMPOTENCY_KEY = Header(
    "", alias="Idempotency-Key", max_length=100, pattern=NO_NUL,
    description="Any string the client makes up for one step (a UUID): a retry with the "
                "same key returns the first answer instead of acting again.")
ACTION = Path(..., max_length=64, pattern=r"^[a-z_]+$")
PDF_FILE = File(..., description="Its PDF: signed as it arrived, or a scan of paper.")
UNIT_CODE = Path(..., max_length=32, pattern=NO_NUL, description="The unit's code.")


class DraftBody(Input):
    """An outgoing draft: the unit that issues it, its type, summary and content, who signs
    and how, and its recipients ("Nơi nhận", without "Lưu", which is added)."""

    unit: Annotated[str, text(32, blank=False)]
    doc_type: Annotated[str, text(40, blank=False)] = Field(
        description="A type code from GET /api/v1/documents/types (quyet_dinh, cong_van...).")
    summary: Annotated[str, text(1000, blank=False)]
    content: Annotated[str, text(100_000)] = ""
    signer: Annotated[str, text(150)] = Field("", description="The signer's username.")
    signer_name: Annotated[str, text(200)] = ""
    signer_title: Annotated[str, text(200)] = ""
    authority: Literal["", "TM.", "KT.", "Q.", "TL.", "TUQ."] = ""
    authority_for: Annotated[str, text(200)] = ""
    recipients: list[Annotated[str, text(300)]] = Field(default_factory=list, max_length=100)
    copies: int = Field(1, ge=1, le=1000)
    file_copy_unit: Annotated[str, text(200)] = ""
    drafting_unit: Annotated[str, text(20)] = ""
    notes: Annotated[str, text(1000)] = ""


class IncomingBody(Input):
    """An arrived document as the clerk registers it (Appendix IV, the incoming register)."""

    unit: Annotated[str, text(32, blank=False)]
    doc_type: Annotated[str, text(40, blank=False)]
    author: Annotated[str, text(300, blank=False)]
    notation: Annotated[str, text(80)] = ""
    document_date: Day
    arrival_date: Day | None = None
    summary: Annotated[str, text(1000, blank=False)]
    receiving_unit: Annotated[str, text(300)] = ""
    signer_name: Annotated[str, text(200)] = ""
    copies: int = Field(1, ge=1, le=1000)
    notes: Annotated[str, text(1000)] = ""


class AssignBody(Input):
    """Giving an incoming document to be handled: a unit (default: the receiving one) and/or
    an officer, a deadline in working days, the leader's instructions."""

    unit: Annotated[str, text(32)] = ""
    assignee: Annotated[str, text(150)] = ""
    working_days: int = Field(10, ge=1, le=services.MAX_HANDLING_DAYS)
    instructions: Annotated[str, text(4000)] = ""


class ActionBody(Input):
    """A workflow step: a comment (required to send back, withdraw, or complete); for
    `send`, the recipients' electronic identification codes to send it to by edXML."""

    comment: Annotated[str, text(4000)] = ""
    assignee: Annotated[str, text(150)] = ""
    to: list[Annotated[str, text(32, blank=False)]] = Field(
        default_factory=list, max_length=100,
        description="send: recipients by electronic identification code (edXML).")
    paper_reason: Annotated[str, text(1000)] = Field(
        default="", description="sign, issue: done on paper instead (hand signature and "
                                "seal, the PDF not digitally signed), because (audited).")


class Created(Schema):
    id: int
    state: str


class StepOut(Schema):
    action: str
    from_state: str
    to_state: str
    at: dt.datetime
    actor: str
    comment: str


class FileOut(Schema):
    kind: str
    signed: bool
    sha256: str
    size: int
    created_at: dt.datetime


class HandlingOut(Schema):
    id: int
    document: int
    unit: str
    assignee: str | None
    state: str
    due_at: dt.datetime | None
    overdue: bool
    instructions: str
    report: str
    actions: list[str]


class SignatureOut(Schema):
    """One signature of the document's PDF, verified when asked."""

    field_name: str
    signer: str = Field(description="The signer's certificate's common name.")
    organisation: str
    issuer: str = Field(description="The certificate's issuing authority's common name.")
    serial: str
    chain: Literal["trusted", "untrusted", "revoked", "unknown"] = Field(
        description="The certificate chain's verdict against the configured trust roots.")
    signing_time: dt.datetime | None = Field(
        description="The time the signer claims (/M), in Vietnam's time.")
    intact: bool
    modified_after_signing: bool
    valid: bool
    problems: list[str]
    problem_texts: list[str]


class VerificationOut(Schema):
    """The verification of the signatures of the document's PDF (issued, approved or
    arrived; a scan of paper carries none)."""

    file_kind: str
    sha256: str
    status: Literal["valid", "invalid", "unsigned", "unreadable"]
    valid: bool
    error: str
    checked_at: dt.datetime
    signatures: list[SignatureOut]
class StatusOut(Schema):
    code: str
    description: str
    at: dt.datetime


class DispatchOut(Schema):
    """One recipient of a document sent by edXML: its latest status and their history."""

    to: str
    name: str
    message_id: str
    status: str
    status_at: dt.datetime | None
    history: list[StatusOut]


class DocumentOut(Schema):
    """A document with its register entry, its files and their signatures, its history."""

    id: int
    direction: str
    state: str
    unit: str
    doc_type: str
    doc_type_name: str
    number: int | None
    notation: str
    document_date: dt.date | None
    summary: str
    content: str
    author: str
    signer_name: str
    signer_title: str
    authority: str
    authority_for: str
    recipients: list[str]
    copies: int
    file_copy_unit: str
    notes: str
    arrival_date: dt.date | None
    receiving_unit: str
    transfer_date: dt.date | None
    register_entry: dict[str, Any] | None
    files: list[FileOut]
    signed: bool
    digitised: bool
    verification: VerificationOut | None
    history: list[StepOut]
    actions: list[str]
    handlings: list[HandlingOut]
    dispatches: list[DispatchOut]


class ActionOut(Schema):
    id: int
    state: str
    changed: bool
    number: int | None = None
    notation: str = ""


class TypeOut(Schema):
    code: str
    name: str
    abbreviation: str


class RegisterSummary(Schema):
    """The register's whole year (whatever `q`): entries; signed (outgoing: issued with the
    system's digital signatures; incoming: arrived with valid ones); its share in percent
    (null for an empty register); incoming documents digitised from paper."""

    entries: int
    signed: int
    signed_percent: float | None
    digitised: int


class RegisterPage(Schema):
    """A register's entries of a year: the columns of Decree 30's Appendix IV."""

    unit: str
    direction: str
    year: int
    count: int
    items: list[dict[str, Any]]
    summary: RegisterSummary


def _unit(user: User, code: str) -> Unit:
    found = Unit.objects.active_on().filter(code=code[:32]).first()
    if found is None:
        raise ApiError(DocumentCode.INVALID_DOCUMENT, {"unit": _("No such unit.")})
    return found


def _person(username: str) -> User | None:
    if not username:
        return None
    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise ApiError(AccountCode.UNKNOWN_PERSON, _("No such member of staff."))
    return found


def _visible(request: HttpRequest, pk: int) -> Document:
    found = (Document.objects.visible_to(auth_user(request))
             .select_related("doc_type", "unit", "register").filter(pk=pk).first())
    if found is None:
        raise ApiError(Common.NOT_FOUND, _("No such document."))
    return found


def _handling_out(h: Handling, user: User, now: dt.datetime) -> dict[str, Any]:
    return {"id": h.pk, "document": h.document_id, "unit": h.unit.code,
            "assignee": h.assignee.username if h.assignee else None, "state": h.state,
            "due_at": h.due_at, "instructions": h.instructions, "report": h.report,
            "overdue": h.closed_at is None and h.due_at is not None and h.due_at < now,
            "actions": engine.available_actions(h, user)}


def document_out(document: Document, user: User) -> dict[str, Any]:
    """A document as the API gives it (one read per related table)."""
    files = list(DocumentFile.objects.filter(document=document).order_by("created_at", "pk"))
    handlings = list(Handling.objects.visible_to(user).filter(document=document)
                     .select_related("unit", "assignee"))
    now = timezone.now()
    register = document.register
    return {
        "id": document.pk, "direction": document.direction, "state": document.state,
        "unit": document.unit.code, "doc_type": document.doc_type.code,
        "doc_type_name": document.doc_type.name, "number": document.number,
        "notation": document.notation, "document_date": document.document_date,
        "summary": document.summary, "content": document.content, "author": document.author,
        "signer_name": document.signer_name, "signer_title": document.signer_title,
        "authority": document.authority, "authority_for": document.authority_for,
        "recipients": document.recipient_lines, "copies": document.copies,
        "file_copy_unit": document.file_copy_unit, "notes": document.notes,
        "arrival_date": document.arrival_date, "receiving_unit": document.receiving_unit,
        "transfer_date": document.transfer_date,
        "register_entry": ({"year": register.year, "direction": register.direction,
                      "number": document.number} if register else None),
        "files": [{"kind": f.kind, "signed": f.signed, "sha256": f.sha256, "size": f.size,
                   "created_at": f.created_at} for f in files],
        "signed": any(f.signed for f in files if f.kind == DocumentFile.Kind.ISSUED),
        "digitised": document.digitised,
        "verification": verification.verification_out(
            verification.verify_document(document, now=now)),
        "history": ([{"action": s.action, "from_state": s.from_state, "to_state": s.to_state,
                      "at": s.at, "actor": s.actor_label, "comment": s.comment}
                     for s in engine.history(document)] if document.workflow_id else []),
        "actions": engine.available_actions(document, user),
        "handlings": [_handling_out(h, user, now) for h in handlings],
        "dispatches": [{"to": d.recipient_code, "name": d.recipient_name,
                        "message_id": d.message_id, "status": d.status,
                        "status_at": d.status_at,
                        "history": [{"code": s.code, "description": s.description, "at": s.at}
                                    for s in d.statuses.all()]}
                       for d in document.dispatches.prefetch_related("statuses")],
    }


@router.get("/types", response=list[TypeOut], auth=None)
def document_types(request: HttpRequest) -> Any:
    """The document types of Decree 30/2020 and their abbreviations in notations."""
    from cityhall.documents.models import DocumentType

    return list(DocumentType.objects.filter(active=True).values("code", "name", "abbreviation"))


@router.post("", response={201: Created, **ERRORS}, auth=AUTH)
def create_draft(request: HttpRequest, payload: DraftBody) -> Any:
    """Draft an outgoing document in a unit the caller works in; it starts `drafted`."""
    user = auth_user(request)
    unit = _unit(user, payload.unit)
    draft = services.DraftIn(
        doc_type=payload.doc_type, summary=payload.summary, content=payload.content,
        signer=_person(payload.signer), signer_name=payload.signer_name,
        signer_title=payload.signer_title, authority=payload.authority,
        authority_for=payload.authority_for, recipients=payload.recipients,
        copies=payload.copies, file_copy_unit=payload.file_copy_unit,
        drafting_unit=payload.drafting_unit, notes=payload.notes)
    document = services.draft_document(actor=user, unit=unit, draft=draft)
    return Status(201, {"id": document.pk, "state": document.state})


@router.post("/incoming", response={201: Created, **ERRORS}, auth=AUTH)
def register_incoming(request: HttpRequest, payload: IncomingBody) -> Any:
    """Register an arrived document in the unit's incoming register (its clerk or leader)."""
    user = auth_user(request)
    incoming = services.IncomingIn(
        doc_type=payload.doc_type, author=payload.author, notation=payload.notation,
        document_date=payload.document_date, summary=payload.summary,
        receiving_unit=payload.receiving_unit, notes=payload.notes,
        signer_name=payload.signer_name, copies=payload.copies)
    document = services.register_incoming(actor=user, unit=_unit(user, payload.unit),
                                          incoming=incoming, arrival_date=payload.arrival_date)
    return Status(201, {"id": document.pk, "state": document.state})


@router.post("/incoming/with-pdf", response={201: Created, **ERRORS}, auth=AUTH)
def register_incoming_with_pdf(
    request: HttpRequest,
    document: str = Form(..., max_length=20_000, pattern=NO_NUL, description=(
        "The arrived document as JSON, the body `POST /api/v1/documents/incoming` takes.")),
    pdf: UploadedFile = PDF_FILE,
    scanned: bool = Form(False, description=(
        "The PDF is a scan of a paper document: colour, 200 dpi or better, checked; the "
        "document counts as digitised.")),
    override_reason: str = Form("", max_length=1000, pattern=NO_NUL, description=(
        "Register it although its signatures are not valid (or missing), for this reason "
        "(audited); otherwise such a PDF is refused with `signature_broken` or "
        "`pdf_unsigned`.")),
) -> Any:
    """Register an arrived document with its PDF (multipart). A signed PDF's signatures are
    verified (`signature_broken`, `pdf_unsigned` without `override_reason`); a scan's pages
    are checked (`scan_quality`). All or nothing: a refused file registers nothing."""
    try:
        payload = IncomingBody.model_validate_json(document)
    except PydanticValidationError as exc:
        raise NinjaValidationError([{**e, "loc": ("form", "document", *e["loc"])}
                                    for e in exc.errors(include_url=False,
                                                        include_context=False)]) from None
    user = auth_user(request)
    unit = _unit(user, payload.unit)
    services.require_registrar(actor=user, unit=unit)
    checked = arrivals.check(pdf, scanned=scanned, override_reason=override_reason)
    return _register_incoming(user, unit, payload, checked)


def _register_incoming(user: User, unit: Unit, payload: IncomingBody,
                       file: arrivals.ArrivedPdf | None = None) -> Any:
    incoming = services.IncomingIn(
        doc_type=payload.doc_type, author=payload.author, notation=payload.notation,
        document_date=payload.document_date, summary=payload.summary,
        receiving_unit=payload.receiving_unit, notes=payload.notes,
        signer_name=payload.signer_name, copies=payload.copies)
    document = services.register_incoming(actor=user, unit=unit, incoming=incoming,
                                          arrival_date=payload.arrival_date, file=file)
    return Status(201, {"id": document.pk, "state": document.state})


@router.get("/handlings", response={200: list[HandlingOut], **ERRORS}, auth=AUTH)
def handling_queue(request: HttpRequest, mine: bool = False) -> Any:
    """The open handlings of incoming documents the caller may see (`mine`: theirs only),
    the soonest deadline first."""
    user = auth_user(request)
    found = Handling.objects.visible_to(user).open().select_related("unit", "assignee")
    if mine:
        found = found.filter(assignee=user)
    now = timezone.now()
    return [_handling_out(h, user, now) for h in found.order_by("due_at", "pk")[:MAX_PAGE]]


@router.post("/handlings/{handling_id}/actions/{action}",
             response={200: ActionOut, **ERRORS}, auth=AUTH)
def act_on_handling(request: HttpRequest, payload: ActionBody, handling_id: DbId,
                    action: str = ACTION) -> Any:
    """A step of a handling: `complete` (with the report as comment) or `reassign`."""
    user = auth_user(request)
    handling = (Handling.objects.visible_to(user).select_related("unit", "document")
                .filter(pk=handling_id).first())
    if handling is None:
        raise ApiError(Common.NOT_FOUND, _("No such handling."))
    step = services.act_on_handling(actor=user, handling=handling, action=action,
                                    comment=payload.comment,
                                    assignee=_person(payload.assignee))
    return {"id": handling.pk, "state": handling.state, "changed": step is not None}


# Documents received by edXML ------------------------------------------------------------


class ArrivalOut(Schema):
    """A document received by edXML for one of the caller's units."""

    id: int
    unit: str
    state: str
    sender_code: str
    sender_name: str
    notation: str
    summary: str
    document_date: dt.date
    type_name: str
    received_at: dt.datetime
    signatures_valid: bool
    signatures: list[dict[str, Any]]
    reason: str
    override_reason: str
    recall_requested: bool
    recall_reason: str
    document: int | None
    history: list[StatusOut]


class ArrivalActionBody(Input):
    """accept: `override_reason` to register a document whose signature is broken;
    reject and refuse_recall: `reason`."""

    reason: Annotated[str, text(1000)] = ""
    override_reason: Annotated[str, text(1000)] = ""


def arrival_out(a: Arrival) -> dict[str, Any]:
    return {"id": a.pk, "unit": a.unit.code, "state": a.state, "sender_code": a.sender_code,
            "sender_name": a.sender_name, "notation": a.notation, "summary": a.summary,
            "document_date": a.document_date, "type_name": a.type_name,
            "received_at": a.received_at, "signatures_valid": a.signatures_valid,
            "signatures": a.signatures, "reason": a.reason, "override_reason": a.override_reason,
            "recall_requested": a.recall_requested, "recall_reason": a.recall_reason,
            "document": a.document_id,
            "history": [{"code": s.code, "description": s.description, "at": s.at}
                        for s in a.statuses.all()]}


@router.get("/arrivals", response={200: list[ArrivalOut], **ERRORS}, auth=AUTH)
def arrival_list(request: HttpRequest, state: Literal["", "waiting", "accepted", "rejected",
                                                      "recalled"] = "") -> Any:
    """Documents received by edXML for the caller's units, newest first (`state` filters)."""
    found = Arrival.objects.visible_to(auth_user(request)).select_related("unit")
    if state:
        found = found.filter(state=state)
    return [arrival_out(a) for a in found.prefetch_related("statuses")[:MAX_PAGE]]


def _arrival(request: HttpRequest, pk: int) -> Arrival:
    found = (Arrival.objects.visible_to(auth_user(request)).select_related("unit")
             .filter(pk=pk).first())
    if found is None:
        raise ApiError(Common.NOT_FOUND, _("No such document received."))
    return found


@router.get("/arrivals/{arrival_id}", response={200: ArrivalOut, **ERRORS}, auth=AUTH)
def arrival_detail(request: HttpRequest, arrival_id: DbId) -> Any:
    """One document received by edXML: its signatures' check, its state, what was sent back."""
    return arrival_out(_arrival(request, arrival_id))


@router.post("/arrivals/{arrival_id}/actions/{action}",
             response={200: ArrivalOut, **ERRORS}, auth=AUTH)
def arrival_act(request: HttpRequest, payload: ArrivalActionBody, arrival_id: DbId,
                action: Literal["accept", "reject", "agree_recall", "refuse_recall"] = Path(...)
                ) -> Any:
    """The receiving clerk's decision: `accept` (registered, status 03), `reject` (02),
    `agree_recall` (15) or `refuse_recall` (16)."""
    user = auth_user(request)
    arrival = _arrival(request, arrival_id)
    if action == "accept":
        receiving.accept(actor=user, arrival=arrival, override_reason=payload.override_reason)
    elif action == "reject":
        receiving.reject(actor=user, arrival=arrival, reason=payload.reason)
    else:
        receiving.answer_recall(actor=user, arrival=arrival, agree=action == "agree_recall",
                               reason=payload.reason)
    arrival.refresh_from_db()
    return arrival_out(arrival)


@router.get("/{document_id}", response={200: DocumentOut, **ERRORS}, auth=AUTH)
def document_detail(request: HttpRequest, document_id: DbId) -> Any:
    """One document: its register entry, files (signed or not), history, the steps the
    caller may take, and its handlings."""
    return document_out(_visible(request, document_id), auth_user(request))


@router.get("/{document_id}/pdf", response={200: None, **ERRORS}, auth=AUTH)
def document_pdf(request: HttpRequest, document_id: DbId) -> Any:
    """The PDF as issued (or the leader's approved draft before issue); 404 before either."""
    document = _visible(request, document_id)
    stored = DocumentFile.objects.filter(document=document).order_by("-created_at", "-pk").first()
    if stored is None:
        raise ApiError(Common.NOT_FOUND, _("This document has no PDF yet."))
    name = (document.notation or f"draft-{document.pk}").replace("/", "-")
    return serve_file(stored, request=request, filename=f"{name}.pdf",
                      cache_control="private, no-store")


@router.get("/{document_id}/edxml", response={200: None, **ERRORS}, auth=AUTH)
def document_edxml(request: HttpRequest, document_id: DbId) -> Any:
    """The issued document as an edXML envelope (QCVN 102:2016), its signed PDF attached in
    base64, addressed to the recipients it was sent to by edXML; 409 before issue."""
    document = _visible(request, document_id)
    to = [(d.recipient_code, d.recipient_name) for d in document.dispatches.all()]
    body = edxml.write_envelope(exchange.envelope_of(document, to))
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{document.notation.replace("/", "-")}.edxml"')
    response["Cache-Control"] = "private, no-store"
    return response


class RecallBody(Input):
    reason: Annotated[str, text(1000, blank=False)]


@router.post("/{document_id}/recall", response={200: ActionOut, **ERRORS}, auth=AUTH)
def recall(request: HttpRequest, payload: RecallBody, document_id: DbId) -> Any:
    """Ask every recipient of a document sent by edXML to recall it (status 13); each
    answers 15 (agreed) or 16 (refused), shown in `dispatches`."""
    user = auth_user(request)
    document = _visible(request, document_id)
    services.require_sender(user, document)
    made = exchange.request_recall(actor=user, document=document, reason=payload.reason)
    return {"id": document.pk, "state": document.state, "changed": bool(made),
            "number": document.number, "notation": document.notation}


@router.post("/{document_id}/actions/{action}", response={200: ActionOut, **ERRORS}, auth=AUTH)
def act(request: HttpRequest, payload: ActionBody, document_id: DbId, action: str = ACTION,
        idempotency_key: str = IDEMPOTENCY_KEY) -> Any:
    """A step of the outgoing workflow: review, send_back, sign, issue (gives the number),
    send, withdraw."""
    user = auth_user(request)
    document = _visible(request, document_id)
    step = services.act_on_document(actor=user, document=document, action=action,
                                    comment=payload.comment, idempotency_key=idempotency_key,
                                    to=payload.to, paper_reason=payload.paper_reason)
    document.refresh_from_db(fields=["state", "number", "notation"])
    return {"id": document.pk, "state": document.state, "changed": step is not None,
            "number": document.number, "notation": document.notation}


@router.post("/{document_id}/handlings", response={201: HandlingOut, **ERRORS}, auth=AUTH)
def assign(request: HttpRequest, payload: AssignBody, document_id: DbId) -> Any:
    """Give an incoming document to a unit or an officer to handle, with a deadline."""
    user = auth_user(request)
    document = _visible(request, document_id)
    unit = _unit(user, payload.unit) if payload.unit else None
    handling = services.assign_handling(
        actor=user, document=document, unit=unit, assignee=_person(payload.assignee),
        working_days=payload.working_days, instructions=payload.instructions)
    return Status(201, _handling_out(handling, user, timezone.now()))


def _register(request: HttpRequest, code: str, direction: str, year: int | None
              ) -> tuple[Unit, int, list[Document]]:
    user = auth_user(request)
    unit = registers.unit_for(user, code)
    if unit is None:
        raise ApiError(Common.NOT_FOUND, _("No such unit, or not one whose registers you keep."))
    year = year or timezone.localdate().year
    return unit, year, list(registers.entries(user, unit, direction, year))


class RegisterQuery(Schema):
    year: int | None = Field(None, ge=1945, le=9999)
    q: Annotated[str, text(200)] = ""


# The .xlsx route first: the JSON route's {direction} would also match "outgoing.xlsx".
@units_router.get("/{code}/registers/{direction}.xlsx", response={200: None, **ERRORS},
                  auth=AUTH)
def register_xlsx(request: HttpRequest, code: str = UNIT_CODE,
                  direction: Literal["incoming", "outgoing"] = Path(...),
                  year: int | None = Query(None, ge=1945, le=9999)) -> HttpResponse:
    """The same register as an XLSX workbook."""
    unit, year, found = _register(request, code, direction, year)
    response = HttpResponse(
        registers.xlsx(unit, direction, year, found,
                       registers.summary(auth_user(request), unit, direction, year)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (
        f'attachment; filename="{unit.code}-{direction}-{year}.xlsx"')
    return response


@units_router.get("/{code}/registers/{direction}", response={200: RegisterPage, **ERRORS},
                  auth=AUTH)
def register_json(request: HttpRequest, filters: Query[RegisterQuery],
                  code: str = UNIT_CODE,
                  direction: Literal["incoming", "outgoing"] = Path(...)) -> Any:
    """A unit's register of a year (this year by default): `{count, items}`, every entry
    with the columns of Decree 30's Appendix IV; `q` searches without diacritics."""
    user = auth_user(request)
    unit = registers.unit_for(user, code)
    if unit is None:
        raise ApiError(Common.NOT_FOUND, _("No such unit, or not one whose registers you keep."))
    year = filters.year or timezone.localdate().year
    found = list(registers.entries(user, unit, direction, year, filters.q))
    return {"unit": unit.code, "direction": direction, "year": year, "count": len(found),
            "items": [{"id": d.pk, **registers.row(d, direction)} for d in found],
            "summary": registers.summary(user, unit, direction, year).as_dict()}


#: Mounted at /api/v1/edxml: the exchange endpoint other instances (peers) post to.
edxml_router = Router(tags=["documents"])


class ReceivedOut(Schema):
    message_id: str
    kind: str
    duplicate: bool


@edxml_router.post("/messages", response={200: ReceivedOut, **ERRORS}, auth=None)
def edxml_message(request: HttpRequest) -> Any:
    """Take an edXML envelope or status message from a peer. The body is the XML; the
    headers `X-Edxml-Message-Id`, `X-Edxml-From`, `X-Edxml-To`, `X-Edxml-Timestamp` (Unix
    seconds) and `X-Edxml-Signature` (HMAC-SHA256 with the key shared with the sender's
    peer entry, docs/documents.md). A message id seen before is acknowledged
    (`duplicate`: true) and changes nothing."""
    try:
        body = request.body
    except RawPostDataException:
        # Labelled as a form, the body was read as one (and failed: no boundary, cut short)
        # before this view: an envelope is XML, and nothing is left to read.
        raise ApiError(Common.BAD_REQUEST,
                       _("The body cannot be read: send the envelope as XML.")) from None
    headers = {name: request.headers.get(name, "")[:200] for name in (
        exchange.MESSAGE_ID, exchange.FROM, exchange.TO, exchange.TIMESTAMP,
        exchange.SIGNATURE)}
    exchange.authenticate(body=body, headers=headers)
    done = exchange.receive(body, message_id=headers[exchange.MESSAGE_ID],
                            sender=headers[exchange.FROM], recipient=headers[exchange.TO])
    return {"message_id": done.message_id, "kind": done.kind, "duplicate": done.duplicate}
