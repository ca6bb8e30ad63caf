"""Middleware: a request id and the client's address; input refused before any view reads it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext as _

from cityhall.core import context
from cityhall.core.api import TOO_LARGE, too_large_message
from cityhall.core.errors import Common
from cityhall.core.text import (
    is_valid_unicode,
    querydict_has_invalid_unicode,
    querydict_has_nul,
)

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
    """Refuses, before any view reads them, requests whose text the database cannot store and
    requests over Django's size limits.

    - A NUL character in the path, the query, a form field or a JSON body: 400
      `null_character` (PostgreSQL cannot store NUL, and psycopg refuses it as a parameter).
    - Text that is not valid Unicode, a lone surrogate, in the same places: 400
      `invalid_text`. Only a crafted request carries one (a JSON `"\\ud800"`, a multipart
      body declared in UTF-7), and no UTF-8 encoder accepts it.
    - A body over DATA_UPLOAD_MAX_MEMORY_SIZE, or with more fields or files than Django
      takes: 413 `too_large`. Read here first, the body must be refused here: a multipart
      stream half read cannot be read again by the view.

    Uploaded files may hold any bytes and are not inspected. Paths listed in
    CITYHALL_NUL_CHECK_SKIP_PREFIXES answer in their own error format and check for themselves
    (`core.text`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.skip = tuple(getattr(settings, "CITYHALL_NUL_CHECK_SKIP_PREFIXES", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(self.skip):
            refusal = _refusal(request)
            if refusal is not None:
                # The middleware runs before LocaleMiddleware: answer in the reader's language.
                with translation.override(translation.get_language_from_request(request)):
                    return refusal.response()
        return self.get_response(request)


class _Refusal:
    """Why a request is refused, and the answer; the message is made in the reader's language."""

    def __init__(self, code: Common, message: Callable[[], str]) -> None:
        self.code, self.message = code, message

    def response(self) -> JsonResponse:
        return JsonResponse({"detail": self.message(), "code": self.code},
                            status=self.code.status)


_NUL = _Refusal(Common.NULL_CHARACTER, lambda: _("The request holds a NUL character."))
_INVALID = _Refusal(Common.INVALID_TEXT, lambda: _(
    "The request holds text that is not valid Unicode (a lone surrogate)."))
_TOO_LARGE = _Refusal(Common.TOO_LARGE, too_large_message)
# A JSON escape of a surrogate (\ud800-\udfff): only then is a body parsed here to look closer.
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _refusal(request: HttpRequest) -> _Refusal | None:
    try:
        if "\x00" in request.path or querydict_has_nul(request.GET):
            return _NUL
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if (request.content_type or "") in _FORM_TYPES:
            return _form_refusal(request)
        return _json_refusal(request.body)
    except TOO_LARGE:
        return _TOO_LARGE
    except (MultiPartParserError, SuspiciousOperation, BadRequest, ValueError):
        return None  # the view reports an unreadable body in its own terms


def _json_refusal(body: bytes) -> _Refusal | None:
    if b"\x00" in body:
        return _NUL
    # Any content type: the API parses a JSON body whatever its label.
    if b"\\u0000" in body or _ESCAPED_SURROGATE.search(body):
        try:
            data = json.loads(body)
            if _json_any(data, lambda text: "\x00" in text):
                return _NUL
            if _json_any(data, lambda text: not is_valid_unicode(text)):
                return _INVALID
        except (ValueError, RecursionError):
            return None  # malformed or absurdly nested JSON: the API answers that itself
    return None


def _form_refusal(request: HttpRequest) -> _Refusal | None:
    if querydict_has_nul(request.POST):
        return _NUL
    # A multipart body may name its charset (UTF-7, unicode_escape), and Django decodes the
    # fields with it. (File names are safe: Django keeps only their printable characters.)
    if querydict_has_invalid_unicode(request.POST):
        return _INVALID
    return None


def _json_any(value: Any, test: Callable[[str], bool]) -> bool:
    """Whether `test` holds for any string (key or value) in a parsed JSON document."""
    if isinstance(value, str):
        return test(value)
    if isinstance(value, dict):
        return any(test(k) or _json_any(v, test) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_any(v, test) for v in value)
    return False
