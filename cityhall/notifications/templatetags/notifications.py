"""`{% load notifications %}{% unread_count %}` for the bell."""

from __future__ import annotations

from typing import Any

from django import template

from cityhall.notifications.models import Notification

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context: dict[str, Any]) -> int:
    """How many unread notices the signed-in user has (0 for anyone else).

    Counted once per request, however many times a page asks (one indexed COUNT).
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_unread_notices", None)
    if cached is None:
        cached = Notification.objects.for_user(user).unread().count()
        request._unread_notices = cached  # type: ignore[union-attr]
    return int(cached)
