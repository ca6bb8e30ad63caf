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

from cityhall.accounts.models import Membership, User
from cityhall.orgunits.models import Unit
from cityhall.workflow import engine
from cityhall.workflow.models import ExampleCase

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


def _user(name: str, **extra: str) -> User:
    n = next(_serial)
    return User.objects.create_user(
        username=f"{name}-{n}", email=f"{name}-{n}@example.test", **extra
    )


def ward_staff(language: str = "vi") -> Staff:
    """A ward with a clerk, two officers and a leader; a city leader; an applicant; an outsider."""
    ward = Unit.objects.active_on().commune_level().order_by("code").first()
    assert ward is not None and ward.parent is not None
    staff = Staff(
        ward=ward,
        clerk=_user("clerk", kind="staff"),
        officer=_user("officer", kind="staff", language=language),
        other_officer=_user("officer2", kind="staff"),
        leader=_user("leader", kind="staff", language="en"),
        city_leader=_user("cityleader", kind="staff"),
        applicant=_user("applicant", phone="0901234567", language=language),
        outsider=_user("outsider", kind="staff"),
    )
    start = dt.date(2020, 1, 1)
    for user, role, unit in [
        (staff.clerk, "clerk", ward), (staff.officer, "officer", ward),
        (staff.other_officer, "officer", ward), (staff.leader, "leader", ward),
        (staff.city_leader, "leader", ward.parent),
    ]:
        Membership.objects.create(user=user, unit=unit, role=role, valid_from=start)
    other = Unit.objects.active_on().commune_level().exclude(pk=ward.pk).order_by("code").first()
    assert other is not None
    Membership.objects.create(user=staff.outsider, unit=other, role="leader", valid_from=start)
    return staff


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
