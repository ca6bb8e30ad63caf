"""Typed readers of environment variables that fail loudly on bad values."""

from __future__ import annotations

import os
import re


class EnvError(ValueError):
    """An environment variable holds a value that cannot be used."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    """Return a string variable, or the default; raise when neither exists."""
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise EnvError(f"{name} must be set")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    """Return a boolean variable written as 1/0, true/false, yes/no or on/off."""
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise EnvError(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    """Return an integer variable."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise EnvError(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list variable with blanks removed."""
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")


def env_rate(name: str, default: str) -> str | None:
    """Return a request rate such as `20/h` or `5/10m` (count per period), or None for `off`."""
    value = os.environ.get(name, default).strip().lower()
    if value in ("off", "0", ""):
        return None
    match = _RATE.match(value)
    if match is None or int(match.group(1)) < 1 or match.group(2) == "0":
        raise EnvError(f"{name} must be a rate such as 20/h or 5/10m (s, m, h, d), or off; "
                       f"got {value!r}")
    return value
