"""The documents' pages: registers (search, XLSX), a document with its PDF and steps, the
draft and incoming forms, giving to handle, the queue; another ward sees nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from cityhall.accounts.models import Role, User
from cityhall.documents.models import Document, Handling
from tests.clients import signed_in
from tests.documents_support import arrived, issued, rows_of
from tests.factories import Personas, make_staff

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def clerk(people: Personas) -> User:
    return make_staff("w.clerk", people.ward, Role.CLERK)


def test_a_draft_is_written_issued_and_found_in_the_register(
    people: Personas, clerk: User,
) -> None:
    officer = signed_in(people.officer, "en")
    page = officer.get("/van-ban/soan-thao/")
    assert page.status_code == 200
    refused = officer.post("/van-ban/soan-thao/", {
        "unit": people.ward.code, "doc_type": "cong_van", "summary": "Về việc họp",
        "copies": 1})
    assert refused.status_code == 400 and b"drafting unit" in refused.content
    made = officer.post("/van-ban/soan-thao/", {
        "unit": people.ward.code, "doc_type": "ke_hoach", "copies": 2,
        "summary": "Triển khai Ngày hội chuyển đổi số", "content": "Mục đích.\r\n\r\nNội dung.",
        "authority": "KT.", "authority_for": "Chủ tịch", "signer_title": "Phó Chủ tịch",
        "signer_name": "Lê Văn Phó", "recipients": "Các khu phố\r\nĐoàn Thanh niên",
        "file_copy_unit": "VP"})
    assert made.status_code == 302, made.content
    document = Document.objects.get(summary="Triển khai Ngày hội chuyển đổi số")
    url = f"/van-ban/{document.pk}/"
    preview = officer.get(f"{url}pdf/")
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF")
    assert officer.post(f"{url}buoc/review/").status_code == 302
    assert signed_in(people.leader).post(f"{url}buoc/sign/").status_code == 302
    assert signed_in(clerk).post(f"{url}buoc/issue/").status_code == 302
    document.refresh_from_db()
    assert document.notation == "01/KH-UBND"
    page = officer.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "01/KH-UBND" in text and 'data-testid="signed"' in text
    register = officer.get("/van-ban/?q=ngay+hoi")
    assert "01/KH-UBND" in register.content.decode()
    assert "01/KH-UBND" not in officer.get("/van-ban/?q=phong+chay").content.decode()
    sheet = officer.get(f"/van-ban/so/{people.ward.code}/outgoing.xlsx")
    assert sheet.status_code == 200
    rows = rows_of(sheet.content)
    assert rows[2][0] == "01/KH-UBND"


def test_the_pages_speak_vietnamese(people: Personas, clerk: User) -> None:
    document = issued(people.ward, people.officer, people.leader, clerk)
    client = signed_in(people.officer, "vi")
    text = client.get(f"/van-ban/{document.pk}/").content.decode()
    assert "Sổ" in client.get("/van-ban/").content.decode()
    assert "đã ký số" in text


def test_an_incoming_document_is_given_to_handle_and_reported(
    people: Personas, clerk: User,
) -> None:
    made = signed_in(clerk).post("/van-ban/den/", {
        "unit": people.ward.code, "doc_type": "cong_van", "author": "Sở Tư pháp",
        "notation": "55/STP-HCTP", "document_date": "2026-03-01",
        "arrival_date": "2026-03-02", "summary": "Về việc rà soát chứng thực"})
    assert made.status_code == 302, made.content
    document = Document.objects.get(notation="55/STP-HCTP")
    assert document.number == 1
    leader = signed_in(people.leader, "en")
    assert "Give it to handle" in leader.get(f"/van-ban/{document.pk}/").content.decode()
    assert "Give it to handle" not in signed_in(people.officer, "en").get(
        f"/van-ban/{document.pk}/").content.decode()
    given = leader.post(f"/van-ban/{document.pk}/giao-xu-ly/", {
        "assignee": people.officer.username, "working_days": 3, "instructions": "Xử lý"})
    assert given.status_code == 302
    handling = Handling.objects.get(document=document)
    queue = signed_in(people.officer).get("/van-ban/xu-ly/").content.decode()
    assert "55/STP-HCTP" in queue
    done = signed_in(people.officer).post(f"/van-ban/xu-ly/{handling.pk}/complete/",
                                          {"comment": "Đã rà soát"})
    assert done.status_code == 302
    handling.refresh_from_db()
    assert handling.state == "completed"


def test_another_wards_staff_see_nothing_of_a_wards_documents(
    people: Personas, clerk: User,
) -> None:
    document = issued(people.ward, people.officer, people.leader, clerk)
    incoming = arrived(people.ward, clerk, day=dt.date(2026, 3, 2))
    outsider = signed_in(people.outsider)
    for url in (f"/van-ban/{document.pk}/", f"/van-ban/{document.pk}/pdf/",
                f"/van-ban/{incoming.pk}/", f"/van-ban/so/{people.ward.code}/outgoing.xlsx"):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"/van-ban/{document.pk}/buoc/send/").status_code == 404
    register = outsider.get(f"/van-ban/?unit={people.ward.code}").content.decode()
    assert document.notation not in register
    assert incoming.notation not in outsider.get("/van-ban/xu-ly/").content.decode()
    assert signed_in(people.resident).get("/van-ban/").status_code == 403
    assert Client().get("/van-ban/").status_code == 302


def test_the_demo_registers_are_loaded_once_with_every_state() -> None:
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    call_command("load_demo_documents", verbosity=0)
    count = Document.objects.count()
    # 12 for each of three units, and 3 sent by edXML from one ward to the other (2 accepted).
    assert count == 3 * 12 + 3 + 2
    from cityhall.documents.models import Arrival, Dispatch

    assert sorted(Dispatch.objects.values_list("status", flat=True)) == ["01", "04", "06"]
    assert sorted(Arrival.objects.values_list("state", flat=True)) == [
        "accepted", "accepted", "waiting"]
    states = set(Document.objects.outgoing().values_list("state", flat=True))
    assert states == {"sent", "signed", "reviewed"}
    assert set(Handling.objects.values_list("state", flat=True)) == {"assigned", "completed"}
    assert Handling.objects.overdue().exists()
    assert Document.objects.incoming().filter(handlings__isnull=True).count() == 3
    sent = Document.objects.outgoing().filter(state="sent").order_by("unit_id", "number")
    assert [d.number for d in sent[:5]] == [1, 2, 3, 4, 5]
    call_command("load_demo_documents", verbosity=0)
    assert Document.objects.count() == count
    # Every demo page answers for its leader.
    leader = User.objects.get(username="leader.saigon")
    client = signed_in(leader, "vi")
    for document in Document.objects.filter(unit__name="Phường Sài Gòn")[:12]:
        assert client.get(f"/van-ban/{document.pk}/").status_code == 200
        assert client.get(f"/van-ban/{document.pk}/pdf/").status_code in (200, 404)
    assert client.get("/van-ban/xu-ly/").status_code == 200


def test_the_staff_home_counts_what_waits(people: Personas, clerk: User) -> None:
    incoming = arrived(people.ward, clerk, day=dt.date(2026, 3, 2))
    from cityhall.documents import services

    services.assign_handling(actor=people.leader, document=incoming, assignee=people.officer,
                             working_days=1, now=timezone.now() - dt.timedelta(days=10))
    page = signed_in(people.officer).get("/staff/").content.decode()
    assert 'data-testid="documents-panel"' in page
    panel = page.split('data-testid="documents-panel"')[1].split("</article>")[0]
    assert [int(n) for n in re.findall(r"<strong>(\d+)</strong>", panel)] == [0, 1, 1, 1]
    outsider = signed_in(people.outsider).get("/staff/").content.decode()
    outside = outsider.split('data-testid="documents-panel"')[1].split("</article>")[0]
    assert [int(n) for n in re.findall(r"<strong>(\d+)</strong>", outside)] == [0, 0, 0, 0]


def test_a_draft_is_edited_from_its_page(people: Personas) -> None:
    from cityhall.documents import services
    from tests.documents_support import decision

    document = services.draft_document(actor=people.officer, unit=people.ward, draft=decision())
    client = signed_in(people.officer)
    url = f"/van-ban/{document.pk}/sua/"
    assert url in client.get(f"/van-ban/{document.pk}/").content.decode()
    page = client.get(url)
    assert page.status_code == 200 and decision().summary in page.content.decode()
    changed = client.post(url, {
        "unit": people.ward.code, "doc_type": "quyet_dinh", "copies": 1,
        "summary": "Về việc kiện toàn Tổ công tác", "recipients": "Như Điều 2"})
    assert changed.status_code == 302
    document.refresh_from_db()
    assert document.summary == "Về việc kiện toàn Tổ công tác"
    services.act_on_document(actor=people.officer, document=document, action="review")
    assert client.get(url).status_code == 404
    assert signed_in(people.outsider).get(url).status_code == 404
