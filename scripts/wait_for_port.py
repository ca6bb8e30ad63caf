"""Wait until something listens on HOST:PORT, then print MESSAGE (`make run`'s 'serving on')."""

from __future__ import annotations

import socket
import sys
import time


def wait_for_port(host: str, port: int, *, timeout: float = 120.0) -> bool:
    """Whether a TCP connection to host:port succeeded within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return True
        except OSError:
            time.sleep(0.25)
    return False


def main(argv: list[str]) -> int:
    host, port, message = argv[1], int(argv[2]), " ".join(argv[3:])
    if not wait_for_port(host, port):
        print(f"  nothing is listening on {host}:{port} yet", file=sys.stderr)
        return 1
    print(message, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
