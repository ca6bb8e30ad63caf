"""Tables used as work queues: claim due rows safely in several workers, retry with backoff.

A queue is a model whose pending rows carry `attempts` and `next_attempt_at`. Workers
claim due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so a row one worker holds is
skipped by the others; on SQLite the project's IMMEDIATE transactions serialise
writers), and a failed attempt is put back with an exponentially growing, slightly
jittered delay until the last attempt gives up. Two ways to claim:

- `WorkQueue.lock`: the rows stay locked for the caller's transaction, which does the
  work and records its outcome before committing (work that is all database writes: a
  crash rolls everything back and leaves the row pending);
- `WorkQueue.lease`: the rows are marked as taken by one worker for a while and the
  transaction ends at once (work that talks to the outside world, which no transaction
  can undo: a crash leaves the lease to run out, then another worker takes the row).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import models, transaction
from django.db.models import Q, QuerySet

M = TypeVar("M", bound=models.Model)

# Past this many doublings the delay is far beyond any cap (and 2**n no longer fits a timedelta).
_MAX_DOUBLINGS = 40


def backoff(attempts: int, *, first: dt.timedelta, cap: dt.timedelta | None = None,
            jitter: float = 0.0, spread: float = 0.0) -> dt.timedelta:
    """The wait after failed attempt number `attempts` (1 for the first failure).

    `first`, doubled for each further attempt and held at `cap`; then lengthened by
    `jitter * spread` of itself (`spread` in [0, 1), drawn at random by the caller), so rows
    that failed together do not all come back at the same moment. A retry never comes
    sooner than the plain doubling says.
    """
    if attempts < 1:
        raise ValueError(f"attempts counts from 1, not {attempts}")
    if not 0.0 <= spread < 1.0 or jitter < 0.0:
        raise ValueError("spread must be in [0, 1) and jitter not negative")
    seconds = first.total_seconds() * 2.0 ** min(attempts - 1, _MAX_DOUBLINGS)
    if cap is not None:
        seconds = min(seconds, cap.total_seconds())
    return dt.timedelta(seconds=seconds * (1.0 + jitter * spread))


@dataclass(frozen=True)
class Retry:
    """How a queue retries: the first delay, doubling up to `cap`, jitter, the last attempt."""

    first: dt.timedelta
    max_attempts: int
    cap: dt.timedelta | None = None
    jitter: float = 0.1

    def delay(self, attempts: int, spread: float = 0.0) -> dt.timedelta:
        """The wait after failed attempt number `attempts` (see `backoff`)."""
        return backoff(attempts, first=self.first, cap=self.cap, jitter=self.jitter,
                       spread=spread)

    def gives_up(self, attempts: int) -> bool:
        """Whether a row that has failed `attempts` times is given up."""
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class Failure:
    """A row's changes after one more failed attempt: a later retry, or given up."""

    attempts: int
    gave_up: bool
    changes: dict[str, Any]


@dataclass(frozen=True)
class Lease:
    """The columns that say which worker holds a row, and until when; how long it holds it."""

    by: str = "claimed_by"
    until: str = "claimed_until"
    length: dt.timedelta = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class WorkQueue(Generic[M]):
    """A model's pending rows as a queue: which rows are waiting, how they are retried."""

    model: type[M]
    pending: Q
    #: None for a schedule rather than a queue of attempts: rows fall due at a time and
    #: are never failed (the deadline sweep).
    retry: Retry | None = None
    #: Set on a row given up after its last attempt (its status, typically).
    given_up: dict[str, Any] = field(default_factory=dict)
    lease_columns: Lease | None = None
    attempts_field: str = "attempts"
    due_field: str = "next_attempt_at"

    def due(self, now: dt.datetime, among: QuerySet[M] | None = None) -> QuerySet[M]:
        """The pending rows whose next attempt is due at `now`, oldest due first."""
        rows = self.model._default_manager.all() if among is None else among
        return (rows.filter(self.pending, **{f"{self.due_field}__lte": now})
                .order_by(self.due_field, "pk"))

    def lock(self, *, now: dt.datetime, limit: int, among: QuerySet[M] | None = None
             ) -> list[M]:
        """Claim up to `limit` due rows for the caller's transaction, skipping rows others hold.

        Call it inside `transaction.atomic()`: the rows stay locked until that transaction
        ends, so the work and its outcome commit together, or neither does.
        """
        if not transaction.get_connection(self.model._default_manager.db).in_atomic_block:
            raise transaction.TransactionManagementError("WorkQueue.lock needs a transaction")
        rows = self.due(now, among).select_for_update(skip_locked=True, of=("self",))
        return list(rows[:limit])

    def lease(self, *, worker: str, now: dt.datetime, limit: int,
              among: QuerySet[M] | None = None) -> list[M]:
        """Claim up to `limit` due rows for `worker` for the lease's length, in a short transaction.

        A row whose lease ran out (its worker died) is due again. The rows are returned
        with their lease, oldest first; `release` ends it. `among`: only those rows.
        """
        lease = self._lease()
        with transaction.atomic(using=self.model._default_manager.db):
            free = self.due(now, among).filter(Q(**{f"{lease.until}__isnull": True})
                                        | Q(**{f"{lease.until}__lt": now}))
            ids = list(free.select_for_update(skip_locked=True)
                       .values_list("pk", flat=True)[:limit])
            if not ids:
                return []
            # The condition is repeated so that, without row locks (SQLite), a row another
            # worker leased in between is not taken twice.
            free.filter(pk__in=ids).update(**{lease.by: worker, lease.until: now + lease.length})
        # In the order they were written: a person told twice hears the older news first.
        return list(self.model._default_manager.filter(pk__in=ids, **{lease.by: worker})
                    .order_by("pk"))

    def release(self, row: M, *, worker: str, **changes: Any) -> bool:
        """End `worker`'s lease on `row`, writing `changes`; False if the lease was lost."""
        lease = self._lease()
        return bool(self.model._default_manager.filter(pk=row.pk, **{lease.by: worker})
                    .update(**{lease.by: "", lease.until: None, **changes}))

    def failure(self, row: M, *, now: dt.datetime, spread: float | None = None) -> Failure:
        """The changes after one more failed attempt on `row`: retried later, or given up."""
        if self.retry is None:
            raise TypeError(f"{self.model._meta.label}'s queue does not retry")
        attempts = int(getattr(row, self.attempts_field)) + 1
        if self.retry.gives_up(attempts):
            return Failure(attempts, True, {self.attempts_field: attempts, **self.given_up})
        if spread is None:
            spread = random.random()  # noqa: S311 (spreading retries, not a secret)
        return Failure(attempts, False, {self.attempts_field: attempts,
                                         self.due_field: now + self.retry.delay(attempts, spread)})

    def _lease(self) -> Lease:
        if self.lease_columns is None:
            raise TypeError(f"{self.model._meta.label} has no lease columns")
        return self.lease_columns
