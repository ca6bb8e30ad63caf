"""The dashboard's map of the units in a real Chromium: without boundaries it says so and
how they are loaded; with a few test squares (TEST DATA, imported here, never shipped) it
draws them in their classes' colours with a legend and the units it cannot draw listed
beside, a unit's tooltip gives its value, and a click opens its dashboard; at phone width
too."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_django import Settings

from cityhall.accounts.demo import DEMO_WARDS
from cityhall.indicators.demo import load_demo_history
from cityhall.orgunits.models import Unit
from tests.browser_support import BROWSER_TESTS, DESKTOP, PHONE, Page, serve
from tests.geo_support import load_test_squares
from tests.indicators_support import INDICATOR_SITE

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS

WARDS = [name for _slug, name in DEMO_WARDS]


@pytest.fixture
def site(
    committed_registry: None, live_server: LiveServer, settings: Settings, tmp_path: Path
) -> str:
    """The live server with the demo people and two weeks of history in the demo wards."""
    url = serve(live_server, settings, tmp_path / "media", *INDICATOR_SITE)
    assert load_demo_history(days=14) is not None
    return url


def _shot(page: object, name: str) -> None:
    """The whole page, and the map's panel alone (the page is long: 168 units)."""
    if shots := os.environ.get("CITYHALL_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/{name}.png", full_page=True)  # type: ignore[attr-defined]
        panel = page.locator("[data-testid=unit-map-panel]")  # type: ignore[attr-defined]
        if panel.count():
            panel.screenshot(path=f"{shots}/{name}-panel.png")


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_without_boundaries_the_map_panel_says_how_to_load_them(
    browser: Browser, site: str,
) -> None:
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    tab.sign_in("city.leader")
    page.goto(site + "/staff/indicators/")
    message = page.inner_text("[data-testid=map-no-boundaries]")
    assert "cityhall import_boundaries" in message
    assert page.locator(".leaflet-container").count() == 0
    assert page.locator("[data-testid=units-table] tbody tr").count() > 150
    assert page.locator("[data-testid=best] li").count() > 0
    _shot(page, "map-0-no-boundaries")
    assert tab.outside == [] and tab.errors == []


def test_the_city_leader_reads_the_map_and_clicks_a_ward(browser: Browser, site: str) -> None:
    assert len(load_test_squares(WARDS, approximate=WARDS[2]).matched) == 3
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    tab.sign_in("city.leader")
    page.goto(site + "/staff/indicators/?map=requests.received")
    page.wait_for_selector("[data-unit-map].map-ready")
    areas = page.locator("path.unit-area")
    assert areas.count() == 3
    # Each unit is filled with a colour of the legend (or "no data"), as the page says.
    legend = page.locator("[data-testid=map-legend] rect")
    swatches = {legend.nth(i).get_attribute("fill") for i in range(legend.count())}
    assert len(swatches) >= 2
    fills = {areas.nth(i).get_attribute("fill") for i in range(3)}
    assert fills <= swatches and len(fills) >= 2
    # The approximate boundary is drawn dashed, the others not.
    code = Unit.objects.get(name=WARDS[2], valid_to__isnull=True).code
    assert page.locator(f"path.unit-{code}").get_attribute("stroke-dasharray")
    other = Unit.objects.get(name=WARDS[0], valid_to__isnull=True).code
    assert not page.locator(f"path.unit-{other}").get_attribute("stroke-dasharray")
    unbounded = page.inner_text("[data-testid=map-unbounded] h3")
    assert any(ch.isdigit() for ch in unbounded)
    assert page.locator("[data-testid=map-unbounded] li").count() > 150
    # Nothing outside: the map has no tiles.
    assert page.locator(".leaflet-tile").count() == 0
    _shot(page, "map-1-city-desktop")
    if shots := os.environ.get("CITYHALL_SCREENSHOTS"):
        page.locator("[data-testid=units-table] thead").screenshot(path=f"{shots}/map-1-head.png")
        for i, name in enumerate(WARDS):
            unit = Unit.objects.get(name=name, valid_to__isnull=True)
            page.locator(f"tr[data-unit='{unit.code}']").screenshot(path=f"{shots}/map-1-row-{i}.png")
    target = page.locator(f"path.unit-{other}")
    target.hover()
    tip = page.locator(".leaflet-tooltip")
    tip.wait_for()
    assert WARDS[0] in tip.inner_text()
    _shot(page, "map-2-tooltip")
    target.click()
    page.wait_for_url(f"**unit={other}**")
    assert WARDS[0] in page.inner_text("h1")
    # The ward's own page: the ward itself, with its own figure.
    page.wait_for_selector("[data-unit-map].map-ready")
    assert page.locator("path.unit-own").count() == 1
    _shot(page, "map-3-ward")
    assert tab.outside == [] and tab.errors == []


def test_the_map_fits_a_phone(browser: Browser, site: str) -> None:
    load_test_squares(WARDS)
    tab = Page(browser, site, PHONE)
    page = tab.page
    tab.sign_in("city.leader")
    page.goto(site + "/staff/indicators/?map=requests.on_time_rate")
    page.wait_for_selector("[data-unit-map].map-ready")
    assert page.locator("path.unit-area").count() == 3
    assert tab.fits_the_screen()
    box = page.locator("[data-unit-map]").bounding_box()
    assert box is not None and box["width"] <= 390 and box["height"] > 200
    _shot(page, "map-4-phone")
    assert tab.outside == [] and tab.errors == []
