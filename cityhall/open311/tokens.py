"""Open311 tokens: a signed reference to a request that grants nothing but its id."""

from __future__ import annotations

from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

_SALT = "cityhall.open311.token"
_INTAKE_SALT = "cityhall.open311.intake-token"
#: Tokens of queued submissions start with this (a report's token starts with base36).
INTAKE_PREFIX = "q-"


def _mac(pk: int, salt: str = _SALT) -> str:
    return salted_hmac(salt, str(pk)).hexdigest()[:24]


def token_for(pk: int) -> str:
    """The token of the report with primary key `pk`."""
    return f"{int_to_base36(pk)}-{_mac(pk)}"


def _parse(token: str, salt: str) -> int | None:
    """The primary key in `base36-mac` if the mac is genuine for `salt`; None otherwise."""
    head, _sep, mac = token.partition("-")
    if not head or len(head) > 13 or not mac:
        return None
    try:
        pk = base36_to_int(head)
    except ValueError:
        return None
    return pk if constant_time_compare(mac, _mac(pk, salt)) else None


def pk_from_token(token: str) -> int | None:
    """The primary key a genuine token names; None for anything else."""
    return _parse(token or "", _SALT)


def intake_token_for(pk: int) -> str:
    """The token of the queued submission with primary key `pk` (before it is a report)."""
    return f"{INTAKE_PREFIX}{int_to_base36(pk)}-{_mac(pk, _INTAKE_SALT)}"


def intake_pk_from_token(token: str) -> int | None:
    """The queued submission a genuine intake token names; None for anything else."""
    if not (token or "").startswith(INTAKE_PREFIX):
        return None
    return _parse(token.removeprefix(INTAKE_PREFIX), _INTAKE_SALT)
