"""`cityhall worker`: run the jobs the apps registered (core.jobs) in rounds, until told to stop."""

from __future__ import annotations

import logging
import select
import signal
import socket
import threading
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from cityhall.core import jobs

logger = logging.getLogger(__name__)

#: The signals that ask for a clean stop: the one a supervisor sends, and Ctrl-C.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequest:
    """A stop asked for by a signal, and a sleep that such a signal ends at once.

    The handler only sets a flag and writes a byte to a socket pair: nothing in it takes a
    lock the interrupted code might hold (a `threading.Event` would, and could deadlock).
    """

    def __init__(self) -> None:
        self.signal = ""
        self._wake, self._wakeup = socket.socketpair()
        self._wakeup.setblocking(False)

    def __bool__(self) -> bool:
        return bool(self.signal)

    def ask(self, reason: str) -> None:
        """Ask the worker to stop after the current batch (safe in a signal handler)."""
        self.signal = reason
        with suppress(OSError):  # the buffer is full: a wake-up is already waiting
            self._wakeup.send(b"!")

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`, or less if a stop is asked for meanwhile."""
        if not self:
            select.select([self._wake], [], [], seconds)

    def close(self) -> None:
        self._wake.close()
        self._wakeup.close()


@contextmanager
def stop_on_signals(stop: StopRequest) -> Iterator[None]:
    """While inside, SIGTERM or SIGINT asks `stop`; a second one acts as it normally would.

    A signal the worker was started with ignored stays ignored: a shell ignores SIGINT for
    the commands it starts in the background (`make run`), so a Ctrl-C meant for the web
    server does not reach the worker, which the Makefile then stops with SIGTERM.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals (e.g. a test calling the command)
        return
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS
                if signal.getsignal(signum) is not signal.SIG_IGN}

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.ask(signal.Signals(signum).name)
        # A second signal is not needed for a clean stop; one sent anyway stops at once.
        for number in previous:
            signal.signal(number, signal.SIG_DFL)

    for signum in previous:
        signal.signal(signum, handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Command(BaseCommand):
    help = ("Run the background jobs that the apps registered (named when it starts) in "
            "rounds. SIGTERM or SIGINT lets the current batch finish, then exits.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=5.0,
                            help="seconds between rounds when no job has a backlog")
        parser.add_argument("--once", action="store_true", help="run one round and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        registered = jobs.registered()
        self._say(f"worker {jobs.worker_id()} started: "
                          f"{', '.join(job.name for job in registered)}")
        stop = StopRequest()
        try:
            with stop_on_signals(stop):
                self._loop(registered, stop, once=options["once"],
                           interval=options["interval"])
        finally:
            stop.close()
        if stop:
            self._say(f"worker {jobs.worker_id()} stopped ({stop.signal})")

    def _say(self, line: str) -> None:
        # Flushed at once: a worker's output goes to a pipe or a journal, not a terminal.
        self.stdout.write(line)
        self.stdout.flush()

    def _loop(self, registered: list[jobs.Job[Any]], stop: StopRequest, *, once: bool,
              interval: float) -> None:
        """Run rounds until `stop` is asked for (or one round with `once`)."""
        while not stop:
            backlog, failed = self._round(registered, stop)
            if once:
                if failed:
                    raise CommandError(f"failed: {', '.join(failed)}")
                return
            close_old_connections()  # drop connections that died or aged out while idle
            if not backlog:
                stop.sleep(interval)

    def _round(self, registered: list[jobs.Job[Any]], stop: StopRequest) -> tuple[bool, list[str]]:
        """Run each job's batch once; (whether one had a full batch, the jobs that failed)."""
        backlog = False
        failed: list[str] = []
        for job in registered:
            if stop:
                self._say(f"{stop.signal}: the current batch is finished, stopping")
                break  # told to stop: start no other batch
            try:
                ran = job.run_once()
            except Exception:
                # One job's failure (a bug, the database away) does not stop the others;
                # the job is tried again next round.
                logger.exception("job %s failed", job.name)
                failed.append(job.name)
                close_old_connections()
                continue
            if ran.done:
                self._say(ran.summary())
            backlog = backlog or ran.full
        return backlog, failed
