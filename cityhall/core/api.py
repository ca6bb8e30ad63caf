"""The REST API's shared parts: errors as JSON, pagination shape, bounded ids and offsets.

Who may call is the people app's business (`accounts.api_auth`).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API reports as `{"detail": ..., "code": ...}` with a 4xx status."""

    def __init__(self, status: int, code: str, detail: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


class ErrorOut(Schema):
    """The body of every error response."""

    detail: Any
    code: str


T = TypeVar("T")

#: Error responses every signed-in endpoint can give, for the OpenAPI document.
AUTH_ERRORS: dict[int, Any] = {401: ErrorOut, 422: ErrorOut}

#: The largest page a list endpoint returns.
MAX_PAGE = 200


#: A database primary key as an API accepts it: positive and within a 64-bit column.
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]
#: The largest `offset` a list accepts: beyond any table here, and within what every
#: database takes in OFFSET (SQLite refuses numbers past 64 bits with a 500 otherwise).
MAX_OFFSET = 2**31


class Page(Schema, Generic[T]):
    """One page of a list: the total number of rows and the rows of this page."""

    count: int
    items: list[T]


def paginate(queryset: QuerySet[Any], *, limit: int, offset: int) -> dict[str, Any]:
    """Return `{"count", "items"}` for a page; two queries whatever the page size."""
    return {"count": queryset.count(), "items": list(queryset[offset : offset + limit])}


# Codes for the HTTP errors django-ninja raises itself (an unparsable body is a 400).
_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}


def _error(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, detail: Any
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code}, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    """Map every exception to a JSON body with a status; never an HTML page."""

    @api.exception_handler(ApiError)
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return _error(api, request, exc.status, exc.code, exc.detail)

    @api.exception_handler(NinjaValidationError)
    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return _error(api, request, 422, "invalid", exc.errors)

    @api.exception_handler(DjangoValidationError)
    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return _error(api, request, 400, "invalid", detail)

    @api.exception_handler(AuthenticationError)
    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _error(api, request, 401, "not_authenticated", "Authentication required.")

    @api.exception_handler(PermissionDenied)
    def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return _error(api, request, 403, "permission_denied", str(exc) or "Permission denied.")

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _error(api, request, 404, "not_found", str(exc) or "Not found.")

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return _error(api, request, exc.status_code, code, str(exc))

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error", exc_info=exc)
        return _error(api, request, 500, "server_error", "Internal server error.")
