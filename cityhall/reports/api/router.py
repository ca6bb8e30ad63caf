"""The reports router, its error statuses, path parameters and the lookups every endpoint shares."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Header, Path, Router

from cityhall.accounts.api_auth import auth_user, bearer_auth
from cityhall.accounts.errors import AccountCode
from cityhall.accounts.limits import ApiLimit
from cityhall.accounts.models import User
from cityhall.core import limits
from cityhall.core.api import NO_NUL, ApiError, ErrorOut
from cityhall.core.errors import Common
from cityhall.reports import services
from cityhall.reports.errors import ReportCode
from cityhall.reports.models import Report, ReportPhoto

router = Router(tags=["reports"])

#: The error answers an endpoint may give, for the OpenAPI document.
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                          409: ErrorOut, 422: ErrorOut}
#: The open POSTs' limits (docs/security.md, "Limits"): over them, 429 with Retry-After.
FILING_LIMIT = ApiLimit(limits.FILING)
FOLLOW_UP_LIMIT = ApiLimit(limits.FOLLOW_UP)
LIMITED: dict[int, Any] = {429: ErrorOut}
CODE = Path(..., max_length=32, pattern=NO_NUL,
            description="The report's code, e.g. PA-260302-0001.")
PHOTOS = File(..., min_length=1, description="JPEG, PNG or WebP files.")
IDEMPOTENCY_KEY = Header(
    "", alias="Idempotency-Key", max_length=100, pattern=NO_NUL,
    description="Any string the client makes up for one submission (a UUID): a retry with "
                "the same key returns the first answer instead of filing again.")
REPORT_TOKEN = Header("", alias="X-Report-Token", max_length=100, pattern=NO_NUL,
                      description="The private follow token.")




def visible_report(request: HttpRequest, code: str) -> Report:
    """The report with this code in the caller's scope, with what its detail shows; else 404."""
    found = (
        Report.objects.visible_to(auth_user(request))
        .select_related("category", "unit", "assignee", "place_unit", "duplicate_of")
        .prefetch_related(Prefetch("photos", queryset=ReportPhoto.objects.order_by("pk")))
        .with_code(code).first()
    )
    if found is None:
        raise ApiError(Common.NOT_FOUND, _("No such report."))
    return found


def staff_member(username: str) -> User:
    """The active account an assignment names; else 400."""
    found = services.find_staff(username)
    if found is None:
        raise ApiError(ReportCode.UNKNOWN_ASSIGNEE, _("No such member of staff."))
    return found


def bearer_user(request: HttpRequest) -> User | None:
    """The account behind `Authorization: Bearer`, if any; a bad token is a 401.

    Only a bearer token identifies a sender on these open POSTs: a session would need CSRF.
    """
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    user = bearer_auth.authenticate(request, header[7:].strip())
    if user is None:
        raise ApiError(AccountCode.INVALID_TOKEN, _("The bearer token is not valid."))
    return user


def followed_report(code: str, user: Any, token: str) -> Report:
    """The report its reporter (account or private token) follows; 404 for anyone else."""
    report = (
        Report.objects.select_related("category", "unit", "duplicate_of")
        .prefetch_related(Prefetch("photos", queryset=ReportPhoto.objects.order_by("pk")))
        .with_code(code).first()
    )
    # A wrong token and an unknown code answer alike, so codes cannot be probed.
    if report is None or not report.followed_by(user, token):
        raise ApiError(Common.NOT_FOUND, _("No such report."))
    return report
