"""Benchmark the plans: critical path at 2,000 and 20,000 tasks, and one plan's Gantt chart
of 2,000 tasks with 3,000 dependencies (data endpoint, page, the chart drawn as PDF and PNG
on the server, and drawing it in Chromium, 250 rows at a time); a year of tasks with targets
for the scorecards (API, page, monthly report).

Usage: .venv/bin/python bench/plans.py [--db postgres://postgres@127.0.0.1:5432/cityhall_bench_plans]
       [--tasks 2000] [--links 3000] [--repeat 15] [--no-browser]
The database named in --db is dropped and created afresh (it must be a scratch database).
Server times are measured in-process through Django's test client with DEBUG off (no
network, no gunicorn): what one request costs the server. The browser time is Debian's
Chromium drawing the page, its files answered by the same client (no server either).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import load, machine, recreate


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and worst milliseconds of `repeat` runs (after one warm-up run)."""
    run()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), max(times)


def random_dag(n: int, links: int, rng: random.Random) -> list[tuple[int, int, int]]:
    """`links` distinct finish-to-start links from earlier to later tasks (a DAG)."""
    found: set[tuple[int, int]] = set()
    while len(found) < links:
        after = rng.randrange(1, n)
        before = rng.randrange(max(0, after - 60), after)
        found.add((before, after))
    return [(b, a, rng.choice([0, 0, 1, 2, 5])) for b, a in sorted(found)]


def bench_critical_path(sizes: list[int], repeat: int) -> None:
    from cityhall.plans.critical import Activity, Link, critical_path

    rng = random.Random(57)
    print("critical path (pure, working-day numbers), median / worst of", repeat)
    for n in sizes:
        acts = [Activity(i, rng.randrange(0, 200), rng.randrange(1, 40)) for i in range(n)]
        links = [Link(b, a, lag) for b, a, lag in random_dag(n, n * 3 // 2, rng)]
        median, worst = timed(partial(critical_path, acts, links), repeat)
        print(f"  {n:>6,} tasks, {len(links):>6,} links: {median:7.1f} ms / {worst:7.1f} ms"
              f"  ({median * 1000 / (n + len(links)):.2f} µs per task or link)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/cityhall_bench_plans")
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--links", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}; load {load()}")
    bench_critical_path([2_000, 20_000], args.repeat)

    recreate(args.db)
    os.environ.update(DATABASE_URL=args.db, DEBUG="0", SECURE_SSL_REDIRECT="0",
                      SECRET_KEY="bench-only-" + "x" * 60, ALLOWED_HOSTS="testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityhall.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from cityhall.accounts.models import User
    from cityhall.core.audit import SYSTEM
    from cityhall.orgunits.models import Unit
    from cityhall.plans import services
    from cityhall.plans.gantt import gantt_data
    from cityhall.plans.models import Dependency, Task

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    for step in ("load_units", "load_workflows", "load_demo"):
        call_command(step, verbosity=0)
    leader = User.objects.get(username="city.leader")
    city = leader.memberships.get().unit
    units = list(Unit.objects.active_on().commune_level()[:168]) + list(
        Unit.objects.active_on().filter(code__startswith="79-"))
    plan = services.create_plan(actor=SYSTEM, title="Bench plan", owner_unit=city,
                                phases=[services.PhaseIn("A", dt.date(2026, 6, 30)),
                                        services.PhaseIn("B", dt.date(2026, 12, 31))])
    rng = random.Random(2025)
    base = dt.date(2026, 1, 5)
    rows = []
    for i in range(args.tasks):
        start = base + dt.timedelta(days=rng.randrange(0, 300))
        rows.append(Task(plan=plan, owner_unit=city, lead_unit=rng.choice(units),
                         title=f"Nhiệm vụ số {i + 1}: triển khai hạng mục chuyển đổi số",
                         start=start, due=start + dt.timedelta(days=rng.randrange(1, 60)),
                         progress=rng.choice([0, 10, 50, 80, 100]),
                         done_on=None if rng.random() < 0.7 else start + dt.timedelta(days=20)))
    tasks = Task.objects.bulk_create(rows)
    Dependency.objects.bulk_create(
        Dependency(predecessor=tasks[b], successor=tasks[a], lag=lag)
        for b, a, lag in random_dag(len(tasks), args.links, rng))
    call_command("collectstatic", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"set-up: {args.tasks:,} tasks, {Dependency.objects.count():,} dependencies "
          f"({time.perf_counter() - began:.0f} s)")

    today = dt.date(2026, 6, 1)
    median, worst = timed(lambda: gantt_data(plan, leader, today), args.repeat)
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(gantt_data, plan, leader, today)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    print(f"gantt_data (queries, status, roll-up, critical path): {median:.0f} ms / {worst:.0f} ms")
    client = Client()
    client.force_login(leader)
    api_url, page_url = f"/api/v1/plans/{plan.pk}/gantt", f"/ke-hoach/{plan.pk}/"
    for label, url in (("GET " + api_url, api_url), ("GET " + page_url, page_url)):
        queries: list[str] = []
        with connection.execute_wrapper(
                lambda execute, sql, *rest, queries=queries: (queries.append(sql),
                                                              execute(sql, *rest))[1]):
            response = client.get(url)
        assert response.status_code == 200, response.status_code
        median, worst = timed(partial(client.get, url), args.repeat)
        print(f"{label}: {median:.0f} ms / {worst:.0f} ms, {len(response.content) / 1e6:.2f} MB,"
              f" {len(queries)} queries")
    for fmt in ("pdf", "png"):
        url = f"/ke-hoach/{plan.pk}/bieu-do.{fmt}"
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        median, worst = timed(partial(client.get, url), max(3, args.repeat // 3))
        print(f"GET {url}: {median:.0f} ms / {worst:.0f} ms, "
              f"{len(response.content) / 1e6:.2f} MB")
    bench_scorecards(client, units, city, args.repeat)
    if not args.no_browser:
        bench_browser(client, page_url, args.repeat)
    print(f"load at the end: {load()}")


def bench_scorecards(client: Any, units: list[Any], city: Any, repeat: int) -> None:
    """A year of tasks over every ward and department; one month's scorecards."""
    from cityhall.plans.models import Task
    from cityhall.plans.scorecards import scorecards
    from cityhall.workflow.calendar_data import current_calendar

    rng = random.Random(168)
    rows = []
    for day in range(365):
        due = dt.date(2025, 1, 1) + dt.timedelta(days=day)
        for _ in range(100):
            late = rng.random()
            rows.append(Task(owner_unit=city, lead_unit=rng.choice(units), title="t",
                             start=due - dt.timedelta(days=20), due=due, progress=100,
                             done_on=(due - dt.timedelta(days=1) if late < 0.7 else
                                      due + dt.timedelta(days=rng.randrange(1, 20))
                                      if late < 0.9 else None)))
    made = Task.objects.bulk_create(rows, batch_size=5000)
    # A third of them carry a numeric target, with two values reported (commitments).
    from decimal import Decimal

    from cityhall.plans.models import Target, TargetValue

    targets = Target.objects.bulk_create(
        (Target(task=task, value=Decimal(1000), measure="VND", by=task.due)
         for task in made[::3]), batch_size=5000)
    TargetValue.objects.bulk_create(
        (TargetValue(target=target, value=Decimal(value), on=target.by + dt.timedelta(days=shift))
         for target in targets
         for value, shift in ((400, -10), (rng.choice([800, 1000, 1200]), rng.choice([-1, 3])))),
        batch_size=5000)
    calendar = current_calendar()
    from cityhall.accounts.models import User

    user = User.objects.get(username="city.leader")
    median, worst = timed(partial(scorecards, user, kind="unit", period="2025-06",
                                  calendar=calendar, today=dt.date(2026, 1, 15)), repeat)
    count = len(scorecards(user, kind="unit", period="2025-06", calendar=calendar,
                           today=dt.date(2026, 1, 15)))
    print(f"scorecards, {len(rows):,} tasks due in 2025 over {len(units)} units "
          f"({len(targets):,} with a target, {2 * len(targets):,} values), June 2025: "
          f"{count} units ranked in {median:.0f} ms / {worst:.0f} ms")
    median, worst = timed(partial(client.get, "/ke-hoach/bang-diem/?period=2025-06&kind=unit"),
                          repeat)
    print(f"GET /ke-hoach/bang-diem/?period=2025-06&kind=unit (the page): "
          f"{median:.0f} ms / {worst:.0f} ms")
    for fmt in ("xlsx", "pdf"):
        median, worst = timed(partial(
            client.get, f"/ke-hoach/bang-diem/bao-cao.{fmt}?period=2025-06&kind=unit"), repeat)
        print(f"the monthly report as {fmt.upper()}: {median:.0f} ms / {worst:.0f} ms")
    median, worst = timed(partial(client.get, "/api/v1/scorecards?period=2025-06&kind=unit"),
                          repeat)
    print(f"GET /api/v1/scorecards?period=2025-06&kind=unit: {median:.0f} ms / {worst:.0f} ms")


def bench_browser(client: object, page_url: str, repeat: int) -> None:
    """Chromium loads the page until the chart says it is drawn."""
    from django.conf import settings
    from playwright.sync_api import Route, sync_playwright

    # The page is rendered once here, and the browser is answered from memory and from the
    # collected static files: the route handler runs outside Django's request cycle.
    html = client.get(page_url).content  # type: ignore[attr-defined]
    static = Path(settings.STATIC_ROOT)

    def answer(route: Route) -> None:
        path = urlparse(route.request.url).path
        if path == page_url:
            route.fulfill(status=200, body=html, headers={"Content-Type": "text/html"})
        elif path.startswith(settings.STATIC_URL) and (
                found := static / path.removeprefix(settings.STATIC_URL)).is_file():
            route.fulfill(path=found)
        else:
            route.fulfill(status=404)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("http://bench.invalid/**", answer)
        times = []
        for _ in range(max(3, repeat // 3)):
            began = time.perf_counter()
            page.goto("http://bench.invalid" + page_url)
            page.wait_for_selector("#gantt[data-ready='1']", timeout=120_000)
            times.append((time.perf_counter() - began) * 1000)
        bars = page.locator("#gantt .bar-wrapper").count()
        slices = []
        for index in ("1", "2", "0"):
            began = time.perf_counter()
            page.select_option(".gantt-slice-pick select", index)
            page.wait_for_function(
                f"document.getElementById('gantt').dataset.slice === '{index}'")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(0)))")
            slices.append(f"{(time.perf_counter() - began) * 1000:.0f} ms")
        mode = []
        for name in ("Day", "Month"):
            began = time.perf_counter()
            page.click(f".gantt-modes [data-mode='{name}']")
            page.wait_for_timeout(0)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(0)))")
            mode.append(f"{name} {(time.perf_counter() - began) * 1000:.0f} ms")
        browser.close()
    print(f"Chromium, page to chart drawn ({bars:,} bars): median {statistics.median(times):.0f}"
          f" ms, worst {max(times):.0f} ms over {len(times)} loads; switching view: "
          + ", ".join(mode) + "; another slice of 250 rows: " + ", ".join(slices))


if __name__ == "__main__":
    main()
