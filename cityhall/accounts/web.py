"""The signed-in user of a web request, typed, for views behind a login check and the admin."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from cityhall.accounts.models import User


def signed_in_user(request: HttpRequest) -> User:
    """The request's user; PermissionDenied for an anonymous one (a login check lets none by)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
