"""Middleware that gives each request an id and remembers the client's address."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from cityhall.core import context
from cityhall.core.text import querydict_has_nul

_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Sets `request.id` (from X-Request-ID when well formed) and the audit context."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.id = request_id  # type: ignore[attr-defined]
        ip = context.client_address(request)
        token = context.set_current(context.RequestContext(request_id=request_id, ip=ip))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RejectNulMiddleware:
    """Refuses, with a 400, requests whose path, query or form fields hold a NUL character.

    PostgreSQL cannot store NUL in text and psycopg refuses it as a parameter, so such input
    would otherwise end as a server error deep in a query. Uploaded files may hold any bytes
    and are not inspected. Paths listed in CITYHALL_NUL_CHECK_SKIP_PREFIXES answer in their
    own error format and check for themselves with `core.text.querydict_has_nul`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.skip = tuple(getattr(settings, "CITYHALL_NUL_CHECK_SKIP_PREFIXES", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(self.skip) and self._has_nul(request):
            return JsonResponse(
                {"detail": "The request holds a NUL character.", "code": "null_character"},
                status=400,
            )
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path or querydict_has_nul(request.GET):
            return True
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        content_type = request.content_type or ""
        try:
            if content_type in _FORM_TYPES:
                return querydict_has_nul(request.POST)
            body = request.body
        except (MultiPartParserError, SuspiciousOperation, ValueError):
            return False  # the view reports an unreadable body in its own terms
        if b"\x00" in body:
            return True
        if content_type == "application/json" and b"\\u0000" in body:
            try:
                return _json_has_nul(json.loads(body))
            except ValueError:
                return False  # malformed JSON: the API answers that itself
        return False


def _json_has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_json_has_nul(k) or _json_has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(v) for v in value)
    return False
