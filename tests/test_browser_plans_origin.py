""""Assign now" from a late report's page in a real Chromium: the city leader gives the ward a
follow-up task in two steps and comes back to the report, which lists it; the ward's
officer finds it in the task queue and in the ward's calendar feed. A ward leader gives
the tasks of a directive from the document's page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone
from pytest_django import Settings

from cityhall.accounts.models import User
from cityhall.plans.models import Task
from cityhall.reports.models import Report
from tests.browser_support import BROWSER_TESTS, DESKTOP, Page, serve
from tests.documents_support import arrived
from tests.reports_support import flood

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS

TITLE = "Khơi thông cống thoát nước trước số 12"


@pytest.fixture
def site(committed_registry: None, live_server: LiveServer, settings: Settings,
         tmp_path: Path) -> str:
    """The live server with the demo people, the report categories and the document types."""
    return serve(live_server, settings, tmp_path / "media", "load_workflows", "load_demo",
                 "load_categories")


def _shot(page: object, name: str) -> None:
    if shots := os.environ.get("CITYHALL_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/{name}.png", full_page=True)  # type: ignore[attr-defined]


def test_a_leader_assigns_now_from_a_late_report_and_the_ward_sees_it(
        browser: Browser, site: str) -> None:
    report = Report.objects.select_related("unit").get(pk=flood().report.pk)
    assert report.due_at is not None and report.due_at < timezone.now()  # late
    ward = report.unit

    tab = Page(browser, site, DESKTOP)
    page = tab.page
    tab.sign_in("city.leader")
    page.goto(f"{site}/staff/reports/{report.code}/")
    tasks = page.locator("[data-testid=origin-tasks]")
    tasks.wait_for()
    assert tasks.locator("table").count() == 0
    _shot(page, "origin-1-report")
    tasks.locator("[data-testid=assign-now]").click()
    page.wait_for_selector("[data-testid=assign-now-form]")
    assert report.code in page.inner_text("[data-testid=assign-origin]")
    assert report.code in page.input_value("#id_title")
    assert page.input_value("#id_unit") == ward.code
    page.fill("#id_title", TITLE)
    page.fill("#id_working_days", "3")
    _shot(page, "origin-2-form")
    page.click("[data-testid=assign-now-form] button[type=submit]")
    page.wait_for_url(f"**/staff/reports/{report.code}/")
    assert ward.name in page.inner_text(".message-success")
    page.locator("[data-testid=origin-tasks] table").wait_for()
    assert TITLE in page.inner_text("[data-testid=origin-tasks]")
    _shot(page, "origin-3-back")
    task = Task.objects.get(title=TITLE)
    assert task.lead_unit == ward and task.origin_ref == report.code
    assert not tab.errors and not tab.outside

    officer = Page(browser, site, DESKTOP)
    officer.sign_in("officer.thuduc")
    officer.page.goto(site + "/nhiem-vu/")
    assert TITLE in officer.page.inner_text("main")
    _shot(officer.page, "origin-4-queue")
    officer.page.click(f"text={TITLE}")
    officer.page.wait_for_selector("[data-testid=task-origin]")
    assert report.code in officer.page.inner_text("[data-testid=task-origin]")
    _shot(officer.page, "origin-5-task")
    feeds = officer.page.evaluate(
        "fetch('/api/v1/me/calendar-feeds', {credentials: 'same-origin'}).then(r => r.json())")
    url = next(f["url"] for f in feeds if f["unit"] == ward.code)
    calendar = officer.page.evaluate(
        "u => fetch(u).then(r => r.text())", url.replace(site, ""))
    unfolded = calendar.replace("\r\n ", "")  # lines are folded at 75 octets
    assert "BEGIN:VCALENDAR" in unfolded and TITLE in unfolded
    assert not officer.errors and not officer.outside
    tab.close()
    officer.close()


def test_a_leader_gives_a_directives_tasks_from_the_documents_page(
        browser: Browser, site: str) -> None:
    clerk = User.objects.get(username="clerk.thuduc")
    directive = arrived(clerk.memberships.get().unit, clerk, day=timezone.localdate(),
                        doc_type="chi_thi", notation="05/CT-UBND",
                        author="Ủy ban nhân dân Thành phố",
                        summary="Về tăng cường phòng, chống ngập mùa mưa")
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    tab.sign_in("leader.thuduc")
    page.goto(f"{site}/van-ban/{directive.pk}/")
    page.locator("[data-testid=directive-tasks]").click()
    page.wait_for_selector("[data-testid=directive-form]")
    assert page.input_value("#id_form-0-title") == directive.summary
    page.fill("#id_form-0-title", "Nạo vét kênh Xuyên Tâm đoạn qua phường")
    page.fill("#id_form-1-title", "Kiểm tra các trạm bơm")
    page.fill("#id_form-1-working_days", "5")
    page.click("[data-testid=directive-form] button[type=submit]")
    page.wait_for_selector("[data-testid=directive-form] .field-error")  # no unit, no person
    assert not Task.objects.exists()
    page.fill("#id_form-1-person", "officer.thuduc")  # the unit is the person's
    _shot(page, "directive-1-form")
    page.click("[data-testid=directive-form] button[type=submit]")
    page.wait_for_url(f"**/van-ban/{directive.pk}/")
    page.locator("[data-testid=origin-tasks] table").wait_for()
    listed = page.inner_text("[data-testid=origin-tasks]")
    assert "Nạo vét kênh Xuyên Tâm" in listed and "Kiểm tra các trạm bơm" in listed
    _shot(page, "directive-2-back")
    pumps = Task.objects.get(origin_kind="document", origin_ref=str(directive.pk),
                             person_in_charge__username="officer.thuduc")
    assert pumps.lead_unit == directive.unit
    assert Task.objects.filter(origin_ref=str(directive.pk)).count() == 2
    assert not tab.errors and not tab.outside
    tab.close()
