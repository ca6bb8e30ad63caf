"""Accessibility of the main pages in a real Chromium: axe-core finds nothing serious.

axe-core is vendored for the tests only (tests/vendor/axe-core, MPL-2.0): it is injected
into the page by Playwright and never served by the site.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from cityhall.reports import services
from tests.browser_support import BROWSER_TESTS, DESKTOP, PHONE, Page
from tests.reports_support import flood
from tests.test_browser_reports import site  # noqa: F401 (fixture)

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page as PlaywrightPage

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # 4.14.1

pytestmark = BROWSER_TESTS

#: Every aria-describedby and aria-labelledby names ids that are on the page.
MISSING_REFERENCES = """() => {
  const missing = [];
  for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
    for (const el of document.querySelectorAll('[' + attr + ']')) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          missing.push(attr + '=' + id + ' on ' + el.outerHTML.slice(0, 80));
        }
      }
    }
  }
  return missing;
}"""

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
  }));
}"""


def serious_problems(page: PlaywrightPage) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, and any
    ARIA reference to an id that is not there, in words a developer can act on."""
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    found = [f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}"
             for v in violations if v["impact"] in ("serious", "critical")]
    return found + list(page.evaluate(MISSING_REFERENCES))


def _check(page: PlaywrightPage, url: str, shots: Path, name: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    return [f"{name}: {problem}" for problem in serious_problems(page)]


def test_the_vendored_axe_core_is_the_recorded_one() -> None:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
    assert (AXE.parent / "LICENSE").read_text().startswith("Mozilla Public License")


def test_the_public_pages_have_no_serious_accessibility_problem(
    browser: Browser, site: str, tmp_path: Path  # noqa: F811 (fixture)
) -> None:
    made = flood(now=timezone.now())
    follow = f"{site}/reports/{made.report.code}/?t={made.private_token}"
    tab = Page(browser, site, PHONE)
    page = tab.page
    problems = []
    for name, url in {"home": site + "/", "form": site + "/reports/new/?category=ngap-ha-tang",
                      "follow": follow, "statistics": site + "/reports/statistics/",
                      "list": site + "/reports/", "sign-in": site + "/account/sign-in/",
                      "not-found": site + "/no/such/page/"}.items():
        problems += _check(page, url, tmp_path, name)
    # The form with its errors shown: the error texts are what the fields point at.
    page.goto(site + "/reports/new/?category=ngap-ha-tang")
    page.click("#report-submit")
    page.locator("#form-errors").wait_for()
    page.screenshot(path=str(tmp_path / "form-errors.png"), full_page=True)
    problems += [f"form-errors: {p}" for p in serious_problems(page)]
    assert problems == []
    assert tab.errors == []
    tab.close()


def test_the_staff_pages_have_no_serious_accessibility_problem_in_english(
    browser: Browser, site: str, tmp_path: Path  # noqa: F811 (fixture)
) -> None:
    from cityhall.accounts.models import User

    made = flood(now=timezone.now())
    services.assign_report(actor=User.objects.get(username="leader.thuduc"), report=made.report,
                           assignee=User.objects.get(username="officer.thuduc"))
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    tab.sign_in("officer.thuduc")
    page.select_option("#language-select", "en")
    page.click("form.language-form button[type=submit]")
    page.wait_for_load_state()
    problems = []
    for name, path in {"queue": "/staff/reports/", "detail": f"/staff/reports/{made.report.code}/",
                       "staff-home": "/staff/", "statistics-en": "/reports/statistics/"}.items():
        problems += _check(page, site + path, tmp_path, name)
    assert page.get_attribute("html", "lang") == "en"
    assert problems == []
    assert tab.errors == []
    tab.close()
