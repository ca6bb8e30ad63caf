"""Shared setup for the workflow, notification and worker tests: a ward, its staff, a case."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, TypeVar

from django.db import connections

from cityhall.accounts.models import Role, User
from cityhall.orgunits.models import Unit
from cityhall.workflow import engine
from cityhall.workflow.models import ExampleCase
from tests.factories import make_staff, make_user

_R = TypeVar("_R")
_serial = itertools.count()


@dataclass
class Staff:
    ward: Unit
    clerk: User
    officer: User
    other_officer: User
    leader: User
    city_leader: User
    applicant: User
    outsider: User


def _user(name: str, role: str | None = None, unit: Unit | None = None, **extra: str) -> User:
    n = next(_serial)
    username, email = f"{name}-{n}", f"{name}-{n}@example.test"
    if role is None:
        return make_user(username, email=email, **extra)
    assert unit is not None
    return make_staff(username, unit, role, email=email, **extra)


def ward_staff(language: str = "vi") -> Staff:
    """A ward with a clerk, two officers and a leader; a city leader; an applicant; an outsider."""
    ward, other = Unit.objects.active_on().commune_level().order_by("code")[:2]
    assert ward.parent is not None
    return Staff(
        ward=ward,
        clerk=_user("clerk", Role.CLERK, ward),
        officer=_user("officer", Role.OFFICER, ward, language=language),
        other_officer=_user("officer2", Role.OFFICER, ward),
        leader=_user("leader", Role.LEADER, ward, language="en"),
        city_leader=_user("cityleader", Role.LEADER, ward.parent),
        applicant=_user("applicant", phone="0901234567", language=language),
        outsider=_user("outsider", Role.LEADER, other),
    )


def new_case(staff: Staff, now: dt.datetime, title: str = "Hồ sơ mẫu") -> ExampleCase:
    """A started example case in the staff's ward."""
    case = ExampleCase(title=title, unit=staff.ward, applicant=staff.applicant)
    engine.start(case, actor=staff.clerk, now=now)
    return case


class FakeGateway:
    """A tiny local HTTP SMS gateway that can be switched off (answers 503).

    `delay` seconds pass before each answer (a slow gateway).
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.up = False
        self.received: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                time.sleep(delay)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                ok = gateway.up and self.headers["Authorization"] == "Bearer sekret"
                if ok:
                    body["key"] = self.headers["Idempotency-Key"]
                    gateway.received.append(body)
                self.send_response(200 if ok else 503)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_together(*jobs: Callable[[], _R]) -> list[_R]:
    """Run the jobs in threads released at the same moment (each its own connection).

    Returns their results in order; an exception in any job is raised here, in the test's
    thread, after all have finished.
    """
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def work(i: int, job: Callable[[], _R]) -> None:
        try:
            barrier.wait()
            results[i] = job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
