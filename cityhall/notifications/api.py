"""The notification API: the signed-in user's notices and marking them read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from cityhall.accounts.api_auth import AUTH, auth_user
from cityhall.core.api import MAX_PAGE, DbId, ErrorOut, Input
from cityhall.notifications.models import Notification
from cityhall.notifications.services import mark_read

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    subject: str
    body: str
    subject_ref: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationList(Schema):
    unread: int
    items: list[NotificationOut]


class MarkReadIn(Input):
    ids: list[DbId] | None = Field(
        None, max_length=MAX_PAGE, description="The notices to mark; none given: all of them.")


class MarkReadOut(Schema):
    marked: int


_ERRORS: dict[int, Any] = {401: ErrorOut, 422: ErrorOut}


@router.get("", response={200: NotificationList, **_ERRORS}, auth=AUTH)
def list_notifications(
    request: HttpRequest,
    unread_only: bool = False,
    limit: int = Query(50, ge=1, le=MAX_PAGE),
) -> dict[str, Any]:
    """The caller's latest notices and their unread count."""
    qs = Notification.objects.for_user(auth_user(request))
    items = qs.unread() if unread_only else qs
    return {"unread": qs.unread().count(), "items": list(items[:limit])}


@router.post("/read", response={200: MarkReadOut, **_ERRORS}, auth=AUTH)
def read_notifications(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    """Mark the given notices (or all of them) read."""
    return {"marked": mark_read(actor=auth_user(request), ids=payload.ids)}
