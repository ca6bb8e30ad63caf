"""Template context about the signed-in person."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from cityhall.accounts.web import is_staff_member


def person(request: HttpRequest) -> dict[str, Any]:
    """`is_staff_member`: whether the visitor works for the city (asked only when used)."""
    return {"is_staff_member": SimpleLazyObject(
        lambda: is_staff_member(getattr(request, "user", None)))}
