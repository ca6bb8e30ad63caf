"""Open311 tokens: a signed reference to a request that grants nothing but its id."""

from __future__ import annotations

from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

_SALT = "cityhall.open311.token"


def _mac(pk: int) -> str:
    return salted_hmac(_SALT, str(pk)).hexdigest()[:24]


def token_for(pk: int) -> str:
    """The token of the report with primary key `pk`."""
    return f"{int_to_base36(pk)}-{_mac(pk)}"


def pk_from_token(token: str) -> int | None:
    """The primary key a genuine token names; None for anything else."""
    head, _sep, mac = (token or "").partition("-")
    if not head or len(head) > 13 or not mac:
        return None
    try:
        pk = base36_to_int(head)
    except ValueError:
        return None
    return pk if constant_time_compare(mac, _mac(pk)) else None
