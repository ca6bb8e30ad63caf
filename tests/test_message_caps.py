"""Messages to an address named in a report are capped until its owner confirms it: the first
carries the confirmation link, those over the cap are held (sent once confirmed, else dropped),
a refusal stops them all; the report is always filed, and the audit says what happened."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from cityhall.core.models import AuditEntry
from cityhall.notifications import caps
from cityhall.notifications.models import ContactPoint, OutboxMessage
from cityhall.notifications.services import ContactAddress, deliver_outbox, notify
from cityhall.reports.models import Report
from cityhall.reports.services import Contact
from tests.factories import make_user
from tests.reports_support import categories, flood
from tests.workflow_support import FakeGateway

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "0909000111", "Ba.Tu@Example.org"
HELD, PENDING = OutboxMessage.Status.HELD, OutboxMessage.Status.PENDING


@pytest.fixture
def gateway(settings: Settings, tmp_path: Path) -> Iterator[FakeGateway]:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.CITYHALL_SITE_URL = "https://tphcm.example"
    settings.CITYHALL_MESSAGES_UNCONFIRMED_PER_DAY = 2
    settings.CITYHALL_MESSAGES_CONFIRMED_PER_DAY = 5
    settings.CITYHALL_MESSAGES_HOLD_HOURS = 72
    categories()
    fake = FakeGateway()
    fake.up = True
    settings.CITYHALL_MESSAGE_GATEWAYS = {"sms": (fake.url, "sekret"), "zalo": ("", "")}
    yield fake
    fake.close()


def _tell(phone: str = PHONE, email: str = "", language: str = "") -> None:
    notify(recipients=[], contacts=[ContactAddress(phone=phone, email=email, language=language)],
           channels=["sms", "email"], template="case_done",
           context={"case": "PA-1", "comment": ""}, subject_ref="test:1")


def _sms(phone: str = PHONE) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(channel="sms").order_by("pk"))


def _link(text: str) -> str:
    found = re.search(r"https://tphcm\.example(/messages/confirm/[^/\s]+/)", text)
    assert found is not None, text
    return found.group(1)


def test_a_stranger_named_in_many_reports_gets_only_the_cap(gateway: FakeGateway) -> None:
    for _ in range(6):
        flood(now=None, contact=Contact(name="Tư", phone="+84 909 000 111"))
    assert Report.objects.count() == 6  # every report is filed
    receipts = _sms()
    assert [m.status for m in receipts] == [PENDING] * 2 + [HELD] * 4
    deliver_outbox()
    assert len(gateway.received) == 2
    assert OutboxMessage.objects.filter(status=HELD).count() == 4  # the worker skipped them
    held = AuditEntry.objects.filter(action="notifications.message_held")
    assert held.count() == 4
    assert {e.changes["reason"] for e in held} == {"over_unconfirmed_cap"}
    assert {e.object_id for e in held} == {str(m.pk) for m in receipts[2:]}


def test_the_messages_carry_the_confirmation_link_filled_in_at_delivery(
    gateway: FakeGateway,
) -> None:
    _tell(email=EMAIL)
    stored = OutboxMessage.objects.get(channel="email")
    assert caps.LINK_MARKER in stored.body and "/messages/confirm/" not in stored.body
    deliver_outbox()
    [message] = mail.outbox
    assert "chưa xác nhận" in message.body  # Vietnamese by default
    path = _link(str(message.body))
    page = Client().get(path)
    assert page.status_code == 200
    assert 'value="confirm"' in page.content.decode()
    [sms] = gateway.received
    assert _link(sms["text"]) != path  # each address is confirmed on its own
    assert Client().get(_link(sms["text"])).status_code == 200


def test_the_footer_follows_the_contacts_language(gateway: FakeGateway) -> None:
    _tell(email=EMAIL, language="en")
    deliver_outbox()
    assert "You have not confirmed" in mail.outbox[0].body


def test_addresses_are_kept_only_as_keyed_hashes(gateway: FakeGateway) -> None:
    _tell(phone="+84 909 000 111", email=EMAIL)
    _tell(phone="0909-000-111", email=EMAIL.lower())
    points = list(ContactPoint.objects.order_by("kind"))
    assert [p.kind for p in points] == ["email", "phone"]  # the two spellings matched
    for point in points:
        assert len(point.digest) == 64 and "0909" not in point.digest
        assert point.digest == caps.digest(point.kind, EMAIL if point.kind == "email" else PHONE)
        assert "example" not in str(point.__dict__)
    assert caps.digest("phone", PHONE) != caps.digest("email", PHONE)


def test_opening_the_link_changes_nothing_until_the_owner_answers(gateway: FakeGateway) -> None:
    for _ in range(3):
        _tell()
    path = caps.confirmation_link(ContactPoint.objects.get().pk).removeprefix(
        "https://tphcm.example")
    assert Client().get(path).status_code == 200
    point = ContactPoint.objects.get()
    assert point.confirmed_at is None and OutboxMessage.objects.filter(status=HELD).count() == 1


def test_confirming_releases_the_held_messages_and_raises_the_cap(gateway: FakeGateway) -> None:
    for _ in range(3):
        _tell()
    deliver_outbox()
    assert len(gateway.received) == 2
    point = ContactPoint.objects.get()
    answer = Client().post(f"/messages/confirm/{caps.confirmation_token(point.pk)}/",
                           {"answer": "confirm"}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200 and "will reach you here" in answer.content.decode()
    point.refresh_from_db()
    assert point.confirmed_at is not None
    deliver_outbox()
    assert len(gateway.received) == 3  # the held one went out
    assert "confirm" not in gateway.received[-1]["text"].lower()
    for _ in range(3):
        _tell()  # confirmed: 5 a day, 3 used
    assert [m.status for m in _sms()[-3:]] == [PENDING, PENDING, HELD]
    deliver_outbox()
    assert "/messages/confirm/" not in gateway.received[-1]["text"]  # no footer once confirmed
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"notifications.contact_confirmed", "notifications.message_released"} <= actions
    released = AuditEntry.objects.get(action="notifications.contact_confirmed")
    assert released.changes["released"] == 1 and released.actor_label == "address-owner"


def test_held_messages_are_dropped_after_the_hold_and_never_sent(gateway: FakeGateway) -> None:
    for _ in range(3):
        _tell()
    held = OutboxMessage.objects.get(status=HELD)
    assert caps.drop_expired(now=timezone.now() + dt.timedelta(hours=71)) == 0
    assert caps.drop_expired(now=timezone.now() + dt.timedelta(hours=73)) == 1
    held.refresh_from_db()
    assert held.status == OutboxMessage.Status.DROPPED and held.address == "…111"
    deliver_outbox()
    assert len(gateway.received) == 2
    entry = AuditEntry.objects.get(action="notifications.message_dropped")
    assert entry.object_id == str(held.pk) and entry.changes["reason"] == "not_confirmed_in_time"
    # Confirming later sends nothing that was dropped.
    assert caps.confirm(actor=caps.ADDRESS_OWNER, point=ContactPoint.objects.get()) == 0


def test_refusing_drops_what_waits_and_all_that_would_come(gateway: FakeGateway) -> None:
    for _ in range(3):
        _tell()
    point = ContactPoint.objects.get()
    answer = Client().post(f"/messages/confirm/{caps.confirmation_token(point.pk)}/",
                           {"answer": "refuse"}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200 and "no more messages" in answer.content.decode()
    deliver_outbox()
    assert gateway.received == []  # the two pending ones were dropped too
    flood(now=None, contact=Contact(name="Tư", phone=PHONE))
    assert Report.objects.count() == 1
    assert _sms()[-1].status == OutboxMessage.Status.DROPPED
    assert AuditEntry.objects.filter(action="notifications.message_dropped",
                                     changes__reason="refused").count() == 4
    assert AuditEntry.objects.filter(action="notifications.contact_refused").count() == 1


def test_a_wrong_or_expired_link_is_not_found(gateway: FakeGateway,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _tell()
    point = ContactPoint.objects.get()
    assert Client().get("/messages/confirm/forged:token/").status_code == 404
    token = caps.confirmation_token(point.pk)
    assert caps.point_from_token(token) == point
    bad = Client().post(f"/messages/confirm/{token}/", {"answer": "maybe"})
    assert bad.status_code == 400
    later = time.time() + (caps.LINK_MAX_AGE + dt.timedelta(days=1)).total_seconds()
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert caps.point_from_token(token) is None
    assert Client().get(f"/messages/confirm/{token}/").status_code == 404
    point.refresh_from_db()
    assert point.confirmed_at is None and point.refused_at is None


def test_people_with_accounts_are_not_capped(gateway: FakeGateway) -> None:
    resident = make_user("ba.tu", phone=PHONE)
    for _ in range(4):
        notify(recipients=[resident], channels=["sms"], template="case_done",
               context={"case": "PA-1", "comment": ""})
    assert [m.status for m in _sms()] == [PENDING] * 4
    assert all(m.contact_point is None and caps.LINK_MARKER not in m.body for m in _sms())


def test_the_day_is_a_rolling_24_hours(gateway: FakeGateway) -> None:
    for _ in range(2):
        _tell()
    OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    _tell()
    assert _sms()[-1].status == PENDING


@pytest.mark.django_db(transaction=True)
def test_messages_written_outside_a_transaction_are_capped_too(settings: Settings) -> None:
    settings.CITYHALL_MESSAGES_UNCONFIRMED_PER_DAY = 1
    _tell()
    _tell()
    assert [m.status for m in _sms()] == [PENDING, HELD]
