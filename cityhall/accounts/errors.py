"""The codes of the accounts app's refusals: who calls, with what key or token."""

from __future__ import annotations

from cityhall.core.errors import ErrorCode


class AccountCode(ErrorCode):
    """Refusals about the caller (besides `Common`'s)."""

    INVALID_TOKEN = "invalid_token", 401  # a bearer token unknown, expired or revoked
    INVALID_API_KEY = "invalid_api_key", 403  # a partner key missing, unknown or revoked
    MISSING_SCOPE = "missing_scope", 403  # a partner key without the scope asked for
    UNKNOWN_PERSON = "unknown_person", 400  # a username that names no active account
    LOCKED_OUT = "locked_out", 429  # sign-in refused after repeated failures (django-axes)
    # Residents' sign-in with a one-time code (web forms; docs/residents.md).
    INVALID_DESTINATION = "invalid_destination", 400  # neither a mobile number nor an e-mail
    WRONG_CODE = "wrong_code", 400
    CODE_EXPIRED = "code_expired", 400  # expired, used, or not this destination's
    TOO_MANY_ATTEMPTS = "too_many_attempts", 429  # the code's tries are used up
    DESTINATION_REFUSED = "destination_refused", 403  # its owner refused the city's messages
    ACCOUNT_DISABLED = "account_disabled", 403
