"""`make run`'s helpers: the 'serving on' line waits until the server listens."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "wait_for_port.py"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_serving_line_comes_only_once_the_port_listens() -> None:
    port = _free_port()
    # Our own script with fixed arguments.
    waiter = subprocess.Popen(  # noqa: S603
        [sys.executable, str(SCRIPT), "127.0.0.1", str(port), "serving"],
        stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    assert waiter.poll() is None  # nothing listens yet: still waiting, nothing printed
    server = socket.socket()
    server.bind(("127.0.0.1", port))
    server.listen()
    accepting = threading.Thread(target=lambda: server.accept()[0].close(), daemon=True)
    accepting.start()
    try:
        out, _err = waiter.communicate(timeout=10)
    finally:
        server.close()
    assert waiter.returncode == 0 and out.strip() == "serving"
