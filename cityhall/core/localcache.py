"""Per-process caches of reference data (registry, categories) with correct invalidation.

A value is computed from committed rows only: inside a transaction (an atomic block) the
cache is bypassed, since what that transaction reads may include its own uncommitted,
possibly rolled-back changes; unless the block runs under `caching_in_transaction()`,
whose code declares it changes no watched model (a save of one turns it off again). A
save or delete of a watched model in this process empties the cache at once and again
when its transaction commits; other processes (the other gunicorn workers, a management
command) are caught up by the time-to-live.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

# Per thread (a connection is per thread): inside `caching_in_transaction`, the caches a
# watched save emptied in the block; None outside such a block.
_local = threading.local()
# Every cache made, for `clear_all`.
_every: list[ProcessCache[Any]] = []


def clear_all() -> None:
    """Empty every process cache: for tests, whose database is rolled back after each one
    without the saves and deletes that would have emptied them."""
    for found in _every:
        found.clear()


@contextmanager
def caching_in_transaction() -> Iterator[None]:
    """Let the caches serve and fill inside the transactions this block runs.

    For work that opens a transaction but changes no reference data (the Open311 worker
    filing a report reads categories and the registry): what it reads is then what is
    committed, as outside a transaction. A cache whose model is saved or deleted in the
    block is bypassed for the rest of it.
    """
    previous = getattr(_local, "changed", None)
    _local.changed = set()
    try:
        yield
    finally:
        _local.changed = previous


class ProcessCache(Generic[T]):
    """Values by key, kept `ttl` seconds, emptied when one of `models` is saved or deleted."""

    def __init__(self, name: str, *, ttl: float, models: tuple[type[Model], ...] = (),
                 size: int = 256, keep_none: bool = True) -> None:
        self.name = name
        self.ttl = ttl
        self.size = size
        # False: a None answer (nothing found) is returned but not kept, so that a row
        # made in another process is seen at once and guesses cannot fill the cache.
        self.keep_none = keep_none
        self._values: dict[Hashable, tuple[float, T]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        for model in models:
            self.watch(model)
        _every.append(self)

    def watch(self, model: type[Model]) -> None:
        """Empty the cache whenever a `model` row is saved or deleted in this process."""
        uid = f"{self.name}:{model._meta.label}"
        post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=uid + ":save")
        post_delete.connect(self._changed, sender=model, weak=False,
                            dispatch_uid=uid + ":delete")

    def _changed(self, **_: Any) -> None:
        changed = getattr(_local, "changed", None)
        if changed is not None:
            changed.add(self.name)
        self.clear()
        # A reader in another thread may fill it again with the old committed rows
        # before this change commits: empty it once more after the commit.
        transaction.on_commit(self.clear)

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()
            self._generation += 1

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of `key`, computing it (from committed rows) when missing or old."""
        if connection.in_atomic_block:
            changed = getattr(_local, "changed", None)
            if changed is None or self.name in changed:
                return compute()
        now = time.monotonic()
        found = self._values.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1]
        generation = self._generation
        value = compute()
        if value is None and not self.keep_none:
            return value
        with self._lock:
            # Not stored when a change came in while it was computed.
            if generation == self._generation:
                if len(self._values) >= self.size:
                    self._values.clear()
                self._values[key] = (now, value)
        return value
