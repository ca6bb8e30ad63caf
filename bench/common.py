"""What every benchmark shares: the line that says which machine the figures come from,
the load average, the scratch PostgreSQL database it works in, and the gunicorn it loads.

The scripts put the project's root on `sys.path` and import this as `bench.common`.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def machine(*software: str) -> str:
    """CPU model, cores, memory and Python, then whatever else the caller names (a library
    version, the database server): `Intel Xeon ..., 2 cores, 23.4 GiB RAM, Python 3.11.2`."""
    cpu, ram = "unknown CPU", 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass  # not Linux: the figures still print, with less about the machine
    parts = [f"{cpu}, {os.cpu_count()} cores, {ram:.1f} GiB RAM",
             f"Python {platform.python_version()}", *software]
    return ", ".join(parts)


def load() -> str:
    """The load average over 1, 5 and 15 minutes: other work on the machine moves every
    wall-clock figure, so each bench prints it next to them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def database_exists(url: str) -> bool:
    """Whether the PostgreSQL database named in `url` exists."""
    import psycopg

    parsed = urlparse(url)
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             [parsed.path.lstrip("/")]).fetchone()
    return found is not None


def recreate(url: str) -> None:
    """Drop and create the scratch database named in `url`; refuses any name that does not
    start with `cityhall_bench`, so a mistyped --db never empties a real database."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith("cityhall_bench"):
        raise SystemExit("--db must name a scratch database called cityhall_bench...")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`gunicorn cityhall.wsgi` with `workers` workers (2) on loopback, with the caller's
    environment (production settings), ready once `ready_path` answers 200.

    One thread per worker is gunicorn's sync worker; more make it the gthread worker.
    """

    def __init__(self, env: dict[str, str], port: int, *, ready_path: str,
                 workers: int = 2, threads: int = 1, timeout: int = 30) -> None:
        self.port = port
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.process = subprocess.Popen(
            [gunicorn, "cityhall.wsgi", "--workers", str(workers), "--threads", str(threads),
             "--bind", f"127.0.0.1:{port}", "--backlog", "256", "--log-level", "warning",
             "--timeout", str(timeout)],
            cwd=ROOT, env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}",
                                            timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer within 60 s")

    def workers(self) -> list[int]:
        """The worker processes' ids (for a profiler)."""
        found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True,
                               text=True, check=False)
        return [int(p) for p in found.stdout.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_seconds(pid: int, *, children: bool = False, missing: float = 0.0) -> float:
    """CPU seconds (user + system) a process has used, from /proc; with `children`, also
    what its exited children used (the postmaster's ended backends). `missing` if there is
    no such process here (it ended, or it runs on another machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return missing
    # After the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def _pids(*args: str) -> list[int]:
    found = subprocess.run(["pgrep", *args], capture_output=True, text=True, check=False)
    return [int(p) for p in found.stdout.split()]


class CpuMeter:
    """The CPU seconds spent by the web workers, by PostgreSQL (every server process, and
    the backends that ended, through the postmaster's children time) and by this client,
    between `start()` and `stop()`: what one operation costs the machine, whatever the
    load, to set against the cores there are. Linux only (reads /proc)."""

    def __init__(self, server: Server | None = None) -> None:
        self.server = server
        self.spent: dict[str, float] = {}
        self._began: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        postgres = _pids("-x", "postgres")
        roots = [p for p in postgres if _parent(p) not in postgres]
        web = self.server.workers() if self.server else []
        return {
            "web": sum(proc_seconds(p, children=True) for p in web)
            + (proc_seconds(self.server.process.pid) if self.server else 0.0),
            "postgresql": sum(proc_seconds(p, children=p in roots) for p in postgres),
            "client": sum(os.times()[:2]),
        }

    def start(self) -> None:
        self._began = self._now()

    def stop(self) -> dict[str, float]:
        ended = self._now()
        self.spent = {k: max(0.0, ended[k] - self._began.get(k, 0.0)) for k in ended}
        return self.spent

    def per(self, count: int) -> str:
        """`web 9.1 ms, PostgreSQL 3.2 ms, client 0.4 ms: 12.7 ms of CPU per <op>`."""
        if not count:
            return "no operation"
        parts = {k: v / count * 1000 for k, v in self.spent.items()}
        total = sum(parts.values())
        return (f"web {parts['web']:.1f} ms, PostgreSQL {parts['postgresql']:.1f} ms, client "
                f"{parts['client']:.1f} ms: {total:.1f} ms of CPU each, so at most "
                f"{(os.cpu_count() or 1) / total * 1000:.0f} a second on "
                f"{os.cpu_count()} cores")


def _parent(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1])
    except (OSError, IndexError, ValueError):
        return 0
