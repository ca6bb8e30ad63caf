"""An applicant pays their dossier's fee from their page in a real Chromium: the fee slip with
its VietQR, the pay button, the demo gateway's page, and back to the dossier shown paid."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_django import Settings

from cityhall.accounts.models import User
from cityhall.dossiers import services
from cityhall.dossiers.models import DossierPayment
from tests.browser_support import BROWSER_TESTS, DESKTOP, PASSWORD, Page, serve
from tests.dossiers_support import HOUSEHOLD_BUSINESS, applicant

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS


@pytest.fixture
def site(
    committed_registry: None, live_server: LiveServer, settings: Settings, tmp_path: Path
) -> str:
    """The live server with the demo people, the catalogue, a bank account for the fees and
    the demo gateway on."""
    settings.CITYHALL_FEES_BANK_BIN = "970415"
    settings.CITYHALL_FEES_ACCOUNT = "113000006100"
    settings.CITYHALL_PAYMENTS_DEMO_SECRET = "browser-test-secret"
    return serve(live_server, settings, tmp_path / "media", "load_workflows", "load_demo",
                 "load_procedures")


def test_an_applicant_pays_the_fee_from_their_page_and_sees_it_paid(
    browser: Browser, site: str, shots: Path,
) -> None:
    resident = User.objects.get(username="resident")
    clerk = User.objects.get(username="clerk.thuduc")
    dossier = services.receive_at_counter(actor=clerk, procedure=HOUSEHOLD_BUSINESS,
                                          applicant=applicant(), account=resident).dossier
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    page.goto(site + "/login/")
    page.fill("#id_username", "resident")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto(site + "/ho-so-cua-toi/")
    page.click(f"text={dossier.code}")
    slip = page.locator("[data-testid=fee-slip]")
    assert "100.000" in slip.inner_text() and "Phiếu" in slip.inner_text()
    assert page.locator("[data-testid=vietqr] svg").count() == 1
    page.screenshot(path=str(shots / "dossier-fee-slip.png"), full_page=True)
    page.click("[data-testid=pay]")
    page.wait_for_url("**/thanh-toan/demo/**")
    assert "100.000 VND" in page.inner_text("[data-testid=amount]")
    page.screenshot(path=str(shots / "dossier-demo-gateway.png"), full_page=True)
    page.click("[data-testid=demo-pay]")
    page.wait_for_url(f"**/ho-so-cua-toi/{dossier.code}/")
    assert page.locator("[data-testid=paid]").count() == 1
    assert page.locator("[data-testid=pay]").count() == 0
    assert "đã nộp" in page.inner_text("[data-testid=fee]")
    page.screenshot(path=str(shots / "dossier-paid.png"), full_page=True)
    assert DossierPayment.objects.filter(dossier=dossier, state="paid").count() == 1
    assert tab.outside == [] and tab.errors == []
