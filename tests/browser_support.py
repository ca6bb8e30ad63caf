"""What the browser tests share: Debian's Chromium, the viewports, the marks, and `Page`,
a tab that records what it fetched from elsewhere and the script errors it met.

The `browser` and `shots` fixtures are in tests/conftest.py.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test.signals import setting_changed

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
#: The narrowest phone the pages are made for.
NARROW: ViewportSize = {"width": 375, "height": 800}
PASSWORD = "cityhall-demo"

#: The marks of every browser test module: `pytestmark = BROWSER_TESTS`.
BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]


def serve(live_server: Any, settings: Any, media: Path | None, *commands: str,
          translated: bool = False) -> str:
    """The live server's address once `commands` (management commands, run quietly) have
    loaded what its pages show; the uploaded files go under `media` when given.

    The live server answers from another thread, outside the test's transaction, so the
    data is loaded (idempotently) inside the test, as `make run` would. `translated`: the
    Vietnamese catalogue compiled and reloaded first, for tests that read its words.
    """
    if media is not None:
        settings.MEDIA_ROOT = str(media)
    if translated:
        call_command("compile_catalogues")
        setting_changed.send(sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS,
                             enter=True)
    for command in commands:
        call_command(command, verbosity=0)
    return str(live_server.url)


class Page:
    """A browser tab that records every request it makes to a host other than ours."""

    def __init__(self, browser: Browser, base: str, viewport: ViewportSize) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport, locale="vi-VN")
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.errors: list[str] = []
        host = urlsplit(base).netloc
        self.page.on(
            "request",
            lambda request: None
            if urlsplit(request.url).netloc == host
            else self.outside.append(request.url),
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # Requests to our server not yet answered: a page's HTMX fragments load after it
        # does, and a test that ends while the live server still answers one flushes the
        # tables under its feet ("database table is locked" on SQLite).
        self.pending: set[object] = set()
        self.page.on("request", lambda request: self.pending.add(request)
                     if urlsplit(request.url).netloc == host else None)
        for event in ("requestfinished", "requestfailed"):
            self.page.on(event, lambda request: self.pending.discard(request))

    def sign_in(self, username: str) -> None:
        self.page.goto(self.base + "/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main button[type=submit]")
        self.page.wait_for_url("**/staff/")

    def fits_the_screen(self) -> bool:
        """No horizontal scrolling: nothing is wider than the viewport."""
        return bool(
            self.page.evaluate(
                "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
            )
        )

    def settle(self, seconds: float = 10) -> None:
        """Wait until every request the page made to our server has its answer."""
        deadline = time.monotonic() + seconds
        while self.pending and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)

    def close(self) -> None:
        self.settle()
        self.context.close()
