"""Periodic background jobs: each app registers its own, `cityhall worker` runs them in rounds.

An app registers its jobs from its `AppConfig.ready()`:

    jobs.register("notifications.outbox", deliver, per_round=100,
                  says=lambda r: {"sent": r.sent, "retried": r.retried, "failed": r.failed})

`run(limit)` does at most `per_round` items of work and returns a result; `says` turns
that result into counts for the worker's log. Counts that add up to `per_round` mean a
full batch, so more is probably waiting: the worker starts its next round at once instead
of sleeping. The worker knows the jobs only through this registry, so it imports no app.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

R = TypeVar("R")

#: Where a job runs in a round when it does not say: jobs with a lower `order` run first.
DEFAULT_ORDER = 50


@dataclass(frozen=True)
class Job(Generic[R]):
    """A piece of periodic work: what to call, how much per round, and what its result says."""

    name: str
    run: Callable[[int], R]
    per_round: int
    says: Callable[[R], Mapping[str, int]]
    order: int = DEFAULT_ORDER

    def run_once(self) -> Ran:
        """Run one batch of the job and say what it did."""
        started = time.monotonic()
        result = self.run(self.per_round)
        return Ran(job=self, counts=dict(self.says(result)),
                   seconds=time.monotonic() - started)


@dataclass(frozen=True)
class Ran:
    """What one batch of a job did."""

    job: Job[Any]
    counts: dict[str, int]
    seconds: float

    @property
    def done(self) -> int:
        """How many items the batch handled, whatever their outcome."""
        return sum(self.counts.values())

    @property
    def full(self) -> bool:
        """Whether the batch stopped at its limit: more work is probably waiting."""
        return self.done >= self.job.per_round

    def summary(self) -> str:
        """One line for the log: the job's name, its counts, its duration."""
        counts = ", ".join(f"{name} {count}" for name, count in self.counts.items())
        return f"{self.job.name}: {counts} ({self.seconds:.2f} s)"


_jobs: dict[str, Job[Any]] = {}


def register(name: str, run: Callable[[int], R], *, per_round: int,
             says: Callable[[R], Mapping[str, int]], order: int = DEFAULT_ORDER) -> Job[R]:
    """Add a job for `cityhall worker`: `run(limit)` does at most `per_round` items a round.

    Name it `<app label>.<what>`; a name is registered once. Jobs run in the order of
    `order`, then of registration (INSTALLED_APPS order).
    """
    if per_round < 1:
        raise ValueError(f"job {name!r}: per_round must be at least 1")
    if name in _jobs:
        raise ValueError(f"a job named {name!r} is already registered")
    job = Job(name=name, run=run, per_round=per_round, says=says, order=order)
    _jobs[name] = job
    return job


def unregister(name: str) -> None:
    """Remove a job (for tests that register their own)."""
    del _jobs[name]


def registered() -> list[Job[Any]]:
    """The registered jobs in the order a round runs them."""
    return sorted(_jobs.values(), key=lambda job: job.order)  # stable: registration order


def worker_id() -> str:
    """This process's name in the queues it claims from: host and process id (64 characters)."""
    # Looked up on each call: a forked process has its own id.
    return f"{socket.gethostname()}-{os.getpid()}"[-64:]


# -- django-tasks: queued tasks are a job too ------------------------------------

def run_queued_tasks(limit: int) -> int:
    """Run queued django-tasks tasks until the queue is empty or `limit` ran; how many ran.

    Claiming and running use django-tasks-db's own pieces (SKIP LOCKED on PostgreSQL,
    an exclusive transaction on SQLite); its polling loop is not used because the worker
    has its own.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    runner = Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=limit, worker_id=worker_id(),
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        with exclusive_transaction(ready.db):
            found = ready.get_locked()
            if found is not None:
                found.claim(runner.worker_id)
        if found is None:
            break
        runner.run_task(found)
        ran += 1
    return ran
