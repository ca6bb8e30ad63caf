"""Load-test Open311 POST and GET requests.json under gunicorn (2 workers) on PostgreSQL.

Usage: .venv/bin/python bench/open311_load.py [--sizes 10000,1000000] [--duration 20]
       [--concurrency 8] [--skip-generate] [--db postgres://postgres@127.0.0.1:5432/NAME]
       [--profile]

Steps: (1) create the scratch database named in --db if missing (a fresh one each run
unless --skip-generate), migrate, load units, workflows, categories and the demo
accounts, and create a partner API key with the open311:write scope; (2) for each size,
bulk-generate stored reports up to that count (bench/generate_reports.py, COPY) and
VACUUM ANALYZE; (3) start `gunicorn cityhall.wsgi` with 2 workers on 127.0.0.1 in
production mode (DEBUG=0, generated SECRET_KEY); (4) run wrk for --duration seconds
at --concurrency connections against POST requests.json (form-encoded) and GET
requests.json (page_size=100, varied filters); (5) print requests per second, p50/p99,
the responses that were not 2xx, and the machine. The load only ever targets 127.0.0.1
and stops after --duration seconds. --profile records the gunicorn workers with py-spy
during each run (collapsed stacks in bench/results/).

The client is wrk (Debian: `apt-get install wrk`), a C program with a Lua script for the
POST bodies: a Python client would take much of the CPU the server needs on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Server,
    database_exists,
    free_port,
    machine,
    proc_seconds,
    recreate,
)

RESULTS = ROOT / "bench" / "results"
PATH = "/open311/v2/requests.json"

# wrk's Lua side: cycle through prepared requests; count statuses per thread; print a
# JSON summary (latency in microseconds) that the Python side reads.
_LUA = r"""
local items = dofile("%(items)s")
local method = "%(method)s"
local threads = {}
local n = 0
statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n = math.random(#items)
end

function request()
  n = n %% #items + 1
  local item = items[n]
  if method == "POST" then
    return wrk.format("POST", "%(path)s",
      {["Content-Type"] = "application/x-www-form-urlencoded"}, item)
  end
  return wrk.format("GET", item)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, c in pairs(s) do
      counts[tostring(code)] = (counts[tostring(code)] or 0) + c
    end
  end
  local parts = {}
  for code, c in pairs(counts) do
    table.insert(parts, string.format('"%%s": %%d', code, c))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %%d, "duration_us": %%d, "p50": %%d, "p90": %%d, "p99": %%d, ' ..
    '"max": %%d, "mean": %%f, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, ' ..
    '"timeout": %%d, "statuses": {%%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout, table.concat(parts, ", ")))
end
"""


def secret_key() -> str:
    """The bench's SECRET_KEY, kept between runs so the stored reports' tokens stay valid."""
    path = ROOT / "var" / "bench" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(60))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare(fresh: bool) -> str:
    """Migrate and load the reference data (idempotent); return a new partner key."""
    from django.core.management import call_command

    from cityhall.accounts import services
    from cityhall.core.audit import SYSTEM

    call_command("migrate", verbosity=0)
    if fresh:
        for command in ("load_units", "load_workflows", "load_categories", "load_demo"):
            call_command(command, verbosity=0)
    _key, raw = services.create_api_key(actor=SYSTEM, name=f"bench-{time.time_ns()}",
                                        scopes=["open311:write"], owner_unit=None)
    return raw


def stored_reports() -> int:
    from cityhall.reports.models import Report

    return Report.objects.count()


def post_bodies(api_key: str, count: int = 400) -> list[str]:
    """Form bodies for POST: resident categories, points near ward centres, valid attributes."""
    from cityhall.orgunits.models import Unit
    from cityhall.reports.models import Category

    rng = random.Random(311)
    wards = list(Unit.objects.active_on().commune_level()
                 .filter(latitude__isnull=False).defer("boundary"))
    categories = list(Category.objects.active().for_audience("resident"))
    bodies = []
    for i in range(count):
        ward, category = rng.choice(wards), rng.choice(categories)
        assert ward.latitude is not None and ward.longitude is not None  # filtered above
        fields: list[tuple[str, str]] = [
            ("api_key", api_key), ("service_code", category.code),
            ("lat", f"{ward.latitude + rng.gauss(0, 0.003):.6f}"),
            ("long", f"{ward.longitude + rng.gauss(0, 0.003):.6f}"),
            ("description", f"Phản ánh thử tải số {i}: {category.name} tại {ward.name}."),
            ("first_name", "Văn An"), ("last_name", "Nguyễn"), ("phone", "0901234567"),
        ]
        for spec in category.attribute_specs():
            if not spec.get("required"):
                continue
            keys = [str(v["key"]) for v in spec.get("values", [])]
            value = keys[0] if keys else ("12" if spec["datatype"] == "number" else "56")
            fields.append((f"attribute[{spec['code']}]", value))
        bodies.append(urllib.parse.urlencode(fields))
    return bodies


def get_paths(count: int = 400) -> list[str]:
    """GET paths, 100 per page: the default 90-day window, by service, by status, a month."""
    import datetime as dt

    from django.utils import timezone

    from cityhall.reports.models import Category

    rng = random.Random(312)
    codes = list(Category.objects.active().values_list("code", flat=True))
    now = timezone.now()
    paths = []
    for i in range(count):
        params: dict[str, str] = {"page_size": "100"}
        kind = i % 4
        if kind == 1:
            params["service_code"] = rng.choice(codes)
        elif kind == 2:
            params["status"] = "open"
        elif kind == 3:
            end = now - dt.timedelta(days=rng.randint(0, 300))
            params["start_date"] = (end - dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S+07:00")
            params["end_date"] = end.strftime("%Y-%m-%dT%H:%M:%S+07:00")
            params["service_code"] = rng.choice(codes)
        params["page"] = str(rng.choice([1, 1, 1, 2, 3]))
        paths.append(f"{PATH}?{urllib.parse.urlencode(params)}")
    return paths


def lua_list(items: list[str], path: Path) -> None:
    """Write items as a Lua file returning a list of strings."""
    def quote(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    path.write_text("return {\n" + ",\n".join(quote(s) for s in items) + "\n}\n",
                    encoding="utf-8")


def run_wrk(port: int, method: str, items: list[str], duration: int, concurrency: int,
            workdir: Path) -> dict[str, Any]:
    """One wrk run; returns its JSON summary."""
    listing = workdir / f"{method.lower()}_items.lua"
    lua_list(items, listing)
    script = workdir / f"{method.lower()}.lua"
    script.write_text(_LUA % {"items": listing, "method": method, "path": PATH},
                      encoding="utf-8")
    threads = min(2, concurrency)
    command = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{duration}s", "--timeout", "10s",
               "-s", str(script), f"http://127.0.0.1:{port}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          timeout=duration + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(line.removeprefix("WRK_JSON "))


def profile(server: Server, seconds: int, name: str) -> list[subprocess.Popen[bytes]]:
    """py-spy record each worker for the run (collapsed stacks, for reading top frames)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    RESULTS.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(seconds),
                              "--rate", "200", "--format", "raw", "--nonblocking",
                              "--output", str(RESULTS / f"{name}-{pid}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for pid in server.workers()]


def backend_seconds(pid: int) -> float:
    """CPU seconds the database backend process `pid` has used so far (NaN for a remote
    database)."""
    return proc_seconds(pid, missing=float("nan"))


def _filer(seconds: float, batch: int, out: Any) -> None:
    """One filing worker (a forked process): `file_pending` until the queue is empty.

    Puts (filed, wall seconds, CPU seconds here, CPU seconds of its database backend).
    """
    from django.conf import settings
    from django.db import connection

    # As `cityhall worker` runs in production: no query log (this script set up Django
    # with DEBUG=1 for its own management work).
    settings.DEBUG = False

    from cityhall.open311.intake import file_pending

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
    began, cpu, db = time.perf_counter(), time.process_time(), backend_seconds(backend)
    filed = 0
    while time.perf_counter() - began < seconds:
        done = file_pending(limit=batch, batch=batch)
        filed += done.total
        if done.total == 0:
            break
    out.put((filed, time.perf_counter() - began, time.process_time() - cpu,
             backend_seconds(backend) - db))
    connection.close()


def queue_backlog(api_key: str, count: int) -> int:
    """Queue `count` checked submissions at once (bulk INSERT), as accepted POSTs would be."""
    from django.utils import timezone

    from cityhall.accounts.models import ApiKey
    from cityhall.open311.intake import payload_of
    from cityhall.open311.models import Intake
    from cityhall.reports.services import Contact

    key = ApiKey.objects.order_by("-pk").first()  # the partner key `prepare` just made
    if key is None:
        raise SystemExit("no partner key")
    rows: list[dict[str, Any]] = []
    now = timezone.now()
    for n, body in enumerate(post_bodies(api_key, count=min(count, 2000))):
        form = urllib.parse.parse_qs(body)
        rows.append({
            "category": form["service_code"][0], "description": form["description"][0],
            "latitude": float(form["lat"][0]), "longitude": float(form["long"][0]),
            "address": "", "contact": Contact(name="Nguyễn Văn An", phone=f"09{n:08d}"),
            "attributes": {k[10:-1]: v[0] for k, v in form.items() if k.startswith("attribute[")},
            "media_urls": []})
    made = 0
    while made < count:
        chunk = [Intake(api_key=key, payload=payload_of(**rows[(made + i) % len(rows)]),
                        created_at=now, next_attempt_at=now)
                 for i in range(min(5000, count - made))]
        Intake.objects.bulk_create(chunk)
        made += len(chunk)
    return made


def batch_statements(batch: int) -> tuple[int, float]:
    """Statements of one filing batch of `batch` queued intakes, and its wall seconds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cityhall.open311.intake import file_batch

    with CaptureQueriesContext(connection) as ctx:
        began = time.perf_counter()
        done = file_batch(limit=batch)
        took = time.perf_counter() - began
    return (len(ctx.captured_queries) if done.total == batch else -1), took


def drain(seconds: float = 60.0, filers: int = 1, batch: int = 100) -> None:
    """File the queued Open311 backlog with `filers` worker processes for up to `seconds`.

    Each process runs the worker's own `open311.intake.file_pending` (claims a batch with
    SKIP LOCKED, files it in one transaction); the rate is what they filed over the time
    until the last one stopped.
    """
    import multiprocessing

    from django.db import connection

    from cityhall.open311.models import Intake

    waiting = Intake.objects.filter(status="pending").count()
    connection.close()  # not shared with the forked workers
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    load = os.getloadavg()[0]
    began = time.perf_counter()
    workers = [context.Process(target=_filer, args=(seconds, batch, out))
               for _ in range(filers)]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    took = time.perf_counter() - began
    filed = sum(r[0] for r in results)
    here = sum(r[2] for r in results)
    there = sum(r[3] for r in results)
    left = Intake.objects.filter(status="pending").count()
    refused = Intake.objects.exclude(status__in=["pending", "done"]).count()
    connection.close()
    per = 1000 / filed if filed else 0.0
    print(f"queued:       {waiting:,} waiting; {filers} worker process(es), batches of "
          f"{batch}, filed {filed:,} in {took:.1f} s ({filed / took if took else 0:,.0f}/s); "
          f"{left:,} still waiting, {refused:,} refused or failed in all; load avg "
          f"{load:.2f} before, {os.getloadavg()[0]:.2f} after", flush=True)
    print(f"  per report: {took * filers * per:.2f} ms of worker wall time, CPU "
          f"{here * per:.2f} ms in the worker + {there * per:.2f} ms in its database "
          f"backend; the rest ({(took * filers - here - there) * per:.2f} ms) is waiting "
          f"(commit, locks, the other processes on the cores)", flush=True)


def describe(label: str, result: dict[str, Any]) -> str:
    seconds = result["duration_us"] / 1e6
    rate = result["requests"] / seconds if seconds else 0.0
    statuses = result["statuses"]
    bad = sum(c for code, c in statuses.items() if not code.startswith("2"))
    socket_errors = result["connect"] + result["read"] + result["write"] + result["timeout"]
    codes = ", ".join(f"{code}: {c:,}" for code, c in sorted(statuses.items()))
    return (f"{label:<5} {rate:8,.0f}/s  p50 {result['p50'] / 1000:7.1f} ms  "
            f"p99 {result['p99'] / 1000:7.1f} ms  max {result['max'] / 1000:7.1f} ms  "
            f"{result['requests']:,} requests; not 2xx: {bad:,}; socket errors: "
            f"{socket_errors:,} ({codes})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/cityhall_bench_open311")
    parser.add_argument("--sizes", default="10000,1000000",
                        help="stored reports for each round, ascending (default 10000,1000000)")
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--concurrency", type=int, default=8, help="open connections")
    parser.add_argument("--skip-generate", action="store_true",
                        help="keep the database and its reports; measure what is there")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per gunicorn worker (1: sync worker, the default)")
    parser.add_argument("--only", choices=["post", "get"], help="run one of the two loads")
    parser.add_argument("--async-intake", action="store_true",
                        help="CITYHALL_OPEN311_ASYNC_INTAKE=1: POST answers with a token; "
                             "afterwards --filers worker processes file the backlog for up "
                             "to 60 s (timed)")
    parser.add_argument("--filers", type=int, default=1,
                        help="worker processes filing the queued backlog (default 1)")
    parser.add_argument("--filing", action="store_true",
                        help="measure the queued filing alone, no HTTP: for each size, queue "
                             "--backlog submissions and file them with 1, then 2 worker "
                             "processes for --filing-seconds each")
    parser.add_argument("--backlog", type=int, default=30000,
                        help="submissions queued before each filing run (default 30000)")
    parser.add_argument("--filing-seconds", type=int, default=40,
                        help="seconds per filing run (default 40)")
    parser.add_argument("--batch", type=int, default=100,
                        help="intakes per filing transaction (CITYHALL_INTAKE_BATCH; default 100)")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy record the workers (bench/results/*.txt)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if (args.duration > 120 or args.concurrency > 64 or not 1 <= args.threads <= 16
            or not 1 <= args.filers <= 8 or not 1 <= args.batch <= 1000
            or not 1 <= args.backlog <= 200_000 or not 1 <= args.filing_seconds <= 120):
        raise SystemExit("the load is bounded: at most 120 s, 64 connections, 16 threads, "
                         "8 filing workers, batches of 1000, a backlog of 200,000")
    if shutil.which("wrk") is None and not args.filing:
        raise SystemExit("wrk is missing: install it with `apt-get install wrk` (Debian)")

    key = secret_key()
    fresh = not args.skip_generate or not database_exists(args.db)
    if fresh:
        recreate(args.db)
    os.environ.update({"DATABASE_URL": args.db, "DEBUG": "1", "SECRET_KEY": key,
                       "DJANGO_SETTINGS_MODULE": "cityhall.settings", "LOG_LEVEL": "WARNING",
                       "CITYHALL_INTAKE_BATCH": str(args.batch)})
    import django

    django.setup()
    from django.db import connection

    from bench.generate_reports import generate, vacuum_analyze
    from cityhall.open311.models import Intake

    load_start = os.getloadavg()
    api_key = prepare(fresh)
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        db_version = cur.fetchone()[0].split(",")[0]
    bodies, paths = post_bodies(api_key), get_paths()
    server_env = {**os.environ, "DEBUG": "0", "SECRET_KEY": key, "ALLOWED_HOSTS": "127.0.0.1",
                  "SECURE_SSL_REDIRECT": "0", "DATABASE_URL": args.db, "LOG_LEVEL": "WARNING",
                  "CITYHALL_OPEN311_ASYNC_INTAKE": "1" if args.async_intake else "0",
                  # One partner key posts far past its hourly limit: measure throughput.
                  "CITYHALL_RATE_PARTNER": "off"}
    wrk_version = "none"
    if shutil.which("wrk"):
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        wrk_version = (wrk.stdout or wrk.stderr or "none").splitlines()[0].split(" [")[0]
    lines = [f"machine:      {machine(db_version)}", f"client:       {wrk_version}",
             f"load avg:     {load_start[0]:.2f} {load_start[1]:.2f} "
             f"{load_start[2]:.2f} at start"]
    if args.filing:
        lines.append(f"filing:       forked processes running open311.intake.file_pending, "
                     f"batches of {args.batch}, DEBUG off, {args.filing_seconds} s per run")
    else:
        lines += [
            f"server:       gunicorn cityhall.wsgi, 2 workers x {args.threads} thread(s), "
            f"DEBUG=0, 127.0.0.1, Open311 intake {'queued' if args.async_intake else 'at once'}",
            f"load:         wrk, {args.concurrency} connections, {args.duration} s per run"]
    for line in lines:
        print(line, flush=True)
    for size in sizes:
        if not args.skip_generate:
            have = stored_reports()
            if size > have:
                began = time.perf_counter()
                totals = generate(size - have)
                made = time.perf_counter() - began
                vacuum_analyze()
                print(f"generated:    {totals['reports']:,} reports, "
                      f"{totals['transitions']:,} transitions, {totals['contacts']:,} contacts "
                      f"in {made:.1f} s, VACUUM ANALYZE "
                      f"{time.perf_counter() - began - made:.1f} s", flush=True)
        connection.close()
        stored = stored_reports()
        if args.filing:
            print(f"[{stored:>9,} stored] filing, {args.backlog:,} queued before each run",
                  flush=True)
            for filers in (1, 2):
                Intake.objects.filter(status="pending").delete()
                queue_backlog(api_key, args.backlog)
                statements, took = batch_statements(args.batch)
                print(f"  one batch of {args.batch}: {statements} statements, "
                      f"{took * 1000:.0f} ms (with the query log on)", flush=True)
                drain(seconds=args.filing_seconds, filers=filers, batch=args.batch)
            continue
        server = Server(server_env, free_port(), ready_path="/open311/v2/discovery.json",
                        threads=args.threads)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                runs = [("POST", bodies), ("GET", paths)]
                if args.only:
                    runs = [r for r in runs if r[0].lower() == args.only]
                for method, items in runs:
                    # A short warm-up so that both workers have their connection and caches.
                    run_wrk(server.port, method, items, 2, args.concurrency, Path(tmp))
                    spies = (profile(server, args.duration, f"{method.lower()}-{stored}")
                             if args.profile else [])
                    result = run_wrk(server.port, method, items, args.duration,
                                     args.concurrency, Path(tmp))
                    for spy in spies:
                        spy.wait(timeout=60)
                    print(f"[{stored:>9,} stored] {describe(method, result)}  "
                          f"(load avg {os.getloadavg()[0]:.2f})", flush=True)
                    if method == "POST" and args.async_intake:
                        drain(filers=args.filers, batch=args.batch)
        finally:
            server.stop()
    connection.close()


if __name__ == "__main__":
    main()
