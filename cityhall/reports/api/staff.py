"""Staff endpoints: the queue, one report, its handling actions, its contact, moderation."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Status

from cityhall.accounts.api_auth import AUTH, auth_user
from cityhall.accounts.errors import AccountCode
from cityhall.accounts.models import User
from cityhall.core.api import (
    MAX_OFFSET,
    MAX_PAGE,
    NO_NUL,
    ApiError,
    Page,
    paginate,
)
from cityhall.core.audit import Actor
from cityhall.core.errors import Common
from cityhall.reports import services
from cityhall.reports.api.outputs import (
    detail_out,
    item_out,
)
from cityhall.reports.api.router import (
    CODE,
    ERRORS,
    FILING_LIMIT,
    IDEMPOTENCY_KEY,
    LIMITED,
    bearer_user,
    router,
    staff_member,
    visible_report,
)
from cityhall.reports.api.schemas import (
    ActIn,
    AssignIn,
    AssignOut,
    BulkAssignIn,
    BulkAssignOut,
    HideIn,
    MergeIn,
    PublishIn,
    ReplyIn,
    ReportCreated,
    ReportDetail,
    ReportIn,
    ReportItem,
)
from cityhall.reports.filters import ReportFilter
from cityhall.reports.models import Report
from cityhall.reports.services import Contact


@router.get("", response={200: Page[ReportItem], **ERRORS}, auth=AUTH)
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
    page["items"] = [item_out(r, now) for r in page["items"]]
    return page


@router.post("", response={200: ReportCreated, 201: ReportCreated, **ERRORS, **LIMITED},
             auth=None, throttle=FILING_LIMIT)
def create_report(
    request: HttpRequest, payload: ReportIn, response: HttpResponse,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> Any:
    """File a report. Anonymous where the category allows; `Authorization: Bearer` files it as
    that account. A retried request with the same `Idempotency-Key` returns the first report."""
    actor: Actor = bearer_user(request) or services.ANONYMOUS
    behalf = None
    if payload.on_behalf_of:
        behalf = User.objects.filter(username=payload.on_behalf_of, is_active=True).first()
        if behalf is None:
            raise ApiError(AccountCode.UNKNOWN_PERSON, _("No such account."))
    contact = Contact(**payload.contact.dict()) if payload.contact else None
    made = services.submit_report(
        actor=actor, category=payload.category, description=payload.description,
        channel=payload.channel, latitude=payload.latitude, longitude=payload.longitude,
        address=payload.address, contact=contact, attributes=payload.attributes,
        media_urls=payload.media_urls, anonymous=payload.anonymous, on_behalf_of=behalf,
        idempotency_key=idempotency_key,
    )
    report = made.report
    body = {
        "code": report.code, "private_token": made.private_token, "state": report.state,
        "unit_code": report.unit.code, "unit_name": report.unit.name,
        "routing_reason": report.routing_reason_for_reader, "due_at": report.due_at,
        # A hidden report is not suggested to the public as the same problem.
        "duplicates": [{"code": d.code, "state": d.state, "created_at": d.created_at}
                       for d in made.duplicates if d.is_public],
    }
    return Status(201 if made.created else 200, body)


@router.post("/assign", response={200: BulkAssignOut, **ERRORS}, auth=AUTH)
def bulk_assign(request: HttpRequest, payload: BulkAssignIn) -> dict[str, Any]:
    """Assign several reports to one member of staff: all of them, or none."""
    codes = list(dict.fromkeys(payload.codes))
    found = {r.code: r for r in Report.objects.visible_to(auth_user(request))
             .select_related("unit", "category").filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ApiError(Common.NOT_FOUND, {c: _("No such report.") for c in missing})
    assignee = staff_member(payload.assignee)
    done = services.bulk_assign(actor=auth_user(request), reports=[found[c] for c in codes],
                                assignee=assignee, comment=payload.comment)
    return {"assigned": codes, "changed": [a.report.code for a in done if a.changed],
            "unchanged": [a.report.code for a in done if not a.changed]}


@router.get("/{code}", response={200: ReportDetail, **ERRORS}, auth=AUTH)
def report_detail(request: HttpRequest, code: str = CODE) -> dict[str, Any]:
    """One report with its history and the actions the caller may take now."""
    return detail_out(visible_report(request, code), auth_user(request))


@router.post("/{code}/assign", response={200: AssignOut, **ERRORS}, auth=AUTH)
def assign(request: HttpRequest, payload: AssignIn, code: str = CODE) -> dict[str, Any]:
    """Give the report to a member of staff; `changed` says whether this request did."""
    user = auth_user(request)
    report = visible_report(request, code)
    changed = services.take_action(actor=user, report=report, action="assign",
                                   assignee=staff_member(payload.assignee),
                                   comment=payload.comment)
    return {**detail_out(report, user), "changed": changed}


@router.post("/{code}/act", response={200: ReportDetail, **ERRORS}, auth=AUTH)
def act(request: HttpRequest, payload: ActIn, code: str = CODE) -> dict[str, Any]:
    """Take a received report nobody has, start work, transfer to another unit (with a
    reason), or reject (saying who is responsible)."""
    user = auth_user(request)
    report = visible_report(request, code)
    services.take_action(
        actor=user, report=report, action=payload.action,
        to_unit=services.find_unit_in_service(payload.to_unit or ""),
        # The API's one text field is the transfer's reason or the rejection's reply.
        comment=payload.comment, reply=payload.comment, reason=payload.reason,
        responsible=payload.responsible)
    return detail_out(report, user)


@router.post("/{code}/reply", response={200: ReportDetail, **ERRORS}, auth=AUTH)
def reply(request: HttpRequest, payload: ReplyIn, code: str = CODE) -> dict[str, Any]:
    """Answer publicly: the report is resolved."""
    user = auth_user(request)
    report = visible_report(request, code)
    services.take_action(actor=user, report=report, action="resolve", reply=payload.reply)
    return detail_out(report, user)


@router.post("/{code}/merge", response={200: ReportDetail, **ERRORS}, auth=AUTH)
def merge(request: HttpRequest, payload: MergeIn, code: str = CODE) -> dict[str, Any]:
    """Close the report as a duplicate of an earlier one."""
    user = auth_user(request)
    report = visible_report(request, code)
    original = visible_report(request, payload.into)
    services.take_action(actor=user, report=report, action="merge", original=original,
                         comment=payload.comment)
    return detail_out(report, user)


@router.get("/{code}/contact", response={200: dict[str, str], **ERRORS}, auth=AUTH)
def contact(
    request: HttpRequest, code: str = CODE,
    purpose: str = Query("", max_length=200, pattern=NO_NUL,
                         description="Why the contact is read."),
) -> dict[str, str]:
    """The reporter's contact details (personal data; every read is logged)."""
    report = visible_report(request, code)
    return services.read_reporter_contact(report=report, user=auth_user(request),
                                          purpose=purpose)


@router.post("/{code}/hide", response={200: ReportDetail, **ERRORS}, auth=AUTH)
def hide(request: HttpRequest, payload: HideIn, code: str = CODE) -> dict[str, Any]:
    """Take a report off the public list, map, statistics and Open311 (leaders and
    administrators of its unit); staff still see it. Hiding a hidden report changes nothing."""
    report = visible_report(request, code)
    services.hide_report(actor=auth_user(request), report=report, reason=payload.reason)
    return detail_out(report, auth_user(request))


@router.post("/{code}/publish", response={200: ReportDetail, **ERRORS}, auth=AUTH)
def publish(request: HttpRequest, payload: PublishIn, code: str = CODE) -> dict[str, Any]:
    """Show a hidden report publicly again (leaders and administrators of its unit)."""
    report = visible_report(request, code)
    services.publish_report(actor=auth_user(request), report=report, reason=payload.reason)
    return detail_out(report, auth_user(request))
