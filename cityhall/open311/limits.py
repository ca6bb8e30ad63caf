"""The request limit on Open311 POSTs: per partner key, or per address without a valid key."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from cityhall.accounts.auth import api_key_from_request, authenticate_api_key
from cityhall.core import limits
from cityhall.core.api import ApiError
from cityhall.open311 import render

View = Callable[..., HttpResponse]


def _caller(request: HttpRequest, scope: str) -> limits.Caller:
    """The partner whose key may file; anyone else (no key, a wrong one) by address."""
    try:
        key = authenticate_api_key(api_key_from_request(request), scope)
    except ApiError:
        return limits.anonymous(request)
    return limits.partner(key.pk)


def limit_filing(scope: str) -> Callable[[View], View]:
    """Count POSTs (sync and queued intake alike) against `limits.FILING`; over it, the Open311
    error document with 429 and Retry-After, and nothing is filed or queued."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                refusal = limits.check(request, limits.FILING, _caller(request, scope))
                if refusal is not None:
                    return limits.refused_with(
                        render.errors(fmt, 429, [refusal.message()]), refusal)
            return view(request, fmt, **kwargs)

        return wrapper

    return decorate
