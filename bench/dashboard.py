"""The leaders' dashboard against a large history, and what the roll-ups cost the filing path.

Usage: .venv/bin/python bench/dashboard.py [--sizes 100000,1000000] [--repeat 20]
       [--batches 10] [--skip-generate] [--db postgres://postgres@127.0.0.1:5432/NAME]
       [--generator demo|reports] [--days 365] [--rebuild] [--explain]

With `--generator demo` (the default) a size counts requests and dossiers together (two
requests for one dossier, the issue's 10 million and 5 million), written by `cityhall demo
--add` (COPY, the roll-ups added in the same load; its rows per second are printed, with the
CPU seconds it used and the machine's load, since the machine is shared), and the overview
is also computed with one plain SQL statement per table on the raw tables (steps, requests,
dossiers) for the ratio. `--generator reports` is the older path (requests only, below).
`--explain` prints EXPLAIN ANALYZE of the slowest statements of the city's and the ward's
30-day dashboard (the scan nodes and the time), to see which index each one reads.

Steps: (1) recreate the scratch database (unless --skip-generate), migrate, load units,
workflows, categories, the demo accounts and the indicator catalogue; (2) for each size,
bulk-generate stored reports up to that count with bench/generate_reports.py (COPY: rows
and step history as the services write them, spread over the past year, not through the
services, so the roll-ups are then built with `cityhall indicators rebuild`, timed),
VACUUM ANALYZE, and time `cityhall indicators verify` over the last 30 days; (3) time the
dashboard's whole computation in this process (`indicators.dashboard.build`: the period's
roll-ups per unit, the previous period and the same days a year earlier, the live counts
of open cases, the units rolled up, the ranking, the 766 score and the trend) for the city
over 30 and 365 days and for one ward over 30 days, --repeat times each, p50 and p95
(server time, no HTTP or template), then the whole dashboard page for the city's leader
(Django's test client: the view, the units table, the map panel and the template; no
network); (4) the same 30 days' tallies counted from the raw
records (`indicators.recompute`, what verify runs) for the ratio; (5) the cost of the
roll-ups on the Open311 batch filing path: --batches batches of 100 reports through
`reports.services.submit_reports` (the queued intake's call) with the roll-up listener,
and as many without it, alternating, ms per batch. Prints the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import load, machine, recreate  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/cityhall_bench_indicators"


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds of `repeat` runs (after one warm-up run)."""
    run()
    found = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        found.append((time.perf_counter() - began) * 1000)
    found.sort()
    return statistics.median(found), found[max(0, round(0.95 * len(found)) - 1)]


def command(*args: str) -> float:
    """Run `cityhall <args>` against the bench database; seconds it took."""
    began = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "cityhall"), *args], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def demo(requests: int, dossiers: int, days: int) -> None:
    """Add `requests` and `dossiers` with `cityhall demo --add`; print what it says."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "cityhall"), "demo", "--requests",
                          str(requests), "--dossiers", str(dossiers), "--days", str(days),
                          "--add"], check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"\ncityhall demo --requests {requests:,} --dossiers {dossiers:,} --days {days}: "
          f"{wall:.0f} s wall, {cpu:.0f} s of the command's CPU (the database server's "
          f"not counted), load {load_before:.1f} before")
    for line in out.splitlines():
        print(f"  {line.strip()}")


#: The overview's headline tallies for a period, per unit, straight from the raw tables.
RAW_OVERVIEW = [
    """SELECT unit_id,
        count(*) FILTER (WHERE case_type = 'reports.report' AND action = 'start'),
        count(*) FILTER (WHERE case_type = 'reports.report' AND action = 'resolve'),
        count(*) FILTER (WHERE case_type = 'reports.report' AND action = 'resolve'
                         AND (due_at IS NULL OR at <= due_at)),
        count(*) FILTER (WHERE case_type = 'reports.report' AND action = 'reopen'),
        count(*) FILTER (WHERE case_type = 'dossiers.dossier' AND action = 'issue_result'),
        count(*) FILTER (WHERE case_type = 'dossiers.dossier' AND action = 'issue_result'
                         AND (due_at IS NULL OR at <= due_at))
       FROM workflow_transition
      WHERE at >= %(first)s AND at < %(end)s
        AND action IN ('start', 'resolve', 'reopen', 'issue_result')
      GROUP BY unit_id""",
    """SELECT unit_id, count(*), sum(rating), count(*) FILTER (WHERE rating >= 4)
       FROM reports_report WHERE rated_at >= %(first)s AND rated_at < %(end)s
      GROUP BY unit_id""",
    """SELECT d.unit_id, count(*), count(*) FILTER (WHERE d.channel = 'online'),
        count(*) FILTER (WHERE p.online = 'fully'),
        count(*) FILTER (WHERE d.channel = 'online' AND p.online = 'fully')
       FROM dossiers_dossier d JOIN procedures_procedure p ON p.id = d.procedure_id
      WHERE d.received_at >= %(first)s AND d.received_at < %(end)s
      GROUP BY d.unit_id""",
]


def raw_overview(first: dt.date, last: dt.date) -> int:
    """The period's overview counted on the raw tables with plain SQL; rows read back."""
    from django.db import connection
    from django.utils import timezone

    tz = timezone.get_default_timezone()
    bounds = {"first": dt.datetime.combine(first, dt.time(), tz),
              "end": dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz)}
    rows = 0
    with connection.cursor() as cursor:
        for sql in RAW_OVERVIEW:
            cursor.execute(sql, bounds)
            rows += len(cursor.fetchall())
    return rows


def page(client: Any, query: str) -> None:
    """The dashboard page for `client` (signed in) with `query`; it must answer 200."""
    answer = client.get(f"/staff/indicators/?{query}")
    assert answer.status_code == 200, answer.status_code


def explain(build: Callable[[], Any], slowest: int = 5) -> None:
    """EXPLAIN ANALYZE of the `slowest` statements `build` runs: each plan's scan nodes
    (which index, how many rows) and its execution time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cityhall.indicators.values import rollup_reads

    with CaptureQueriesContext(connection) as queries:
        build()
    # The reads, not the settings and savepoints around them; explained with the same
    # planner settings as the dashboard reads them (`rollup_reads`).
    reads = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    ranked = sorted(reads, key=lambda q: -float(q["time"]))[:slowest]
    with rollup_reads(), connection.cursor() as cursor:
        for query in ranked:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = [row[0] for row in cursor.fetchall()]
            print(f"    {' '.join(query['sql'].split())[:110]}")
            for line in plan:
                if "Scan" in line or "Execution Time" in line or "Aggregate" in line:
                    print(f"      {line.strip()[:140]}")


def overhead(batches: int) -> tuple[float, float, int]:
    """ms per batch of 100 filings with and without the roll-up listener; statements added."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cityhall.core import facts
    from cityhall.core.audit import SystemActor
    from cityhall.indicators.tallies import count_facts
    from cityhall.orgunits.models import Unit
    from cityhall.reports import services

    wards = list(Unit.objects.active_on().commune_level().order_by("code")[:40])
    actor = SystemActor("bench")
    serial = iter(range(10**9))

    def batch() -> None:
        services.submit_reports([
            services.NewReport(actor=actor, category="moi-truong-rac", channel="web",
                               description=f"Rác tồn đọng {next(serial)}.",
                               latitude=w.latitude, longitude=w.longitude,
                               contact=services.Contact(phone="0901000000"))
            for w in wards * 3][:100])

    with_: list[float] = []
    without: list[float] = []
    for i in range(2 * batches):
        on = i % 2 == 0
        if not on:
            facts.unregister(count_facts)
        began = time.perf_counter()
        batch()
        (with_ if on else without).append((time.perf_counter() - began) * 1000)
        facts.register(count_facts)
    with CaptureQueriesContext(connection) as queries:
        batch()
    added = sum("indicators_dailytally" in q["sql"] for q in queries.captured_queries)
    return statistics.median(with_), statistics.median(without), added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--skip-generate", action="store_true",
                        help="measure the database as it is: no new database, no new rows")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database (no fresh one) but add rows up to each size")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--generator", choices=["demo", "reports"], default="demo")
    parser.add_argument("--days", type=int, default=365,
                        help="demo generator: history over the last D days")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE of the slowest statements of the city's "
                             "and the ward's 30-day dashboard")
    parser.add_argument("--rebuild", action="store_true",
                        help="demo generator: also time `indicators rebuild` of the whole "
                             "history (the alternative to the roll-ups written in the load)")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DEBUG", "1")  # the settings' development defaults; no HTTP here
    os.environ["DJANGO_SETTINGS_MODULE"] = "cityhall.settings"

    if not (args.skip_generate or args.keep):
        recreate(args.db)
        command("migrate", "-v", "0")
        for name in ("load_units", "load_workflows", "load_categories", "load_procedures",
                     "load_demo", "load_indicators"):
            command(name, "-v", "0")

    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    from cityhall.accounts.models import User
    from cityhall.dossiers.models import Dossier
    from cityhall.indicators import dashboard, values
    from cityhall.indicators.recompute import recompute
    from cityhall.indicators.scope import city
    from cityhall.indicators.services import verify
    from cityhall.orgunits.models import Unit
    from cityhall.reports.models import Report
    from cityhall.workflow.models import Transition

    print(f"machine: {machine()}; load {load()}")
    town = city()
    assert town is not None
    ward = Unit.objects.get(name="Phường Sài Gòn", valid_to__isnull=True)
    today = timezone.localdate()
    month = values.Period(today - dt.timedelta(days=29), today)
    year = values.Period(today - dt.timedelta(days=364), today)
    for size in [int(s) for s in args.sizes.split(",")]:
        have = Report.objects.count()
        if args.generator == "demo":
            have += Dossier.objects.count()
            if size > have and not args.skip_generate:
                requests = round((size - have) * 2 / 3)
                demo(requests, size - have - requests, args.days)
                if args.rebuild:
                    rebuild = command("indicators", "rebuild")
                    print(f"  the alternative, `indicators rebuild` of the whole history: "
                          f"{rebuild:.1f} s")
        elif size > have and not args.skip_generate:
            subprocess.run([sys.executable, str(ROOT / "bench" / "generate_reports.py"),
                            str(size - have)], check=True, stdout=subprocess.DEVNULL)
            rebuild = command("indicators", "rebuild")
            print(f"\n{size:,} reports: rebuild of the roll-ups from the records {rebuild:.1f} s")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("SELECT count(*) FROM indicators_dailytally")
            rows = cursor.fetchone()[0]
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            print(f"database size {cursor.fetchone()[0]}")
        steps = Transition.objects.count()
        began = time.perf_counter()
        checked = verify(month.first, month.last)
        print(f"{Report.objects.count():,} reports, {Dossier.objects.count():,} dossiers, "
              f"{steps:,} steps, {rows:,} roll-up rows; "
              f"verify of 30 days: {len(checked.differences)} differences in "
              f"{time.perf_counter() - began:.1f} s")
        for label, unit, period in (("city, 30 days", town, month),
                                    ("city, 365 days", town, year),
                                    ("ward, 30 days", ward, month)):
            p50, p95 = timed(functools.partial(dashboard.build, unit, period), args.repeat)
            print(f"  dashboard {label:15} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
        # The whole page as the leader's browser asks for it (the view, the units table with
        # its red cells, the map panel, the template), not only the computation above.
        client = Client()
        client.force_login(User.objects.get(username="city.leader"))
        span = f"from={month.first.isoformat()}&to={month.last.isoformat()}"
        for label, query in (("city, 30 days", span),
                             ("ward, 30 days", f"unit={ward.code}&{span}")):
            p50, p95 = timed(functools.partial(page, client, query), args.repeat)
            print(f"  page      {label:15} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
        if args.explain:
            for label, unit in (("city", town), ("ward", ward)):
                print(f"  EXPLAIN ANALYZE, the {label}'s 30 days, slowest statements:")
                explain(functools.partial(dashboard.build, unit, month))
        p50, p95 = timed(lambda: values.tallies_by_unit(month, None), args.repeat)
        raw50, _ = timed(lambda: recompute(month.first, month.last), max(3, args.repeat // 4))
        print(f"  30 days' tallies, city: roll-ups p50 {p50:.1f} ms; raw records p50 "
              f"{raw50:.1f} ms (ratio {raw50 / p50:.0f}x)")
        sql50, sql95 = timed(lambda: raw_overview(month.first, month.last),
                             max(3, args.repeat // 4))
        print(f"  the same overview in plain SQL on the raw tables: p50 {sql50:.1f} ms, "
              f"p95 {sql95:.1f} ms (ratio to the roll-ups {sql50 / p50:.0f}x)")
    if args.batches < 1:
        return
    with_, without, added = overhead(args.batches)
    print(f"\nOpen311 batch filing path, 100 reports a batch: {with_:.0f} ms with the "
          f"roll-ups, {without:.0f} ms without ({with_ - without:+.0f} ms, "
          f"{(with_ - without) / without * 100:+.1f} %); roll-up statements per batch: {added}")


if __name__ == "__main__":
    main()
