"""The reports JSON API at /api/v1/reports: staff queue and actions, create, statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status

from cityhall.accounts.models import User
from cityhall.core.api import AUTH, MAX_PAGE, ApiError, ErrorOut, Page, bearer_auth, paginate
from cityhall.orgunits.models import Unit
from cityhall.reports import services
from cityhall.reports.models import Channel, Report, ReportPhoto
from cityhall.reports.services import Contact, ReportError
from cityhall.reports.statistics import report_statistics
from cityhall.workflow import engine

router = Router(tags=["reports"])

_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                           409: ErrorOut, 422: ErrorOut}
_STATUS = {"not_found": 404, "not_allowed": 403, "not_reporter": 403,
           "channel_not_allowed": 403, "assignee_out_of_scope": 400, "invalid_state": 409}
_Code = Path(..., max_length=32, description="The report's code, e.g. PA-260302-0001.")


@contextmanager
def _refusals() -> Iterator[None]:
    """Report a service's refusal as a JSON error with a fitting status."""
    try:
        yield
    except ReportError as exc:
        raise ApiError(_STATUS.get(exc.code, 400), exc.code, exc.detail) from None


class ReportItem(Schema):
    id: int
    code: str
    category: str
    category_name: str
    state: str
    unit_code: str
    unit_name: str
    assignee: str | None
    channel: str
    address: str
    latitude: float | None
    longitude: float | None
    created_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool


class StepOut(Schema):
    seq: int
    action: str
    from_state: str
    to_state: str
    actor: str
    at: dt.datetime
    comment: str
    reason: str


class PhotoOut(Schema):
    url: str
    kind: str
    content_type: str
    width: int
    height: int


class ReportDetail(ReportItem):
    description: str
    routing_method: str
    routing_reason: str
    place_unit_code: str | None
    anonymous: bool
    attributes: dict[str, Any]
    media_urls: list[str]
    public_reply: str
    replied_at: dt.datetime | None
    responsible_pointer: str
    duplicate_of: str | None
    rating: int | None
    resolved_at: dt.datetime | None
    tax_code: str
    business_name: str
    photos: list[PhotoOut]
    history: list[StepOut]
    actions: list[str]


class ContactIn(Schema):
    name: str = Field("", max_length=200)
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    device_id: str = Field("", max_length=200)
    account_id: str = Field("", max_length=200)


class ReportIn(Schema):
    category: str = Field(..., max_length=64)
    description: str
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    address: str = Field("", max_length=500)
    channel: Literal["web", "app", "hotline", "email", "neighbourhood_head"] = "app"
    contact: ContactIn | None = None
    attributes: dict[str, Any] = {}
    media_urls: list[str] = Field([], max_length=20)
    anonymous: bool = False
    on_behalf_of: str | None = Field(None, max_length=150, description="A resident's username.")


class DuplicateOut(Schema):
    code: str
    state: str
    created_at: dt.datetime


class ReportCreated(Schema):
    code: str
    private_token: str
    state: str
    unit_code: str
    unit_name: str
    routing_reason: str
    due_at: dt.datetime | None
    duplicates: list[DuplicateOut]


class AssignIn(Schema):
    assignee: str = Field(..., max_length=150, description="Username of the member of staff.")
    comment: str = Field("", max_length=4000)


class BulkAssignIn(AssignIn):
    codes: list[str] = Field(..., min_length=1, max_length=MAX_PAGE)


class BulkAssignOut(Schema):
    assigned: list[str]


class ActIn(Schema):
    action: Literal["start_work", "transfer", "reject"]
    comment: str = Field("", max_length=4000,
                         description="Transfer: the reason. Reject: the reply.")
    reason: str = Field("", max_length=64, description="Reject: the reason code.")
    to_unit: str | None = Field(None, max_length=32, description="Transfer: the unit's code.")
    responsible: str = Field("", max_length=1000, description="Reject: who is responsible.")


class ReplyIn(Schema):
    reply: str


class MergeIn(Schema):
    into: str = Field(..., max_length=32, description="Code of the earlier report.")
    comment: str = Field("", max_length=4000)


class Figures(Schema):
    received: int
    resolved: int
    resolved_on_time: int
    on_time_rate: float | None
    average_working_days: float | None


class CategoryFigures(Figures):
    code: str
    name: str
    name_en: str


class UnitFigures(Figures):
    code: str
    name: str


class MonthFigures(Figures):
    month: str


class StatisticsOut(Figures):
    by_category: list[CategoryFigures]
    by_unit: list[UnitFigures]
    by_month: list[MonthFigures]


def _item(report: Report, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": report.pk, "code": report.code, "category": report.category.code,
        "category_name": report.category.name, "state": report.state,
        "unit_code": report.unit.code, "unit_name": report.unit.name,
        "assignee": report.assignee.username if report.assignee else None,
        "channel": report.channel, "address": report.address, "latitude": report.latitude,
        "longitude": report.longitude, "created_at": report.created_at, "due_at": report.due_at,
        "overdue": bool(report.state in ("received", "assigned", "in_progress")
                        and report.due_at and report.due_at < now),
    }


def _detail(report: Report, user: Any) -> dict[str, Any]:
    steps = engine.history(report)
    return {
        **_item(report, timezone.now()),
        "description": report.description, "routing_method": report.routing_method,
        "routing_reason": report.routing_reason,
        "place_unit_code": report.place_unit.code if report.place_unit else None,
        "anonymous": report.anonymous, "attributes": report.attribute_values,
        "media_urls": report.media_urls, "public_reply": report.public_reply,
        "replied_at": report.replied_at, "responsible_pointer": report.responsible_pointer,
        "duplicate_of": report.duplicate_of.code if report.duplicate_of else None,
        "rating": report.rating, "resolved_at": report.resolved_at,
        "tax_code": report.tax_code, "business_name": report.business_name,
        "photos": [{"url": p.image.url, "kind": p.kind, "content_type": p.content_type,
                    "width": p.width, "height": p.height} for p in report.photos.all()],
        "history": [{"seq": s.seq, "action": s.action, "from_state": s.from_state,
                     "to_state": s.to_state, "actor": s.actor_label, "at": s.at,
                     "comment": s.comment, "reason": s.reason} for s in steps],
        "actions": engine.available_actions(report, user),
    }


def _visible(request: HttpRequest, code: str, *, lock: bool = False) -> Report:
    found = (
        Report.objects.visible_to(request.auth)  # type: ignore[attr-defined]
        .select_related("category", "unit", "assignee", "place_unit", "duplicate_of")
        .prefetch_related(Prefetch("photos", queryset=ReportPhoto.objects.order_by("pk")))
        .filter(code=code).first()
    )
    if found is None:
        raise ApiError(404, "not_found", _("No such report."))
    return found


def _staff(username: str) -> User:
    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise ApiError(400, "unknown_assignee", _("No such member of staff."))
    return found


@router.get("", response={200: Page[ReportItem], **_ERRORS}, auth=AUTH)
def list_reports(
    request: HttpRequest,
    state: str | None = Query(None, max_length=32),
    category: str | None = Query(None, max_length=64),
    unit: str | None = Query(None, max_length=32, description="A unit code."),
    assignee: str | None = Query(None, max_length=150, description="A username."),
    channel: Channel | None = None,
    overdue: bool = False,
    due_soon: bool = False,
    sort: Literal["deadline", "-deadline", "newest", "oldest"] = "deadline",
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=2**31),
) -> dict[str, Any]:
    """The staff queue: reports in the caller's scope, filtered, by deadline first."""
    rows = Report.objects.visible_to(request.auth).for_queue()  # type: ignore[attr-defined]
    if state:
        rows = rows.filter(state=state)
    if category:
        rows = rows.in_category(category)
    if unit:
        rows = rows.filter(unit__code=unit)
    if assignee:
        rows = rows.filter(assignee__username=assignee)
    if channel:
        rows = rows.filter(channel=channel)
    if overdue:
        rows = rows.overdue()
    if due_soon:
        rows = rows.due_soon()
    order = {"deadline": ("due_at", "pk"), "-deadline": ("-due_at", "-pk"),
             "newest": ("-created_at", "-pk"), "oldest": ("created_at", "pk")}[sort]
    page = paginate(rows.order_by(*order), limit=limit, offset=offset)
    now = timezone.now()
    page["items"] = [_item(r, now) for r in page["items"]]
    return page


@router.get("/statistics", response={200: StatisticsOut, 422: ErrorOut}, auth=None)
def statistics(request: HttpRequest) -> dict[str, Any]:
    """Public figures: received, resolved, on-time rate, mean handling time; by category,
    unit and month of receipt."""
    return report_statistics(Report.objects.public())


@router.post("", response={200: ReportCreated, 201: ReportCreated, **_ERRORS}, auth=None)
def create_report(request: HttpRequest, payload: ReportIn, response: HttpResponse) -> Any:
    """File a report. Anonymous where the category allows; `Authorization: Bearer` files it as
    that account. A retried request with the same `Idempotency-Key` returns the first report."""
    header = request.headers.get("Authorization", "")
    actor: Any = services.ANONYMOUS
    if header.lower().startswith("bearer "):
        # Only a bearer token identifies the sender here: a session would need CSRF.
        actor = bearer_auth.authenticate(request, header[7:].strip())
        if actor is None:
            raise ApiError(401, "invalid_token", _("The bearer token is not valid."))
    behalf = None
    if payload.on_behalf_of:
        behalf = User.objects.filter(username=payload.on_behalf_of, is_active=True).first()
        if behalf is None:
            raise ApiError(400, "unknown_person", _("No such account."))
    contact = Contact(**payload.contact.dict()) if payload.contact else None
    with _refusals():
        made = services.submit_report(
            actor=actor, category=payload.category, description=payload.description,
            channel=payload.channel, latitude=payload.latitude, longitude=payload.longitude,
            address=payload.address, contact=contact, attributes=payload.attributes,
            media_urls=payload.media_urls, anonymous=payload.anonymous, on_behalf_of=behalf,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
    report = made.report
    body = {
        "code": report.code, "private_token": made.private_token, "state": report.state,
        "unit_code": report.unit.code, "unit_name": report.unit.name,
        "routing_reason": report.routing_reason, "due_at": report.due_at,
        "duplicates": [{"code": d.code, "state": d.state, "created_at": d.created_at}
                       for d in made.duplicates],
    }
    return Status(201 if made.created else 200, body)


@router.post("/assign", response={200: BulkAssignOut, **_ERRORS}, auth=AUTH)
def bulk_assign(request: HttpRequest, payload: BulkAssignIn) -> dict[str, Any]:
    """Assign several reports to one member of staff: all of them, or none."""
    codes = list(dict.fromkeys(payload.codes))
    found = {r.code: r for r in Report.objects.visible_to(request.auth)  # type: ignore[attr-defined]
             .select_related("unit", "category").filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ApiError(404, "not_found", {c: _("No such report.") for c in missing})
    assignee = _staff(payload.assignee)
    with _refusals():
        services.bulk_assign(actor=request.auth, reports=[found[c] for c in codes],  # type: ignore[attr-defined]
                             assignee=assignee, comment=payload.comment)
    return {"assigned": codes}


@router.get("/{code}", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def report_detail(request: HttpRequest, code: str = _Code) -> dict[str, Any]:
    """One report with its history and the actions the caller may take now."""
    return _detail(_visible(request, code), request.auth)  # type: ignore[attr-defined]


@router.post("/{code}/assign", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def assign(request: HttpRequest, payload: AssignIn, code: str = _Code) -> dict[str, Any]:
    """Give the report to a member of staff."""
    report = _visible(request, code)
    with _refusals():
        services.assign_report(actor=request.auth, report=report,  # type: ignore[attr-defined]
                               assignee=_staff(payload.assignee), comment=payload.comment)
    return _detail(report, request.auth)  # type: ignore[attr-defined]


@router.post("/{code}/act", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def act(request: HttpRequest, payload: ActIn, code: str = _Code) -> dict[str, Any]:
    """Start work, transfer to another unit (with a reason), or reject (saying who is
    responsible)."""
    report = _visible(request, code)
    actor = request.auth  # type: ignore[attr-defined]
    with _refusals():
        if payload.action == "start_work":
            services.start_work(actor=actor, report=report, comment=payload.comment)
        elif payload.action == "transfer":
            target = Unit.objects.active_on().filter(code=payload.to_unit or "").first()
            if target is None:
                raise ReportError("invalid_target", _("No such open unit."))
            services.transfer_report(actor=actor, report=report, to_unit=target,
                                     reason=payload.comment)
        else:
            services.reject_report(actor=actor, report=report, reason=payload.reason,
                                   reply=payload.comment, responsible=payload.responsible)
    return _detail(report, actor)


@router.post("/{code}/reply", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def reply(request: HttpRequest, payload: ReplyIn, code: str = _Code) -> dict[str, Any]:
    """Answer publicly: the report is resolved."""
    report = _visible(request, code)
    with _refusals():
        services.resolve_report(actor=request.auth, report=report, reply=payload.reply)  # type: ignore[attr-defined]
    return _detail(report, request.auth)  # type: ignore[attr-defined]


@router.post("/{code}/merge", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def merge(request: HttpRequest, payload: MergeIn, code: str = _Code) -> dict[str, Any]:
    """Close the report as a duplicate of an earlier one."""
    report = _visible(request, code)
    original = _visible(request, payload.into)
    with _refusals():
        services.merge_duplicate(actor=request.auth, report=report, original=original,  # type: ignore[attr-defined]
                                 comment=payload.comment)
    return _detail(report, request.auth)  # type: ignore[attr-defined]


@router.get("/{code}/contact", response={200: dict[str, str], **_ERRORS}, auth=AUTH)
def contact(
    request: HttpRequest, code: str = _Code,
    purpose: str = Query("", max_length=200, description="Why the contact is read."),
) -> dict[str, str]:
    """The reporter's contact details (personal data; every read is logged)."""
    report = _visible(request, code)
    with _refusals():
        return services.read_reporter_contact(report=report, user=request.auth,  # type: ignore[attr-defined]
                                              purpose=purpose)
