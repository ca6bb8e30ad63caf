"""Error codes: each written once, as a member of an app's enum, with the HTTP status every
interface (the API, Open311, the pages) answers it with.

An app that refuses things declares `class XCode(ErrorCode)` with members
`NAME = "code", status`; its exceptions carry a member, never a bare string, and an
interface reads the status from the member instead of keeping a table of its own.
`tests/test_error_codes.py` checks that docs/api.md lists every member with its status.
"""

from __future__ import annotations

from enum import StrEnum
from http import HTTPStatus
from typing import Any


class ErrorCode(StrEnum):
    """The base of every app's error codes: a string that is also the code on the wire.

    A member is declared as `NAME = "code", status` (the status defaults to 400).
    """

    status: HTTPStatus

    def __new__(cls, value: str, status: int = HTTPStatus.BAD_REQUEST) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = HTTPStatus(status)
        return member


class Refused(Exception):
    """The base of every app's refusal: `code` is an `ErrorCode` member (its status comes
    with it), `detail` is for people (a message, or fields mapped to messages)."""

    def __init__(self, code: ErrorCode, detail: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def all_codes() -> dict[str, ErrorCode]:
    """Every error code of every app that has been imported, by its string."""
    found: dict[str, ErrorCode] = {}
    pending = list(ErrorCode.__subclasses__())
    while pending:
        kind = pending.pop()
        pending.extend(kind.__subclasses__())
        for member in kind:
            found.setdefault(member.value, member)
    return found


class Common(ErrorCode):
    """The codes any part of the platform may answer: the request's shape, who calls, and
    the refusals every domain shares (a thing not found, not allowed, not in the state)."""

    BAD_REQUEST = "bad_request", 400  # the body cannot be read
    NULL_CHARACTER = "null_character", 400  # NUL, which PostgreSQL cannot store
    INVALID_TEXT = "invalid_text", 400  # not valid Unicode (a lone surrogate)
    INVALID = "invalid", 422  # the wrong shape (a service's field errors answer it as 400)
    NOT_AUTHENTICATED = "not_authenticated", 401
    PERMISSION_DENIED = "permission_denied", 403
    CSRF_FAILED = "csrf_failed", 403
    NOT_ALLOWED = "not_allowed", 403  # not this caller's to do
    NOT_FOUND = "not_found", 404  # unknown, or outside the caller's scope
    METHOD_NOT_ALLOWED = "method_not_allowed", 405
    INVALID_STATE = "invalid_state", 409  # the object's state no longer allows it
    TOO_LARGE = "too_large", 413
    RATE_LIMITED = "rate_limited", 429
    SERVER_ERROR = "server_error", 500
    COMMENT_REQUIRED = "comment_required", 400
    REASON_REQUIRED = "reason_required", 400
    # A resident's or an applicant's rating of a service (reports, dossiers).
    INVALID_RATING = "invalid_rating", 400
    ALREADY_RATED = "already_rated", 409
