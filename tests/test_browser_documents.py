"""A ward's documents in a real Chromium: the clerk registers an arrival, the leader gives it
to handle, the register shows and exports the year's documents; on a phone too."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_django import Settings

from cityhall.documents.models import Document, Handling
from tests.browser_support import BROWSER_TESTS, DESKTOP, PHONE, Page, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

pytestmark = BROWSER_TESTS


@pytest.fixture
def site(
    committed_registry: None, live_server: LiveServer, settings: Settings, tmp_path: Path
) -> str:
    """The live server with the registry, the demo people and the demo documents."""
    # pyHanko signs through asyncio.run(), which cannot run in this thread beside
    # Playwright's event loop: the demo is signed and issued on paper here (signing:
    # test_documents, test_documents_keys).
    settings.CITYHALL_DOCUMENTS_DEMO_KEYS = False
    return serve(live_server, settings, tmp_path / "media", "load_workflows", "load_demo",
                 "load_demo_documents")


def _shot(tab: Page, name: str) -> None:
    if shots := os.environ.get("CITYHALL_SCREENSHOTS"):
        tab.page.screenshot(path=f"{shots}/{name}.png", full_page=True)


def test_a_clerk_registers_an_arrival_and_the_leader_gives_it_to_handle(
    browser: Browser, site: str,
) -> None:
    clerk = Page(browser, site, DESKTOP)
    clerk.sign_in("clerk.saigon")
    page = clerk.page
    assert page.locator('[data-testid="documents-panel"]').count() == 1
    page.goto(site + "/van-ban/")
    _shot(clerk, "documents-register")
    assert "Sổ đăng ký văn bản đi" in page.content()
    page.click("text=Vào sổ văn bản đến")
    page.select_option("#id_doc_type", "cong_van")
    page.fill("#id_author", "Sở Tư pháp")
    page.fill("#id_notation", "77/STP-HCTP")
    page.fill("#id_document_date", "2026-03-01")
    page.fill("#id_summary", "Về việc rà soát chứng thực")
    page.click("main button[type=submit]")
    page.wait_for_url("**/van-ban/*/")
    document = Document.objects.get(notation="77/STP-HCTP")
    assert document.number == 6  # after the five demo arrivals
    clerk.close()

    leader = Page(browser, site, DESKTOP)
    leader.sign_in("leader.saigon")
    page = leader.page
    page.goto(f"{site}/van-ban/{document.pk}/")
    page.select_option("#id_assignee", "officer.saigon")
    page.fill("#id_working_days", "3")
    page.fill("#id_instructions", "Rà soát, báo cáo trước hạn.")
    _shot(leader, "documents-assign")
    page.click("button:has-text('Giao xử lý')")
    page.wait_for_url(f"**/van-ban/{document.pk}/")
    assert Handling.objects.filter(document=document, assignee__username="officer.saigon"
                                   ).exists()
    page.goto(site + "/van-ban/xu-ly/")
    assert "77/STP-HCTP" in page.content()
    _shot(leader, "documents-queue")
    leader.close()


def test_the_register_and_a_document_fit_a_phone(
    browser: Browser, site: str,
) -> None:
    tab = Page(browser, site, PHONE)
    tab.sign_in("officer.saigon")
    tab.page.goto(site + "/van-ban/")
    assert tab.fits_the_screen()
    issued = Document.objects.filter(unit__name="Phường Sài Gòn", state="sent").first()
    assert issued is not None
    tab.page.goto(f"{site}/van-ban/{issued.pk}/")
    _shot(tab, "documents-detail-phone")
    assert issued.notation in tab.page.content()
    assert tab.fits_the_screen()
    tab.close()


def test_a_leader_without_a_key_is_told_so_and_may_sign_on_paper_instead(
    browser: Browser, site: str,
) -> None:
    waiting = Document.objects.filter(unit__name="Phường Sài Gòn", state="reviewed").first()
    assert waiting is not None
    leader = Page(browser, site, DESKTOP)
    leader.sign_in("leader.saigon")
    page = leader.page
    page.goto(f"{site}/van-ban/{waiting.pk}/")
    page.click("button[data-action=sign]")
    page.wait_for_url(f"**/van-ban/{waiting.pk}/")
    assert "chưa có khóa ký số đã đăng ký" in page.content()
    _shot(leader, "documents-sign-refused")
    waiting.refresh_from_db()
    assert waiting.state == "reviewed"
    page.click("summary:has-text('Thực hiện trên giấy')")
    page.fill("#paper-sign", "Văn bản có nội dung mật: ký tay.")
    _shot(leader, "documents-sign-on-paper")
    page.click("button[data-action=sign-on-paper]")
    page.wait_for_url(f"**/van-ban/{waiting.pk}/")
    waiting.refresh_from_db()
    assert waiting.state == "signed"
    leader.close()
