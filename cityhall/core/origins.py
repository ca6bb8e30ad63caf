"""Where a piece of work comes from: the apps say how to describe their pages to others.

A task given "now" remembers its origin (a report, a document ...) by a kind and a
reference (`request`, `PA-2025-000123`). The app that owns the kind registers, from its
`AppConfig.ready()`, a function that describes one such reference for one reader: its
label, its page, a title and a unit to suggest, or None when it does not exist or the
reader may not see it. `plans` asks here, so that it never imports the app it links to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Described:
    """What an origin says of itself to a reader."""

    label: str
    #: Its page on this site (a path).
    url: str
    #: A title to suggest for a task given from it.
    title: str = ""
    #: The code of the unit to suggest as the task's lead unit ("" for none).
    unit_code: str = ""
    #: Whether it may give several tasks at once (a directive).
    many: bool = False


#: (reference, reader) -> the description, or None (unknown, or not for this reader).
Describer = Callable[[str, Any], Described | None]

_describers: dict[str, Describer] = {}


def register_origin(kind: str, describer: Describer) -> None:
    """Say how an origin of `kind` describes itself (once per kind; a second `ready()` replaces)."""
    _describers[kind] = describer


def describable(kind: str) -> bool:
    """Whether an app has said how to describe origins of `kind`."""
    return kind in _describers


def describe(kind: str, ref: str, reader: Any) -> Described | None:
    """The origin `kind`/`ref` as `reader` may see it; None when unknown or hidden."""
    describer = _describers.get(kind)
    return describer(ref, reader) if describer is not None else None
