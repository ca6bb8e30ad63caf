"""Handlers that move open work when units merge or split.

Each app that keeps work per unit (reports, dossiers, documents, tasks, memberships)
registers one handler in its `AppConfig.ready()`:

    register_handler("reports", move_open_reports)

A handler is called as `handler(ended=unit, primary=successor, effective_on=day, actor=actor)`
once per ended unit, inside the reorganisation's transaction (so an exception undoes the
whole reorganisation), moves the unit's open work to `primary` keeping its history, and
returns how many items it moved.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cityhall.core.audit import Actor
    from cityhall.orgunits.models import Unit


class ReorganisationHandler(Protocol):
    """Moves the open work of `ended` to `primary`; returns how many items moved."""

    def __call__(
        self, *, ended: Unit, primary: Unit, effective_on: dt.date, actor: Actor
    ) -> int: ...


_handlers: dict[str, ReorganisationHandler] = {}


def register_handler(name: str, handler: ReorganisationHandler) -> None:
    """Register `handler` under `name`; registering the same one twice is harmless."""
    existing = _handlers.get(name)
    if existing is not None and existing is not handler:
        raise ValueError(f"a different reorganisation handler is already registered as {name!r}")
    _handlers[name] = handler


def unregister_handler(name: str) -> None:
    """Remove the handler registered under `name` (if any)."""
    _handlers.pop(name, None)


def handlers() -> dict[str, ReorganisationHandler]:
    """The registered handlers by name, in registration order."""
    return dict(_handlers)
