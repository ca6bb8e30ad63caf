"""The resident's path through the report pages in a real headless Chromium, and the staff side."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_django import Settings

from cityhall.orgunits.models import Unit
from cityhall.reports.models import Report
from tests.browser_support import BROWSER_TESTS, DESKTOP, PHONE, Page, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS


@pytest.fixture
def site(
    committed_registry: None, live_server: LiveServer, settings: Settings, tmp_path: Path
) -> str:
    """The live server with the registry, the demo people and the report categories."""
    return serve(live_server, settings, tmp_path / "media", "load_demo", "load_categories")


def _centre(name: str) -> tuple[float, float]:
    unit = Unit.objects.active_on().commune_level().get(name=name)
    return float(unit.latitude or 0), float(unit.longitude or 0)


def _file_report(tab: Page, base: str, *, description: str, pin: tuple[float, float] | None = None,
                 address: str = "") -> tuple[str, str]:
    """Fill and send the report form; return the code and the private follow link."""
    page = tab.page
    page.goto(base + "/reports/new/")
    page.select_option("#id_category", "ngap-ha-tang")
    # htmx swaps in the category's own fields.
    page.locator("#id_attr_kind").wait_for()
    page.select_option("#id_attr_kind", "flooding")
    page.fill("#id_attr_water_depth_cm", "40")
    page.fill("#id_description", description)
    if pin is not None:
        page.locator("#report-map.map-ready").wait_for()
        # What a click on the map does: our script places the pin and fills the hidden inputs.
        page.evaluate("([lat, lon]) => document.dispatchEvent(new CustomEvent("
                      "'cityhall:set-pin', {detail: {lat: lat, lon: lon}}))", list(pin))
        assert page.input_value("#id_latitude") == f"{pin[0]:.6f}"
        assert "Đã ghim vị trí tại" in page.inner_text("#pin-status")
    if address:
        page.fill("#id_address", address)
    page.click("#report-submit")
    page.wait_for_url("**/sent/?t=*")
    code = page.inner_text("[data-testid=report-code]")
    return code, str(page.get_attribute("[data-testid=follow-link]", "href"))


def test_a_resident_reports_flooding_an_officer_answers_and_the_statistics_show_it(
    browser: Browser, site: str, tmp_path: Path
) -> None:
    resident = Page(browser, site, PHONE)
    page = resident.page

    # 1. Flooding at a point in Phường Thủ Đức, placed with the map's pin.
    thu_duc = _centre("Phường Thủ Đức")
    code, follow = _file_report(resident, site, pin=thu_duc,
                                description="Nước ngập 40cm trước số 12 Võ Văn Ngân.")
    assert page.inner_text("[data-testid=report-unit]") == "Phường Thủ Đức"
    # No boundaries are loaded: the reason says so in the resident's words.
    reason = page.inner_text("[data-testid=routing-reason]")
    assert reason.startswith("Chưa có dữ liệu ranh giới") and "Phường Thủ Đức" in reason
    page.screenshot(path=str(tmp_path / "phone-report-sent.png"), full_page=True)

    # 2. Another at a pre-July-2025 address: it goes to the new ward that took it over.
    code2, _follow2 = _file_report(resident, site, address="Phường Thảo Điền, Quận 2",
                                   description="Ngập sau cơn mưa chiều, xe máy chết máy.")
    assert page.inner_text("[data-testid=report-unit]") == "Phường An Khánh"
    reason = page.inner_text("[data-testid=routing-reason]")
    assert reason.startswith("Phường An Khánh:") and "Thảo Điền" in reason

    # 3. The private link shows the report's state.
    page.goto(follow)
    assert page.inner_text("[data-testid=report-state]") == "đã tiếp nhận"

    # 4. Staff: the ward's clerk assigns it from the queue (the workflow lets clerks and
    # leaders assign); the officer starts and answers it from the detail page.
    clerk = Page(browser, site, DESKTOP)
    clerk.sign_in("clerk.thuduc")
    clerk.page.goto(site + "/staff/reports/")
    clerk.page.check(f"#pick-{code}")
    clerk.page.select_option("#bulk-assignee", label=_display_name("officer.thuduc"))
    clerk.page.click("#bulk-submit")
    clerk.page.wait_for_url("**/staff/reports/*")
    assert "Đã giao 1 phản ánh" in clerk.page.inner_text(".messages")
    clerk.close()

    officer = Page(browser, site, DESKTOP)
    officer.sign_in("officer.thuduc")
    staff = officer.page
    assert re.search(r"1\s+giao cho Anh/Chị", staff.inner_text("[data-testid=reports-panel]"))
    staff.click("[data-testid=reports-panel] >> text=giao cho Anh/Chị")
    staff.click(f"text={code}")
    staff.wait_for_url(f"**/staff/reports/{code}/")
    staff.click("button[data-action=start_work]")
    staff.wait_for_url(f"**/staff/reports/{code}/")
    staff.select_option("#resolve-template", "flooding-cleared")
    assert "khơi thông cống" in staff.input_value("#resolve-reply")
    staff.click("button[data-action=resolve]")
    staff.wait_for_url(f"**/staff/reports/{code}/")
    assert "khơi thông cống" in staff.inner_text("[data-testid=public-reply]")
    # The contact is behind a button; this report is anonymous, so there is none.
    staff.screenshot(path=str(tmp_path / "desktop-staff-detail.png"), full_page=True)
    assert officer.outside == [] and officer.errors == []
    officer.close()

    # 5. The resident sees the answer and rates it.
    page.goto(follow)
    assert "khơi thông cống" in page.inner_text("[data-testid=public-reply]")
    page.check("input[name=rating][value='5']")
    page.fill("#id_comment", "Xử lý nhanh, cảm ơn phường.")
    page.click("text=Gửi đánh giá")
    page.wait_for_url(follow.split("?")[0] + "?t=*")
    assert page.inner_text("[data-testid=report-state]") == "đã đóng"
    assert "5 trên 5" in page.inner_text("[data-testid=rating]")
    page.screenshot(path=str(tmp_path / "phone-report-follow.png"), full_page=True)

    # 6. The public statistics count both reports and the one answered.
    page.goto(site + "/reports/statistics/")
    assert page.inner_text("[data-testid=stat-received]") == "2"
    assert page.inner_text("[data-testid=stat-resolved]") == "1"
    assert "Phường Thủ Đức" in page.inner_text("main")
    assert Report.objects.get(code=code2).unit.name == "Phường An Khánh"

    assert resident.outside == [], resident.outside
    assert resident.errors == []
    resident.close()


def _display_name(username: str) -> str:
    from cityhall.accounts.models import User

    return User.objects.get(username=username).display_name


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_report_pages_fit_phone_and_desktop_screens(
    browser: Browser, site: str, tmp_path: Path, width: str
) -> None:
    tab = Page(browser, site, PHONE if width == "phone" else DESKTOP)
    page = tab.page
    code, follow = _file_report(tab, site, pin=_centre("Phường Thủ Đức"),
                                description="Ngập nặng ở ngã tư, nước tràn vào nhà dân.")
    assert tab.fits_the_screen(), "sent"
    page.screenshot(path=str(tmp_path / f"{width}-sent.png"), full_page=True)
    shots = {"new": "/reports/new/?category=ngap-ha-tang", "list": "/reports/",
             "statistics": "/reports/statistics/"}
    for name, path in shots.items():
        page.goto(site + path)
        page.wait_for_load_state("networkidle")
        assert tab.fits_the_screen(), name
        page.screenshot(path=str(tmp_path / f"{width}-{name}.png"), full_page=True)
    page.goto(follow)
    page.wait_for_load_state("networkidle")
    assert tab.fits_the_screen(), "follow"
    page.screenshot(path=str(tmp_path / f"{width}-follow.png"), full_page=True)
    # The list's map shows the pin from our own GeoJSON.
    page.goto(site + "/reports/")
    page.locator(".map-list path.report-pin").first.wait_for()
    tab.sign_in("leader.thuduc")
    for name, path in {"queue": "/staff/reports/", "detail": f"/staff/reports/{code}/",
                       "hotline": "/staff/reports/new/"}.items():
        page.goto(site + path)
        page.wait_for_load_state("networkidle")
        assert tab.fits_the_screen(), name
        page.screenshot(path=str(tmp_path / f"{width}-staff-{name}.png"), full_page=True)
    assert tab.outside == [], tab.outside
    assert tab.errors == []
    tab.close()


def test_the_form_works_without_javascript_by_address(
    browser: Browser, site: str
) -> None:
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    page = context.new_page()
    page.goto(site + "/reports/new/?category=moi-truong-rac")
    assert "Bản đồ cần JavaScript" in page.inner_text("#report-map")
    page.fill("#id_description", "Rác tồn đọng ba ngày ở đầu hẻm.")
    page.fill("#id_address", "Phường Sài Gòn")
    page.click("#report-submit")
    page.wait_for_url("**/sent/?t=*")
    assert page.inner_text("[data-testid=report-unit]") == "Phường Sài Gòn"
    context.close()
