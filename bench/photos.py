"""Upload the worst accepted report photos to a real server: answer time and memory growth.

Usage: .venv/bin/python bench/photos.py [--repeat 3] [--cases NAME,...]
       [--inline-budget N] [--fresh]

Steps: (1) a scratch instance under var/bench/photos/ (SQLite, media): migrate and load
the units, workflows and categories once; (2) make the inputs once
(kept in var/bench/photo-inputs/): for each case, an image at the most pixels accepted
(`CITYHALL_REPORTS_PHOTO_MAX_PIXELS`) filled with noise until it is just under the byte
limit (`CITYHALL_REPORTS_PHOTO_MAX_BYTES`), plus the issue's five 7000x7000 PNGs and
phone-like 12-megapixel JPEGs; (3) start `gunicorn cityhall.wsgi` (one sync worker) on
127.0.0.1 in production mode (DEBUG=0); (4) warm it up (two small uploads), read the worker's idle
RSS; (5) for each case, `--repeat` times: file an anonymous report through the API (not
timed), reset the worker's peak RSS (/proc/PID/clear_refs), send the maximum number of
photos (`CITYHALL_REPORTS_PHOTOS_MAX`) in one `POST /api/v1/reports/{code}/photos`, time
the answer, read the peak RSS (VmHWM); then run
`cityhall worker --once` and time it, with its peak RSS, as it cleans the photos the
requests left to it. Prints each case's answer time (median and max), the server's peak
RSS over idle, how many photos were cleaned in the request and in the worker, the
worker's time and peak RSS, and the machine (CPU model, cores, load average).

Targets (issue #8): every answer within 2 s, the server's peak under idle + 300 MB.
The requests only go to 127.0.0.1 and stop after the cases.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import load, machine  # noqa: E402

WORK = ROOT / "var" / "bench" / "photos"
INPUTS = ROOT / "var" / "bench" / "photo-inputs"
BIN = Path(sys.executable).parent
# The settings' defaults (cityhall/settings.py); the server gets the same values.
MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 50_000_000
PHOTOS = 5
TARGET_SECONDS = 2.0
TARGET_GROWTH_MB = 300


# Inputs


def _noisy(fmt: str, size: tuple[int, int], sigma: float, **options: object) -> bytes:
    """A gradient under Gaussian noise of `sigma`: the noise decides how well it compresses."""
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.effect_noise(size, sigma).convert("RGB") if sigma else base
    out = io.BytesIO()
    Image.blend(base, noise, 0.5).save(out, format=fmt, **options)
    return out.getvalue()


def filled(fmt: str, size: tuple[int, int], limit: int, **options: object) -> bytes:
    """An image of `size` with as much noise as fits under `limit` bytes (within 3 %).

    The noise level is searched on a crop of about one megapixel (the noise is the same
    everywhere, so bytes per pixel carry over), then the whole image is encoded once or
    twice more to land just under the limit.
    """
    pixels = size[0] * size[1]
    scale = min(1.0, (1_000_000 / pixels) ** 0.5)
    crop = (max(64, int(size[0] * scale)), max(64, int(size[1] * scale)))
    target = limit * 0.97 * (crop[0] * crop[1]) / pixels
    low, high = 0.0, 128.0
    for _ in range(10):
        middle = (low + high) / 2
        if len(_noisy(fmt, crop, middle, **options)) <= target:
            low = middle
        else:
            high = middle
    sigma = low
    for _ in range(6):
        data = _noisy(fmt, size, sigma, **options)
        if len(data) <= limit:
            return data
        sigma *= 0.85
    return _noisy(fmt, size, 0, **options)


def flat_png(size: tuple[int, int]) -> bytes:
    """The issue's case: a 7000x7000 PNG of about 190 KB (a smooth picture)."""
    out = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def sides(pixels: int) -> tuple[int, int]:
    """A 4:3 size of at most `pixels` pixels."""
    width = int((pixels * 4 / 3) ** 0.5)
    return width, width * 3 // 4


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    make: Callable[[], bytes]


def cases(max_bytes: int, max_pixels: int) -> list[Case]:
    """Each case sends PHOTOS copies of one image; the first four are the worst accepted."""
    big = sides(max_pixels)
    budget = (4000, 3000)
    return [
        Case("jpeg-max", f"JPEG {big[0]}x{big[1]}, just under {max_bytes >> 20} MB",
             lambda: filled("JPEG", big, max_bytes, quality=92)),
        Case("png-max", f"PNG {big[0]}x{big[1]}, just under {max_bytes >> 20} MB",
             lambda: filled("PNG", big, max_bytes, compress_level=9)),
        Case("webp-max", f"WebP {big[0]}x{big[1]}, just under {max_bytes >> 20} MB",
             lambda: filled("WEBP", big, max_bytes, quality=90)),
        Case("png-7000", "PNG 7000x7000, smooth (the issue's case)",
             lambda: flat_png((7000, 7000))),
        Case("png-12mp", f"PNG {budget[0]}x{budget[1]}, just under {max_bytes >> 20} MB",
             lambda: filled("PNG", budget, max_bytes, compress_level=9)),
        Case("jpeg-phone", "JPEG 4032x3024 at quality 92 (a phone's photo)",
             lambda: filled("JPEG", (4032, 3024), 4 * 1024 * 1024, quality=92)),
    ]


def inputs(case: Case, key: str) -> bytes:
    """The case's image, made once and kept."""
    path = INPUTS / f"{case.name}-{key}.bin"
    if not path.exists():
        INPUTS.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        path.write_bytes(case.make())
        print(f"  made {case.name} in {time.monotonic() - started:.0f} s")
    return path.read_bytes()


# The server


def environment(args: argparse.Namespace) -> dict[str, str]:
    """Production settings on a scratch var directory with SQLite."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CITYHALL_")}
    secret = WORK / "secret_key"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(60))
    env.update({
        "DEBUG": "0", "SECRET_KEY": secret.read_text(), "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0", "CITYHALL_VAR_DIR": str(WORK),
        "DATABASE_URL": f"sqlite:///{WORK / 'cityhall.sqlite3'}", "LOG_LEVEL": "WARNING",
        "CITYHALL_REPORTS_PHOTO_MAX_BYTES": str(args.max_bytes),
        "CITYHALL_REPORTS_PHOTO_MAX_PIXELS": str(args.max_pixels),
        "CITYHALL_REPORTS_PHOTOS_MAX": str(PHOTOS),
    })
    if args.inline_budget is not None:
        env["CITYHALL_REPORTS_PHOTO_INLINE_BUDGET"] = str(args.inline_budget)
    return env


def prepare(env: dict[str, str]) -> None:
    """Migrate and load what filing a report needs, once per scratch directory."""
    ready = WORK / "ready"
    if ready.exists():
        return
    cityhall = str(BIN / "cityhall")
    for command in (["migrate", "--no-input", "-v", "0"], ["load_units"], ["load_workflows"],
                    ["load_categories"]):
        subprocess.run([cityhall, *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    ready.write_text("ok")


class Server(common.Server):
    """gunicorn cityhall.wsgi with one sync worker on loopback."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(env, common.free_port(), ready_path="/healthz", workers=1,
                         timeout=120)

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return int(children.read_text().split()[0])

    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            answer = connection.getresponse()
            return answer.status, dict(answer.getheaders()), answer.read()
        finally:
            connection.close()


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    """Start the process's peak RSS (VmHWM) again from its current RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def upload(server: Server, photos: list[bytes], pid: int) -> tuple[int, float]:
    """File an anonymous report (not timed), then send `photos` to it in one request, as the
    app does after filing: the answer's status and seconds."""
    report = json.dumps({"category": "moi-truong-rac", "channel": "app",
                         "description": "Rác dồn đống trước số 5 (bench).",
                         "address": "Phường Sài Gòn, TP.HCM",
                         "contact": {"name": "Bench", "phone": "0909123456"}}).encode()
    status, _headers, body = server.request("POST", "/api/v1/reports", report,
                                            {"Content-Type": "application/json"})
    assert status == 201, body[:300]
    made = json.loads(body)
    boundary = secrets.token_hex(16)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
             f'filename="photo-{number}.img"\r\nContent-Type: application/octet-stream'
             f"\r\n\r\n".encode() + data + b"\r\n" for number, data in enumerate(photos)]
    payload = b"".join(parts) + f"--{boundary}--\r\n".encode()
    reset_peak(pid)
    started = time.monotonic()
    status, _headers, _body = server.request(
        "POST", f"/api/v1/reports/{made['code']}/photos", payload,
        {"Content-Type": f"multipart/form-data; boundary={boundary}",
         "X-Report-Token": made["private_token"]})
    return status, time.monotonic() - started


def photo_states() -> dict[str, int]:
    with sqlite3.connect(WORK / "cityhall.sqlite3") as db:
        rows = db.execute("SELECT state, COUNT(*) FROM reports_reportphoto GROUP BY state")
        return dict(rows)


def run_worker(env: dict[str, str]) -> tuple[float, int]:
    """`cityhall worker --once`: seconds and peak RSS in MB.

    The peak is the worker's own VmHWM, read every 20 ms until it exits (the kernel's
    ru_maxrss of a child also counts the parent's memory at fork, this script's images).
    """
    started = time.monotonic()
    process = subprocess.Popen([str(BIN / "cityhall"), "worker", "--once"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        with contextlib.suppress(OSError, KeyError):  # exiting: the last reading stands
            peak = max(peak, status_kb(process.pid, "VmHWM"))
        time.sleep(0.02)
    return time.monotonic() - started, peak // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="requests per case (1-10)")
    parser.add_argument("--cases", default="", help="comma-separated case names (all)")
    parser.add_argument("--inline-budget", type=int, default=None,
                        help="the server's CITYHALL_REPORTS_PHOTO_INLINE_BUDGET")
    parser.add_argument("--max-bytes", type=int, default=MAX_BYTES)
    parser.add_argument("--max-pixels", type=int, default=MAX_PIXELS)
    parser.add_argument("--fresh", action="store_true", help="a new scratch instance")
    args = parser.parse_args()
    repeat = max(1, min(args.repeat, 10))
    if args.fresh and WORK.exists():
        for path in sorted(WORK.rglob("*"), reverse=True):
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
    WORK.mkdir(parents=True, exist_ok=True)
    env = environment(args)
    print(f"machine: {machine(f'Pillow {Image.__version__}')}")
    print(f"load average at start: {load()}")
    prepare(env)
    inline = args.inline_budget if args.inline_budget is not None else 12_000_000
    chosen = [c for c in cases(args.max_bytes, args.max_pixels)
              if not args.cases or c.name in args.cases.split(",")]
    key = f"{args.max_bytes}-{args.max_pixels}"
    data = {case.name: inputs(case, key) for case in chosen}
    server = Server(env)
    try:
        pid = server.worker_pid()
        small = io.BytesIO()
        Image.new("RGB", (640, 480), (90, 120, 30)).save(small, format="JPEG")
        for _ in range(2):
            upload(server, [small.getvalue()], pid)
        run_worker(env)
        idle = status_kb(pid, "VmRSS") // 1024
        print(f"server worker pid {pid}, idle RSS after warm-up: {idle} MB; inline budget "
              f"{inline / 1e6:g}M; {PHOTOS} photos per request, {repeat} requests per case")
        print(f"{'case':<11} {'photo':>8} {'status':>6} {'answer s (med/max)':>19} "
              f"{'peak over idle MB':>18} {'in request':>10} {'in worker':>9} "
              f"{'worker s':>8} {'worker MB':>9}  load")
        failed = False
        for case in chosen:
            # Copies told apart by a tag after the image's end (decoders ignore it), so that
            # none is taken for a retry of another: PHOTOS distinct uploads.
            photos = [data[case.name] + b"bench-%d-%d" % (number, time.time_ns())
                      for number in range(PHOTOS)]
            before = photo_states()
            times, growth, statuses = [], [], set()
            for _ in range(repeat):
                status, seconds = upload(server, photos, pid)
                statuses.add(status)
                times.append(seconds)
                growth.append(status_kb(pid, "VmHWM") // 1024 - idle)
            after = photo_states()
            ready = after.get("ready", 0) - before.get("ready", 0)
            pending = after.get("pending", 0) - before.get("pending", 0)
            worker_seconds, worker_mb = run_worker(env)
            cleaned = photo_states()
            left = cleaned.get("pending", 0)
            failed |= max(times) > TARGET_SECONDS or max(growth) > TARGET_GROWTH_MB
            print(f"{case.name:<11} {len(data[case.name]) / 2**20:>6.2f}MB "
                  f"{','.join(map(str, sorted(statuses))):>6} "
                  f"{statistics.median(times):>9.2f}/{max(times):<9.2f} {max(growth):>18} "
                  f"{ready:>10} {pending:>9} {worker_seconds:>8.1f} {worker_mb:>9}  {load()}"
                  + (f"  ({left} still pending)" if left else ""))
        for case in chosen:
            print(f"  {case.name}: {case.what}")
        print(f"targets: answer <= {TARGET_SECONDS} s, peak <= idle + {TARGET_GROWTH_MB} MB: "
              + ("MISSED" if failed else "met"))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
