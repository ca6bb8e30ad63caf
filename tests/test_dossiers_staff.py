"""The staff side of dossiers: the queue of a unit, the dossier page and its actions, passing
a dossier on, a late dossier's new appointment, the forms 02-06 and the register (07)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from pytest_django import Settings

from cityhall.core.models import AuditEntry, PersonalDataRead
from cityhall.dossiers import services
from cityhall.dossiers.errors import DossierError
from cityhall.dossiers.models import Dossier
from cityhall.notifications.links import links_for
from cityhall.notifications.models import Notification, OutboxMessage
from tests.dossiers_support import BIRTH, HOUSEHOLD_BUSINESS, applicant, procedures
from tests.factories import Personas, at, bearer, make_staff

pytestmark = [pytest.mark.django_db]
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"
needs_poppler = pytest.mark.skipif(not Path(PDFTOTEXT).exists(),
                                   reason="poppler-utils (pdftotext) is not installed")


@pytest.fixture
def catalogue(db: None, settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    procedures()


def _counter(people: Personas, when: dt.datetime | None = None, n: int = 1,
             code: str = HOUSEHOLD_BUSINESS) -> Dossier:
    return services.receive_at_counter(
        actor=people.officer, procedure=code, applicant=applicant(n), account=people.resident,
        now=when).dossier


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text of a PDF as poppler's pdftotext extracts it, spaces collapsed."""
    path = tmp_path / "form.pdf"
    path.write_bytes(data)
    # poppler-utils, as Debian ships it; a fixed program and our own file.
    out = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"],  # noqa: S603
                         capture_output=True, check=True, text=True).stdout
    return " ".join(out.split())


def test_the_queue_shows_the_units_dossiers_late_first_with_counts_and_filters(
    catalogue: None, people: Personas,
) -> None:
    late = _counter(people, at(2026, 3, 2, 9), n=1)
    fresh = _counter(people, n=2)
    birth = _counter(people, n=3, code=BIRTH)
    services.act_on_dossier(actor=people.officer, dossier=birth, action="refuse",
                            comment="Thiếu giấy chứng sinh.")
    client = Client()
    client.force_login(people.officer)
    page = client.get("/staff/dossiers/")
    assert page.status_code == 200
    assert page.context["counts"] == {"open": 2, "late": 1, "waiting": 0, "ready": 0,
                                      "mine": 0}
    codes = [d.code for d, _state in page.context["rows"]]
    assert codes == [late.code, fresh.code]
    assert late.pk in page.context["late"] and fresh.pk not in page.context["late"]
    only_late = client.get("/staff/dossiers/", {"late": "on"})
    assert [d.code for d, _s in only_late.context["rows"]] == [late.code]
    refused = client.get("/staff/dossiers/", {"state": "refused"})
    assert [d.code for d, _s in refused.context["rows"]] == [birth.code]
    by_procedure = client.get("/staff/dossiers/", {"state": "all", "procedure": BIRTH})
    assert [d.code for d, _s in by_procedure.context["rows"]] == [birth.code]
    # Another ward's staff see none of them; residents are not let in.
    client.force_login(people.outsider)
    assert client.get("/staff/dossiers/").context["rows"] == []
    assert client.get(f"/staff/dossiers/{late.code}/").status_code == 404
    client.force_login(people.resident)
    assert client.get("/staff/dossiers/").status_code == 403


def test_the_dossier_page_offers_the_allowed_steps_and_logs_the_read(
    catalogue: None, people: Personas,
) -> None:
    dossier = _counter(people)
    client = Client()
    client.force_login(people.officer)
    page = client.get(f"/staff/dossiers/{dossier.code}/")
    offered = [a for a, _label, _comment in page.context["actions"]]
    assert offered == ["accept", "request_supplement", "refuse"]
    assert dossier.applicant_name in page.content.decode()
    assert PersonalDataRead.objects.filter(reader=people.officer,
                                           purpose="dossiers.staff_page").count() == 1
    # A refusal without reasons changes nothing and says why.
    bad = client.post(f"/staff/dossiers/{dossier.code}/refuse/", {"comment": " "})
    assert bad.status_code == 400 and bad.context["error"]
    dossier.refresh_from_db()
    assert dossier.state == "received"
    done = client.post(f"/staff/dossiers/{dossier.code}/accept/")
    assert done.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "in_processing"
    # An officer may not stop a dossier: only a leader.
    stop = client.post(f"/staff/dossiers/{dossier.code}/stop/", {"comment": "Lý do."})
    assert stop.status_code == 403
    client.force_login(people.leader)
    client.post(f"/staff/dossiers/{dossier.code}/stop/", {"comment": "Người nộp đã chết."})
    dossier.refresh_from_db()
    assert dossier.state == "stopped"


def test_a_supplement_request_stops_the_clock_until_the_applicant_supplies(
    catalogue: None, people: Personas,
) -> None:
    dossier = _counter(people, at(2026, 3, 2, 9))  # Monday; 3 working days
    services.act_on_dossier(actor=people.officer, dossier=dossier, action="accept",
                            now=at(2026, 3, 2, 10))
    services.act_on_dossier(actor=people.officer, dossier=dossier, action="request_supplement",
                            comment="Bổ sung hợp đồng thuê.", now=at(2026, 3, 3, 9))
    left = dossier.clock_remaining_seconds
    assert dossier.clock_paused_at is not None and left
    # Supplied two weeks later: the same working time is left from then.
    services.supply_components(actor=people.resident, dossier=dossier, components=[],
                               now=at(2026, 3, 17, 9))
    assert dossier.state == "in_processing" and dossier.clock_paused_at is None
    assert dossier.appointment_at == dossier.due_at
    assert dossier.due_at is not None and dossier.due_at > at(2026, 3, 17, 9)


def test_a_leader_passes_a_dossier_to_another_unit_which_inherits_the_appointment(
    catalogue: None, people: Personas,
) -> None:
    dossier = _counter(people)
    services.act_on_dossier(actor=people.officer, dossier=dossier, action="accept")
    appointment = dossier.appointment_at
    with pytest.raises(DossierError) as refused:
        services.transfer_dossier(actor=people.officer, dossier=dossier,
                                  to_unit=people.other_ward, reason="Thuộc thẩm quyền.")
    assert refused.value.code == "not_allowed"
    with pytest.raises(DossierError) as same:
        services.transfer_dossier(actor=people.leader, dossier=dossier, to_unit=people.ward,
                                  reason="x")
    assert same.value.code == "invalid_target_unit"
    client = Client()
    client.force_login(people.leader)
    moved = client.post(f"/staff/dossiers/{dossier.code}/transfer/",
                        {"to_unit": people.other_ward.code, "comment": "Địa bàn phường khác."})
    assert moved.status_code == 302
    dossier.refresh_from_db()
    assert dossier.unit == people.other_ward and dossier.appointment_at == appointment
    assert AuditEntry.objects.filter(action="dossiers.transfer").count() == 2
    # The new unit's staff now decide it; the receiving ward still sees it.
    other_officer = make_staff("d.other", people.other_ward, "officer")
    services.act_on_dossier(actor=other_officer, dossier=dossier, action="issue_result")
    assert dossier.state == "result_issued"
    assert Dossier.objects.visible_to(people.officer).filter(pk=dossier.pk).exists()


@needs_poppler
def test_a_late_dossier_gets_form_04_drafted_then_a_new_appointment(
    catalogue: None, people: Personas, tmp_path: Path,
) -> None:
    dossier = _counter(people, at(2026, 3, 2, 9))
    services.act_on_dossier(actor=people.officer, dossier=dossier, action="accept",
                            now=at(2026, 3, 2, 10))
    client = Client()
    client.force_login(people.officer)
    page = client.get(f"/staff/dossiers/{dossier.code}/")
    assert page.context["late"] and ("04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả") in \
        page.context["forms"]
    draft = _pdf_text(client.get(f"/dossiers/{dossier.code}/forms/04.pdf").content, tmp_path)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in draft
    assert "Sự chậm trễ này đã gây phiền hà cho Ông/Bà" in draft
    assert "……" in draft  # the new date, left for the clerk
    new = timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(
        hour=16, minute=0, second=0, microsecond=0)
    with pytest.raises(DossierError):
        services.reschedule_dossier(actor=people.leader, dossier=dossier,
                                    appointment_at=timezone.now() - dt.timedelta(hours=1),
                                    reason="x")
    body = {"appointment_at": new.strftime("%Y-%m-%dT%H:%M"),
            "comment": "Phải xác minh thêm với cơ quan thuế."}
    # The clerk or the leader gives the new appointment; an officer may not.
    assert client.post(f"/staff/dossiers/{dossier.code}/reschedule/", body).status_code == 403
    client.force_login(people.leader)
    sent = client.post(f"/staff/dossiers/{dossier.code}/reschedule/", body)
    assert sent.status_code == 302, sent.content
    dossier.refresh_from_db()
    assert dossier.appointment_at == new == dossier.due_at
    letter = _pdf_text(client.get(f"/dossiers/{dossier.code}/forms/04.pdf").content, tmp_path)
    assert "Phải xác minh thêm với cơ quan thuế." in letter
    assert f"ngày {new:%d} tháng {new:%m} năm {new:%Y}" in letter
    # A dossier on time cannot be rescheduled.
    fresh = _counter(people, n=2)
    services.act_on_dossier(actor=people.officer, dossier=fresh, action="accept")
    with pytest.raises(DossierError) as refused:
        services.reschedule_dossier(actor=people.leader, dossier=fresh, appointment_at=new,
                                    reason="x")
    assert refused.value.code == "invalid_state"


@needs_poppler
def test_forms_02_03_05_06_carry_the_reasons_and_the_history_with_diacritics(
    catalogue: None, people: Personas, tmp_path: Path,
) -> None:
    client = Client()
    client.force_login(people.officer)
    asked = _counter(people, n=1)
    assert client.get(f"/dossiers/{asked.code}/forms/02.pdf").status_code == 404
    services.act_on_dossier(actor=people.officer, dossier=asked, action="request_supplement",
                            comment="Bản sao hợp đồng thuê nhà.\nẢnh chụp mặt tiền cửa hàng.")
    text = _pdf_text(client.get(f"/dossiers/{asked.code}/forms/02.pdf").content, tmp_path)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "1. Bản sao hợp đồng thuê nhà." in text and "2. Ảnh chụp mặt tiền cửa hàng." in text
    assert "Nguyễn Văn Nên" in text and asked.code in text
    html = client.get(f"/dossiers/{asked.code}/forms/02.html").content.decode()
    assert "Ảnh chụp mặt tiền cửa hàng." in html
    refused = _counter(people, n=2)
    services.act_on_dossier(actor=people.officer, dossier=refused, action="refuse",
                            comment="Hồ sơ không thuộc thẩm quyền giải quyết.")
    text = _pdf_text(client.get(f"/dossiers/{refused.code}/forms/03.pdf").content, tmp_path)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "Hồ sơ không thuộc thẩm quyền giải quyết." in text
    stopped = _counter(people, n=3)
    services.act_on_dossier(actor=people.officer, dossier=stopped, action="accept")
    services.act_on_dossier(actor=people.leader, dossier=stopped, action="stop",
                            comment="Cơ sở kinh doanh nằm trong khu vực giải tỏa.")
    text = _pdf_text(client.get(f"/dossiers/{stopped.code}/forms/05.pdf").content, tmp_path)
    assert "PHIẾU THÔNG BÁO DỪNG XỬ LÝ HỒ SƠ" in text
    assert "Cơ sở kinh doanh nằm trong khu vực giải tỏa." in text
    text = _pdf_text(client.get(f"/dossiers/{stopped.code}/forms/06.pdf").content, tmp_path)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    for words in ("Tiếp nhận hồ sơ", "Chuyển xử lý", "Dừng xử lý"):
        assert words in text
    # The applicant reads their own forms; another ward's staff do not.
    client.force_login(people.resident)
    assert client.get(f"/dossiers/{stopped.code}/forms/06.html").status_code == 200
    client.force_login(people.outsider)
    assert client.get(f"/dossiers/{stopped.code}/forms/06.html").status_code == 404


def test_the_register_exports_a_units_dossiers_over_a_period(
    catalogue: None, people: Personas,
) -> None:
    march = _counter(people, at(2026, 3, 2, 9), n=1)
    april = _counter(people, at(2026, 4, 6, 9), n=2)
    client = Client()
    url = f"/api/v1/units/{people.ward.code}/dossier-register.xlsx"
    response = client.get(url, {"from": "2026-03-01", "to": "2026-03-31"},
                          headers=bearer(people.officer))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:3] == ("STT", "Mã hồ sơ", "Tên thủ tục hành chính")
    assert [r[1] for r in rows[3:]] == [march.code]
    assert rows[3][4] == "Nguyễn Văn Nên" and april.code not in str(rows)
    assert PersonalDataRead.objects.filter(purpose="dossiers.register").count() == 1
    assert client.get(url, {"from": "2026-01-01", "to": "2027-03-01"},
                      headers=bearer(people.officer)).status_code == 400
    assert client.get(url, {"from": "2026-03-01"},
                      headers=bearer(people.outsider)).status_code == 404
    assert client.get(url, headers=bearer(people.resident)).status_code == 404
    assert client.get(url).status_code == 401
    # The queue's register form leads to the same export.
    client.force_login(people.officer)
    assert 'data-testid="register-form"' in client.get("/staff/dossiers/").content.decode()
    form = client.get("/staff/dossiers/register/", {"unit": people.ward.code,
                                                    "from": "2026-03-01", "to": "2026-03-31"})
    assert form.status_code == 302
    assert client.get(form["Location"]).status_code == 200
    # The staff home shows the dossiers card.
    home = client.get("/staff/").content.decode()
    assert 'data-testid="dossiers-panel"' in home


def test_the_applicant_is_told_of_each_step_in_their_language(
    catalogue: None, people: Personas,
) -> None:
    dossier = _counter(people)
    services.act_on_dossier(actor=people.officer, dossier=dossier, action="request_supplement",
                            comment="Bản sao hợp đồng thuê nhà.")
    notices = list(Notification.objects.filter(recipient=people.resident).order_by("pk"))
    assert [n.subject for n in notices] == [
        f"Đã tiếp nhận hồ sơ {dossier.code}", f"Hồ sơ {dossier.code} cần bổ sung"]
    assert "Bản sao hợp đồng thuê nhà." in notices[1].body
    assert notices[1].subject_ref == f"dossiers.dossier:{dossier.pk}"
    # The resident has a phone, no e-mail address: the request also goes by SMS.
    assert OutboxMessage.objects.filter(recipient=people.resident, channel="sms",
                                        subject=notices[1].subject).exists()
    # The notice leads the applicant to the look-up page, staff to the dossier's page.
    assert links_for(people.resident, notices[1:]) == {
        notices[1].pk: f"/ho-so-cua-toi/{dossier.code}/"}
    assert links_for(people.officer, notices[1:]) == {
        notices[1].pk: f"/staff/dossiers/{dossier.code}/"}
    # A dossier received for someone without an account tells nobody.
    services.receive_at_counter(actor=people.officer, procedure=HOUSEHOLD_BUSINESS,
                                applicant=applicant(4))
    assert Notification.objects.count() == 2
