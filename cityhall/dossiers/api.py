"""The dossiers' JSON API at /api/v1/dossiers: submit, read (scoped), act, public status."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Path, Query, Router, Schema, Status, UploadedFile
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from cityhall.accounts.api_auth import AUTH, auth_user
from cityhall.accounts.errors import AccountCode
from cityhall.accounts.models import User
from cityhall.accounts.scope import scope_of
from cityhall.accounts.web import is_staff_member
from cityhall.core.api import NO_NUL, ApiError, ErrorOut, Input, text
from cityhall.core.audit import log_personal_data_read
from cityhall.core.errors import Common
from cityhall.dossiers import payments, register, services
from cityhall.dossiers.errors import DossierCode
from cityhall.dossiers.models import Dossier, DossierComponent
from cityhall.dossiers.queries import component_numbers
from cityhall.orgunits.models import Unit
from cityhall.workflow import engine

router = Router(tags=["dossiers"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                          409: ErrorOut, 422: ErrorOut}
CODE = Path(..., max_length=48, pattern=NO_NUL,
            description="The dossier's code, e.g. 000.00.31.H29-261130-0001.")
IDEMPOTENCY_KEY = Header(
    "", alias="Idempotency-Key", max_length=100, pattern=NO_NUL,
    description="Any string the client makes up for one submission or step (a UUID): a "
                "retry with the same key returns the first answer instead of acting again.")
#: The fields of a dossier that are personal data (their reads are logged).
PERSONAL = ["applicant_name", "applicant_id_number", "applicant_phone", "applicant_email",
            "applicant_address"]
#: Logged too when a component holds what a data source returned about the applicant.
DATA_READ = "components.data_read"
FILES = File(None, description="The components' files (PDF, JPEG, PNG), one part each.")
FILE_COMPONENTS = Form(None, description=(
    "For each file, in the same order, the number of the procedure's component it is."))


class DossierApplicantIn(Input):
    """Who applies."""

    kind: Literal["resident", "enterprise"] = "resident"
    name: Annotated[str, text(300, blank=False)]
    id_number: Annotated[str, text(20, blank=False)] = Field(
        description="12-digit ID number, or the enterprise's tax code.")
    phone: Annotated[str, text(20)] = ""
    email: Annotated[str, text(254)] = ""
    address: Annotated[str, text(500)] = ""


class DossierComponentRefIn(Input):
    """A component replaced by data the state holds: its number in the procedure, and the
    reference in the data source (the ID number, the registration number)."""

    number: int = Field(ge=1, le=99)
    data_reference: Annotated[str, text(200, blank=False)]


class DossierIn(Input):
    """A dossier: the procedure, who applies, where, and the components given as data."""

    procedure: Annotated[str, text(40, blank=False)]
    applicant: DossierApplicantIn
    channel: Literal["online", "counter", "post"] = "online"
    receiving_unit: Annotated[str, text(32)] = Field(
        "", description="Counter or post: the unit whose service centre receives it.")
    competent_unit: Annotated[str, text(32)] = Field(
        "", description="The unit that decides (a ward for commune-level procedures).")
    on_behalf: bool = False
    components: list[DossierComponentRefIn] = Field(default_factory=list, max_length=50)


class DossierCreated(Schema):
    """The receipt: code, state, when received, the appointment, the two units."""

    code: str
    state: str
    received_at: dt.datetime
    appointment_at: dt.datetime
    receiving_unit: str
    competent_unit: str


class DossierStepOut(Schema):
    action: str
    from_state: str
    to_state: str
    at: dt.datetime
    actor: str
    comment: str


class DossierComponentOut(Schema):
    number: int | None
    name: str
    copies: int
    data_source: str
    data_reference: str
    replaced_by_data: bool
    data_read: dict[str, Any] = Field(description="What the data source held, when read.")
    file: str | None = Field(description="The file's address (for those who may read it).")
    file_type: str
    file_size: int


class DossierOut(DossierCreated):
    """A dossier as its applicant and the units handling it see it."""

    procedure: str
    procedure_name: str
    channel: str
    applicant_kind: str
    applicant_name: str
    applicant_id_number: str
    applicant_phone: str
    applicant_email: str
    applicant_address: str
    on_behalf: bool
    fee_vnd: int
    paid: bool
    payment_qr: str | None = Field(description=(
        "VietQR (NAPAS EMVCo) text for the fee, to show as a QR code; null when paid, free, "
        "or no fees account is set."))
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    components: list[DossierComponentOut]
    components_replaced_by_data: int
    history: list[DossierStepOut]
    actions: list[str]
    result: str | None = Field(None, description=(
        "The electronic result's address (a PDF), for the applicant once issued."))
    rating: int | None = Field(None, description="The applicant's rating (1-5), once given.")


class DossierActionIn(Input):
    """A workflow step: a comment (reasons for a refusal, what to supplement), an assignee;
    `to_unit` for `transfer`, `appointment_at` for `reschedule`, `components` (data held)
    for `supplement`."""

    comment: Annotated[str, text(4000)] = ""
    assignee: Annotated[str, text(150)] = ""
    to_unit: Annotated[str, text(32)] = ""
    appointment_at: dt.datetime | None = None
    components: list[DossierComponentRefIn] = Field(default_factory=list, max_length=50)


class DossierActionOut(Schema):
    code: str
    state: str
    changed: bool
    due_at: dt.datetime | None


class DossierStatusOut(Schema):
    """What anyone may know of a dossier by its code: nothing personal."""

    code: str
    state: str
    procedure: str
    procedure_name: str
    received_at: dt.datetime
    appointment_at: dt.datetime
    receiving_unit: str
    competent_unit: str
    competent_unit_name: str
    closed_at: dt.datetime | None


def _created_out(dossier: Dossier) -> dict[str, Any]:
    return {"code": dossier.code, "state": dossier.state, "received_at": dossier.received_at,
            "appointment_at": dossier.appointment_at,
            "receiving_unit": dossier.receiving_unit.code,
            "competent_unit": dossier.unit.code}


def _readable(request: HttpRequest, code: str) -> Dossier:
    found = (Dossier.objects.readable_by(auth_user(request))
             .select_related("procedure", "unit", "receiving_unit", "applicant")
             .filter(code=code).first())
    if found is None:
        raise ApiError(Common.NOT_FOUND, _("No such dossier."))
    return found


@router.post("", response={200: DossierCreated, 201: DossierCreated, **ERRORS}, auth=AUTH)
def create_dossier(request: HttpRequest, payload: DossierIn, response: HttpResponse,
                   idempotency_key: str = IDEMPOTENCY_KEY) -> Any:
    """Submit a dossier online (a resident's or enterprise's account), or receive one at a
    counter or by post (staff of the receiving unit). A retried request with the same
    `Idempotency-Key` returns the first dossier with 200."""
    return _create(request, payload, [], idempotency_key)


def _with_files(refs: list[DossierComponentRefIn], files: list[UploadedFile] | None,
                numbers: list[int] | None) -> list[services.ComponentIn]:
    """The components as data held, then as files (each file with its component's number)."""
    files, numbers = files or [], numbers or []
    if len(files) != len(numbers):
        raise ApiError(Common.INVALID, {"file_components": _(
            "Give one component number for each file, in the same order.")}, status=400)
    given = [services.ComponentIn(number=c.number, data_reference=c.data_reference)
             for c in refs]
    given += [services.ComponentIn(number=n, file=f) for n, f in zip(numbers, files,
                                                                      strict=True)]
    return given


def _create(request: HttpRequest, payload: DossierIn, files: list[services.ComponentIn],
            idempotency_key: str) -> Any:
    user = auth_user(request)
    a = payload.applicant
    applicant = services.Applicant(name=a.name, id_number=a.id_number, kind=a.kind,
                                   phone=a.phone, email=a.email, address=a.address)
    components = [services.ComponentIn(number=c.number, data_reference=c.data_reference)
                  for c in payload.components] + files
    made = services.submit_dossier(
        actor=user, procedure=payload.procedure, applicant=applicant,
        channel=payload.channel, receiving_unit=payload.receiving_unit or None,
        competent_unit=payload.competent_unit or None, components=components,
        on_behalf=payload.on_behalf, idempotency_key=idempotency_key)
    # A new dossier has its units in hand; a replayed one is read with them.
    dossier = made.dossier if made.created else (
        Dossier.objects.select_related("unit", "receiving_unit").get(pk=made.dossier.pk))
    return Status(201 if made.created else 200, _created_out(dossier))


@router.post("/with-files", response={200: DossierCreated, 201: DossierCreated, **ERRORS},
             auth=AUTH)
def create_dossier_with_files(
    request: HttpRequest, dossier: str = Form(..., max_length=200_000, pattern=NO_NUL,
                                              description=(
        "The dossier as JSON, the body `POST /api/v1/dossiers` takes.")),
    files: list[UploadedFile] | None = FILES, file_components: list[int] | None = FILE_COMPONENTS,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> Any:
    """Submit a dossier with its components' files (multipart): the dossier as JSON in the
    `dossier` field, each file in a `files` part and its component's number in a
    `file_components` part, in the same order. All or nothing: a refused file stores no
    dossier."""
    try:
        payload = DossierIn.model_validate_json(dossier)
    except PydanticValidationError as exc:
        raise NinjaValidationError([{**e, "loc": ("form", "dossier", *e["loc"])}
                                    for e in exc.errors(include_url=False,
                                                        include_context=False)]) from None
    return _create(request, payload, _with_files([], files, file_components),
                   idempotency_key)


@router.get("/{code}/status", response={200: DossierStatusOut, 404: ErrorOut, 422: ErrorOut},
            auth=None)
def dossier_status(request: HttpRequest, code: str = CODE) -> dict[str, Any]:
    """Public look-up by code: state, appointment, the units; nothing personal."""
    found = (Dossier.objects.select_related("procedure", "unit", "receiving_unit")
             .filter(code=code).first())
    if found is None:
        raise ApiError(Common.NOT_FOUND, _("No such dossier."))
    return status_out(found)


def status_out(dossier: Dossier) -> dict[str, Any]:
    """The public part of a dossier."""
    return {**_created_out(dossier), "procedure": dossier.procedure.code,
            "procedure_name": dossier.procedure.name,
            "competent_unit_name": dossier.unit.name, "closed_at": dossier.closed_at}


@router.get("/{code}", response={200: DossierOut, **ERRORS}, auth=AUTH)
def dossier_detail(request: HttpRequest, code: str = CODE) -> dict[str, Any]:
    """One dossier with its components, history and the steps the caller may take now;
    for its applicant and the units receiving and deciding it (their reads are logged)."""
    user = auth_user(request)
    dossier = _readable(request, code)
    numbers = component_numbers(dossier)
    components = [component_out(c, numbers.get(c.procedure_component_id or 0))
                  for c in dossier.components.select_related("file").order_by("pk")]
    if dossier.applicant_id != user.pk:
        read = PERSONAL + ([DATA_READ] if any(c["data_read"] for c in components) else [])
        log_personal_data_read(reader=user, obj=dossier, subject=dossier.applicant,
                               fields=read, purpose="dossiers.detail")
    steps = [{"action": s.action, "from_state": s.from_state, "to_state": s.to_state,
              "at": s.at, "actor": s.actor_label, "comment": s.comment}
             for s in engine.history(dossier)]
    return {
        **status_out(dossier), "channel": dossier.channel,
        "applicant_kind": dossier.applicant_kind,
        **{name: getattr(dossier, name) for name in PERSONAL},
        "on_behalf": dossier.on_behalf, "fee_vnd": dossier.fee_vnd,
        "paid": dossier.paid_at is not None, "due_at": dossier.due_at,
        "payment_qr": payments.fee_qr(dossier),
        "components": components,
        "components_replaced_by_data": sum(1 for c in components if c["replaced_by_data"]),
        "history": steps,
        "actions": [a for a in engine.available_actions(dossier, user) if a != "abandon"],
        "result": reverse("dossiers:my_result", args=[dossier.code])
        if dossier.applicant_id == user.pk and services.result_of(dossier) else None,
        "rating": dossier.rating,
    }


def component_out(component: DossierComponent, number: int | None) -> dict[str, Any]:
    """A component as the API shows it (its file by its address, never the storage's)."""
    file = component.file
    return {"number": number, "name": component.name,
            "copies": component.copies, "data_source": component.data_source,
            "data_reference": component.data_reference,
            "replaced_by_data": component.replaced_by_data, "data_read": component.data_read,
            "file": reverse("dossiers:file", args=[component.dossier.code, file.pk])
            if file else None,
            "file_type": file.content_type if file else "", "file_size": file.size if file else 0}


@router.post("/{code}/actions/{action}", response={200: DossierActionOut, **ERRORS}, auth=AUTH)
def act(request: HttpRequest, payload: DossierActionIn, code: str = CODE,
        action: str = Path(..., max_length=64, pattern=r"^[a-z_]+$"),
        idempotency_key: str = IDEMPOTENCY_KEY) -> dict[str, Any]:
    """Take a step of the one-stop workflow: accept, refuse (form 03), request_supplement
    (form 02), supplement (with `components` as data held; files through
    `/supplement`), assign, transfer (`to_unit`), reschedule (a late dossier's new
    `appointment_at`, form 04), issue_result, return_result, withdraw, stop (form 05)."""
    user = auth_user(request)
    dossier = _readable(request, code)
    if action == "supplement":
        step = services.supply_components(
            actor=user, dossier=dossier, comment=payload.comment,
            components=_with_files(payload.components, [], []))
    elif action == "transfer":
        step = services.transfer_dossier(actor=user, dossier=dossier, to_unit=payload.to_unit,
                                         reason=payload.comment)
    elif action == "reschedule":
        if payload.appointment_at is None:
            raise ApiError(Common.INVALID, {"appointment_at": _("Give the new appointment.")},
                           status=400)
        step = services.reschedule_dossier(actor=user, dossier=dossier,
                                           appointment_at=payload.appointment_at,
                                           reason=payload.comment)
    else:
        assignee = None
        if payload.assignee:
            assignee = User.objects.filter(username=payload.assignee, is_active=True).first()
            if assignee is None:
                raise ApiError(AccountCode.UNKNOWN_PERSON, _("No such member of staff."))
        step = services.act_on_dossier(
            actor=user, dossier=dossier, action=action, comment=payload.comment,
            assignee=assignee, idempotency_key=idempotency_key)
    return {"code": dossier.code, "state": dossier.state, "changed": step is not None,
            "due_at": dossier.due_at}


@router.post("/{code}/supplement", response={200: DossierActionOut, **ERRORS}, auth=AUTH)
def supplement_with_files(
    request: HttpRequest, code: str = CODE, files: list[UploadedFile] | None = FILES,
    file_components: list[int] | None = FILE_COMPONENTS,
    comment: str = Form("", max_length=4000, pattern=NO_NUL),
) -> dict[str, Any]:
    """The applicant answers a request to supplement (form 02) with files (multipart): each
    file in a `files` part and its component's number in a `file_components` part. The
    clock restarts with the time that was left; the appointment moves accordingly."""
    user = auth_user(request)
    dossier = _readable(request, code)
    step = services.supply_components(actor=user, dossier=dossier, comment=comment,
                                      components=_with_files([], files, file_components))
    return {"code": dossier.code, "state": dossier.state, "changed": step is not None,
            "due_at": dossier.due_at}


class DossierRatingIn(Input):
    """The applicant's rating of the service, once the result is issued."""

    rating: int = Field(ge=1, le=5)
    comment: Annotated[str, text(1000)] = ""


class DossierRatingOut(Schema):
    code: str
    rating: int
    rated_at: dt.datetime


@router.post("/{code}/rating", response={200: DossierRatingOut, **ERRORS}, auth=AUTH)
def rate(request: HttpRequest, payload: DossierRatingIn, code: str = CODE) -> dict[str, Any]:
    """The applicant rates the service (1-5) once the result is issued, once (409
    `already_rated` after); counted for the index with the competent unit's day."""
    dossier = _readable(request, code)
    services.rate_dossier(actor=auth_user(request), dossier=dossier, rating=payload.rating,
                          comment=payload.comment)
    return {"code": dossier.code, "rating": dossier.rating, "rated_at": dossier.rated_at}


class PaymentCheckoutOut(Schema):
    """How the applicant pays the fee: the gateway's page to open, or the VietQR to scan."""

    gateway: str
    reference: str = Field(description="The gateway's reference of this try.")
    amount_vnd: int
    qr: str | None = Field(description=(
        "VietQR (NAPAS EMVCo) text for the fee, to show as a QR code; null when no fees "
        "account is set."))
    pay_url: str = Field(description="The gateway's payment page (an absolute address).")


class DossierPaymentOut(Schema):
    """A payment as the gateway's signed callback reported it."""

    gateway: str
    reference: str
    amount_vnd: int
    state: str = Field(description="paid or failed")
    reported_at: dt.datetime
    created_at: dt.datetime


@router.post("/{code}/payments", response={201: PaymentCheckoutOut, **ERRORS}, auth=AUTH)
def start_dossier_payment(request: HttpRequest, code: str = CODE) -> Any:
    """The applicant starts paying the fee online (the mobile app's pay button): the
    gateway's reference and page, whose signed callback then records the payment. 403
    `not_allowed` for anyone else, 409 `invalid_state` with no fee to pay (none, paid
    already, or closed), 404 `unknown_gateway` when online payment is off."""
    dossier = _readable(request, code)
    checkout = payments.start_payment(actor=auth_user(request), dossier=dossier)
    return Status(201, {"gateway": checkout.gateway, "reference": checkout.reference,
                        "amount_vnd": checkout.amount_vnd, "qr": checkout.qr,
                        "pay_url": request.build_absolute_uri(checkout.pay_url)})


@router.get("/{code}/payments", response={200: list[DossierPaymentOut], **ERRORS}, auth=AUTH)
def dossier_payments(request: HttpRequest, code: str = CODE) -> list[dict[str, Any]]:
    """The dossier's payments, paid or failed, oldest first; for its applicant and the units
    receiving and deciding it."""
    dossier = _readable(request, code)
    fields = ("gateway", "reference", "amount_vnd", "state", "reported_at", "created_at")
    return [dict(row) for row in dossier.payments.order_by("pk").values(*fields)]


#: Mounted at /api/v1/units (the registry's prefix): a unit's register of dossiers.
register_router = Router(tags=["dossiers"])
FROM = Query(None, alias="from", description="First day (default: the first of the month).")
TO = Query(None, alias="to", description="Last day (default: today).")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@register_router.get(
    "/{unit}/dossier-register.xlsx", response={200: None, **ERRORS}, auth=AUTH,
    openapi_extra={"responses": {200: {"description": "The register as an XLSX workbook.",
                                       "content": {XLSX: {"schema": {
                                           "type": "string", "format": "binary"}}}}}})
def dossier_register(
    request: HttpRequest, unit: str = Path(..., max_length=32, pattern=NO_NUL),
    start: dt.date | None = FROM, end: dt.date | None = TO,
) -> HttpResponse:
    """Form 07, the dossier register: the dossiers received at or decided by a unit over a
    period (at most a year), as XLSX; for the staff of that unit (the read is logged)."""
    user = auth_user(request)
    found = Unit.objects.filter(code=unit).first()
    if found is None or not scope_of(user).covers(found) or not is_staff_member(user):
        raise ApiError(Common.NOT_FOUND, _("No such unit in your scope."))
    today = timezone.localdate()
    end = end or today
    start = start or end.replace(day=1)
    if start > end or (end - start).days >= register.MAX_DAYS:
        raise ApiError(Common.INVALID, {"from": _(
            "Give a period of at most a year, its first day before its last.")}, status=400)
    rows = register.register_rows(Dossier.objects.visible_to(user), found, start, end)
    log_personal_data_read(reader=user, obj=found, fields=[*PERSONAL, "register"],
                           purpose="dossiers.register")
    response = HttpResponse(register.register_xlsx(rows, found, start, end), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="so-theo-doi-ho-so-{found.code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"')
    response["Cache-Control"] = "private, no-store"
    return response


#: Mounted at /api/v1/payments: the gateways' callbacks.
payments_router = Router(tags=["dossiers"])


class PaymentRecordedOut(Schema):
    dossier: str
    reference: str
    state: str
    created: bool


@payments_router.post("/{gateway}/callback", response={200: PaymentRecordedOut, **ERRORS},
                      auth=None)
def payment_callback(
    request: HttpRequest, gateway: str = Path(..., max_length=32, pattern=r"^[a-z0-9_]+$"),
    signature: str = Header(..., alias="X-Signature", max_length=200, pattern=NO_NUL),
) -> dict[str, Any]:
    """A payment gateway reports a payment (its body signed in `X-Signature`). A repeated
    report records nothing more (`created` false); a failed payment leaves the dossier
    unpaid."""
    if request.content_type != "application/json":
        # Gateways send JSON; any other body was read as a form already, not signed bytes.
        raise ApiError(DossierCode.BAD_CALLBACK, _("The callback's body must be JSON."))
    row, created = payments.record_payment(gateway_name=gateway, body=request.body,
                                           signature=signature)
    return {"dossier": row.dossier.code, "reference": row.reference, "state": row.state,
            "created": created}
