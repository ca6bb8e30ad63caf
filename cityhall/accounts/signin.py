"""Signing in: the lockout after repeated failures (django-axes) and the audit of every attempt.

Every sign-in form (the portal's /login/, the admin's) goes through
`django.contrib.auth.authenticate`, so the lockout and the audit cover them all. The API
takes no password: its tokens are issued by `cityhall create_token`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from axes.backends import AxesBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_cool_off
from axes.signals import user_locked_out
from django.contrib.auth import signals
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import ngettext

from cityhall.accounts.audit_actions import AccountAudit
from cityhall.accounts.errors import AccountCode
from cityhall.core import audit, limits

SIGN_IN = AccountAudit.SIGN_IN
SIGN_IN_FAILED = AccountAudit.SIGN_IN_FAILED
LOCKED_OUT = AccountAudit.LOCKED_OUT
SIGN_OUT = AccountAudit.SIGN_OUT
#: The code of a locked-out attempt in a JSON answer.
LOCKED_OUT_CODE = AccountCode.LOCKED_OUT
# An unknown or mistyped name is recorded as typed, but never longer than a user name.
_NAME_MAX = 150
_ANONYMOUS = audit.SystemActor("anonymous")
#: Failed sign-ins from one client address whatever the names typed (a spray over many
#: accounts, which the per-account lockout does not see); over the rate, every sign-in
#: from that address waits. Counted in `_on_failed`, read in `LockoutBackend`.
ADDRESS_FAILURES = limits.Limit("accounts.sign_in_failures",
                                anonymous="CITYHALL_SIGN_IN_FAILURES_PER_ADDRESS")


class LockoutBackend(AxesBackend):
    """django-axes' backend, marking the request when it refused a locked-out attempt.

    The mark tells the audit that the password was not even checked.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        if request is not None:
            refusal = limits.peek(request, ADDRESS_FAILURES, limits.anonymous(request))
            if refusal is not None:
                request.cityhall_sign_in_locked = True  # type: ignore[attr-defined]
                request.cityhall_address_refusal = refusal  # type: ignore[attr-defined]
                # django-axes' middleware answers a request so marked with our lockout page.
                request.axes_locked_out = True  # type: ignore[attr-defined]
                audit.record(actor=_ANONYMOUS, action=LOCKED_OUT, changes={
                    "username": str(username or "")[:_NAME_MAX], "path": request.path,
                    "until": locked_until(request), "by": "address"})
                raise AxesBackendPermissionDenied("too many failed sign-ins from the address")
        try:
            return super().authenticate(request, username, password, **kwargs)
        except AxesBackendPermissionDenied:
            if request is not None:
                request.cityhall_sign_in_locked = True  # type: ignore[attr-defined]
            raise


def _typed_name(credentials: dict[str, Any] | None) -> str:
    return str((credentials or {}).get("username") or "")[:_NAME_MAX]


def locked_until(request: HttpRequest) -> dt.datetime:
    """When the lockout met by this request ends (each attempt meanwhile starts it again)."""
    refusal = getattr(request, "cityhall_address_refusal", None)
    if refusal is not None:
        return timezone.now() + dt.timedelta(seconds=refusal.retry_after)
    started = getattr(request, "axes_attempt_time", None) or timezone.now()
    return started + (get_cool_off(request) or dt.timedelta(0))


def lockout_message(until: dt.datetime, *, whole_address: bool = False) -> str:
    """The sentence that tells a locked-out person when to try again, in their language:
    locked out of one account from their address, or (`whole_address`) out of any."""
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    words = {"time": formats.time_format(timezone.localtime(until), "H:i"), "minutes": minutes}
    if whole_address:
        return ngettext(
            "Too many failed sign-ins from your address. Please try again after %(time)s "
            "(in %(minutes)d minute).",
            "Too many failed sign-ins from your address. Please try again after %(time)s "
            "(in %(minutes)d minutes).", minutes) % words
    return ngettext(
        "Too many failed sign-ins to this account from your address. Please try again "
        "after %(time)s (in %(minutes)d minute).",
        "Too many failed sign-ins to this account from your address. Please try again "
        "after %(time)s (in %(minutes)d minutes).", minutes) % words


def _wants_json(request: HttpRequest) -> bool:
    return (request.path.startswith("/api/")
            or request.headers.get("X-Requested-With") == "XMLHttpRequest"
            or "application/json" in request.headers.get("Accept", ""))


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """What a locked-out attempt gets (AXES_LOCKOUT_CALLABLE): 429 with Retry-After, as JSON
    for API clients, else the sign-in page again saying when to try again."""
    until = locked_until(request)
    message = lockout_message(
        until, whole_address=getattr(request, "cityhall_address_refusal", None) is not None)
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse({"detail": message, "code": LOCKED_OUT_CODE}, status=429)
    else:
        form = AuthenticationForm(request, data=None, initial={
            "username": _typed_name(credentials)})
        # The admin's sign-in comes back to the admin once the wait is over.
        next_url = "/admin/" if request.path.startswith("/admin/") else request.POST.get(
            "next", "")
        response = render(request, "portal/login.html", {
            "form": form, "next": next_url, "lockout_message": message}, status=429)
    response["Retry-After"] = str(max(1, math.ceil((until - timezone.now()).total_seconds())))
    return response


# -- the audit trail -------------------------------------------------------------------------

def _on_signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action=SIGN_IN, obj=user,
                 changes={"path": request.path if request is not None else ""})


def _on_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
               **kwargs: Any) -> None:
    if request is not None and getattr(request, "cityhall_sign_in_locked", False):
        return  # refused unchecked: recorded as accounts.locked_out
    if request is not None:
        limits.check(request, ADDRESS_FAILURES, limits.anonymous(request))
    audit.record(actor=_ANONYMOUS, action=SIGN_IN_FAILED, changes={
        "username": _typed_name(credentials),
        "path": request.path if request is not None else ""})


def _on_locked_out(sender: Any, request: HttpRequest, username: str | None,
                   ip_address: str | None, **kwargs: Any) -> None:
    audit.record(actor=_ANONYMOUS, action=LOCKED_OUT, changes={
        "username": str(username or "")[:_NAME_MAX], "path": request.path,
        "until": locked_until(request),
        "failures": getattr(request, "axes_failures_since_start", None)})


def _on_signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return  # signing out without being signed in changes nothing
    audit.record(actor=user, action=SIGN_OUT, obj=user)


def connect() -> None:
    """Write sign-ins, failures, lockouts and sign-outs to the audit trail."""
    signals.user_logged_in.connect(_on_signed_in, dispatch_uid="cityhall.sign_in")
    signals.user_login_failed.connect(_on_failed, dispatch_uid="cityhall.sign_in_failed")
    signals.user_logged_out.connect(_on_signed_out, dispatch_uid="cityhall.sign_out")
    user_locked_out.connect(_on_locked_out, dispatch_uid="cityhall.locked_out")
