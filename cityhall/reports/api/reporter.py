"""The reporter's endpoints: follow, rate, reopen, add photos (token or account)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Form, Query, Status, UploadedFile

from cityhall.accounts.api_auth import optional_user
from cityhall.core.api import NO_NUL
from cityhall.reports import services
from cityhall.reports.api.outputs import (
    follow_out,
    photo_out,
)
from cityhall.reports.api.router import (
    CODE,
    ERRORS,
    FOLLOW_UP_LIMIT,
    LIMITED,
    PHOTOS,
    REPORT_TOKEN,
    bearer_user,
    followed_report,
    router,
)
from cityhall.reports.api.schemas import (
    FOLLOW_HELP,
    FollowOut,
    PhotosOut,
    RateIn,
    ReopenIn,
)


@router.get("/{code}/follow", response={200: FollowOut, **ERRORS}, auth=None)
def follow(
    request: HttpRequest, code: str = CODE,
    token: str = Query("", max_length=100, pattern=NO_NUL, description=FOLLOW_HELP),
    x_report_token: str = REPORT_TOKEN,
) -> dict[str, Any]:
    """The reporter's view (private token, or the reporter signed in): state, deadline,
    public history, the reply. Anyone else gets 404."""
    given = x_report_token or token
    return follow_out(followed_report(code, optional_user(request), given), given)


@router.post("/{code}/rate", response={200: FollowOut, **ERRORS, **LIMITED}, auth=None,
             throttle=FOLLOW_UP_LIMIT)
def rate(
    request: HttpRequest, payload: RateIn, code: str = CODE,
    x_report_token: str = REPORT_TOKEN,
) -> dict[str, Any]:
    """The reporter rates the answer from 1 to 5 (once); a resolved report closes."""
    given = x_report_token or payload.token
    user = bearer_user(request)
    report = followed_report(code, user, given)
    services.rate_report(actor=user or services.ANONYMOUS, report=report,
                         rating=payload.rating, comment=payload.comment,
                         private_token=given)
    return follow_out(report, given)


@router.post("/{code}/reopen", response={200: FollowOut, **ERRORS, **LIMITED}, auth=None,
             throttle=FOLLOW_UP_LIMIT)
def reopen(
    request: HttpRequest, payload: ReopenIn, code: str = CODE,
    x_report_token: str = REPORT_TOKEN,
) -> dict[str, Any]:
    """The reporter reopens a resolved report within the reopen window, saying why."""
    given = x_report_token or payload.token
    user = bearer_user(request)
    report = followed_report(code, user, given)
    services.reopen_report(actor=user or services.ANONYMOUS, report=report,
                           reason=payload.reason, private_token=given)
    return follow_out(report, given)


@router.post("/{code}/photos", response={200: PhotosOut, 201: PhotosOut, **ERRORS, **LIMITED},
             auth=None, throttle=FOLLOW_UP_LIMIT)
def add_photos(
    request: HttpRequest, code: str = CODE,
    photos: list[UploadedFile] = PHOTOS,
    token: str = Form("", max_length=100, pattern=NO_NUL, description=FOLLOW_HELP),
    x_report_token: str = REPORT_TOKEN,
) -> Any:
    """The reporter adds photos (multipart) within minutes of filing; checked and stripped of
    EXIF as at filing. A photo the report already has is not stored again."""
    given = x_report_token or token
    user = bearer_user(request)
    report = followed_report(code, user, given)
    stored, added = services.add_report_photos(
        actor=user or services.ANONYMOUS, report=report, photos=photos,
        private_token=given)
    body = {"added": added, "photos": [photo_out(p, given) for p in stored]}
    return Status(201 if added else 200, body)
