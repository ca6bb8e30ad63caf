"""The request's id and client address, visible to services without threading them through."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


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
