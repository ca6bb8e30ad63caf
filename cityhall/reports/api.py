"""The reports JSON API at /api/v1/reports: staff queue and actions, create, the reporter's
follow/rate/reopen/photos, the public list, moderation, statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Header, Path, Query, Router, Schema, Status, UploadedFile

from cityhall.accounts.models import User
from cityhall.core.api import (
    AUTH,
    MAX_OFFSET,
    MAX_PAGE,
    ApiError,
    ErrorOut,
    Page,
    auth_user,
    bearer_auth,
    optional_user,
    paginate,
)
from cityhall.reports import services
from cityhall.reports.filters import PublicReportFilter, ReportFilter
from cityhall.reports.models import Report, ReportPhoto
from cityhall.reports.services import Contact, ReportError
from cityhall.reports.services.attachments import is_reporter
from cityhall.reports.states import REPORTER_NOTE_ACTIONS
from cityhall.reports.statistics import report_statistics
from cityhall.workflow import engine
from cityhall.workflow.models import Transition

router = Router(tags=["reports"])

_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                           409: ErrorOut, 422: ErrorOut}
_STATUS = {"not_found": 404, "not_allowed": 403, "not_reporter": 403,
           "channel_not_allowed": 403, "assignee_out_of_scope": 400, "invalid_state": 409,
           "already_rated": 409, "reopen_window_passed": 409, "photo_window_passed": 409}
_Code = Path(..., max_length=32, description="The report's code, e.g. PA-260302-0001.")
#: Every state a report can be in (the public list's filter).
_FOLLOW_HELP = "The private follow token (also accepted as the `X-Report-Token` header)."
_PHOTOS = File(..., description="JPEG, PNG or WebP files.")


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
    is_public: bool


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


class PublicItem(Schema):
    """A report as the public sees it: no contact, no reporter, no staff notes."""

    code: str
    category: str
    category_name: str
    category_name_en: str
    state: str
    unit_code: str
    unit_name: str
    description: str
    address: str
    latitude: float | None
    longitude: float | None
    created_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool
    public_reply: str
    replied_at: dt.datetime | None
    resolved_at: dt.datetime | None


class FollowStep(Schema):
    seq: int
    action: str
    to_state: str
    at: dt.datetime
    note: str


class FollowOut(PublicItem):
    """A report as its reporter follows it: the public view plus what they filed."""

    routing_reason: str
    attributes: dict[str, Any]
    anonymous: bool
    shown_publicly: bool
    responsible_pointer: str
    duplicate_of: str | None
    rating: int | None
    rating_comment: str
    photos: list[PhotoOut]
    history: list[FollowStep]
    can_rate: bool
    can_reopen: bool
    reopen_until: dt.datetime | None
    photos_until: dt.datetime | None


class RateIn(Schema):
    rating: int = Field(..., ge=-(2**31), le=2**31, description="1 (bad) to 5 (good).")
    comment: str = Field("", max_length=4000)
    token: str = Field("", max_length=100, description=_FOLLOW_HELP)


class ReopenIn(Schema):
    reason: str = Field(..., max_length=4000, description="Why the problem remains.")
    token: str = Field("", max_length=100, description=_FOLLOW_HELP)


class PhotosOut(Schema):
    added: int
    photos: list[PhotoOut]


class HideIn(Schema):
    reason: str = Field(..., max_length=4000, description="Why the report is taken off.")


class PublishIn(Schema):
    reason: str = Field("", max_length=4000)


def _item(report: Report, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": report.pk, "code": report.code, "category": report.category.code,
        "category_name": report.category.name, "state": report.state,
        "unit_code": report.unit.code, "unit_name": report.unit.name,
        "assignee": report.assignee.username if report.assignee else None,
        "channel": report.channel, "address": report.address, "latitude": report.latitude,
        "longitude": report.longitude, "created_at": report.created_at, "due_at": report.due_at,
        "overdue": report.is_overdue(now),
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
        "photos": [_photo(p) for p in report.photos.all()],
        "history": [{"seq": s.seq, "action": s.action, "from_state": s.from_state,
                     "to_state": s.to_state, "actor": s.actor_label, "at": s.at,
                     "comment": s.comment, "reason": s.reason} for s in steps],
        "actions": engine.available_actions(report, user),
        "is_public": report.is_public,
    }


def _visible(request: HttpRequest, code: str, *, lock: bool = False) -> Report:
    found = (
        Report.objects.visible_to(auth_user(request))
        .select_related("category", "unit", "assignee", "place_unit", "duplicate_of")
        .prefetch_related(Prefetch("photos", queryset=ReportPhoto.objects.order_by("pk")))
        .filter(code=code).first()
    )
    if found is None:
        raise ApiError(404, "not_found", _("No such report."))
    return found


def _staff(username: str) -> User:
    found = services.find_staff(username)
    if found is None:
        raise ApiError(400, "unknown_assignee", _("No such member of staff."))
    return found


def _bearer_user(request: HttpRequest) -> User | None:
    """The account behind `Authorization: Bearer`, if any; a bad token is a 401.

    Only a bearer token identifies a sender on these open POSTs: a session would need CSRF.
    """
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    user = bearer_auth.authenticate(request, header[7:].strip())
    if user is None:
        raise ApiError(401, "invalid_token", _("The bearer token is not valid."))
    return user


def _followed(code: str, user: Any, token: str) -> Report:
    """The report its reporter (account or private token) follows; 404 for anyone else."""
    report = (
        Report.objects.select_related("category", "unit", "duplicate_of")
        .prefetch_related(Prefetch("photos", queryset=ReportPhoto.objects.order_by("pk")))
        .filter(code=code).first()
    )
    # A wrong token and an unknown code answer alike, so codes cannot be probed.
    if report is None or not is_reporter(report, user, token):
        raise ApiError(404, "not_found", _("No such report."))
    return report


def _public_item(report: Report, now: dt.datetime) -> dict[str, Any]:
    return {
        "code": report.code, "category": report.category.code,
        "category_name": report.category.name, "category_name_en": report.category.name_en,
        "state": report.state, "unit_code": report.unit.code, "unit_name": report.unit.name,
        "description": report.description, "address": report.address,
        "latitude": report.latitude, "longitude": report.longitude,
        "created_at": report.created_at, "due_at": report.due_at,
        "overdue": report.is_overdue(now),
        "public_reply": report.public_reply, "replied_at": report.replied_at,
        "resolved_at": report.resolved_at,
    }


def _photo(photo: ReportPhoto, token: str = "") -> dict[str, Any]:
    return {"url": photo.get_absolute_url(token), "kind": photo.kind,
            "content_type": photo.content_type, "width": photo.width, "height": photo.height}


def _follow(report: Report, token: str) -> dict[str, Any]:
    """What the reporter sees: state, deadline, public history, the reply; no staff data."""
    now = timezone.now()
    photos_until = report.photos_until()
    steps = Transition.objects.for_case(report).order_by("seq").only(
        "seq", "action", "to_state", "at", "comment")
    return {
        **_public_item(report, now),
        "routing_reason": report.routing_reason, "attributes": report.attribute_values,
        "anonymous": report.anonymous, "shown_publicly": report.is_public,
        "responsible_pointer": report.responsible_pointer,
        "duplicate_of": report.duplicate_of.code if report.duplicate_of else None,
        "rating": report.rating, "rating_comment": report.rating_comment,
        # The web's photo address checks the token or the reporter's session itself.
        "photos": [_photo(p, token) for p in report.photos.all()],
        "history": [{"seq": s.seq, "action": s.action, "to_state": s.to_state, "at": s.at,
                     "note": s.comment if s.action in REPORTER_NOTE_ACTIONS else ""}
                    for s in steps],
        "can_rate": report.may_be_rated(),
        "can_reopen": report.may_be_reopened(now),
        "reopen_until": report.reopen_until(),
        "photos_until": photos_until if photos_until and now <= photos_until else None,
    }


@router.get("", response={200: Page[ReportItem], **_ERRORS}, auth=AUTH)
def list_reports(
    request: HttpRequest,
    filters: Query[ReportFilter],
    sort: Literal["deadline", "-deadline", "newest", "oldest"] = "deadline",
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """The staff queue: reports in the caller's scope, filtered, by deadline first."""
    user = auth_user(request)
    rows = filters.apply(Report.objects.visible_to(user), user=user).for_queue()
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


@router.get("/public", response={200: Page[PublicItem], 400: ErrorOut, 422: ErrorOut},
            auth=None)
def public_reports(
    request: HttpRequest,
    filters: Query[PublicReportFilter],
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """Public reports, newest first: no contact, no reporter, no staff notes."""
    rows = filters.apply(Report.objects.public()).select_related("category", "unit").only(
        "code", "state", "description", "address", "latitude", "longitude", "created_at",
        "due_at", "public_reply", "replied_at", "resolved_at", "category__code",
        "category__name", "category__name_en", "unit__code", "unit__name",
    ).order_by("-created_at", "-pk")
    page = paginate(rows, limit=limit, offset=offset)
    now = timezone.now()
    page["items"] = [_public_item(r, now) for r in page["items"]]
    return page


@router.post("", response={200: ReportCreated, 201: ReportCreated, **_ERRORS}, auth=None)
def create_report(request: HttpRequest, payload: ReportIn, response: HttpResponse) -> Any:
    """File a report. Anonymous where the category allows; `Authorization: Bearer` files it as
    that account. A retried request with the same `Idempotency-Key` returns the first report."""
    actor: Any = _bearer_user(request) or services.ANONYMOUS
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
        # A hidden report is not suggested to the public as the same problem.
        "duplicates": [{"code": d.code, "state": d.state, "created_at": d.created_at}
                       for d in made.duplicates if d.is_public],
    }
    return Status(201 if made.created else 200, body)


@router.post("/assign", response={200: BulkAssignOut, **_ERRORS}, auth=AUTH)
def bulk_assign(request: HttpRequest, payload: BulkAssignIn) -> dict[str, Any]:
    """Assign several reports to one member of staff: all of them, or none."""
    codes = list(dict.fromkeys(payload.codes))
    found = {r.code: r for r in Report.objects.visible_to(auth_user(request))
             .select_related("unit", "category").filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ApiError(404, "not_found", {c: _("No such report.") for c in missing})
    assignee = _staff(payload.assignee)
    with _refusals():
        services.bulk_assign(actor=auth_user(request), reports=[found[c] for c in codes],
                             assignee=assignee, comment=payload.comment)
    return {"assigned": codes}


@router.get("/{code}", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def report_detail(request: HttpRequest, code: str = _Code) -> dict[str, Any]:
    """One report with its history and the actions the caller may take now."""
    return _detail(_visible(request, code), auth_user(request))


@router.post("/{code}/assign", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def assign(request: HttpRequest, payload: AssignIn, code: str = _Code) -> dict[str, Any]:
    """Give the report to a member of staff."""
    user = auth_user(request)
    report = _visible(request, code)
    with _refusals():
        services.take_action(actor=user, report=report, action="assign",
                             assignee=_staff(payload.assignee), comment=payload.comment)
    return _detail(report, user)


@router.post("/{code}/act", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def act(request: HttpRequest, payload: ActIn, code: str = _Code) -> dict[str, Any]:
    """Start work, transfer to another unit (with a reason), or reject (saying who is
    responsible)."""
    user = auth_user(request)
    report = _visible(request, code)
    with _refusals():
        services.take_action(
            actor=user, report=report, action=payload.action,
            to_unit=services.find_unit_in_service(payload.to_unit or ""),
            # The API's one text field is the transfer's reason or the rejection's reply.
            comment=payload.comment, reply=payload.comment, reason=payload.reason,
            responsible=payload.responsible)
    return _detail(report, user)


@router.post("/{code}/reply", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def reply(request: HttpRequest, payload: ReplyIn, code: str = _Code) -> dict[str, Any]:
    """Answer publicly: the report is resolved."""
    user = auth_user(request)
    report = _visible(request, code)
    with _refusals():
        services.take_action(actor=user, report=report, action="resolve", reply=payload.reply)
    return _detail(report, user)


@router.post("/{code}/merge", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def merge(request: HttpRequest, payload: MergeIn, code: str = _Code) -> dict[str, Any]:
    """Close the report as a duplicate of an earlier one."""
    user = auth_user(request)
    report = _visible(request, code)
    original = _visible(request, payload.into)
    with _refusals():
        services.take_action(actor=user, report=report, action="merge", original=original,
                             comment=payload.comment)
    return _detail(report, user)


@router.get("/{code}/contact", response={200: dict[str, str], **_ERRORS}, auth=AUTH)
def contact(
    request: HttpRequest, code: str = _Code,
    purpose: str = Query("", max_length=200, description="Why the contact is read."),
) -> dict[str, str]:
    """The reporter's contact details (personal data; every read is logged)."""
    report = _visible(request, code)
    with _refusals():
        return services.read_reporter_contact(report=report, user=auth_user(request),
                                              purpose=purpose)


@router.get("/{code}/follow", response={200: FollowOut, **_ERRORS}, auth=None)
def follow(
    request: HttpRequest, code: str = _Code,
    token: str = Query("", max_length=100, description=_FOLLOW_HELP),
    x_report_token: str = Header("", alias="X-Report-Token", max_length=100),
) -> dict[str, Any]:
    """The reporter's view (private token, or the reporter signed in): state, deadline,
    public history, the reply. Anyone else gets 404."""
    given = x_report_token or token
    return _follow(_followed(code, optional_user(request), given), given)


@router.post("/{code}/rate", response={200: FollowOut, **_ERRORS}, auth=None)
def rate(
    request: HttpRequest, payload: RateIn, code: str = _Code,
    x_report_token: str = Header("", alias="X-Report-Token", max_length=100),
) -> dict[str, Any]:
    """The reporter rates the answer from 1 to 5 (once); a resolved report closes."""
    given = x_report_token or payload.token
    user = _bearer_user(request)
    report = _followed(code, user, given)
    with _refusals():
        services.rate_report(actor=user or services.ANONYMOUS, report=report,
                             rating=payload.rating, comment=payload.comment,
                             private_token=given)
    return _follow(report, given)


@router.post("/{code}/reopen", response={200: FollowOut, **_ERRORS}, auth=None)
def reopen(
    request: HttpRequest, payload: ReopenIn, code: str = _Code,
    x_report_token: str = Header("", alias="X-Report-Token", max_length=100),
) -> dict[str, Any]:
    """The reporter reopens a resolved report within the reopen window, saying why."""
    given = x_report_token or payload.token
    user = _bearer_user(request)
    report = _followed(code, user, given)
    with _refusals():
        services.reopen_report(actor=user or services.ANONYMOUS, report=report,
                               reason=payload.reason, private_token=given)
    return _follow(report, given)


@router.post("/{code}/photos", response={200: PhotosOut, 201: PhotosOut, **_ERRORS}, auth=None)
def add_photos(
    request: HttpRequest, code: str = _Code,
    photos: list[UploadedFile] = _PHOTOS,
    token: str = Form("", max_length=100, description=_FOLLOW_HELP),
    x_report_token: str = Header("", alias="X-Report-Token", max_length=100),
) -> Any:
    """The reporter adds photos (multipart) within minutes of filing; checked and stripped of
    EXIF as at filing. A photo the report already has is not stored again."""
    given = x_report_token or token
    user = _bearer_user(request)
    report = _followed(code, user, given)
    with _refusals():
        stored, added = services.add_report_photos(
            actor=user or services.ANONYMOUS, report=report, photos=photos,
            private_token=given)
    body = {"added": added, "photos": [_photo(p, given) for p in stored]}
    return Status(201 if added else 200, body)


@router.post("/{code}/hide", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def hide(request: HttpRequest, payload: HideIn, code: str = _Code) -> dict[str, Any]:
    """Take a report off the public list, map, statistics and Open311 (leaders and
    administrators of its unit); staff still see it. Hiding a hidden report changes nothing."""
    report = _visible(request, code)
    with _refusals():
        services.hide_report(actor=auth_user(request), report=report, reason=payload.reason)
    return _detail(report, auth_user(request))


@router.post("/{code}/publish", response={200: ReportDetail, **_ERRORS}, auth=AUTH)
def publish(request: HttpRequest, payload: PublishIn, code: str = _Code) -> dict[str, Any]:
    """Show a hidden report publicly again (leaders and administrators of its unit)."""
    report = _visible(request, code)
    with _refusals():
        services.publish_report(actor=auth_user(request), report=report, reason=payload.reason)
    return _detail(report, auth_user(request))
