"""The issue's "done when" for edXML: two instances (this test's, served by the live server,
and a second `cityhall runserver` process with its own SQLite database, on free ports). A
decision issued and signed here is sent to a ward of the other instance by its code, arrives,
is registered, assigned and completed there, and each status comes back here. Then the same
with the other instance down for a while: the outbox keeps the message and delivers it once
the instance is back, exactly once."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from cityhall.accounts.models import Role
from cityhall.core.audit import SYSTEM
from cityhall.documents import exchange, services
from cityhall.documents.models import Dispatch, Document
from cityhall.documents.peers import add_peer
from cityhall.notifications.models import OutboxMessage
from cityhall.notifications.services import deliver_outbox
from cityhall.orgunits.models import Unit
from tests.documents_support import issued
from tests.factories import SAIGON, THUDUC, make_staff

ROOT = Path(__file__).resolve().parent.parent
KEY = "shared-key-for-the-two-instance-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Instance:
    """The second instance: its database made once, its server started and stopped."""

    def __init__(self, tmp: Path, ward: str, peer_code: str, peer_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "cityhall.settings",
                    "DATABASE_URL": f"sqlite:///{tmp / 'b.sqlite3'}",
                    "CITYHALL_VAR_DIR": str(tmp), "CITYHALL_EDXML_TIMEOUT": "60",
                    # The same DEMO CA as this instance, so that its signatures are trusted.
                    "CITYHALL_SIGNING_DEMO_DIR": str(django_settings.CITYHALL_SIGNING_DEMO_DIR)}
        made = subprocess.run(  # noqa: S603 (this interpreter, our script)
            [sys.executable, str(ROOT / "tests" / "exchange_instance.py"), ward, peer_code,
             peer_url, KEY], env=self.env, cwd=ROOT, capture_output=True, text=True,
            timeout=120, check=False)
        assert made.returncode == 0, made.stderr[-3000:]
        self.tokens = json.loads(made.stdout.strip().splitlines()[-1])
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tmp / "b.log"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (this interpreter, runserver)
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{self.port}",
             "--noreload", "--skip-checks"], env=self.env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=self.log.open("ab"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/api/v1/documents/types", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("the second instance did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def call(self, who: str, method: str, path: str, body: Any = None) -> Any:
        answer = httpx.request(method, f"{self.url}/api/v1{path}", timeout=30,
                               json=body if body is not None or method == "get" else {},
                               headers={"Authorization": f"Bearer {self.tokens[who]}"})
        assert answer.status_code < 300, (path, answer.status_code, answer.text)
        return answer.json()


@pytest.fixture
def other(committed_registry: None, live_server: LiveServer, tmp_path: Path
          ) -> Iterator[tuple[Instance, Unit, Unit]]:
    ours = Unit.objects.active_on().get(name=SAIGON)
    theirs = Unit.objects.active_on().get(name=THUDUC)
    instance = Instance(tmp_path, theirs.code, exchange.org_code(ours),
                        f"{live_server.url}/api/v1/edxml/messages")
    # Here, their ward is a peer: the directory wins over our own unit of the same code.
    add_peer(actor=SYSTEM, code=exchange.org_code(theirs),
             url=f"{instance.url}/api/v1/edxml/messages", key=KEY)
    instance.start()
    try:
        yield instance, ours, theirs
    finally:
        instance.stop()


def wait_for(check: Any, seconds: float = 60) -> None:
    """Until `check()`; meanwhile this instance's worker rounds retry what a busy machine
    let time out (the other instance's answers are pushed at once)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.3)


def latest(document: Document) -> str:
    return Dispatch.objects.get(document=document).status


@pytest.mark.django_db(transaction=True)
def test_two_instances_exchange_a_decision_and_nothing_is_lost_while_one_is_down(
        other: tuple[Instance, Unit, Unit], settings: Settings) -> None:
    instance, ours, theirs = other
    settings.CITYHALL_EDXML_TIMEOUT = 60  # a loaded machine: the peer's checks take time
    officer = make_staff("a.officer", ours, Role.OFFICER)
    leader = make_staff("a.leader", ours, Role.LEADER)
    clerk = make_staff("a.clerk", ours, Role.CLERK)
    code = exchange.org_code(theirs)

    def send_one(summary: str) -> Document:
        document = issued(ours, officer, leader, clerk, summary=summary)
        services.act_on_document(actor=clerk, document=document, action="send", to=[code])
        return document

    # 1. Both up: sent at once (the push after commit), 01 comes back at once.
    first = send_one("Về việc thành lập Tổ công tác liên thông văn bản")
    wait_for(lambda: latest(first) == "01")
    waiting = instance.call("b.clerk", "get", "/documents/arrivals?state=waiting")
    assert [a["notation"] for a in waiting] == [first.notation]
    assert waiting[0]["signatures_valid"] is True  # the PAdES signatures, checked there
    accepted = instance.call("b.clerk", "post",
                             f"/documents/arrivals/{waiting[0]['id']}/actions/accept")
    wait_for(lambda: latest(first) == "03")
    entry = instance.call("b.clerk", "get", f"/documents/{accepted['document']}")
    assert entry["register_entry"]["number"] == 1 and entry["notation"] == first.notation
    handling = instance.call("b.leader", "post", f"/documents/{accepted['document']}/handlings",
                             {"assignee": "b.clerk", "working_days": 5})
    wait_for(lambda: latest(first) == "04")
    instance.call("b.clerk", "post", f"/documents/handlings/{handling['id']}/actions/complete",
                  {"comment": "Đã thành lập tổ công tác."})
    wait_for(lambda: latest(first) == "06")
    sent = Dispatch.objects.get(document=first)
    assert [s.code for s in sent.statuses.all()] == ["01", "03", "04", "06"]

    # 2. The other instance down: nothing is delivered, the outbox keeps it.
    instance.stop()
    second = send_one("Về việc kiểm tra công tác văn thư")
    message = OutboxMessage.objects.get(subject_ref=Dispatch.objects.get(
        document=second).message_id)
    message.refresh_from_db()
    assert message.status == "pending" and message.attempts == 1 and message.last_error
    # The worker's rounds while it is down: retried later, still pending.
    later = timezone.now() + dt.timedelta(minutes=5)
    assert deliver_outbox(now=later).retried == 1
    # Back up: the next round delivers it, once; more rounds send nothing again.
    instance.start()
    much_later = timezone.now() + dt.timedelta(hours=2)
    assert deliver_outbox(now=much_later).sent == 1
    assert deliver_outbox(now=much_later + dt.timedelta(hours=2)).tried == 0
    wait_for(lambda: latest(second) == "01")
    # A redelivery of the same message (an answer lost on the way) changes nothing there.
    message.refresh_from_db()
    OutboxMessage.objects.filter(pk=message.pk).update(status="pending")
    assert deliver_outbox(now=much_later + dt.timedelta(hours=4)).sent == 1
    arrived = instance.call("b.clerk", "get", "/documents/arrivals")
    assert sorted(a["notation"] for a in arrived) == sorted([first.notation, second.notation])
    assert Dispatch.objects.get(document=second).statuses.count() == 1  # one 01, not two
