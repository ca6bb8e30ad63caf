"""`cityhall worker`: the registered jobs run in rounds, a signal stops it cleanly, workers
never double up."""

from __future__ import annotations

import ast
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from cityhall.core import jobs
from cityhall.notifications.models import OutboxMessage
from cityhall.workflow import engine
from cityhall.workflow.models import ExampleCase, Transition
from cityhall.workflow.tasks import sweep_now
from tests.workflow_support import FakeGateway, new_case, run_together, ward_staff

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_one_worker_round_sweeps_delivers_and_runs_queued_tasks() -> None:
    staff = ward_staff()
    long_ago = timezone.now() - dt.timedelta(days=60)
    case = new_case(staff, long_ago)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=long_ago)
    result = sweep_now.enqueue()
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    case.refresh_from_db()
    # Long overdue: reminded, escalated and finally auto-closed, in one round.
    assert case.state == "expired"
    assert case.escalation_level == 1
    assert OutboxMessage.objects.filter(status="pending").count() == 0
    assert OutboxMessage.objects.filter(status="sent").count() >= 1
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"
    # The sweep job reminded; the queued sweep task (run after it in the round) did the rest.
    assert "workflow.sweep: reminded 1, escalated 0" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL: SKIP LOCKED with truly concurrent writers")
def test_two_workers_escalate_each_of_1000_overdue_cases_exactly_once(
    committed_registry: None,
) -> None:
    staff = ward_staff()
    template = new_case(staff, timezone.now())
    past = timezone.now() - dt.timedelta(hours=1)
    ExampleCase.objects.bulk_create(
        ExampleCase(
            title=f"overdue {i}", unit=staff.ward, workflow=template.workflow,
            state="in_progress", assignee=staff.officer, started_at=past, due_at=past,
            state_due_at=past, sweep_stage=engine.OVERDUE, next_sweep_at=past,
        )
        for i in range(1000)
    )
    now = timezone.now()
    results = run_together(lambda: engine.sweep(now=now, batch=50),
                           lambda: engine.sweep(now=now, batch=50))
    assert sum(r.escalated for r in results) == 1000
    assert all(r.escalated > 0 for r in results), "both workers took a share"
    per_case = (Transition.objects.filter(action="escalate").values("case_id")
                .annotate(n=Count("id")))
    assert per_case.count() == 1000
    assert {row["n"] for row in per_case} == {1}
    assert not ExampleCase.objects.filter(escalation_level__gt=1).exists()


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL: truly concurrent writers on one row")
def test_two_people_acting_on_one_case_at_once_are_applied_one_after_the_other(
    committed_registry: None,
) -> None:
    staff = ward_staff()
    case = new_case(staff, timezone.now())
    # Each request holds its own copy of the case, read before either acts.
    first, second = (ExampleCase.objects.select_related("unit").get(pk=case.pk)
                     for _ in range(2))
    run_together(
        lambda: engine.perform(first, "assign", actor=staff.clerk, assignee=staff.officer),
        lambda: engine.perform(second, "assign", actor=staff.leader,
                               assignee=staff.other_officer),
    )
    case.refresh_from_db()
    history = list(engine.history(case))
    assert [t.seq for t in history] == [1, 2, 3] and case.steps == 3
    # The second one was checked against the row the first one left, not its stale copy.
    assert [t.from_state for t in history[1:]] == ["received", "in_progress"]
    assert case.assignee_id == history[-1].assignee_id


# -- the registry -----------------------------------------------------------------

def test_the_apps_register_their_jobs_and_a_round_runs_them_in_order() -> None:
    names = [job.name for job in jobs.registered()]
    # The outbox last: what the other jobs wrote in a round goes out in that round.
    # The plans' reminders write notices, so they too come before the outbox.
    assert names == ["workflow.sweep", "plans.reminders", "open311.intake", "core.tasks",
                     "notifications.drop_held", "notifications.outbox", "core.file_orphans"]


def test_a_job_name_is_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "_jobs", {})  # no database: the `own_jobs` fixture is not needed
    jobs.register("test.once", lambda limit: 0, per_round=1, says=lambda n: {"done": n})
    with pytest.raises(ValueError, match="already registered"):
        jobs.register("test.once", lambda limit: 0, per_round=1, says=lambda n: {"done": n})
    with pytest.raises(ValueError, match="per_round"):
        jobs.register("test.none", lambda limit: 0, per_round=0, says=lambda n: {"done": n})


def test_the_worker_and_its_helpers_import_no_app() -> None:
    # The worker knows the apps' jobs only through the registry; its helpers sit below
    # every app.
    core = ROOT / "cityhall" / "core"
    files = [core / "jobs.py", core / "queue.py", core / "apps.py",
             core / "management" / "commands" / "worker.py"]
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.relative_to(ROOT)}: {name}" for name in names
                      if name.startswith("cityhall.") and not name.startswith("cityhall.core")]
    assert found == []


class SignalReachedTheTest(BaseException):
    """A signal meant for the worker was not handled by it (not an Exception: the worker
    must not take it for a failing job)."""


@pytest.fixture
def own_jobs(monkeypatch: pytest.MonkeyPatch, transactional_db: None) -> Iterator[None]:
    """An empty registry: the test registers its own jobs and sends signals to itself.

    Transactional: between rounds the worker drops stale connections, which would end a
    test's wrapping transaction. A signal that the worker leaves unhandled fails the test
    instead of ending the test run.
    """
    monkeypatch.setattr(jobs, "_jobs", {})

    def unhandled(signum: int, frame: object) -> None:
        raise SignalReachedTheTest(signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, unhandled)
                for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _kill_self(signum: int = signal.SIGTERM) -> None:
    os.kill(os.getpid(), signum)


@pytest.mark.usefixtures("own_jobs")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_signal_lets_the_batch_finish_and_starts_no_other(signum: int) -> None:
    done: list[str] = []

    def batch(limit: int) -> int:
        done.append("first started")
        _kill_self(signum)  # arrives mid-batch...
        time.sleep(0.05)
        done.append("first finished")  # ...and the batch still finishes
        return limit

    jobs.register("test.first", batch, per_round=10, says=lambda n: {"done": n})
    def second(limit: int) -> int:
        done.append("second")
        return 0

    jobs.register("test.second", second, per_round=10, says=lambda n: {"done": n})
    out = StringIO()
    call_command("worker", "--interval", "3600", stdout=out)  # returns: no exception, exit 0
    # A full batch would have started the next round at once; the stop wins.
    assert done == ["first started", "first finished"]
    name = signal.Signals(signum).name
    assert f"{name}: the current batch is finished, stopping" in out.getvalue()
    assert f"stopped ({name})" in out.getvalue()
    # The command put the handlers back: a signal now reaches the test.
    with pytest.raises(SignalReachedTheTest):
        _kill_self(signum)
        time.sleep(1)


@pytest.mark.usefixtures("own_jobs")
def test_a_full_batch_starts_the_next_round_at_once() -> None:
    batches = iter([5, 5, 5, 2])
    rounds: list[int] = []

    def backlog(limit: int) -> int:
        rounds.append(limit)
        count = next(batches)
        if count < limit:
            _kill_self()  # the backlog is done: stop instead of sleeping
        return count

    jobs.register("test.backlog", backlog, per_round=5, says=lambda n: {"handled": n})
    out = StringIO()
    started = time.monotonic()
    call_command("worker", "--interval", "30", stdout=out)
    assert rounds == [5, 5, 5, 5]
    assert time.monotonic() - started < 10, "slept between full batches"
    assert out.getvalue().count("test.backlog: handled 5 (") == 3
    assert "test.backlog: handled 2 (" in out.getvalue()


@pytest.mark.usefixtures("own_jobs")
def test_a_failing_job_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    def broken(limit: int) -> int:
        ran.append("broken")
        raise RuntimeError("bug in a job")

    def fine(limit: int) -> int:
        ran.append("fine")
        if len(ran) > 2:
            _kill_self()
        return 0

    jobs.register("test.broken", broken, per_round=1, says=lambda n: {"done": n})
    jobs.register("test.fine", fine, per_round=1, says=lambda n: {"done": n})
    call_command("worker", "--interval", "0", stdout=StringIO())
    # The broken job is tried again next round; the other one runs in every round.
    assert ran == ["broken", "fine", "broken", "fine"]
    assert "job test.broken failed" in caplog.text and "bug in a job" in caplog.text
    # With --once, a failure is the command's exit status.
    with pytest.raises(CommandError, match=r"test\.broken"):
        call_command("worker", "--once", stdout=StringIO())


@pytest.mark.usefixtures("own_jobs")
def test_a_round_that_did_nothing_writes_no_line() -> None:
    jobs.register("test.idle", lambda limit: 0, per_round=1, says=lambda n: {"done": n})
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "test.idle" in out.getvalue()  # named at start...
    assert "test.idle:" not in out.getvalue()  # ...but no line for a round with nothing done


# -- a real worker process, stopped by a signal ------------------------------------

def _database_for_another_process(tmp_path: Path) -> str:
    """A DATABASE_URL that shows another process this test's (committed) data.

    PostgreSQL: the test database itself. SQLite: the test database is in memory, so it is
    copied to a file (`_take_back` copies it back once the other process is done).
    """
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(tmp_path / "db.sqlite3")
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"
    user = quote(conf["USER"] or "")
    if conf["PASSWORD"]:
        user += ":" + quote(conf["PASSWORD"])
    return (f"postgres://{user}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/"
            f"{quote(conf['NAME'])}")


def _take_back(tmp_path: Path) -> None:
    """SQLite: make the file the other process changed this test's database again."""
    if connection.vendor == "sqlite":
        source = sqlite3.connect(tmp_path / "db.sqlite3")
        source.backup(connection.connection)
        source.close()


@contextmanager
def worker_process(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
                   ignoring_sigint: bool = False,
                   ) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`cityhall worker` running in a process of its own, on this test's database.

    `ignoring_sigint`: started as a shell starts a command in the background (`make run`).
    """
    output = tmp_path / "worker.out"
    environment = {**os.environ, "DEBUG": "1", "PYTHONUNBUFFERED": "1",
                   "DATABASE_URL": _database_for_another_process(tmp_path), **(env or {})}
    command = [sys.executable, "-m", "cityhall.cli", "worker", *args]
    if ignoring_sigint:
        command = ["/bin/sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
    with output.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own command)
            command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process, output
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    _take_back(tmp_path)


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.02)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_worker_process_signalled_mid_batch_finishes_it_and_exits_0(
    transactional_db: None, tmp_path: Path, settings: Settings, signum: int,
) -> None:
    # 130 messages: the outbox's batch is 100, so a second batch is waiting.
    OutboxMessage.objects.bulk_create(
        OutboxMessage(channel="sms", address=f"090{n:07d}", subject=f"Tin {n}", body="...")
        for n in range(130))
    gateway = FakeGateway(delay=0.02)  # a slow gateway: the batch takes a moment
    gateway.up = True
    env = {"CITYHALL_SMS_GATEWAY_URL": gateway.url, "CITYHALL_SMS_GATEWAY_KEY": "sekret"}
    try:
        with worker_process(tmp_path, "--interval", "3600", env=env) as (process, output):
            _wait_for(lambda: len(gateway.received) >= 5 or process.poll() is not None,
                      "the worker's first messages")
            assert process.poll() is None, output.read_text()
            process.send_signal(signum)  # mid-batch: 5 of its 100 messages sent
            assert process.wait(timeout=120) == 0, output.read_text()
        text = output.read_text()
        assert "notifications.outbox: sent 100, retried 0, failed 0" in text
        assert f"stopped ({signal.Signals(signum).name})" in text
        # The batch is all done; the next one was not started: its rows are untouched.
        assert len(gateway.received) == len({r["key"] for r in gateway.received}) == 100
        assert OutboxMessage.objects.filter(status="sent", attempts=1).count() == 100
        waiting = OutboxMessage.objects.filter(status="pending")
        assert waiting.count() == 30
        assert set(waiting.values_list("attempts", "claimed_by", "claimed_until")) == {
            (0, "", None)}
        # Nothing lost, nothing sent twice: the next worker sends the other 30, once each.
        settings.CITYHALL_MESSAGE_GATEWAYS = {"sms": (gateway.url, "sekret")}
        call_command("worker", "--once", stdout=StringIO())
        assert len(gateway.received) == len({r["key"] for r in gateway.received}) == 130
        assert OutboxMessage.objects.filter(status="sent", attempts=1).count() == 130
    finally:
        gateway.close()


def test_an_idle_worker_process_stops_at_once_on_sigterm(transactional_db: None,
                                                         tmp_path: Path) -> None:
    with worker_process(tmp_path, "--interval", "3600") as (process, output):
        _wait_for(lambda: b"started" in output.read_bytes() or process.poll() is not None,
                  "the worker to start")
        time.sleep(1)  # its first round is over: it sleeps
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, output.read_text()
        assert time.monotonic() - started < 10
    assert "stopped (SIGTERM)" in output.read_text()


def test_a_worker_started_in_the_background_ignores_sigint_and_stops_on_sigterm(
    transactional_db: None, tmp_path: Path,
) -> None:
    # `make run`: Ctrl-C stops the web server; the worker, started with SIGINT ignored by
    # the shell, keeps running until the Makefile's trap sends it SIGTERM.
    with worker_process(tmp_path, "--interval", "3600", ignoring_sigint=True) as (
            process, output):
        _wait_for(lambda: b"started" in output.read_bytes() or process.poll() is not None,
                  "the worker to start")
        process.send_signal(signal.SIGINT)
        time.sleep(1)
        assert process.poll() is None, output.read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, output.read_text()
    assert "stopped (SIGTERM)" in output.read_text()
