"""The REST API's shared parts: errors as JSON, the types every schema's input fields are
made of, pagination shape, bounded ids and offsets.

Who may call is the people app's business (`accounts.api_auth`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from http import HTTPStatus
from typing import Annotated, Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic import ValidationError as PydanticValidationError

from cityhall.core.errors import Common, ErrorCode, Refused

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API reports as `{"detail": ..., "code": ...}`, with the code's status."""

    def __init__(self, code: ErrorCode, detail: Any, *, status: int | None = None) -> None:
        super().__init__(detail)
        # Only `invalid` is answered with two statuses: 422 for the wrong shape, 400 for
        # a service's field errors.
        self.status = int(status or code.status)
        self.code = code
        self.detail = detail


class ErrorOut(Schema):
    """The body of every error response."""

    detail: Any
    code: str = Field(description="A stable error code: docs/api.md lists them all.")


T = TypeVar("T")
_Body = TypeVar("_Body", bound=BaseModel)

#: Error responses every signed-in endpoint can give, for the OpenAPI document.
AUTH_ERRORS: dict[int, Any] = {401: ErrorOut, 422: ErrorOut}

#: The largest page a list endpoint returns.
MAX_PAGE = 200


#: A database primary key as an API accepts it: positive and within a 64-bit column.
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]
#: The largest `offset` a list accepts: beyond any table here, and within what every
#: database takes in OFFSET (SQLite refuses numbers past 64 bits with a 500 otherwise).
MAX_OFFSET = 2**31


#: What a text field may not hold: NUL, which PostgreSQL cannot store. (A lone surrogate is
#: refused too: pydantic will not check a constrained string that is not valid Unicode.)
NO_NUL = r"^[^\x00]*$"
#: What a required text must hold besides: a character that is not a space (the services
#: strip what they are given and refuse what is left empty).
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


def text(max_length: int, *, min_length: int = 0, blank: bool = True) -> StringConstraints:
    """The constraints of a text field: `Annotated[str, text(200)]`.

    Every text the API takes is bounded, holds no NUL and is valid Unicode (a lone surrogate,
    `"\\ud800"` in JSON, is refused with a 422 before any service sees it); `blank=False`
    asks for more than spaces.
    """
    if blank:
        return StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)
    return StringConstraints(min_length=max(min_length, 1), max_length=max_length,
                             pattern=NOT_BLANK)


class Input(Schema):
    """A request body: a JSON object with the declared fields and no others.

    Anything else (a bare number, a list, an unknown field) is a 422: ninja's `Schema` would
    otherwise read missing attributes of a non-object as defaults (a body of `12345` passed
    for an empty object).
    """

    model_config = ConfigDict(extra="forbid")


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: A date and time without an offset, as the document's pattern says it (seconds included,
#: as in RFC 3339).
LOCAL_MOMENT = (r"^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
                r"T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?$")
# RFC 3339 (the document's `date-time`), or the same without its offset.
_ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?")


def _iso_day(value: Any) -> Any:
    # pydantic reads numbers, and strings of digits, as days since 1970: ?active_on=0 was 1970.
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise ValueError(_("Give a day as YYYY-MM-DD."))


def _iso_moment(value: Any) -> Any:
    if isinstance(value, dt.datetime) or (isinstance(value, str) and _ISO_MOMENT.fullmatch(value)):
        return value
    raise ValueError(_("Give a date and time as 2025-07-01T08:00:00+07:00 (without the offset, "
                       "the city's time)."))


def _in_the_city(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


#: A day as the API takes it: `YYYY-MM-DD` only (no number of seconds since 1970).
Day = Annotated[dt.date, BeforeValidator(_iso_day)]
#: A moment as the API takes it: RFC 3339, or the same without its offset in the city's
#: time (TIME_ZONE); no number of seconds since 1970, no day alone.
Moment = Annotated[
    dt.datetime, BeforeValidator(_iso_moment), AfterValidator(_in_the_city),
    WithJsonSchema({
        "anyOf": [{"type": "string", "format": "date-time"},
                  {"type": "string", "pattern": LOCAL_MOMENT}],
        "description": "RFC 3339; without the offset, in the city's time.",
    }),
]


class Page(Schema, Generic[T]):
    """One page of a list: the total number of rows and the rows of this page."""

    count: int
    items: list[T]


def paginate(queryset: QuerySet[Any], *, limit: int, offset: int) -> dict[str, Any]:
    """Return `{"count", "items"}` for a page; two queries whatever the page size."""
    return {"count": queryset.count(), "items": list(queryset[offset : offset + limit])}


# Codes for the HTTP errors django-ninja raises itself: an unparsable body is a 400, and a
# 403 is always its CSRF check of a session on an unsafe method (ninja.security.apikey).
_HTTP_CODES = {
    400: Common.BAD_REQUEST,
    403: Common.CSRF_FAILED,
    404: Common.NOT_FOUND,
    405: Common.METHOD_NOT_ALLOWED,
}
#: Django's refusals of a request over its limits (DATA_UPLOAD_MAX_MEMORY_SIZE,
#: DATA_UPLOAD_MAX_NUMBER_FIELDS, DATA_UPLOAD_MAX_NUMBER_FILES), whoever reads the body.
TOO_LARGE: tuple[type[SuspiciousOperation], ...] = (
    RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def _error(
    api: NinjaAPI, request: HttpRequest, code: ErrorCode, detail: Any, status: int | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code},
                               status=status or code.status)


def install_error_handlers(api: NinjaAPI) -> None:
    """Map every exception to a JSON body with a status; never an HTML page."""

    @api.exception_handler(ApiError)
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return _error(api, request, exc.code, exc.detail, exc.status)

    # A service's refusal (ReportError, DossierError, WorkflowError...): its code, with the
    # code's status, whichever endpoint let it through.
    @api.exception_handler(Refused)
    def on_refused(request: HttpRequest, exc: Refused) -> HttpResponse:
        return _error(api, request, exc.code, exc.detail)

    @api.exception_handler(NinjaValidationError)
    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return _error(api, request, Common.INVALID, exc.errors)

    @api.exception_handler(DjangoValidationError)
    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return _error(api, request, Common.INVALID, detail, 400)

    @api.exception_handler(AuthenticationError)
    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _error(api, request, Common.NOT_AUTHENTICATED, _("Sign in first."))

    @api.exception_handler(PermissionDenied)
    def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return _error(api, request, Common.PERMISSION_DENIED,
                      str(exc) or _("You may not do this."))

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _error(api, request, Common.NOT_FOUND, str(exc) or _("Not found."))

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        fallback = Common.BAD_REQUEST if exc.status_code < 500 else Common.SERVER_ERROR
        code = _HTTP_CODES.get(exc.status_code, fallback)
        return _error(api, request, code, str(exc), exc.status_code)

    def on_too_large(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return _error(api, request, Common.TOO_LARGE, too_large_message())

    for limit in TOO_LARGE:
        api.exception_handler(limit)(on_too_large)

    # Django answers these with a 400 page; here they are a 400 in the API's shape.
    @api.exception_handler(SuspiciousOperation)
    def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return _error(api, request, Common.BAD_REQUEST, _("The request could not be read."))

    @api.exception_handler(BadRequest)
    def on_bad_request(request: HttpRequest, exc: BadRequest) -> HttpResponse:
        return _error(api, request, Common.BAD_REQUEST, str(exc) or
                      _("The request could not be read."))

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error", exc_info=exc)
        return _error(api, request, Common.SERVER_ERROR, _("Internal server error."))


def too_large_message() -> str:
    """What a 413 says: the limit, in the reader's language."""
    return _("The request is larger than the server accepts (%(size)s bytes of form or "
             "JSON data; files are counted by their own limits).") % {
        "size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}


#: Methods on which a session needs its CSRF token (Django's CsrfViewMiddleware).
_UNSAFE = {"post", "put", "patch", "delete"}


def document_shared_errors(schema: OpenAPISchema) -> None:
    """Add to every operation the error answers the shared machinery can give, so that the
    document lists every status each endpoint can answer:

    - 400 on any operation: an unreadable body, or a NUL or a lone surrogate anywhere in the
      request (`core.middleware.RejectNulMiddleware`);
    - 413 on any operation: over Django's limits (a body's size, a form's or a query's number
      of fields, a form's number of files);
    - 422 where there are parameters or a body: the wrong shape;
    - 401 where the operation needs a user, and 403 on the unsafe ones, which a session
      reaches only with its CSRF token.

    A form body (multipart) is also said to take other fields as ninja does, ignoring them,
    but never with a NUL in a name or a value, which the middleware refuses.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorOut", ErrorOut.model_json_schema())
    error = {"content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            statuses = {400, 413}
            body = operation.get("requestBody")
            if body:
                statuses.add(422)
                _document_form_extras(body)
            if operation.get("parameters"):
                statuses.add(422)
            if operation.get("security"):
                statuses.add(401)
                if method in _UNSAFE:
                    statuses.add(403)
            # ninja keys the responses by number; JSON makes them strings either way.
            responses = operation.setdefault("responses", {})
            listed = {int(key) for key in responses}
            for status in statuses - listed:
                responses[status] = {"description": HTTPStatus(status).phrase, **error}
            operation["responses"] = dict(sorted(responses.items(), key=lambda r: int(r[0])))


_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _document_form_extras(body: dict[str, Any]) -> None:
    for media_type, content in body.get("content", {}).items():
        form = content.get("schema", {})
        if media_type in _FORMS and "additionalProperties" not in form:
            form["additionalProperties"] = {"type": "string", "pattern": NO_NUL}
            form["propertyNames"] = {"pattern": NO_NUL}


#: Bodies an operation takes as JSON beside its declared form (`also_json`), by name.
_JSON_BODIES: dict[str, type[BaseModel]] = {}
_ALSO_JSON = "x-cityhall-also-json"


def also_json(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for an operation that takes a multipart form (declared with ninja's
    `File` and `Form`) or, instead, `model` as a JSON body, which the view reads itself with
    `json_body`: the document lists both."""
    _JSON_BODIES[model.__name__] = model
    return {_ALSO_JSON: model.__name__}


def json_body(request: HttpRequest, model: type[_Body]) -> _Body | None:
    """The request's JSON body as `model` (a 422 as ninja gives when it does not fit), or
    None when the body is not JSON (a form)."""
    if request.content_type != "application/json":
        return None
    try:
        return model.model_validate_json(request.body or b"{}")
    except PydanticValidationError as exc:
        raise NinjaValidationError([{**e, "loc": ("body", "payload", *e["loc"])}
                                    for e in exc.errors(include_url=False,
                                                        include_context=False)]) from None


def _document_json_bodies(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            name = operation.pop(_ALSO_JSON, None)
            if name is None:
                continue
            body = _JSON_BODIES[name].model_json_schema(
                ref_template="#/components/schemas/{model}")
            components.update(body.pop("$defs", {}))
            components[name] = body
            content = operation.setdefault("requestBody", {}).setdefault("content", {})
            content["application/json"] = {"schema": {"$ref": f"#/components/schemas/{name}"}}


class Api(NinjaAPI):
    """The project's NinjaAPI: its OpenAPI document lists the shared error answers too."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _document_json_bodies(schema)
        document_shared_errors(schema)
        return schema
