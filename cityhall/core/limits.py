"""Request limits: how often a caller may file or make the city send something.

The counters are django-ratelimit's, kept in Django's cache (Redis when `REDIS_URL` is
set, so every web process counts together). Each limit counts per caller: a partner's
API key, a signed-in account, or else the client's address (`context.client_address`;
an IPv6 client is counted by its /64, which one household or phone usually holds).
Rates come from the settings named in `Limit`, read at each request. See
docs/security.md, "Limits".
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage
from ninja.errors import Throttled

from cityhall.core.context import client_address
from cityhall.core.errors import Common

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

CallerKind = Literal["anonymous", "signed_in", "partner"]


@dataclass(frozen=True)
class Limit:
    """One counter per caller for a kind of request, with a rate setting per kind of caller."""

    group: str
    anonymous: str = "CITYHALL_RATE_ANONYMOUS"
    signed_in: str = "CITYHALL_RATE_SIGNED_IN"
    partner: str = "CITYHALL_RATE_PARTNER"

    def rate(self, kind: CallerKind) -> str | None:
        """The rate in force for this kind of caller (None: no limit)."""
        rate: str | None = getattr(settings, getattr(self, kind))
        return rate


#: Filing a report, on every channel (web form, API, Open311 sync and queued).
FILING = Limit("reports.file")
#: A reporter's follow-ups: rating, reopening, adding photos (web and API).
FOLLOW_UP = Limit("reports.follow_up")


@dataclass(frozen=True)
class Caller:
    """Who is counted: `key` names the counter, `kind` picks the rate."""

    kind: CallerKind
    key: str


def address_key(request: HttpRequest) -> str:
    """The counter name of an anonymous caller: its address (an IPv6 one by its /64)."""
    address = client_address(request)
    if address is None:
        return "ip:unknown"
    if ":" in address:
        return "ip:" + str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return "ip:" + address


def anonymous(request: HttpRequest) -> Caller:
    """A caller known only by its address."""
    return Caller("anonymous", address_key(request))


def signed_in(user_pk: int) -> Caller:
    """A caller with an account."""
    return Caller("signed_in", f"user:{user_pk}")


def partner(key_pk: int) -> Caller:
    """A partner system, by its API key."""
    return Caller("partner", f"key:{key_pk}")


def web_caller(request: HttpRequest) -> Caller:
    """The caller of a web page: the signed-in account, else the address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return signed_in(user.pk)
    return anonymous(request)


@dataclass(frozen=True)
class Refusal:
    """A request over its limit: how long until the counter starts again."""

    retry_after: int

    def message(self) -> str:
        """The sentence shown to the caller, in the request's language."""
        minutes = max(1, math.ceil(self.retry_after / 60))
        return ngettext(
            "Too many requests from your address or account in a short time: this one was "
            "not accepted. Please try again in %(minutes)d minute.",
            "Too many requests from your address or account in a short time: this one was "
            "not accepted. Please try again in %(minutes)d minutes.", minutes) % {
            "minutes": minutes}


def _usage(request: HttpRequest, limit: Limit, caller: Caller, *, increment: bool
           ) -> dict[str, Any] | None:
    """`caller`'s counter for `limit` (counting this request when `increment`); None when
    there is no limit, or the cache failed (logged: the request passes, since the limits
    protect the city's channels and an outage of the cache must not stop residents)."""
    rate = limit.rate(caller.kind)
    if rate is None:
        return None
    try:
        usage: dict[str, Any] | None = get_usage(
            request, group=limit.group, key=lambda _group, _request: caller.key, rate=rate,
            increment=increment)
    except Exception:  # the cache backend's own errors (connection refused, timeouts)
        logger.exception("request limit %s not read: the cache failed", limit.group)
        return None
    return usage


def check(request: HttpRequest, limit: Limit, caller: Caller) -> Refusal | None:
    """Count this request against `caller`'s counter; a Refusal when it is over the rate."""
    usage = _usage(request, limit, caller, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    return Refusal(retry_after=max(1, int(usage["time_left"])))


def peek(request: HttpRequest, limit: Limit, caller: Caller) -> Refusal | None:
    """Whether `caller` has used up `limit` already, without counting this request (a limit
    counted elsewhere, such as failures, read before the work)."""
    usage = _usage(request, limit, caller, increment=False)
    if usage is None or usage["count"] < usage["limit"]:
        return None
    return Refusal(retry_after=max(1, int(usage["time_left"])))


def refused_with(response: HttpResponse, refusal: Refusal) -> HttpResponse:
    """`response` as a refusal: status 429 and Retry-After."""
    response.status_code = 429
    response["Retry-After"] = str(refusal.retry_after)
    return response


View = Callable[..., HttpResponse]


def refused_page(request: HttpRequest, refusal: Refusal, *args: Any, **kwargs: Any) -> HttpResponse:
    """The shell's 429 page (templates/429.html) with the refusal's words."""
    return render(request, "429.html", {"refusal_message": refusal.message()})


def limit_posts(limit: Limit, refused: Callable[..., HttpResponse] = refused_page,
                ) -> Callable[[View], View]:
    """Count a web view's POSTs against `limit`; over it, answer `refused(request, refusal,
    *args, **kwargs)` (the form again, with `refusal.message()`, or by default the 429
    page) with 429 and Retry-After, and skip the view."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                refusal = check(request, limit, web_caller(request))
                if refusal is not None:
                    return refused_with(refused(request, refusal, *args, **kwargs), refusal)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# -- the REST API (django-ninja) ---------------------------------------------
# The throttle that counts API calls lives with the accounts (`accounts.limits.ApiLimit`):
# only they know who is behind a bearer token.


def install_api_handler(api: NinjaAPI) -> None:
    """Answer a throttled API request as `{"detail", "code": "rate_limited"}` (ninja adds
    Retry-After)."""

    @api.exception_handler(Throttled)
    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        detail = Refusal(retry_after=int(exc.wait or 60)).message()
        return api.create_response(request, {"detail": detail, "code": Common.RATE_LIMITED},
                                   status=429)
