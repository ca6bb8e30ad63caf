"""Notifications: the outbox survives a gateway outage, email, the API and the bell."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from django.core import mail
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone
from pytest_django import Settings

from cityhall.accounts.models import ApiToken
from cityhall.notifications import services
from cityhall.notifications.models import Notification, OutboxMessage
from cityhall.workflow import engine
from tests.factories import at
from tests.workflow_support import FakeGateway, new_case, ward_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings: Settings) -> Iterator[FakeGateway]:
    fake = FakeGateway()
    settings.CITYHALL_MESSAGE_GATEWAYS = {"sms": (fake.url, "sekret"), "zalo": ("", "")}
    settings.CITYHALL_GATEWAY_TIMEOUT = 2
    yield fake
    fake.close()


def test_a_gateway_that_is_down_delays_messages_and_loses_none(gateway: FakeGateway) -> None:
    staff = ward_staff()
    now = timezone.now()
    cases = [new_case(staff, now, title=f"Hồ sơ {i}") for i in range(3)]
    for case in cases:
        engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=now)
        engine.perform(case, "request_supplement", actor=staff.officer, comment="x", now=now)
    sms = OutboxMessage.objects.filter(channel="sms")
    assert sms.count() == 3
    now = timezone.now()
    down = services.deliver_outbox(worker="w1", now=now)
    # The three assignment emails go out; the three SMS wait.
    assert down.retried == 3 and down.sent == 3 and gateway.received == []
    # Not due yet: nothing is tried again before the backoff has passed.
    assert services.deliver_outbox(worker="w1", now=now + dt.timedelta(seconds=10)).retried == 0
    gateway.up = True
    up = services.deliver_outbox(worker="w1", now=now + dt.timedelta(minutes=1))
    assert up.sent == 3
    assert services.deliver_outbox(worker="w2", now=now + dt.timedelta(hours=2)).sent == 0
    keys = [r["key"] for r in gateway.received]
    assert len(keys) == len(set(keys)) == 3
    assert {r["to"] for r in gateway.received} == {"0901234567"}
    assert all(m.status == "sent" and m.attempts == 2 for m in sms)
    assert len(mail.outbox) == 3  # the officer's assignment emails
    assert mail.outbox[0].to == [staff.officer.email]
    # Once sent, a message keeps only a trace of its address (personal data, minimised).
    assert {m.address for m in sms} == {"…567"}
    domain = staff.officer.email.rsplit("@", 1)[1]
    assert {m.address for m in OutboxMessage.objects.filter(channel="email")} == {"…@" + domain}


def test_masking_keeps_no_more_of_an_address_than_its_domain_or_last_digits() -> None:
    assert services.mask_address("nguyen.van.an@example.vn") == "…@example.vn"
    assert services.mask_address("0901234567") == "…567"
    assert services.mask_address("12") == "…"


def test_a_message_is_given_up_after_the_last_attempt_and_kept(gateway: FakeGateway) -> None:
    staff = ward_staff()
    services.notify(recipients=[staff.applicant], channels=["sms"], template="case_done",
                    context={"case": "A"})
    now = timezone.now()
    for _ in range(services.MAX_ATTEMPTS):
        services.deliver_outbox(now=now)
        now += dt.timedelta(hours=2)
    message = OutboxMessage.objects.get()
    assert message.status == "failed" and message.attempts == services.MAX_ATTEMPTS
    assert "503" in message.last_error


def test_backoff_doubles_and_is_capped() -> None:
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert services.backoff(30) == dt.timedelta(hours=1)


def test_templates_follow_the_recipients_language() -> None:
    assert services.render("case_done", "en", {"case": "X"})[0] == "Completed: X"
    assert services.render("case_done", "vi", {"case": "X"})[0] == "Đã hoàn thành: X"
    assert services.render("case_done", "fr", {"case": "X"})[0] == "Đã hoàn thành: X"


def test_the_api_lists_notices_and_marks_them_read() -> None:
    staff = ward_staff()
    other = ward_staff()
    new_case(staff, at(2026, 3, 2, 9))
    for _ in range(2):
        services.notify(recipients=[staff.officer, other.officer], channels=["in_app"],
                        template="case_done", context={"case": "A"})
    _, raw = ApiToken.issue(staff.officer)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    body = client.get("/api/v1/notifications").json()
    assert body["unread"] == 2 and len(body["items"]) == 2
    first = body["items"][0]["id"]
    marked = client.post("/api/v1/notifications/read", {"ids": [first]},
                         content_type="application/json").json()
    assert marked == {"marked": 1}
    assert client.get("/api/v1/notifications").json()["unread"] == 1
    assert client.post("/api/v1/notifications/read", {}, content_type="application/json"
                       ).json() == {"marked": 1}
    assert Notification.objects.for_user(other.officer).unread().count() == 2
    assert Client().get("/api/v1/notifications").status_code == 401


def test_the_bell_shows_the_unread_count() -> None:
    staff = ward_staff()
    services.notify(recipients=[staff.officer], channels=["in_app"], template="case_done",
                    context={"case": "A"})
    request = RequestFactory().get("/")
    request.user = staff.officer
    html = Template('{% include "notifications/bell.html" %}').render(
        Context({"request": request})
    )
    assert 'class="notification-count" data-testid="bell-count">1<' in html


def test_contacts_without_an_account_get_outbox_messages_only_once_per_address() -> None:
    contacts = [services.ContactAddress(email="a@example.org", phone="0901000001"),
                services.ContactAddress(email="a@example.org"),
                services.ContactAddress(phone="0901000002", language="en")]
    services.notify(recipients=[], contacts=contacts, channels=["in_app", "email", "sms"],
                    template="case_done", context={"case": "A"}, subject_ref="x:1")
    assert not Notification.objects.exists()
    rows = sorted(OutboxMessage.objects.values_list("channel", "address", "subject", "recipient"))
    assert rows == [("email", "a@example.org", "Đã hoàn thành: A", None),
                    ("sms", "0901000001", "Đã hoàn thành: A", None),
                    ("sms", "0901000002", "Completed: A", None)]


def test_a_secret_is_filled_in_at_delivery_and_never_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "_secrets", dict(services._secrets))  # undone after the test
    services.register_secret("test_link", lambda ref: f"https://x.example/{ref}?t=s3cret")
    message = OutboxMessage.objects.create(
        channel="email", address="a@example.org", subject="S", subject_ref="thing:7",
        body="Link: [[secret:test_link]] / [[secret:unknown]].")
    services.deliver_outbox()
    assert mail.outbox[0].body == "Link: https://x.example/thing:7?t=s3cret / ."
    message.refresh_from_db()
    assert message.status == "sent" and "s3cret" not in message.body


def test_text_from_the_context_cannot_ask_for_a_secret() -> None:
    subject, body = services.render("case_done", "vi", {"case": "[[secret:test_link]]"})
    assert not services.SECRET_MARKER.search(subject + body)


def test_without_a_gateway_a_message_is_logged_without_the_full_number(
    settings: Settings, caplog: pytest.LogCaptureFixture,
) -> None:
    settings.CITYHALL_MESSAGE_GATEWAYS = {}
    message = OutboxMessage.objects.create(channel="sms", address="0901234567",
                                           subject="Đã tiếp nhận phản ánh", body="")
    with caplog.at_level("INFO", logger="cityhall.notifications.services"):
        assert services.deliver_outbox(worker="w1").sent == 1
    assert "…567" in caplog.text and "0901234567" not in caplog.text
    message.refresh_from_db()
    assert message.address == "…567"


def _sms(settings: Settings, url: str = "https://sms.example.vn/send") -> OutboxMessage:
    settings.CITYHALL_MESSAGE_GATEWAYS = {"sms": (url, "sekret")}
    settings.CITYHALL_GATEWAY_TIMEOUT = 3
    return OutboxMessage.objects.create(channel="sms", address="0901234567",
                                        subject="Đã tiếp nhận", body="Mã HCM-1")


def _mock(monkeypatch: pytest.MonkeyPatch,
          answer: Callable[[httpx.Request], httpx.Response]) -> list[httpx.Request]:
    """Put the gateway client on a mock transport; returns the requests it was sent."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answer(request)

    monkeypatch.setattr(services, "_client", httpx.Client(transport=httpx.MockTransport(handler)))
    return sent


def test_the_gateway_gets_json_with_the_key_the_idempotency_key_and_the_timeout(
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = _sms(settings)
    sent = _mock(monkeypatch, lambda request: httpx.Response(202))
    services.send(message)
    (request,) = sent
    assert (request.method, str(request.url)) == ("POST", "https://sms.example.vn/send")
    assert request.headers["Authorization"] == "Bearer sekret"
    assert request.headers["Idempotency-Key"] == f"cityhall-outbox-{message.pk}"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"channel": "sms", "to": "0901234567",
                                           "text": "Đã tiếp nhận\nMã HCM-1"}
    assert request.extensions["timeout"] == dict.fromkeys(("connect", "read", "write", "pool"), 3)


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def _slow(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


@pytest.mark.parametrize(("answer", "error"), [
    (lambda request: httpx.Response(503), "gateway answered 503"),
    (lambda request: httpx.Response(401), "gateway answered 401"),
    # A gateway that moved is not followed (the message would go who knows where).
    (lambda request: httpx.Response(302, headers={"Location": "https://elsewhere.example/"}),
     "gateway answered 302"),
    (_refused, "ConnectError: [Errno 111] Connection refused"),
    (_slow, "ReadTimeout: timed out"),
])
def test_what_the_gateway_cannot_take_is_retried_with_the_reason_kept(
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
    answer: Callable[[httpx.Request], httpx.Response], error: str,
) -> None:
    message = _sms(settings)
    sent = _mock(monkeypatch, answer)
    result = services.deliver_outbox(worker="w1")
    assert (result.sent, result.retried, len(sent)) == (0, 1, 1)
    message.refresh_from_db()
    assert message.status == "pending" and message.attempts == 1
    assert message.last_error == error and message.address == "0901234567"


@pytest.mark.parametrize("url", ["ftp://sms.example.vn/send", "http://sms.example.vn:port/send"])
def test_a_gateway_url_that_cannot_be_used_is_a_retry_not_a_crash(
    settings: Settings, url: str,
) -> None:
    message = _sms(settings, url)
    assert services.deliver_outbox(worker="w1").retried == 1
    message.refresh_from_db()
    assert message.status == "pending" and message.last_error


def test_a_gateway_slower_than_the_timeout_is_a_retry(settings: Settings) -> None:
    fake = FakeGateway(delay=0.5)
    fake.up = True
    try:
        message = _sms(settings, fake.url)
        settings.CITYHALL_GATEWAY_TIMEOUT = 0.1
        assert services.deliver_outbox(worker="w1").retried == 1
        message.refresh_from_db()
        assert message.last_error.startswith("ReadTimeout")
        settings.CITYHALL_GATEWAY_TIMEOUT = 2
        assert services.deliver_outbox(worker="w1",
                                       now=timezone.now() + dt.timedelta(minutes=1)).sent == 1
    finally:
        fake.close()
    # The slow answer did arrive: the retry carries the same key, for the gateway to drop it.
    assert [r["key"] for r in fake.received] == [f"cityhall-outbox-{message.pk}"] * 2
