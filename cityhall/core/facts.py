"""Facts about cases that the roll-ups count, told to listeners inside the writer's transaction.

The workflow engine tells one fact per step it writes (`start`, `resolve`, ...); a domain
service tells the facts the engine does not see (a report's rating, a dossier's components).
A listener (the indicators' daily roll-ups) registers from its `AppConfig.ready()`; it is
called in the same transaction as the change, so a roll-up moves with the change or not at
all. A batch is told at once (one call for many facts), so that a listener can write once
per batch. Core knows no listener: the arrow still points down.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fact:
    """One thing that happened to a case: what, when, in which unit, against which deadline.

    `case_type` is the case model's label (`reports.report`), `kind` the engine's action
    (`start`, `resolve`, ...) or the domain's own fact (`rated`, `components`); `value`
    and `extra` carry what a domain fact measures (the rating; counts of components).
    """

    case_type: str
    case: Any
    kind: str
    at: dt.datetime
    unit_id: int | None
    due_at: dt.datetime | None = None
    value: int = 1
    extra: tuple[tuple[str, int], ...] = ()


Listener = Callable[[Sequence[Fact]], None]
_listeners: list[Listener] = []


def register(listener: Listener) -> None:
    """Have `listener` told every fact (once, however often the app is made ready)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unregister(listener: Listener) -> None:
    """Stop telling `listener` (tests)."""
    if listener in _listeners:
        _listeners.remove(listener)


def tell(facts: Sequence[Fact]) -> None:
    """Tell every listener `facts`, in the caller's transaction (a listener's error undoes it)."""
    if not facts:
        return
    for listener in _listeners:
        listener(facts)
