"""Request limits on the REST API: the caller is the account behind a bearer token, else the
client's address (docs/security.md, "Limits")."""

from __future__ import annotations

import contextvars

from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from cityhall.accounts.models import ApiToken
from cityhall.core import limits

# Ninja asks a throttle for its wait right after `allow_request`, in the same thread.
_WAIT: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "cityhall_api_limit_wait", default=None)


def api_caller(request: HttpRequest) -> limits.Caller:
    """A bearer token's account, else the address (the open POSTs take no session)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token = ApiToken.find(header[7:].strip())
        if token is not None:
            return limits.signed_in(token.user_id)
    return limits.anonymous(request)


class ApiLimit(BaseThrottle):
    """A django-ninja throttle on `limit`: over it, 429 `rate_limited` with Retry-After
    (the answer's body: `core.limits.install_api_handler`)."""

    def __init__(self, limit: limits.Limit) -> None:
        self.limit = limit

    def allow_request(self, request: HttpRequest) -> bool:
        refusal = limits.check(request, self.limit, api_caller(request))
        _WAIT.set(refusal.retry_after if refusal else None)
        return refusal is None

    def wait(self) -> float | None:
        return _WAIT.get()
