""""Assign now" in a real Chromium: the city leader drills from the city to the worst ward,
gives that ward a task from a red number, and the ward's officer finds it in the task queue;
the reported figures and the PDF export are on the page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_django import Settings

from cityhall.accounts.demo import DEMO_WARDS
from cityhall.indicators.demo import load_demo_history
from cityhall.indicators.demo_reported import load_demo_reported
from cityhall.indicators.models import IndicatorTask
from tests.browser_support import BROWSER_TESTS, DESKTOP, Page, serve
from tests.indicators_support import INDICATOR_SITE

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS

DISBURSED = "socio.public_investment_disbursement"


@pytest.fixture
def site(
    committed_registry: None, live_server: LiveServer, settings: Settings, tmp_path: Path
) -> str:
    """The live server with the demo people, two weeks of history and the reported figures."""
    url = serve(live_server, settings, tmp_path / "media", *INDICATOR_SITE)
    assert load_demo_history(days=14) is not None
    assert load_demo_reported()
    return url


def _shot(page: object, name: str) -> None:
    if shots := os.environ.get("CITYHALL_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/{name}.png", full_page=True)  # type: ignore[attr-defined]


def test_the_city_leader_assigns_the_worst_ward_a_task_from_a_red_number(
    browser: Browser, site: str,
) -> None:
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    tab.sign_in("city.leader")
    page.goto(site + "/staff/indicators/")
    page.wait_for_selector("[data-chart=trend].chart-ready canvas")
    assert page.locator("[data-testid=export-pdf]").count() == 1
    socio = page.inner_text("#figure-socio\\.exports")
    assert "Kim ngạch xuất khẩu" in socio and "chỉ tiêu của kỳ" in socio
    _shot(page, "assign-1-city")
    worst = page.locator("[data-testid=best] a, [data-testid=worst] a").last
    ward = worst.inner_text()
    worst.click()
    page.wait_for_selector("[data-chart=trend].chart-ready canvas")
    assert ward in page.inner_text("h1")
    red = page.locator(f"[data-testid='figure-{DISBURSED}']")
    assert "is-worse" in (red.get_attribute("class") or "")
    colour = red.locator(".stat-value").evaluate("e => getComputedStyle(e).color")
    assert colour not in ("rgb(0, 0, 0)", "")
    _shot(page, "assign-2-ward")
    page.click(f"[data-testid='assign-{DISBURSED}']")
    page.wait_for_selector("[data-testid=assign-form]")
    assert ward in page.inner_text("h1")
    page.fill("#id_working_days", "3")
    _shot(page, "assign-3-form")
    page.click("[data-testid=assign-form] button[type=submit]")
    page.wait_for_selector(".message-success")
    assert ward in page.inner_text(".message-success")
    _shot(page, "assign-4-done")
    link = IndicatorTask.objects.select_related("task", "unit").get()
    assert link.unit.name == ward and link.indicator.code == DISBURSED

    slug = next(s for s, name in DEMO_WARDS if name == ward)
    officer = Page(browser, site, DESKTOP)
    officer.sign_in(f"officer.{slug}")
    officer.page.goto(site + "/nhiem-vu/")
    assert link.task.title in officer.page.inner_text("main")
    _shot(officer.page, "assign-5-ward-queue")
    assert tab.outside == [] and officer.outside == []
