"""`{% load notifications %}{% unread_count %}` for the bell."""

from __future__ import annotations

from typing import Any

from django import template

from cityhall.notifications.models import Notification

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context: dict[str, Any]) -> int:
    """How many unread notices the signed-in user has (0 for anyone else)."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.for_user(user).unread().count()
