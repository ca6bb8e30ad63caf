"""The leaders' dashboard in a real Chromium: the city leader reads the month, the chart is
drawn, drills from a ward to the records behind a number and exports the view; a ward
leader sees the ward only; the page is read at phone width too."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook
from pytest_django import Settings

from cityhall.indicators import services
from cityhall.indicators.demo import load_demo_history
from cityhall.orgunits.models import Unit
from tests.browser_support import BROWSER_TESTS, DESKTOP, PHONE, Page, serve
from tests.indicators_support import INDICATOR_SITE

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS


@pytest.fixture
def site(
    committed_registry: None, live_server: LiveServer, settings: Settings, tmp_path: Path
) -> str:
    """The live server with the demo people, catalogues and three weeks of demo history."""
    url = serve(live_server, settings, tmp_path / "media", *INDICATOR_SITE)
    assert load_demo_history(days=21) is not None
    assert services.verify().ok
    return url


def _shot(page: object, name: str) -> None:
    if shots := os.environ.get("CITYHALL_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/{name}.png", full_page=True)  # type: ignore[attr-defined]


def test_the_city_leader_reads_drills_down_and_exports(
    browser: Browser, site: str,
) -> None:
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    tab.sign_in("city.leader")
    page.goto(site + "/staff/indicators/")
    assert "Bảng điều hành" in page.inner_text("h1") or "Thành phố" in page.inner_text("h1")
    page.wait_for_selector("[data-chart=trend].chart-ready canvas")
    received = page.inner_text("[data-testid='figure-requests.received'] .stat-value")
    assert int(received.replace(".", "")) > 0
    # Every 766 group is there; what the system does not hold says so.
    score = page.inner_text("[data-testid=score-766]")
    assert "Công khai, minh bạch" in score and "Thanh toán trực tuyến" in score
    assert "không có số liệu" in page.inner_text("[data-testid=score-dossiers_synced]")
    assert page.locator("[data-testid=units-table] tbody tr").count() > 150
    _shot(page, "indicators-city")
    # The worst ward of the ranking, then the records behind its late answers.
    worst = page.locator("[data-testid=best] a, [data-testid=worst] a").last
    ward = worst.inner_text()
    worst.click()
    page.wait_for_selector("[data-chart=trend].chart-ready canvas")
    assert ward in page.inner_text("h1")
    page.click("[data-testid='figure-requests.late'] .stat-value a")
    page.wait_for_url("**/staff/indicators/records/**")
    rows = page.locator("[data-testid=records] tbody tr")
    assert rows.count() > 0 and ward in rows.first.inner_text()
    _shot(page, "indicators-records")
    page.go_back()
    with page.expect_download() as download:
        page.click("[data-testid=export]")
    book = load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames[:1] and book.worksheets[0]["B1"].value == ward
    assert tab.outside == []


def test_a_ward_leader_sees_the_ward_only_and_the_page_fits_a_phone(
    browser: Browser, site: str,
) -> None:
    tab = Page(browser, site, PHONE)
    page = tab.page
    tab.sign_in("leader.thuduc")
    page.goto(site + "/staff/indicators/")
    page.wait_for_selector("[data-chart=trend].chart-ready canvas")
    assert "Phường Thủ Đức" in page.inner_text("h1")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
    _shot(page, "indicators-ward-phone")
    other = Unit.objects.get(name="Phường Sài Gòn", valid_to__isnull=True)
    answer = page.goto(site + f"/staff/indicators/?unit={other.code}")
    assert answer is not None and answer.status == 404


def test_the_public_page_shows_figures_without_signing_in(
    browser: Browser, site: str,
) -> None:
    tab = Page(browser, site, PHONE)
    page = tab.page
    page.goto(site + "/indicators/")
    page.wait_for_selector("[data-chart=trend].chart-ready canvas")
    assert page.locator("[data-testid^=public-]").count() > 10
    _shot(page, "indicators-public-phone")
