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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
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
#: The facts held back by `deferred()` in this context (None: told at once).
_held: ContextVar[list[Fact] | None] = ContextVar("facts_held", default=None)


def register(listener: Listener) -> None:
    """Have `listener` told every fact (once, however often the app is made ready)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unregister(listener: Listener) -> None:
    """Stop telling `listener` (tests)."""
    if listener in _listeners:
        _listeners.remove(listener)


def tell(facts: Sequence[Fact]) -> None:
    """Tell every listener `facts`, in the caller's transaction (a listener's error undoes it).

    Inside `deferred()` the facts are held and told together when it ends.
    """
    if not facts:
        return
    held = _held.get()
    if held is not None:
        held.extend(facts)
        return
    for listener in _listeners:
        listener(facts)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold the facts told inside the block and tell them at once when it ends (not when it
    raises): a writer that holds a contended lock (a dossier's code counter) writes its
    roll-ups in one statement, last, so the roll-up rows stay locked for the shortest time."""
    if _held.get() is not None:  # already deferred by an outer block: it tells them
        yield
        return
    token = _held.set([])
    try:
        yield
        facts = _held.get() or []
    finally:
        _held.reset(token)
    tell(facts)
