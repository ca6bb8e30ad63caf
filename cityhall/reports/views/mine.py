"""A resident's own pages: 'my reports' with their notices and the reads of their data,
adding a report sent without an account, and looking a report up by its code."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityhall.accounts.web import signed_in_user
from cityhall.core.models import PersonalDataRead
from cityhall.notifications.models import Notification
from cityhall.notifications.services import mark_read
from cityhall.reports import services
from cityhall.reports.errors import ReportCode
from cityhall.reports.models import Report
from cityhall.reports.services import ReportError
from cityhall.reports.views.public import follow_url

#: Notices and data reads shown on the page (the API has them all).
SHOWN = 20


# Residents sign in with a code, not at the staff's password page.
@login_required(login_url="portal:code_request")
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    """'Phản ánh của tôi': the person's reports with state and deadline, their notices,
    and who read their personal data."""
    user = signed_in_user(request)
    reports = list(Report.objects.filter(reporter=user).select_related("category", "unit")
                   .only("code", "state", "due_at", "created_at", "description", "closed_at",
                         "category__name", "category__name_en", "unit__name")
                   .order_by("-created_at", "-pk"))
    now = timezone.now()
    for report in reports:
        report.overdue = report.is_overdue(now)  # type: ignore[attr-defined]
    notices = list(Notification.objects.for_user(user)[:SHOWN])
    reads = list(PersonalDataRead.objects.filter(subject=user)
                 .select_related("reader", "reader_unit").order_by("-at", "-id")[:SHOWN])
    context: dict[str, Any] = {
        "reports": reports, "notices": notices, "reads": reads,
        "unread": sum(1 for n in notices if n.read_at is None),
    }
    return render(request, "reports/mine.html", context)


@login_required
@require_POST
def my_notices_read(request: HttpRequest) -> HttpResponse:
    """Mark all the person's notices read."""
    mark_read(actor=signed_in_user(request))
    return redirect("reports:my_reports")


@login_required(login_url="portal:code_request")
@require_POST
def report_claim(request: HttpRequest, code: str) -> HttpResponse:
    """Add a report sent without an account to 'my reports' (with its private link)."""
    user = signed_in_user(request)
    token = (request.POST.get("t") or "")[:100]
    report = Report.objects.filter(code=code).first()
    if report is None:
        raise Http404(_("No report has this code."))
    try:
        services.claim_report(actor=user, report=report, private_token=token)
    except ReportError as exc:
        if exc.code == ReportCode.NOT_REPORTER:
            raise Http404(_("No report has this code.")) from exc
        messages.error(request, str(exc.detail))
        return redirect(follow_url(report, token))
    messages.success(request, _("The report is now among your reports."))
    return redirect("reports:my_reports")


def normalise_code(text: str) -> str:
    """A report code as typed, as stored: PA-YYMMDD-NNNN in capitals, spaces dropped."""
    return "".join(text.split()).upper()[:32]


@require_http_methods(["GET"])
def report_lookup(request: HttpRequest) -> HttpResponse:
    """Find a report by its code (any case): its public page, or the reporter's view for
    its signed-in reporter; a report that is not public is not found without its link."""
    typed = request.GET.get("code", "")[:64]
    code = normalise_code(typed)
    if code:
        report = Report.objects.filter(code=code).only("pk", "code", "is_public",
                                                       "reporter_id").first()
        if report is not None and (report.is_public or report.followed_by(request.user)):
            return redirect(reverse("reports:report_follow", args=[report.code]))
    status = 404 if code else 200
    return render(request, "reports/lookup.html", {"typed": typed, "not_found": bool(code)},
                  status=status)


def home_report_card(user: Any) -> dict[str, Any]:
    """The home page's first card: send a report."""
    return {}


def home_lookup_card(user: Any) -> dict[str, Any]:
    """The home page's card: look a report up by its code."""
    return {}
