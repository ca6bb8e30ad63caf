"""Reporters without an account hear by e-mail and SMS; the report's clock while it waits."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.core import mail
from django.test import Client
from pytest_django import Settings

from cityhall.accounts import services as accounts
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.notifications.models import Notification, OutboxMessage
from cityhall.notifications.services import deliver_outbox
from cityhall.reports import services
from cityhall.reports.models import Report
from cityhall.reports.services import Contact
from cityhall.workflow import engine
from tests.factories import WardTeam, at, make_user, unit_named, ward_team
from tests.reports_support import MON, categories, flood, thu_duc_point
from tests.workflow_support import FakeGateway

pytestmark = pytest.mark.django_db

EMAIL, PHONE = "ba.tu@example.org", "0909000111"


@pytest.fixture
def gateway(settings: Settings, tmp_path: Path) -> Iterator[FakeGateway]:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.CITYHALL_SITE_URL = "https://tphcm.example"
    categories()
    fake = FakeGateway()
    settings.CITYHALL_MESSAGE_GATEWAYS = {"sms": (fake.url, "sekret"), "zalo": ("", "")}
    settings.CITYHALL_GATEWAY_TIMEOUT = 2
    yield fake
    fake.close()


def _to_contact() -> list[Any]:
    return [m for m in mail.outbox if m.to == [EMAIL]]


def _answer(ward: WardTeam, report: Report, reply: str, now: dt.datetime | None = None) -> None:
    services.assign_report(actor=ward.leader, report=report, assignee=ward.officer, now=now)
    services.start_work(actor=ward.officer, report=report, now=now)
    services.resolve_report(actor=ward.officer, report=report, reply=reply, now=now)


def test_an_open311_reporter_with_email_and_phone_hears_each_notice_once_despite_an_outage(
    gateway: FakeGateway,
) -> None:
    ward = ward_team()
    _key, raw = accounts.create_api_key(actor=SYSTEM, name="FixApp", scopes=["open311:write"])
    lat, lon = thu_duc_point()
    response = Client().post("/open311/v2/requests.json", {
        "api_key": raw, "service_code": "ngap-ha-tang", "lat": str(lat), "long": str(lon),
        "description": "Nước ngập 40cm trước số 12.", "attribute[kind]": "flooding",
        "email": EMAIL, "phone": PHONE, "first_name": "Tư", "last_name": "Bà"})
    assert response.status_code in (200, 201), response.content
    report = Report.objects.get()
    receipt = OutboxMessage.objects.filter(recipient=None).order_by("channel")
    assert [(m.channel, m.address) for m in receipt] == [("email", EMAIL), ("sms", PHONE)]
    token = services.private_token_of(report)
    # The outbox keeps a marker where the private link goes, never the token.
    assert all("[[secret:report_follow_link]]" in m.body and token not in m.body
               for m in receipt)
    assert receipt[0].subject == f"Đã tiếp nhận phản ánh {report.code}"  # Vietnamese

    first = deliver_outbox(worker="w1")  # the SMS gateway is down
    assert first.retried == 1 and gateway.received == []
    (receipt_mail,) = _to_contact()
    link = re.search(r"https://tphcm\.example/\S+\?t=(\S+)", receipt_mail.body)
    assert link is not None
    assert Report.hash_token(unquote(link.group(1))) == report.private_token_hash

    _answer(ward, report, "Đã khơi thông cống <số 12> & hút nước.")
    gateway.up = True
    later = report.updated_at.replace(year=report.updated_at.year + 1)
    deliver_outbox(worker="w1", now=later)
    assert deliver_outbox(worker="w2", now=later.replace(month=12)).sent == 0

    receipt_mail, answer_mail = _to_contact()
    assert "Đã khơi thông cống <số 12> & hút nước." in answer_mail.body
    assert token in answer_mail.body
    texts = [r["text"] for r in gateway.received]
    assert len(texts) == 2 and {r["to"] for r in gateway.received} == {PHONE}
    assert len({r["key"] for r in gateway.received}) == 2
    assert texts[0].startswith(f"Đã tiếp nhận phản ánh {report.code}")
    assert "Đã khơi thông cống" in texts[1] and token in texts[1]
    assert OutboxMessage.objects.filter(recipient=None, status="sent").count() == 4
    assert not OutboxMessage.objects.filter(body__contains=token).exists()
    # The address is in the outbox row only: not in the audit trail, not in the API.
    changes = str(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert EMAIL not in changes and PHONE not in changes
    listing = Client().get("/open311/v2/requests.json", {"extensions": "true"}).content.decode()
    assert report.code in listing or str(report.pk) in listing
    assert EMAIL not in listing and PHONE not in listing


def test_a_contact_hears_the_outcome_of_the_report_theirs_was_merged_into(
    gateway: FakeGateway,
) -> None:
    ward = ward_team()
    original = flood().report
    duplicate = flood(contact=Contact(email=EMAIL)).report
    services.merge_duplicate(actor=ward.leader, report=duplicate, original=original)
    _answer(ward, original, "Đã xử lý xong điểm ngập.")
    deliver_outbox()
    subjects = [m.subject for m in _to_contact()]
    assert subjects == [f"Đã tiếp nhận phản ánh {duplicate.code}",
                        f"Phản ánh {duplicate.code} được gộp",
                        "Kết quả phản ánh đã gộp"]
    assert "Đã xử lý xong điểm ngập." in _to_contact()[-1].body


def test_a_signed_in_reporter_is_told_through_the_account_not_twice(
    gateway: FakeGateway,
) -> None:
    resident = make_user("dan.td", email="dan@example.org", phone="0912345678")
    report = flood(resident, contact=Contact(email=EMAIL, phone=PHONE)).report
    assert report.notification_contacts() == []
    assert not OutboxMessage.objects.filter(recipient=None).exists()
    assert Notification.objects.filter(recipient=resident, subject__contains=report.code)
    anonymous = flood(contact=Contact(email=EMAIL), anonymous=True).report
    assert anonymous.notification_contacts() == []


def test_a_resolved_report_waits_without_escalation_and_a_reopen_gives_back_the_time_left(
    gateway: FakeGateway,
) -> None:
    ward = ward_team()
    made = flood(now=MON)  # deadline: 5 working days, Monday 9 March 17:00
    report = made.report
    assert report.workflow is not None
    assert report.workflow.version == 3 and report.due_at == at(2026, 3, 9, 17)
    _answer(ward, report, "Đã khơi thông.", now=at(2026, 3, 5, 10))
    assert (report.sweep_stage, report.next_sweep_at) == (engine.AUTO_CLOSE, at(2026, 3, 12, 17))
    # The deadline passes while the report waits for its reporter: no reminder, no escalation.
    assert engine.sweep(now=at(2026, 3, 9, 17, 30)).total == 0
    services.reopen_report(actor=None, report=report, reason="Vẫn ngập",
                           private_token=made.private_token, now=at(2026, 3, 10, 9))
    # 21.5 working hours were left at the reply (Thursday 10:00 to Monday 17:00).
    assert report.due_at == at(2026, 3, 12, 16)
    assert (report.sweep_stage, report.next_sweep_at) == (engine.REMIND, at(2026, 3, 12, 10, 30))
    assert engine.sweep(now=at(2026, 3, 12, 17, 30)).closed == 0
    report.refresh_from_db()
    assert report.state == "in_progress" and report.escalation_level == 1


def test_a_transfer_records_the_fresh_deadline_in_its_step(gateway: FakeGateway) -> None:
    ward = ward_team()
    report = flood(now=MON).report
    services.transfer_report(actor=ward.leader, report=report,
                             to_unit=unit_named("Phường An Khánh"), reason="Sai địa bàn",
                             now=at(2026, 3, 4, 9))
    step = engine.history(report).last()
    assert step is not None
    assert step.action == "transfer" and step.due_at == report.due_at == at(2026, 3, 11, 17)
    assert [t.action for t in engine.history(report)] == ["start", "transfer"]
