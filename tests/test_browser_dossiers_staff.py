"""An officer works the dossier queue in a real Chromium: the late dossier first, receiving a
dossier for processing, asking for a supplement, and reading form 02."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_django import Settings

from cityhall.dossiers.models import Dossier
from tests.browser_support import BROWSER_TESTS, DESKTOP, PHONE, Page, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS


@pytest.fixture
def site(
    committed_registry: None, live_server: LiveServer, settings: Settings, tmp_path: Path
) -> str:
    """The live server with the registry, the demo people, the catalogue and demo dossiers."""
    return serve(live_server, settings, tmp_path / "media", "load_workflows", "load_demo",
                 "load_procedures", "load_demo_dossiers", translated=True)


def test_an_officer_works_the_queue_late_first_and_asks_for_a_supplement(
    browser: Browser, site: str,
) -> None:
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    tab.sign_in("officer.thuduc")
    page.goto(site + "/staff/dossiers/")
    late = Dossier.objects.get(applicant_name="Lê Thị Hồng")
    fresh = Dossier.objects.get(applicant_name="Trần Thị Mai", channel="counter")
    codes = page.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
    # Late first; the online birth registration decided by another ward is not here.
    assert codes == [late.code, fresh.code]
    assert "quá hạn" in page.locator(f"tr[data-code='{late.code}']").inner_text()
    assert "1 quá hạn" in page.locator("[data-testid=dossier-counts]").inner_text()
    if shots := os.environ.get("CITYHALL_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/dossier-queue.png", full_page=True)
    page.click(f"text={fresh.code}")
    page.wait_for_url(f"**/staff/dossiers/{fresh.code}/")
    with page.expect_navigation():
        page.click("form[data-action=accept] button")
    assert "đang giải quyết" in page.locator("h1").inner_text()
    page.fill("form[data-action=request_supplement] textarea",
              "Bản sao hợp đồng thuê địa điểm kinh doanh.")
    with page.expect_navigation():
        page.click("form[data-action=request_supplement] button")
    assert "chờ bổ sung hồ sơ" in page.locator("h1").inner_text()
    if shots:
        page.screenshot(path=f"{shots}/dossier-staff-page.png", full_page=True)
    with page.expect_navigation():
        page.click("[data-testid=forms] a[href$='/forms/02.html']")
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in page.content()
    assert "Bản sao hợp đồng thuê địa điểm kinh doanh." in page.content()
    fresh.refresh_from_db()
    assert fresh.state == "supplement_requested" and fresh.clock_paused_at is not None
    # The queue fits a phone's screen.
    small = Page(browser, site, PHONE)
    small.sign_in("officer.thuduc")
    small.page.goto(site + "/staff/dossiers/")
    assert small.fits_the_screen()
    assert tab.outside == [] and tab.errors == []
