"""Benchmark the workflow engine on PostgreSQL: transitions per second, and one deadline sweep.

Usage: .venv/bin/python bench/workflow.py [--db postgres://postgres@127.0.0.1:5432/cityhall_bench]
The database named in --db is dropped and created afresh (it must be a scratch database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, recreate


def backend_seconds(pid: int) -> float:
    """CPU seconds (user + system) the database backend process `pid` has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")  # not on this machine (a remote database)
    # utime and stime are fields 14 and 15 of stat; [0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuClock:
    """CPU time used by this process and by its database backend: unlike wall time, it
    barely moves when other work shares the machine's cores."""

    def __init__(self, backend_pid: int) -> None:
        self.pid = backend_pid
        self.began = (time.process_time(), backend_seconds(backend_pid))

    def per(self, count: int) -> str:
        """Milliseconds of CPU per unit of work since the clock started."""
        here = (time.process_time() - self.began[0]) * 1000 / count
        there = (backend_seconds(self.pid) - self.began[1]) * 1000 / count
        return f"CPU {here:.2f} ms here + {there:.2f} ms in the database backend"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/cityhall_bench")
    parser.add_argument("--transitions", type=int, default=3000)
    parser.add_argument("--open-cases", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=50,
                        help="cases per engine.perform_many call in the batched run (the staff "
                             "queue's page is 50)")
    parser.add_argument("--cached-roles", action="store_true",
                        help="keep each user's roles and scope between actions (the first "
                             "bench did), instead of reading them per action as a request does")
    args = parser.parse_args()

    recreate(args.db)
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityhall.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from cityhall.accounts.models import Membership, User
    from cityhall.accounts.scope import forget_scope
    from cityhall.orgunits.models import Unit
    from cityhall.workflow import engine
    from cityhall.workflow.models import ExampleCase

    call_command("migrate", verbosity=0)
    call_command("load_units", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        db_version = cur.fetchone()[0].split(",")[0]
        cur.execute("SELECT pg_backend_pid()")
        backend_pid = cur.fetchone()[0]

    ward = Unit.objects.active_on().commune_level().order_by("code").first()
    assert ward is not None, "the registry is loaded above"
    start_day = dt.date(2020, 1, 1)
    people = {}
    for role in ("clerk", "officer", "leader"):
        user = User.objects.create_user(username=f"bench-{role}", email=f"{role}@bench.test",
                                        kind="staff")
        Membership.objects.create(user=user, unit=ward, role=role, valid_from=start_day)
        people[role] = user
    clerk, officer, leader = people["clerk"], people["officer"], people["leader"]

    # 1. Transitions per second: each case goes assign -> submit_for_review -> send_back,
    #    one transaction per action, with its audit entry and notifications.
    per_case = 3
    cases = []
    for i in range(args.transitions // per_case + 20):
        case = ExampleCase(title=f"bench {i}", unit=ward)
        engine.start(case, actor=clerk)
        cases.append(case)
    warmup, cases = cases[:20], cases[20:]

    def fresh_users() -> None:
        # A request gets fresh user objects: the roles and the assignee's scope are read
        # again for every action, not kept from the previous one.
        for user in () if args.cached_roles else (clerk, officer, leader):
            forget_scope(user)  # the scope and the workflow roles

    def run(case: ExampleCase) -> None:
        fresh_users()
        engine.perform(case, "assign", actor=clerk, assignee=officer)
        engine.perform(case, "submit_for_review", actor=officer)
        engine.perform(case, "send_back", actor=leader, comment="bổ sung")

    # Statements per action, counted on cases outside the timed run (BEGIN/COMMIT excluded).
    connection.queries_log.clear()  # the log is bounded: a full one captures nothing
    with CaptureQueriesContext(connection) as queries:
        for case in warmup:
            run(case)
    statements = [q for q in queries.captured_queries if q["sql"] not in {"BEGIN", "COMMIT"}]
    per_action = len(statements) / (len(warmup) * per_case)
    load_before = os.getloadavg()
    began = time.perf_counter()
    cpu = CpuClock(backend_pid)
    for case in cases:
        run(case)
    elapsed = time.perf_counter() - began
    done = len(cases) * per_case
    rate = done / elapsed
    cpu_single = cpu.per(done)

    # 1b. The same three actions through `engine.perform_many`, `--batch` cases per call and
    #     per transaction, as the staff queue's bulk actions take them.
    batched = []
    for i in range(args.transitions // per_case):
        case = ExampleCase(title=f"batched {i}", unit=ward)
        engine.start(case, actor=clerk)
        batched.append(case)
    groups = [batched[i:i + args.batch] for i in range(0, len(batched), args.batch)]

    def run_batch(group: list[ExampleCase]) -> None:
        fresh_users()
        engine.perform_many(group, "assign", actor=clerk, assignee=officer)
        engine.perform_many(group, "submit_for_review", actor=officer)
        engine.perform_many(group, "send_back", actor=leader, comment="bổ sung")

    connection.queries_log.clear()  # the log is bounded: a full one captures nothing
    with CaptureQueriesContext(connection) as queries:
        run_batch(groups[0])
    batch_statements = len([q for q in queries.captured_queries
                            if q["sql"] not in {"BEGIN", "COMMIT"}]) / per_case
    began = time.perf_counter()
    cpu = CpuClock(backend_pid)
    for group in groups[1:]:
        run_batch(group)
    batch_elapsed = time.perf_counter() - began
    batch_done = sum(len(g) for g in groups[1:]) * per_case
    batch_rate = batch_done / batch_elapsed
    cpu_batched = cpu.per(batch_done)

    # 2. A sweep over many open cases of which some are overdue (escalated to the leader).
    now = timezone.now()
    template = cases[0]
    past, future = now - dt.timedelta(hours=1), now + dt.timedelta(days=30)
    batch = []
    for i in range(args.open_cases):
        overdue = i < args.overdue
        batch.append(ExampleCase(
            title=f"open {i}", unit=ward, workflow_id=template.workflow_id, state="in_progress",
            assignee=officer, started_at=past, due_at=past if overdue else future,
            state_due_at=past if overdue else future,
            sweep_stage=engine.OVERDUE, next_sweep_at=past if overdue else future,
        ))
        if len(batch) == 5000:
            ExampleCase.objects.bulk_create(batch)
            batch = []
    ExampleCase.objects.bulk_create(batch)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    began = time.perf_counter()
    cpu = CpuClock(backend_pid)
    result = engine.sweep(now=now)
    sweep_seconds = time.perf_counter() - began
    cpu_sweep = cpu.per(1)

    print(f"machine:      {machine()}")
    print(f"database:     {db_version}")
    print(f"load average: {load_before[0]:.2f} before the transitions, "
          f"{os.getloadavg()[0]:.2f} after the sweep")
    roles = "kept between actions" if args.cached_roles else "read for every action"
    print(f"transitions:  {done} in {elapsed:.2f} s = {rate:,.0f} per second (one process, "
          f"roles {roles}), {per_action:.1f} SQL statements per action besides BEGIN/COMMIT")
    print(f"batched:      {batch_done} in {batch_elapsed:.2f} s = {batch_rate:,.0f} per second "
          f"(engine.perform_many, {args.batch} cases per call and per transaction, roles "
          f"{roles}), {batch_statements:.1f} SQL statements per call besides BEGIN/COMMIT")
    print(f"sweep:        {args.open_cases:,} open cases, {result.escalated:,} escalated "
          f"in {sweep_seconds:.2f} s")
    print(f"cpu per transition: {cpu_single} (one at a time); {cpu_batched} (batched); "
          f"sweep: {cpu_sweep} in all")
    connection.close()


if __name__ == "__main__":
    main()
