"""The request's id and client address, visible to services without threading them through."""

from __future__ import annotations

import contextvars
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class RequestContext:
    """What the audit trail records about the HTTP request behind a change."""

    request_id: str = ""
    ip: str | None = None


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "cityhall_request_context", default=RequestContext()  # noqa: B039 (frozen dataclass)
)


def current() -> RequestContext:
    """Return the context of the request being served, or an empty one."""
    return _current.get()


def set_current(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    """Install a request context; returns a token to restore the previous one."""
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    """Restore the context that was current before `set_current`."""
    _current.reset(token)


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The client's address: the one rule for the audit trail, request limits and sign-in lockout.

    With `CITYHALL_TRUSTED_PROXIES` = N > 0 the last N hops are our own proxies, each of
    which appends the address it was called from to X-Forwarded-For; the client is the
    hop before them. Entries further left were written by the client and are ignored.
    With N = 0 (no proxy) X-Forwarded-For is never read.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.CITYHALL_TRUSTED_PROXIES
    if proxies <= 0:
        return _valid(remote)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()] + [remote]
    # Fewer hops than proxies: the request did not come through all of them.
    client = hops[-(proxies + 1)] if len(hops) > proxies else hops[0]
    return _valid(client) or _valid(remote)
