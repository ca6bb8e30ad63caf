"""A resident finds a procedure and submits it fully online in a real Chromium, then gets the
receipt slip (form 01) as a page and as a PDF."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader
from pytest_django import Settings

from cityhall.dossiers.models import Dossier
from tests.browser_support import BROWSER_TESTS, DESKTOP, PASSWORD, Page, serve

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
                 "load_procedures")


def test_a_resident_submits_a_birth_registration_online_and_gets_the_receipt_slip(
    browser: Browser, site: str,
) -> None:
    tab = Page(browser, site, DESKTOP)
    page = tab.page
    # Residents land on their own page after signing in (not the staff home `sign_in` waits for).
    page.goto(site + "/login/")
    page.fill("#id_username", "resident")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/login/" not in page.url
    page.goto(site + "/thu-tuc/")
    page.fill("#f-q", "dang ky khai sinh")
    page.click("form[role=search] button[type=submit]")
    page.click("text=Đăng ký khai sinh")
    page.click("text=Nộp trực tuyến")
    assert page.input_value("#id_id_number") == "079190001234"
    page.select_option("#id_competent_unit", label="Phường Sài Gòn")
    assert page.is_checked("#id_use_data_3")
    if shots := os.environ.get("CITYHALL_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/dossier-submit.png", full_page=True)
    page.click("button:has-text('Nộp hồ sơ')")
    page.wait_for_url("**/tra-cuu-ho-so/**")
    dossier = Dossier.objects.get()
    assert dossier.code in page.content() and "đã tiếp nhận" in page.content()
    page.click("text=Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    page.wait_for_url(f"**/dossiers/{dossier.code}/forms/01.html")
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in page.content()
    pdf = page.request.get(site + f"/dossiers/{dossier.code}/forms/01.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(PdfReader(BytesIO(pdf.body())).pages[0].extract_text().split())
    assert "Trần Thị Mai" in text and "Đăng ký khai sinh" in text and dossier.code in text
    assert tab.outside == [] and tab.errors == []
