"""The portal in a real headless Chromium: sign in, live search, unit page, layout, keyboard."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from cityhall.accounts.models import User
from tests.browser_support import BROWSER_TESTS, DESKTOP, PHONE, Page

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS


@pytest.fixture
def site(live_server: LiveServer) -> str:
    """The live server's address, with the registry, the demo users and the catalogues loaded.

    The live server answers from another thread, outside the test's transaction, so the data
    is loaded (idempotently) inside the test, as `make run` would.
    """
    call_command("load_units", verbosity=0)
    call_command("load_demo", verbosity=0)
    return str(live_server.url)


def test_an_officer_finds_thu_duc_by_live_search_and_opens_its_page(
    browser: Browser, site: str, tmp_path: Path
) -> None:
    officer = User.objects.get(username="officer.thuduc")
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    tab.sign_in("officer.thuduc")
    assert "Phường Thủ Đức" in page.inner_text("main")

    page.click("nav >> text=Danh mục đơn vị")
    page.wait_for_url("**/units/")
    # A marker that a full page load would erase: the live search must swap in place.
    page.evaluate("window.__stillTheSamePage = true")
    page.locator("#unit-search").press_sequentially("thu duc", delay=40)
    results = page.locator("#unit-results")
    results.get_by_role("link", name="Phường Thủ Đức", exact=True).wait_for()
    assert page.evaluate("window.__stillTheSamePage") is True
    # hx-push-url keeps the search in the address bar, so it can be shared or reloaded.
    assert parse_qs(urlsplit(page.url).query) == {"q": ["thu duc"]}
    assert "Tìm thấy 1 đơn vị." in page.inner_text("#results-summary")

    results.get_by_role("link", name="Phường Thủ Đức", exact=True).click()
    page.wait_for_url("**/units/26824/")
    assert page.inner_text("h1") == "Phường Thủ Đức"
    assert page.inner_text("[data-testid=admin-code]") == "26824"
    assert page.inner_text("[data-testid=electronic-id]") == "chưa được cấp"
    assert page.inner_text("[data-testid=parent]") == "Thành phố Hồ Chí Minh"
    assert officer.display_name in page.inner_text("#staff-title + table")
    page.screenshot(path=str(tmp_path / "thu-duc.png"), full_page=True)
    assert (tmp_path / "thu-duc.png").stat().st_size > 10_000

    assert tab.outside == []
    assert tab.errors == []
    tab.close()


def test_registry_search_works_without_javascript(browser: Browser, site: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    page = context.new_page()
    page.goto(site + "/units/")
    page.fill("#unit-search", "an khanh")
    page.click("form.search-form button[type=submit]")
    page.wait_for_url("**/units/?q=an+khanh*")
    assert page.get_by_role("link", name="Phường An Khánh", exact=True).count() == 1
    context.close()


def test_the_skip_link_is_the_first_tab_stop_and_leads_to_the_content(
    browser: Browser, site: str
) -> None:
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    page.goto(site + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    # Following an in-page link is a same-document navigation that Chromium may report a
    # moment after the key press: wait for it (fails after the timeout if it never comes).
    page.wait_for_url("**/#main", timeout=5000)
    page.wait_for_function("document.activeElement.id === 'main'", timeout=5000)
    tab.close()


def test_switching_to_english_and_back_keeps_the_page(browser: Browser, site: str) -> None:
    tab = Page(browser, site, PHONE)
    page = tab.page
    page.goto(site + "/units/26824/")
    assert page.get_attribute("html", "lang") == "vi"
    page.select_option("#language-select", "en")
    page.click("form.language-form button[type=submit]")
    page.wait_for_url("**/units/26824/")
    assert page.get_attribute("html", "lang") == "en"
    assert "Administrative code" in page.inner_text("main")
    page.select_option("#language-select", "vi")
    page.click("form.language-form button[type=submit]")
    page.wait_for_url("**/units/26824/")
    assert "Mã đơn vị hành chính" in page.inner_text("main")
    tab.close()


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_pages_fit_phone_and_desktop_screens(
    browser: Browser, site: str, tmp_path: Path, width: str
) -> None:
    tab = Page(browser, site, PHONE if width == "phone" else DESKTOP)
    page = tab.page
    shots = {"home": "/", "registry": "/units/", "unit": "/units/26824/",
             "legacy-unit": "/units/26740/?on=2025-06-30"}
    for name, path in shots.items():
        page.goto(site + path)
        assert tab.fits_the_screen(), name
        page.screenshot(path=str(tmp_path / f"{width}-{name}.png"), full_page=True)
    tab.sign_in("officer.thuduc")
    assert tab.fits_the_screen(), "staff home"
    page.screenshot(path=str(tmp_path / f"{width}-staff-home.png"), full_page=True)
    assert tab.outside == []
    assert tab.errors == []
    tab.close()
