"""The signed-in user of a web request, typed, and the gate of the staff pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from cityhall.accounts.models import Membership, User, UserKind


def signed_in_user(request: HttpRequest) -> User:
    """The request's user; PermissionDenied for an anonymous one (a login check lets none by)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def is_staff_member(user: Any) -> bool:
    """Whether the user works for the city: a staff account, a role in force in some unit,
    or an administrator of the site. Residents and businesses are not."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_cityhall_staff_member", None)
    if cached is None:
        cached = bool(user.is_superuser or user.is_staff or user.kind == UserKind.STAFF
                      or Membership.objects.active_on().filter(user=user).exists())
        user._cityhall_staff_member = cached
    return bool(cached)


View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """A staff page: anonymous visitors are sent to sign in, residents get 403."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)
