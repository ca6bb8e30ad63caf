"""The map in a real headless Chromium: boundaries, names, search, a pin by clicking a ward.

The boundaries are the TEST DATA of tests/geo_support.py (the project ships none): what
is checked is that the map draws whatever boundaries are loaded and that a click inside
one files the report to that unit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from pytest_django import Settings

from cityhall.orgunits.geo import area_shape
from cityhall.orgunits.models import Unit
from cityhall.reports.models import Report
from tests.browser_support import BROWSER_TESTS, DESKTOP, PHONE, Page, serve
from tests.geo_support import load_test_boundaries

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS


@pytest.fixture
def site(
    committed_registry: None, live_server: LiveServer, settings: Settings, tmp_path: Path
) -> str:
    """The live server with the registry, test boundaries, demo people and categories."""
    url = serve(live_server, settings, tmp_path / "media", "load_demo", "load_categories")
    load_test_boundaries()
    return url


def test_a_resident_files_a_report_by_clicking_inside_a_ward_on_the_map(
    browser: Browser, site: str, shots: Path
) -> None:
    saigon = Unit.objects.active_on().commune_level().get(name="Phường Sài Gòn")
    inside = area_shape(saigon.boundary).representative_point()
    resident = Page(browser, site, DESKTOP)
    page = resident.page
    page.goto(site + "/reports/new/")
    page.select_option("#id_category", "ngap-ha-tang")
    page.locator("#id_attr_kind").wait_for()
    page.select_option("#id_attr_kind", "flooding")
    page.fill("#id_attr_water_depth_cm", "30")
    page.fill("#id_description", "Nước ngập trước nhà thờ.")
    page.locator("#report-map.map-units-ready").wait_for()
    # 168 units drawn as areas, not dots.
    assert page.locator("#report-map path.leaflet-interactive").count() >= 168

    # The search finds the ward by a pre-2025 name, without diacritics, and centres on it.
    page.fill(".map-search-input", "ben nghe")
    result = page.locator(".map-search-result", has_text="Phường Sài Gòn")
    assert "Phường Bến Nghé" in result.inner_text()
    result.click()
    page.wait_for_timeout(600)  # the map's fly-to animation
    assert page.locator(".leaflet-tooltip.unit-label", has_text="Phường Sài Gòn").count() >= 1

    # A click on the screen point inside Sài Gòn's boundary places the pin there.
    x, y = page.evaluate(
        "([lat, lon]) => { const p = document.getElementById('report-map').cityhallMap"
        ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }", [inside.y, inside.x])
    page.locator("#report-map").click(position={"x": x, "y": y})
    status = page.locator("#pin-status")
    status.filter(has_text="Điểm nằm trong ranh giới Phường Sài Gòn").wait_for()
    page.screenshot(path=str(shots / "form-pin-in-saigon.png"), full_page=True)
    page.click("#report-submit")
    page.wait_for_url("**/sent/?t=*")
    code = page.inner_text("[data-testid=report-code]")
    report = Report.objects.get(code=code)
    assert report.unit == saigon
    assert report.routing_method == "point_in_polygon"
    assert report.routing_reason == "Điểm nằm trong ranh giới Phường Sài Gòn."
    assert resident.outside == [] and resident.errors == []

    # Staff see the same map, the address and links that open the point in a map app.
    leader = Page(browser, site, PHONE)
    leader.sign_in("leader.saigon")
    leader.page.goto(f"{site}/staff/reports/{code}/")
    leader.page.locator(".map-show.map-units-ready").wait_for()
    geo = leader.page.get_attribute("[data-testid=geo-link]", "href") or ""
    assert geo.startswith(f"geo:{report.latitude:.6f},{report.longitude:.6f}")
    osm = leader.page.get_attribute("[data-testid=osm-link]", "href") or ""
    assert f"mlat={report.latitude:.6f}" in osm
    assert leader.fits_the_screen()
    leader.page.screenshot(path=str(shots / "staff-report-map.png"), full_page=True)
    assert leader.outside == [] and leader.errors == []


def test_without_boundaries_the_map_shows_centres_says_so_and_my_location_sets_the_pin(
    browser: Browser, committed_registry: None, live_server: LiveServer,
    settings: Settings, shots: Path,
) -> None:
    call_command("load_categories", verbosity=0)
    thu_duc = Unit.objects.active_on().commune_level().get(name="Phường Thủ Đức")
    context = browser.new_context(
        viewport=PHONE, locale="vi-VN", permissions=["geolocation"],
        geolocation={"latitude": thu_duc.latitude or 0, "longitude": thu_duc.longitude or 0})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(str(live_server.url) + "/reports/new/")
    page.locator("#report-map.map-units-ready").wait_for()
    assert "Chưa có ranh giới phường, xã" in page.inner_text("#report-map .map-note")
    assert page.locator("#report-map path.leaflet-interactive").count() >= 168  # the dots
    page.click("#report-map .map-locate")
    status = page.locator("#pin-status")
    status.filter(has_text="Phường Thủ Đức").wait_for()
    assert "nạp" not in status.inner_text()  # no operator's instruction for the resident
    assert page.input_value("#id_latitude") == f"{thu_duc.latitude:.6f}"
    page.fill(".map-search-input", "linh trung")
    page.locator(".map-search-result", has_text="Phường Linh Xuân").first.wait_for()
    page.screenshot(path=str(shots / "phone-form-no-boundaries.png"), full_page=True)
    assert errors == []
    context.close()
