"""A resident in a real headless Chromium: signs up by phone with a one-time code, files a
report (the photo kept across a form error), sees it under 'My reports', and sees the notice
of the answer an officer gives through the service."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from cityhall.accounts.models import User
from cityhall.notifications.models import OutboxMessage
from cityhall.reports import services
from cityhall.reports.models import Report, ReportPhoto
from tests.browser_support import BROWSER_TESTS, DESKTOP, PHONE, Page
from tests.test_browser_reports import _centre, site  # noqa: F401 (fixture)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = BROWSER_TESTS

NUMBER = "0909 555 123"
SHOTS = Path("/tmp/residents")  # noqa: S108 (screenshots to look at, outside the repo)


def _shot(page: object, tmp_path: Path, name: str) -> None:
    """A full-page screenshot in the test's folder (and /tmp/residents to look at)."""
    for folder in (tmp_path, SHOTS):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name), full_page=True)  # type: ignore[attr-defined]


def _photo(tmp_path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 90, 200)).save(out, format="JPEG")
    path = tmp_path / "ngap.jpg"
    path.write_bytes(out.getvalue())
    return path


def _code_sent_to(address: str) -> str:
    message = OutboxMessage.objects.filter(address=address).order_by("-pk").first()
    assert message is not None and message.channel == "sms"
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found is not None
    return found.group(1)


def test_a_resident_signs_up_by_phone_files_a_report_and_sees_the_answer(
    browser: Browser, site: str, tmp_path: Path  # noqa: F811 (fixtures)
) -> None:
    tab = Page(browser, site, PHONE)
    page = tab.page

    # 1. The home page leads with sending a report; sign in from the header.
    page.goto(site + "/")
    cards = page.locator("section.home-cards > article").evaluate_all(
        "cards => cards.map(c => c.dataset.testid)")
    assert cards[:3] == ["home-report", "home-lookup", "home-channels"]
    assert "1022" in page.inner_text("[data-testid=home-channels]")
    _shot(page, tmp_path, "1-home.png")
    page.click("header >> text=Đăng nhập")
    page.wait_for_url("**/account/sign-in/")

    # 2. Sign up with a phone number and the code sent to it.
    page.fill("#id_destination", NUMBER)
    page.click("#code-request-submit")
    page.wait_for_url("**/account/code/")
    assert "…123" in page.inner_text("[data-testid=code-sent-to]")
    _shot(page, tmp_path, "2-code.png")
    page.fill("#id_code", _code_sent_to("0909555123"))
    page.fill("#id_full_name", "Nguyễn Thị Lan")
    page.click("#code-enter-submit")
    page.wait_for_url("**/reports/mine/")
    assert "Nguyễn Thị Lan" in page.inner_text("main")
    assert "Phản ánh của tôi" in page.inner_text("nav")
    assert "Công việc của tôi" not in page.inner_text("nav")
    resident = User.objects.get(phone="0909555123")

    # 3. The form: limits, rules and what is public up front; the photo survives an error.
    page.click("main >> text=Gửi phản ánh")
    page.wait_for_url("**/reports/new/")
    assert "Tối đa 5 ảnh" in page.inner_text("#id_photos_helptext")
    assert "Không bao giờ công khai" in page.inner_text("[data-testid=what-is-public]")
    page.select_option("#id_category", "ngap-ha-tang")
    page.locator("[data-testid=contact-rules]").wait_for()
    assert "đã đăng nhập" in page.inner_text("[data-testid=contact-rules]")
    page.locator("#id_attr_kind").wait_for()
    page.select_option("#id_attr_kind", "flooding")
    page.set_input_files("#id_photos", str(_photo(tmp_path)))
    page.click("#report-submit")  # no description: the form comes back
    page.locator("#form-errors").wait_for()
    page.locator("#photos-kept:not([hidden])").wait_for()
    assert page.evaluate("document.getElementById('id_photos').files.length") == 1
    assert "ngap.jpg" in page.inner_text("#photos-kept")
    _shot(page, tmp_path, "3-form-error-photo-kept.png")
    page.fill("#id_description", "Nước ngập 30cm trước chợ Thủ Đức.")
    page.locator("#report-map.map-ready").wait_for()
    page.evaluate("([lat, lon]) => document.dispatchEvent(new CustomEvent('cityhall:set-pin', "
                  "{detail: {lat: lat, lon: lon}}))", list(_centre("Phường Thủ Đức")))
    page.click("#report-submit")
    page.wait_for_url("**/sent/?t=*")
    code = page.inner_text("[data-testid=report-code]")
    report = Report.objects.get(code=code)
    assert report.reporter == resident
    assert ReportPhoto.everything.filter(report=report).count() == 1

    # 4. 'My reports' lists it with its state and deadline.
    page.goto(site + "/reports/mine/")
    row = page.locator(f"li[data-code='{code}']")
    assert "đã tiếp nhận" in row.inner_text()
    assert re.search(r"\d\d:\d\d, \d\d/\d\d/\d{4}", row.inner_text())
    _shot(page, tmp_path, "4-my-reports.png")

    # 5. The ward answers through the services; the resident sees the notice.
    clerk = User.objects.get(username="clerk.thuduc")
    officer = User.objects.get(username="officer.thuduc")
    services.assign_report(actor=clerk, report=report, assignee=officer)
    services.start_work(actor=officer, report=Report.objects.get(pk=report.pk))
    services.resolve_report(actor=officer, report=Report.objects.get(pk=report.pk),
                            reply="Đã khơi thông cống, nước đã rút.")
    page.reload()
    notices = page.inner_text("[data-testid=my-notices]")
    assert code in notices and "đã có kết quả" in notices
    assert "đã trả lời" in page.locator(f"li[data-code='{code}']").inner_text()
    _shot(page, tmp_path, "5-notice.png")
    page.click(f"li[data-code='{code}'] >> text={code}")
    assert "Đã khơi thông cống" in page.inner_text("[data-testid=public-reply]")

    # 6. Staff pages stay closed to her.
    response = page.goto(site + "/staff/reports/")
    assert response is not None and response.status == 403
    assert tab.outside == [] and tab.errors == []
    tab.close()

    # 7. On a desktop, anyone finds the report by its code typed in small letters.
    visitor = Page(browser, site, DESKTOP)
    visitor.page.goto(site + "/")
    assert visitor.fits_the_screen()
    _shot(visitor.page, tmp_path, "6-home-desktop.png")
    visitor.page.fill("#lookup-code", code.lower())
    visitor.page.click("[data-testid=home-lookup] button[type=submit]")
    visitor.page.wait_for_url(f"**/reports/{code}/")
    assert "Đã khơi thông cống" in visitor.page.inner_text("[data-testid=public-reply]")
    assert visitor.outside == [] and visitor.errors == []
    visitor.close()
