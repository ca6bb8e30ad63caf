"""Notifications: the outbox survives a gateway outage, email, the API and the bell."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

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
from tests.workflow_support import FakeGateway, at, make_staff, new_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings: Settings) -> Iterator[FakeGateway]:
    fake = FakeGateway()
    settings.CITYHALL_MESSAGE_GATEWAYS = {"sms": (fake.url, "sekret"), "zalo": ("", "")}
    settings.CITYHALL_GATEWAY_TIMEOUT = 2
    yield fake
    fake.close()


def test_a_gateway_that_is_down_delays_messages_and_loses_none(gateway: FakeGateway) -> None:
    staff = make_staff()
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
    staff = make_staff()
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
    staff = make_staff()
    other = make_staff()
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
    staff = make_staff()
    services.notify(recipients=[staff.officer], channels=["in_app"], template="case_done",
                    context={"case": "A"})
    request = RequestFactory().get("/")
    request.user = staff.officer
    html = Template('{% include "notifications/bell.html" %}').render(
        Context({"request": request})
    )
    assert 'class="notification-count">1<' in html


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
