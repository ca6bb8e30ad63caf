"""The notices on the web: the bell's unread count, the list, marking read."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cityhall.accounts.models import Role, User
from cityhall.notifications.models import Notification
from cityhall.reports import services
from tests.clients import signed_in
from tests.factories import ANKHANH, THUDUC, make_staff, make_user, unit_named
from tests.reports_support import flood

pytestmark = pytest.mark.django_db


def notice(user: User, subject: str, **fields: str) -> Notification:
    return Notification.objects.create(recipient=user, subject=subject, **fields)


def bell_count(page: str) -> int | None:
    found = re.search(r'data-testid="bell-count">(\d+)<', page)
    return int(found.group(1)) if found else None


def test_the_bell_shows_the_unread_count_to_the_signed_in_only(db: None) -> None:
    person = make_user("dan.bell")
    other = make_user("someone.else")
    for n in range(3):
        notice(person, f"Tin {n}")
    notice(other, "Not yours")
    Notification.objects.filter(subject="Tin 0").update(read_at="2026-01-01T00:00:00Z")
    page = signed_in(person).get("/").content.decode()
    assert bell_count(page) == 2 and 'href="/notices/"' in page
    assert 'data-testid="bell"' not in Client().get("/").content.decode()
    # Nothing unread: the bell without a number.
    quiet = signed_in(other)
    quiet.post("/notices/read/")
    page = quiet.get("/").content.decode()
    assert 'data-testid="bell"' in page and bell_count(page) is None


def test_the_unread_count_costs_one_query_however_often_the_page_asks(db: None) -> None:
    person = make_user("dan.count")
    notice(person, "Một")
    client = signed_in(person)
    client.get("/notices/")  # warm the session and the caches
    with CaptureQueriesContext(connection) as seen:
        page = client.get("/notices/").content.decode()
    counts = [q["sql"] for q in seen.captured_queries
              if "COUNT" in q["sql"].upper() and "notification" in q["sql"]
              and "read_at" in q["sql"]]
    # The bell and the page's heading both show it: counted once.
    assert bell_count(page) == 1 and len(counts) == 1


def test_a_person_reads_their_notices_and_marks_one_then_all_read(db: None) -> None:
    person = make_user("dan.list")
    first = notice(person, "Phản ánh đã được tiếp nhận", body="Mã PA-1")
    notice(person, "Phản ánh đã có trả lời")
    someone = notice(make_user("not.me"), "Của người khác")
    client = signed_in(person)
    page = client.get("/notices/").content.decode()
    assert page.count('data-testid="notice"') == 2 and "Của người khác" not in page
    assert client.post(f"/notices/{first.pk}/read/").status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    unread = client.get("/notices/?unread=1").content.decode()
    assert unread.count('data-testid="notice"') == 1 and "Phản ánh đã có trả lời" in unread
    # Another person's notice cannot be marked, and is left as it is.
    assert client.post(f"/notices/{someone.pk}/read/").status_code == 404
    someone.refresh_from_db()
    assert someone.read_at is None
    assert client.post("/notices/read/", {"next": "/notices/"}).status_code == 302
    assert Notification.objects.for_user(person).unread().count() == 0
    assert "Đã đánh dấu 1 thông báo" in client.get("/notices/").content.decode()


def test_marking_read_needs_a_post_with_a_csrf_token_and_a_sign_in(db: None) -> None:
    person = make_user("dan.csrf")
    item = notice(person, "Một")
    assert signed_in(person).get(f"/notices/{item.pk}/read/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(person)
    assert strict.post("/notices/read/").status_code == 403
    anonymous = Client().get("/notices/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    item.refresh_from_db()
    assert item.read_at is None


def test_a_notice_about_a_report_opens_the_page_its_reader_may_see(reports_ready: None) -> None:
    ward = unit_named(THUDUC)
    leader = make_staff("leader.nt", ward, Role.LEADER)
    officer = make_staff("officer.nt", ward, Role.OFFICER)
    make_staff("officer.nt.ak", unit_named(ANKHANH), Role.OFFICER)
    report = flood(now=None).report
    services.assign_report(actor=leader, report=report, assignee=officer)
    told = Notification.objects.for_user(officer).get(subject_ref=f"reports.report:{report.pk}")
    client = signed_in(officer)
    assert "Mở" in client.get("/notices/").content.decode()
    opened = client.post(f"/notices/{told.pk}/read/", {"open": "1"})
    assert opened.status_code == 302 and opened["Location"] == f"/staff/reports/{report.code}/"
    told.refresh_from_db()
    assert told.read_at is not None
    # A link that leaves the site is never followed.
    foreign = notice(officer, "x", link="https://example.org/")
    assert client.post(f"/notices/{foreign.pk}/read/", {"open": "1"})["Location"] == "/notices/"
