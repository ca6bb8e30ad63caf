"""A clerk of Phường Thủ Đức receives, at the counter, a household business registration for
an applicant who lives in Phường Sài Gòn, in a real Chromium: the procedure found by words
without diacritics, the papers checked, one scanned, then form 01 to print."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader
from pytest_django import Settings

from cityhall.dossiers.models import Dossier, DossierComponent
from tests.browser_support import BROWSER_TESTS, DESKTOP, Page, serve
from tests.files_support import pdf

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS


@pytest.fixture
def site(
    committed_registry: None, live_server: LiveServer, settings: Settings, tmp_path: Path
) -> str:
    """The live server with the registry, the demo people and the procedure catalogue."""
    return serve(live_server, settings, tmp_path / "media", "load_workflows", "load_demo",
                 "load_procedures", translated=True)


def test_a_clerk_receives_a_household_business_for_an_applicant_of_another_ward(
    browser: Browser, site: str, shots: Path, tmp_path: Path,
) -> None:
    scan = tmp_path / "giay-to-phap-ly.pdf"
    scan.write_bytes(pdf(1))
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    tab.sign_in("clerk.thuduc")
    page.goto(site + "/staff/dossiers/")
    page.click("text=Tiếp nhận hồ sơ tại quầy")
    page.fill("#f-q", "dang ky ho kinh doanh")
    page.click("form[role=search] button[type=submit]")
    page.click("[data-testid=procedures] a:has-text('Đăng ký thành lập hộ kinh doanh')")
    page.fill("#id_applicant_name", "Trần Thị Ánh")
    page.fill("#id_id_number", "079300000077")
    page.fill("#id_phone", "0903000077")
    page.fill("#id_address", "45 Lê Lợi, Phường Sài Gòn")
    page.check("#id_on_behalf")
    page.check("#id_paper_1")
    page.check("#id_paper_2")
    page.set_input_files("#id_file_2", str(scan))
    page.screenshot(path=str(shots / "dossier-counter.png"), full_page=True)
    page.click("button:has-text('Tiếp nhận hồ sơ')")
    page.wait_for_url("**/staff/dossiers/*/")
    dossier = Dossier.objects.get()
    assert dossier.channel == "counter" and dossier.on_behalf
    assert dossier.receiving_unit.name == "Phường Thủ Đức"
    assert "Phường Sài Gòn" in dossier.applicant_address
    body = page.content()
    assert dossier.code in body and "in Giấy tiếp nhận hồ sơ" in body
    assert DossierComponent.objects.filter(dossier=dossier).count() == 2
    assert DossierComponent.objects.filter(dossier=dossier, file__isnull=False).count() == 1
    page.screenshot(path=str(shots / "dossier-counter-received.png"), full_page=True)
    slip = page.request.get(site + f"/dossiers/{dossier.code}/forms/01.pdf")
    assert slip.ok and slip.headers["content-type"] == "application/pdf"
    text = " ".join(PdfReader(BytesIO(slip.body())).pages[0].extract_text().split())
    assert "Trần Thị Ánh" in text and dossier.code in text and "Bản giấy" in text
    assert tab.outside == [] and tab.errors == []
