"""The one error the reports services raise, and the codes only reports give."""

from __future__ import annotations

from typing import Any

from cityhall.core.errors import Common, ErrorCode, Refused
from cityhall.workflow.engine import WorkflowCode


class ReportCode(ErrorCode):
    """The refusals of the reports services (they also give `Common`'s and the engine's)."""

    UNKNOWN_CATEGORY = "unknown_category", 400
    INVALID_CHANNEL = "invalid_channel", 400
    CHANNEL_NOT_ALLOWED = "channel_not_allowed", 403
    BUSINESS_ACCOUNT_REQUIRED = "business_account_required", 403
    ANONYMOUS_NOT_ALLOWED = "anonymous_not_allowed", 400
    INVALID_ATTRIBUTE = "invalid_attribute", 400
    INVALID_LOCATION = "invalid_location", 400
    PLACE_REQUIRED = "place_required", 400
    # A point or address in no unit of the city (the registry's own look-up answers 404
    # `unknown_place`; filing a report there is a bad request).
    PLACE_OUTSIDE_CITY = "place_outside_city", 400
    NO_HANDLER = "no_handler", 400
    INVALID_CONTACT = "invalid_contact", 400
    INVALID_MEDIA_URL = "invalid_media_url", 400
    DESCRIPTION_REQUIRED = "description_required", 400
    DESCRIPTION_TOO_LONG = "description_too_long", 400
    REPLY_REQUIRED = "reply_required", 400
    REPLY_TOO_LONG = "reply_too_long", 400
    REASON_TOO_LONG = "reason_too_long", 400
    RESPONSIBLE_REQUIRED = "responsible_required", 400
    NOT_REPORTER = "not_reporter", 403
    ALREADY_CLAIMED = "already_claimed", 409  # the report belongs to an account already
    REOPEN_WINDOW_PASSED = "reopen_window_passed", 409
    PHOTO_WINDOW_PASSED = "photo_window_passed", 409
    INVALID_TARGET = "invalid_target", 400
    INVALID_ORIGINAL = "invalid_original", 400
    UNKNOWN_ASSIGNEE = "unknown_assignee", 400
    PHOTOS_REQUIRED = "photos_required", 400
    TOO_MANY_PHOTOS = "too_many_photos", 400
    # The file layer's refusals of a photo (`core.files.FileError`, prefixed).
    PHOTO_TYPE = "photo_type", 400
    PHOTO_TOO_LARGE = "photo_too_large", 400
    PHOTO_TOO_MANY_PIXELS = "photo_too_many_pixels", 400
    PHOTO_INFECTED = "photo_infected", 400
    # The virus scanner could not answer: the upload may be fine, try again later.
    PHOTO_SCAN_FAILED = "photo_scan_failed", 503


#: Every code a reports refusal may carry.
Code = ReportCode | WorkflowCode | Common


class ReportError(Refused):
    """A report action refused; `code` is stable, `detail` is for people (or maps fields)."""

    code: Code

    def __init__(self, code: Code, detail: Any) -> None:
        super().__init__(code, detail)
