"""An officer's day in a real headless Chromium: the bell, taking a report, merging a duplicate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cityhall.accounts.models import User
from cityhall.notifications.models import Notification
from cityhall.reports import services
from cityhall.reports.models import Report
from tests.browser_support import BROWSER_TESTS, DESKTOP, NARROW, Page
from tests.reports_support import flood
from tests.test_browser_reports import site  # noqa: F401 (fixture)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = BROWSER_TESTS



def _shot(page: Page, folder: Path, name: str) -> None:
    page.page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _reports() -> tuple[Report, Report, Report]:
    """Two reports of one house written two ways (no point), and one given to the officer."""
    first = flood(now=None, latitude=None, longitude=None,
                  address="Số 12 đường Võ Văn Ngân, Phường Thủ Đức",
                  description="Nước ngập 40cm trước nhà, không thoát được.").report
    second = flood(now=None, latitude=None, longitude=None,
                   address="12 Võ Văn Ngân, phường Thủ Đức",
                   description="Ngập trước số 12 sau cơn mưa chiều.").report
    given = flood(now=None, description="Cống nghẹt ở đầu hẻm 5.").report
    leader = User.objects.get(username="leader.thuduc")
    officer = User.objects.get(username="officer.thuduc")
    services.assign_report(actor=leader, report=given, assignee=officer)
    return first, second, given


def test_an_officer_sees_the_bell_takes_a_report_and_merges_the_duplicate_suggested(
    browser: Browser, site: str, shots: Path  # noqa: F811 (fixture)
) -> None:
    first, second, given = _reports()
    officer = User.objects.get(username="officer.thuduc")
    assert Notification.objects.for_user(officer).unread().count() == 1

    tab = Page(browser, site, DESKTOP)
    page = tab.page
    tab.sign_in("officer.thuduc")
    # 1. The bell in the header says one notice is unread.
    assert page.inner_text("[data-testid=bell-count]") == "1"
    assert page.get_attribute("[data-testid=bell]", "aria-label") == "Thông báo: 1 chưa đọc"
    _shot(tab, shots, "desktop-1-staff-home-bell")

    # 2. The queue offers "Nhận xử lý" on the reports nobody has, not on the one given.
    page.goto(site + "/staff/reports/")
    assert page.locator(f"[data-take='{second.code}']").is_visible()
    assert page.locator(f"[data-take='{given.code}']").count() == 0
    assert page.locator("#bulk-assignee").count() == 0  # officers do not assign
    _shot(tab, shots, "desktop-2-queue")
    page.click(f"[data-take='{second.code}']")
    page.wait_for_url(f"**/staff/reports/{second.code}/")
    assert f"Anh/Chị đã nhận xử lý phản ánh {second.code}." in page.inner_text(".messages")
    assert page.inner_text("[data-testid=assignee]") == officer.display_name
    assert page.locator("button[data-action=take]").count() == 0

    # 3. Merging: the report at the same house is suggested; the officer merges into it.
    page.click("details:has(#form-merge) summary")
    suggestions = page.locator("[data-testid=merge-suggestions]")
    assert first.code in suggestions.inner_text() and "cùng địa chỉ" in suggestions.inner_text()
    assert page.is_checked(f"input[name=suggested][value='{first.code}']")
    _shot(tab, shots, "desktop-3-merge-suggested")
    page.click("button[data-action=merge]")
    page.wait_for_url(f"**/staff/reports/{second.code}/")
    second.refresh_from_db()
    assert (second.state, second.duplicate_of_id) == ("merged", first.pk)
    assert "Gộp vào phản ánh trùng" in page.inner_text(".messages")
    _shot(tab, shots, "desktop-4-merged")

    # 4. A refusal is an error, in the reader's language: a second take of a taken report.
    page.goto(site + f"/staff/reports/{first.code}/")
    services.take_report(actor=User.objects.get(username="leader.thuduc"),
                         report=Report.objects.get(pk=first.pk))
    page.click("button[data-action=take]")
    alert = page.locator(".error-summary[role=alert]")
    assert "Có thể ai đó vừa xử lý phản ánh" in alert.inner_text()
    colour = alert.evaluate("e => getComputedStyle(e).borderLeftColor")
    assert colour == "rgb(164, 22, 26)"  # the danger red
    _shot(tab, shots, "desktop-5-refused")

    # 5. The notices page: open the list from the bell, mark all read, the count goes.
    page.click("[data-testid=bell]")
    page.wait_for_url("**/notices/")
    assert page.locator("[data-testid=notice]").count() == 1
    page.click("[data-testid=read-all]")
    page.wait_for_url("**/notices/")
    assert page.locator("[data-testid=bell-count]").count() == 0
    assert Notification.objects.for_user(officer).unread().count() == 0
    _shot(tab, shots, "desktop-6-notices-read")
    assert tab.outside == [] and tab.errors == []
    tab.close()


def test_the_staff_queue_header_and_notices_fit_a_375_pixel_phone(
    browser: Browser, site: str, shots: Path  # noqa: F811 (fixture)
) -> None:
    _first, second, _given = _reports()
    tab = Page(browser, site, NARROW)
    page = tab.page
    tab.sign_in("officer.thuduc")
    assert page.locator("[data-testid=bell]").is_visible()
    pages = {"queue": "/staff/reports/", "report": f"/staff/reports/{second.code}/",
             "notices": "/notices/", "statistics": "/reports/statistics/"}
    for name, path in pages.items():
        page.goto(site + path)
        page.wait_for_load_state("networkidle")
        assert tab.fits_the_screen(), name
        _shot(tab, shots, f"phone-{name}")
    # The row's take button is within the screen and works there too.
    page.goto(site + "/staff/reports/")
    button = page.locator(f"[data-take='{second.code}']")
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= NARROW["width"]
    button.click()
    page.wait_for_url(f"**/staff/reports/{second.code}/")
    assert tab.fits_the_screen()
    assert tab.outside == [] and tab.errors == []
    tab.close()
