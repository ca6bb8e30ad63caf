"""The notification API: the signed-in user's notices and marking them read."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from cityhall.accounts.api_auth import AUTH, auth_user
from cityhall.core.api import DbId
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


class MarkReadIn(Schema):
    ids: list[DbId] | None = None


class MarkReadOut(Schema):
    marked: int


@router.get("", response=NotificationList, auth=AUTH)
def list_notifications(request: HttpRequest, unread_only: bool = False, limit: int = 50) -> dict:
    """The caller's latest notices and their unread count."""
    qs = Notification.objects.for_user(auth_user(request))
    items = qs.unread() if unread_only else qs
    return {"unread": qs.unread().count(), "items": list(items[: max(1, min(limit, 200))])}


@router.post("/read", response=MarkReadOut, auth=AUTH)
def read_notifications(request: HttpRequest, payload: MarkReadIn) -> dict:
    """Mark the given notices (or all of them) read."""
    return {"marked": mark_read(actor=auth_user(request), ids=payload.ids)}
