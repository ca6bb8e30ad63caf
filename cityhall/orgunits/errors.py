"""The codes of the registry's refusals."""

from __future__ import annotations

from cityhall.core.errors import ErrorCode


class RegistryCode(ErrorCode):
    """Refusals of the registry's look-ups (besides `Common`'s)."""

    MISSING_PARAMETER = "missing_parameter", 400  # neither an address nor a whole point
    UNKNOWN_PLACE = "unknown_place", 404  # the place lies in no unit
    NO_BOUNDARY = "no_boundary", 404  # the unit exists; no boundary is on record for it
