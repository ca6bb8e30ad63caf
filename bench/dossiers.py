"""Benchmark the one-stop shop on PostgreSQL: a dossier's receipt at a counter with 3
component files of about 200 KB (server time, throughput with 2 web processes), 8 counters
at once for 30 s (no duplicate or missing dossier code), and the catalogue search over
2,251 procedures.

Usage: .venv/bin/python bench/dossiers.py [--db postgres://postgres@127.0.0.1:5432/NAME]
       [--stored 1000000] [--duration 30] [--counters 8] [--receipts 300] [--searches 500]
       [--threads 1] [--skip-generate] [--drop]

Steps: (1) drop and create the scratch database named in --db (its name must start with
`cityhall_bench`), migrate, load the units, workflows, demo accounts and the seeded
procedures, then add synthetic procedures up to 2,251; (2) generate --stored past dossiers
with 3 components and a start step each, in SQL (`INSERT ... SELECT generate_series`), and
VACUUM ANALYZE; (3) start `gunicorn cityhall.wsgi` with 2 workers, sync (or --threads
threads each, gthread, as docs/operations.md runs the site: for receipts, which are
CPU-bound, threads cost more than they overlap) on 127.0.0.1 in production mode (DEBUG=0);
(4) one clerk posts --receipts receipts one after the other to `POST
/api/v1/dossiers/with-files` (a household business registration, 3 files: a PDF, a JPEG, a
PNG of ~200 KB each) and the answer times give the server time (p50/p95; the client and the
loopback add well under a millisecond); (5) --counters threads (clerks of the same ward, so
the same agency's daily sequence) post receipts for --duration seconds: receipts per second,
the CPU each receipt cost (web workers, PostgreSQL, this client: what bounds the rate on
this machine's cores), and the day's codes of that agency must be exactly 1..N with N the
receipts made; then the floor: the same body with an unknown token, refused at sign-in, and
the CPU that costs; (6) anonymous `GET /api/v1/procedures?q=...` one after the other with
--searches varied words, diacritics or not: p50/p95. --drop drops the database at the end.

The client is Python threads over http.client with one multipart body built once (each
request a fresh Idempotency-Key header), so it costs the server little CPU; it still
shares the machine's cores with the server and the database.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import CpuMeter, Server, free_port, load, machine, recreate  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/cityhall_bench_dossiers"
HOUSEHOLD_BUSINESS = "2.000720.000.00.00.H29"
CATALOGUE_SIZE = 2251
CLERK = "clerk.thuduc"
SEARCH_WORDS = ["dang ky khai sinh", "Đăng ký", "ho kinh doanh", "chứng thực", "xay dung",
                "giay phep", "dat dai", "cu tru", "thuong tru", "ket hon", "doanh nghiep",
                "1.001193", "an toan thuc pham", "ly lich tu phap", "tam tru", "bản sao",
                "cap doi", "giam ho", "ho tich", "thay doi"]


def admin_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith("cityhall_bench"):
        raise SystemExit("--db must name a scratch database called cityhall_bench...")
    return parsed._replace(path="/postgres").geturl(), name


def drop(url: str) -> None:
    import psycopg

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(fresh: bool) -> str:
    """Migrate, load the reference data and the catalogue; the clerk's API token."""
    from django.core.management import call_command

    from cityhall.accounts import services
    from cityhall.accounts.models import User
    from cityhall.core.audit import SYSTEM

    call_command("migrate", verbosity=0)
    if fresh:
        for command in ("load_units", "load_workflows", "load_demo", "load_procedures"):
            call_command(command, verbosity=0)
        synthetic_procedures(CATALOGUE_SIZE)
    _token, raw = services.issue_token(actor=SYSTEM, user=User.objects.get(username=CLERK),
                                       name=f"bench-{time.time_ns()}")
    return raw


def synthetic_procedures(total: int) -> int:
    """Add made-up procedures until the catalogue has `total` (names from real words)."""
    from cityhall.procedures.models import Procedure, ProcedureComponent

    have = Procedure.objects.count()
    rng = random.Random(11)
    verbs = ["Đăng ký", "Cấp", "Cấp lại", "Điều chỉnh", "Gia hạn", "Thu hồi", "Xác nhận",
             "Thẩm định", "Chấp thuận", "Công nhận"]
    things = ["giấy phép kinh doanh", "hộ tịch", "quyền sử dụng đất", "giấy phép xây dựng",
              "hộ kinh doanh", "chứng chỉ hành nghề", "an toàn thực phẩm", "cư trú",
              "phương tiện thủy nội địa", "biển hiệu quảng cáo", "hoạt động giáo dục",
              "di tích lịch sử", "lao động nước ngoài", "nhà ở xã hội", "bảo trợ xã hội"]
    sectors = ["Hộ tịch", "Chứng thực", "Đất đai", "Xây dựng", "Kinh tế hợp tác",
               "Y tế", "Giáo dục", "Lao động", "Văn hóa", "Giao thông", "Tài nguyên nước"]
    rows = []
    for n in range(have, total):
        name = f"{rng.choice(verbs)} {rng.choice(things)} (thủ tục {n + 1})"
        rows.append(Procedure(
            code=f"9.{n:06d}.000.00.00.H29", name=name, sector=rng.choice(sectors),
            level=rng.choice(["commune", "province"]), decided_by="commune",
            processing_days=rng.choice([1, 3, 5, 10, 15]), online=rng.choice(
                ["fully", "partly", "none"]), result="Giấy chứng nhận"))
    for row in rows:  # bulk_create skips save(), which computes the search keys
        row.search_text = ""
        row.save()
    ProcedureComponent.objects.bulk_create(
        [ProcedureComponent(procedure=p, order=1, name="Tờ khai") for p in rows])
    return len(rows)


GENERATE_SQL = """
WITH units AS (SELECT array_agg(id ORDER BY id) AS ids FROM orgunits_unit
               WHERE kind IN ('ward', 'commune', 'special_zone')),
     procs AS (SELECT array_agg(id ORDER BY id) AS ids FROM procedures_procedure),
     wf AS (SELECT id FROM workflow_workflowdefinition WHERE name = 'dossier'
            ORDER BY version DESC LIMIT 1)
INSERT INTO dossiers_dossier (
  state, started_at, state_entered_at, due_at, closed_at, sweep_stage, escalation_level, steps,
  code, channel, on_behalf, applicant_kind, applicant_name, applicant_id_number,
  applicant_phone, applicant_email, applicant_address, fee_vnd, received_at, appointment_at,
  idempotency_scope, idempotency_key, created_at, procedure_id, receiving_unit_id, unit_id,
  workflow_id, rating_comment, components_at_receipt, by_data_at_receipt)
SELECT 'returned', t, t, t + interval '3 days', t + interval '2 days', 0, 0, 4,
  'G' || lpad(i::text, 8, '0'), CASE WHEN i %% 3 = 0 THEN 'counter' ELSE 'online' END, false,
  'resident', 'Nguyễn Văn ' || i, lpad(i::text, 12, '0'), '0903000000', '', 'Phường', 0,
  t, t + interval '3 days', 'user:0', 'g' || i, t,
  procs.ids[1 + i %% cardinality(procs.ids)], units.ids[1 + i %% cardinality(units.ids)],
  units.ids[1 + i %% cardinality(units.ids)], wf.id, '', 3, 0
FROM generate_series(%(first)s, %(last)s) AS i, units, procs, wf,
     LATERAL (SELECT now() - interval '1 day' - (i %% 730) * interval '1 day'
                     - (i %% 36000) * interval '1 second' AS t) AS x
"""
COMPONENTS_SQL = """
INSERT INTO dossiers_dossiercomponent (dossier_id, name, copies, data_source, data_reference,
                                       data_read)
SELECT d.id, 'Thành phần ' || k, 1, '', '', '{}'::jsonb
FROM dossiers_dossier d, generate_series(1, 3) AS k
WHERE d.code >= %(first)s AND d.code <= %(last)s AND d.code LIKE 'G%%'
"""
STEPS_SQL = """
INSERT INTO workflow_transition (case_type, case_id, seq, action, from_state, to_state,
  actor_label, at, comment, reason, attachments, due_at, idempotency_key, workflow_id, unit_id)
SELECT 'dossiers.dossier', d.id, 1, 'start', '', 'received', 'bench', d.received_at, '', '',
  '[]'::jsonb, d.due_at, '', d.workflow_id, d.unit_id
FROM dossiers_dossier d
WHERE d.code >= %(first)s AND d.code <= %(last)s AND d.code LIKE 'G%%'
"""


def generate(count: int, chunk: int = 100_000) -> float:
    """`count` past dossiers (3 components and a start step each); seconds taken."""
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM dossiers_dossier WHERE code LIKE 'G%%'")
        have = cur.fetchone()[0]
        for first in range(have + 1, count + 1, chunk):
            last = min(first + chunk - 1, count)
            codes = {"first": f"G{first:08d}", "last": f"G{last:08d}"}
            cur.execute(GENERATE_SQL, {"first": first, "last": last})
            cur.execute(COMPONENTS_SQL, codes)
            cur.execute(STEPS_SQL, codes)
            print(f"  generated {last:,} dossiers ({time.perf_counter() - began:.0f} s)",
                  flush=True)
    took = time.perf_counter() - began
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    return took


def sample_files() -> list[tuple[str, str, bytes]]:
    """A PDF, a JPEG and a PNG of about 200 KB each (noise does not compress)."""
    from PIL import Image
    from pypdf import PdfWriter

    rng = random.Random(7)
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("scan.bin", rng.randbytes(200_000))
    pdf = io.BytesIO()
    writer.write(pdf)
    noise = Image.frombytes("RGB", (300, 300), rng.randbytes(300 * 300 * 3))
    jpeg, png = io.BytesIO(), io.BytesIO()
    noise.save(jpeg, "JPEG", quality=92)
    Image.frombytes("RGB", (260, 260), rng.randbytes(260 * 260 * 3)).save(png, "PNG")
    return [("to-khai.pdf", "application/pdf", pdf.getvalue()),
            ("cccd.jpg", "image/jpeg", jpeg.getvalue()),
            ("hop-dong.png", "image/png", png.getvalue())]


def multipart(dossier: dict[str, Any], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """The body of `POST /api/v1/dossiers/with-files`, and its content type."""
    boundary = secrets.token_hex(16)
    out = io.BytesIO()

    def part(headers: str, data: bytes) -> None:
        out.write(f"--{boundary}\r\n{headers}\r\n\r\n".encode())
        out.write(data)
        out.write(b"\r\n")

    part('Content-Disposition: form-data; name="dossier"\r\n'
         'Content-Type: text/plain; charset=utf-8', json.dumps(dossier).encode())
    for number, (name, kind, data) in enumerate(files, start=1):
        part(f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
             f"Content-Type: {kind}", data)
        part('Content-Disposition: form-data; name="file_components"', str(number).encode())
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, float, bytes]:
    """One request on a new connection (gunicorn's sync workers close it); status, seconds."""
    began = time.perf_counter()
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={
            "Host": "127.0.0.1", "X-Forwarded-Proto": "https", **(headers or {})})
        answer = conn.getresponse()
        data = answer.read()
        return answer.status, time.perf_counter() - began, data
    finally:
        conn.close()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def receipts_in_a_row(port: int, count: int, body: bytes, headers: dict[str, str]) -> str:
    times, bad = [], 0
    for _ in range(count):
        status, took, _data = request(port, "POST", "/api/v1/dossiers/with-files", body,
                                      {**headers, "Idempotency-Key": str(uuid.uuid4())})
        if status == 201:
            times.append(took)
        else:
            bad += 1
    return (f"receipt, one at a time: {len(times)} x 201, {bad} other; server time p50 "
            f"{statistics.median(times) * 1000:.1f} ms, p95 {pct(times, 95) * 1000:.1f} ms, "
            f"max {max(times) * 1000:.1f} ms (target p95 < 50 ms)")


def clients_at_once(server: Server, threads: int, seconds: float,
                    one: Callable[[], None]) -> tuple[float, CpuMeter]:
    """`threads` clients calling `one` until `seconds` have passed: the seconds taken, and
    the CPU the web workers, PostgreSQL and this client spent meanwhile."""
    stop_at = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < stop_at:
            one()

    meter = CpuMeter(server)
    meter.start()
    began = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    took = time.monotonic() - began
    meter.stop()
    return took, meter


def counters_at_once(server: Server, threads: int, seconds: float, body: bytes,
                     headers: dict[str, str]) -> tuple[str, list[str]]:
    """`threads` counters posting receipts for `seconds`; the summary (with the CPU each
    receipt cost the web workers, PostgreSQL and this client) and the codes made."""
    codes: list[str] = []
    times: list[float] = []
    bad: list[int] = []
    lock = threading.Lock()

    def receipt() -> None:
        status, took, data = request(server.port, "POST", "/api/v1/dossiers/with-files", body,
                                     {**headers, "Idempotency-Key": str(uuid.uuid4())})
        with lock:
            if status == 201:
                codes.append(json.loads(data)["code"])
                times.append(took)
            else:
                bad.append(status)

    took, meter = clients_at_once(server, threads, seconds, receipt)
    return (f"{threads} counters for {seconds:.0f} s: {len(codes)} receipts, "
            f"{len(codes) / took:.1f} per second (target >= 200/s), answer p50 "
            f"{statistics.median(times) * 1000:.0f} ms, p95 {pct(times, 95) * 1000:.0f} ms; "
            f"{len(bad)} not 201 {sorted(set(bad))}\n"
            f"  CPU per receipt: {meter.per(len(codes))}"), codes


def floor(server: Server, threads: int, seconds: float, body: bytes, content_type: str) -> str:
    """The same body refused at authentication (an unknown token), `threads` at once: what
    only carrying the receipt's 600 KB through gunicorn, Django's multipart parser and the
    middleware costs, before any of the receipt's own work (one token look-up)."""
    count = [0]
    lock = threading.Lock()
    statuses: set[int] = set()

    def refused() -> None:
        status, _took, _data = request(server.port, "POST", "/api/v1/dossiers/with-files",
                                       body, {"Authorization": "Bearer unknown",
                                              "Content-Type": content_type})
        with lock:
            count[0] += 1
            statuses.add(status)

    took, meter = clients_at_once(server, threads, seconds, refused)
    return (f"floor, the same body refused at sign-in ({sorted(statuses)}): "
            f"{count[0] / took:.0f} per second\n  CPU per request: {meter.per(count[0])}")


def check_codes(agency_prefix: str, made: list[str]) -> str:
    """The day's codes of the agency must be 1..N, each once, N = the receipts answered."""
    from cityhall.dossiers.models import Dossier

    stored = list(Dossier.objects.filter(code__startswith=agency_prefix)
                  .values_list("code", flat=True))
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in stored)
    duplicates = len(made) - len(set(made))
    missing = sorted(set(range(1, len(numbers) + 1)) - set(numbers))
    ok = (not duplicates and not missing and set(made) <= set(stored)
          and len(set(numbers)) == len(numbers))
    return (f"codes of {agency_prefix}*: {len(stored)} stored, numbers 1..{max(numbers or [0])}, "
            f"{duplicates} duplicate(s) answered, {len(missing)} missing: "
            f"{'OK' if ok else 'FAILED'}")


def searches(port: int, count: int) -> str:
    rng = random.Random(5)
    times = []
    found = 0
    for _ in range(count):
        q = rng.choice(SEARCH_WORDS)
        status, took, data = request(port, "GET", f"/api/v1/procedures?q={quote(q)}")
        if status == 200:
            times.append(took)
            found += json.loads(data)["count"] > 0
    return (f"catalogue search: {len(times)} queries ({found} with results); p50 "
            f"{statistics.median(times) * 1000:.1f} ms, p95 {pct(times, 95) * 1000:.1f} ms "
            f"(target p95 < 30 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--stored", type=int, default=1_000_000,
                        help="past dossiers in the database (default 1,000,000)")
    parser.add_argument("--duration", type=int, default=30, help="seconds of counters")
    parser.add_argument("--counters", type=int, default=8, help="concurrent counters")
    parser.add_argument("--receipts", type=int, default=300, help="receipts one at a time")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per web process (1: sync workers; more: gthread)")
    parser.add_argument("--searches", type=int, default=500, help="catalogue searches")
    parser.add_argument("--skip-generate", action="store_true",
                        help="keep the database from the last run")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    args = parser.parse_args()
    if (args.duration > 120 or not 1 <= args.counters <= 32 or args.stored > 5_000_000
            or args.receipts > 5000 or args.searches > 20000):
        raise SystemExit("the load is bounded: 120 s, 32 counters, 5 M dossiers, "
                         "5000 receipts, 20000 searches")
    if not args.skip_generate:
        recreate(args.db)
    key = secrets.token_urlsafe(50)
    os.environ.update({"DATABASE_URL": args.db, "DEBUG": "1", "SECRET_KEY": key,
                       "DJANGO_SETTINGS_MODULE": "cityhall.settings", "LOG_LEVEL": "WARNING"})
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from cityhall.dossiers.services import agency_code
    from cityhall.orgunits.models import Unit
    from cityhall.procedures.models import Procedure

    token = prepare(not args.skip_generate)
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        db_version = cur.fetchone()[0].split(",")[0]
    print(f"machine:      {machine(db_version)}", flush=True)
    print(f"load avg:     {load()} at start (shared machine)", flush=True)
    if not args.skip_generate:
        took = generate(args.stored)
        print(f"generated:    {args.stored:,} past dossiers, {3 * args.stored:,} components, "
              f"{args.stored:,} start steps in {took:.0f} s (+ VACUUM ANALYZE)", flush=True)
    from cityhall.dossiers.models import Dossier

    print(f"stored:       {Dossier.objects.count():,} dossiers, "
          f"{Procedure.objects.count():,} procedures", flush=True)
    ward = Unit.objects.get(memberships__user__username=CLERK)
    prefix = f"{agency_code(ward)}-{timezone.localdate():%y%m%d}-"
    files = sample_files()
    body, content_type = multipart({
        "procedure": HOUSEHOLD_BUSINESS, "channel": "counter", "receiving_unit": ward.code,
        "applicant": {"name": "Trần Thị Ánh", "id_number": "079300000077",
                      "phone": "0903000077", "address": "45 Lê Lợi, Phường Sài Gòn"}}, files)
    print(f"receipt:      POST /api/v1/dossiers/with-files, {HOUSEHOLD_BUSINESS}, files "
          f"{', '.join(f'{k} {len(d) // 1024} KB' for _n, k, d in files)}; clerk of "
          f"{ward.name} (agency {agency_code(ward)})", flush=True)
    # The server's var/ (uploaded files under media/): the bench's own, removed at the end.
    media = ROOT / "var" / "bench" / f"dossiers-{os.getpid()}"
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0",
           "CITYHALL_RATE_ANONYMOUS": "off", "CITYHALL_RATE_SIGNED_IN": "off",
           "CITYHALL_RATE_PARTNER": "off", "CITYHALL_VAR_DIR": str(media)}
    del settings  # the server reads its own settings from env
    server = Server(env, free_port(), ready_path="/api/v1/procedures?limit=1", timeout=60,
                    threads=args.threads)
    kind = "sync" if args.threads == 1 else f"gthread, {args.threads} threads each"
    print(f"server:       gunicorn cityhall.wsgi, 2 workers ({kind}), DEBUG=0, 127.0.0.1, "
          f"media under {media.relative_to(ROOT)}", flush=True)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    try:
        print(receipts_in_a_row(server.port, args.receipts, body, headers), flush=True)
        summary, made = counters_at_once(server, args.counters, args.duration, body,
                                         headers)
        print(summary, flush=True)
        print(check_codes(prefix, made), flush=True)
        print(floor(server, args.counters, min(10, args.duration), body, content_type),
              flush=True)
        print(searches(server.port, args.searches), flush=True)
    finally:
        server.stop()
        shutil.rmtree(media, ignore_errors=True)
    if args.drop:
        connection.close()
        drop(args.db)
        print(f"dropped:      {urlparse(args.db).path.lstrip('/')}")


if __name__ == "__main__":
    main()
