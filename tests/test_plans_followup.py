"""A task's follow-up: deliverables and evidence (files, links) and extension requests, through
the services, the API and the task page; the Gantt's "late only" view (issue #13)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import Workbook
from pytest_django import Settings

from cityhall.accounts.models import Membership, Role, User
from cityhall.core.files import office
from cityhall.core.models import AuditEntry
from cityhall.notifications.models import Notification
from cityhall.plans import evidence, services
from cityhall.plans.errors import PlanCode, PlanError
from cityhall.plans.gantt import gantt_data
from cityhall.plans.models import Decision, Evidence, ExtensionRequest, Plan, Task
from tests.factories import Personas, bearer, make_staff
from tests.files_support import EICAR, jpeg, pdf

D = dt.date


@dataclass
class World:
    people: Personas
    plan: Plan
    task: Task  # the ward's, in the officer's charge
    late: Task  # the ward's, overdue
    done: Task  # done on time

    @property
    def leader(self) -> User:
        """The plan's owner: the city's leader."""
        return self.people.city_leader


@pytest.fixture
def world(people: Personas, settings: Settings, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = str(tmp_path)
    city_leader = people.city_leader
    plan = services.create_plan(
        actor=city_leader, title="Kế hoạch chuyển đổi số", fields=["digital_transformation"],
        owner_unit=city_leader.memberships.get().unit,
        phases=[services.PhaseIn("Năm 2026", D(2026, 12, 31))])
    phase = plan.phases.get()
    task = services.create_task(
        actor=city_leader, plan=plan, title="Số hóa hồ sơ", lead_unit=people.ward, phase=phase,
        person_in_charge=people.officer, start=D(2026, 1, 5), due=D(2099, 12, 31))
    late = services.create_task(
        actor=city_leader, plan=plan, title="Tập huấn cán bộ", lead_unit=people.ward,
        phase=phase, start=D(2025, 1, 6), due=D(2025, 3, 31), depends_on=[(task, 0)])
    done = services.create_task(
        actor=city_leader, plan=plan, title="Kết nối mạng", lead_unit=people.ward, phase=phase,
        start=D(2025, 1, 6), due=D(2025, 2, 28))
    services.report_progress(actor=city_leader, task=done, percent=100,
                             now=dt.datetime(2025, 2, 20, 10, tzinfo=dt.UTC))
    return World(people, plan, task, late, done)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# -- evidence: the services --------------------------------------------------------------------


def test_the_person_in_charge_adds_a_pdf_and_a_link_audited(world: World) -> None:
    officer = world.people.officer
    added = evidence.add_file(actor=officer, task=world.task, note="Biên bản nghiệm thu",
                              upload=SimpleUploadedFile("bien-ban.pdf", pdf(2)))
    item = added.evidence
    assert added.created and item.kind == "file" and item.content_type == "application/pdf"
    assert item.original_name == "bien-ban.pdf" and item.size == len(pdf(2))
    # The stored name is ours, not the client's.
    assert str(item.file.name).startswith("plans/") and "bien-ban" not in str(item.file.name)
    link = evidence.add_link(actor=officer, task=world.task,
                             url=" https://dichvucong.hochiminhcity.gov.vn/bao-cao ",
                             note="Trang công bố").evidence
    assert link.url == "https://dichvucong.hochiminhcity.gov.vn/bao-cao"
    actions = list(AuditEntry.objects.filter(action="plans.evidence_add").order_by("pk")
                   .values_list("changes", flat=True))
    assert [c["kind"] for c in actions] == ["file", "link"]
    assert actions[0]["sha256"] == item.sha256


def test_the_lead_units_officer_adds_but_an_outsider_and_a_coordinator_may_not(
        world: World) -> None:
    colleague = make_staff("p.officer2", world.people.ward, Role.OFFICER)
    evidence.add_link(actor=colleague, task=world.task, url="https://example.gov.vn/a")
    for stranger in (world.people.outsider, world.people.kp_head):
        with pytest.raises(PlanError) as refused:
            evidence.add_link(actor=stranger, task=world.task, url="https://example.gov.vn/b")
        assert refused.value.code == "not_allowed"
    assert Evidence.objects.count() == 1


@pytest.mark.parametrize("url", [
    "ftp://example.gov.vn/x", "javascript:alert(1)", "example.gov.vn", "",
    "https://user:secret@example.gov.vn/", "https://" + "a" * 2000 + ".vn",
])
def test_a_link_must_be_an_http_address_without_credentials(world: World, url: str) -> None:
    with pytest.raises(PlanError) as refused:
        evidence.add_link(actor=world.people.officer, task=world.task, url=url)
    assert refused.value.code == PlanCode.INVALID_LINK
    assert not Evidence.objects.exists()


def test_a_file_the_layer_refuses_stores_nothing(world: World, settings: Settings) -> None:
    with pytest.raises(PlanError) as refused:
        evidence.add_file(actor=world.people.officer, task=world.task,
                          upload=SimpleUploadedFile("x.exe", b"MZ\x90\x00" + b"\x00" * 100))
    assert refused.value.code == PlanCode.EVIDENCE_FILE_REFUSED
    assert "file" in refused.value.detail
    settings.CITYHALL_PLANS_EVIDENCE_MAX_BYTES = 100
    with pytest.raises(PlanError):
        evidence.add_file(actor=world.people.officer, task=world.task,
                          upload=SimpleUploadedFile("a.jpg", jpeg()))
    settings.CITYHALL_PLANS_EVIDENCE_MAX_BYTES = 10**7
    settings.CITYHALL_FILE_SCANNER = "tests.files_support.eicar_scanner"
    with pytest.raises(PlanError) as infected:
        evidence.add_file(actor=world.people.officer, task=world.task,
                          upload=SimpleUploadedFile("a.pdf", pdf(1) + EICAR))
    assert infected.value.code == PlanCode.EVIDENCE_FILE_REFUSED
    assert not Evidence.objects.exists()


def test_a_repeated_idempotency_key_gives_the_first_item(world: World) -> None:
    first = evidence.add_link(actor=world.people.officer, task=world.task,
                              url="https://example.gov.vn/a", idempotency_key="k1")
    again = evidence.add_link(actor=world.people.officer, task=world.task,
                              url="https://example.gov.vn/a", idempotency_key="k1")
    assert first.created and not again.created
    assert again.evidence.pk == first.evidence.pk and Evidence.objects.count() == 1


def test_removal_is_by_the_adder_or_the_plans_owner_and_stays_in_history(world: World) -> None:
    officer, colleague = world.people.officer, make_staff("p.o2", world.people.ward, Role.OFFICER)
    mine = evidence.add_link(actor=officer, task=world.task, url="https://a.gov.vn/1").evidence
    theirs = evidence.add_link(actor=colleague, task=world.task, url="https://a.gov.vn/2").evidence
    with pytest.raises(PlanError) as refused:
        evidence.remove(actor=officer, item=theirs)
    assert refused.value.code == "not_allowed"
    evidence.remove(actor=officer, item=mine, reason="Nhầm liên kết")
    evidence.remove(actor=world.leader, item=theirs)
    assert [e.removed for e in evidence.of_task(world.task)] == [True, True]
    with pytest.raises(PlanError) as twice:
        evidence.remove(actor=world.leader, item=mine)
    assert twice.value.code == "invalid_state"
    assert AuditEntry.objects.filter(action="plans.evidence_remove").count() == 2


def test_a_cancelled_task_takes_no_evidence(world: World) -> None:
    services.cancel_task(actor=world.leader, task=world.task, reason="Gộp vào việc khác")
    with pytest.raises(PlanError) as refused:
        evidence.add_link(actor=world.people.officer, task=world.task, url="https://a.gov.vn/")
    assert refused.value.code == PlanCode.TASK_CLOSED


# -- evidence: the API -------------------------------------------------------------------------


def _evidence_url(task: Task) -> str:
    return f"/api/v1/tasks/{task.pk}/evidence"


def test_the_api_takes_a_file_as_multipart_and_a_link_as_json(world: World) -> None:
    client, headers = Client(), bearer(world.people.officer)
    sent = client.post(_evidence_url(world.task), {"file": SimpleUploadedFile("anh.jpg", jpeg()),
                                                   "note": "Ảnh hiện trường"},
                       headers={**headers, "Idempotency-Key": "f-1"})
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["kind"] == "file" and body["content_type"] == "image/jpeg"
    assert body["name"] == "anh.jpg" and body["added_by"] == "p.officer"
    link = client.post(_evidence_url(world.task),
                       {"url": "https://example.gov.vn/kq", "note": "Kết quả"},
                       content_type="application/json",
                       headers={**headers, "Idempotency-Key": "l-1"})
    assert link.status_code == 201 and link.json()["url"] == "https://example.gov.vn/kq"
    again = client.post(_evidence_url(world.task), {"url": "https://example.gov.vn/kq"},
                        content_type="application/json",
                        headers={**headers, "Idempotency-Key": "l-1"})
    assert again.status_code == 200 and again.json()["id"] == link.json()["id"]
    listed = client.get(_evidence_url(world.task), headers=headers).json()
    assert [i["kind"] for i in listed] == ["file", "link"]
    download = client.get(body["download"], headers=headers)
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download.getvalue() == jpeg()


def test_the_api_refuses_bad_input_and_changes_nothing(world: World) -> None:
    client, headers = Client(), bearer(world.people.officer)
    url = _evidence_url(world.task)
    shape = client.post(url, {"url": "https://a.gov.vn", "extra": 1},
                        content_type="application/json", headers=headers)
    assert shape.status_code == 422 and shape.json()["code"] == "invalid"
    bad = client.post(url, {"url": "ftp://a.gov.vn/x"}, content_type="application/json",
                      headers=headers)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_evidence_link"
    nothing = client.post(url, {"note": "no file"}, headers=headers)
    assert nothing.status_code == 422
    refused = client.post(url, {"file": SimpleUploadedFile("a.pdf", b"not a pdf at all")},
                          headers=headers)
    assert refused.status_code == 400 and refused.json()["code"] == "evidence_file_refused"
    assert not Evidence.objects.exists()


def test_the_api_scopes_evidence_to_who_may_see_the_task(world: World) -> None:
    item = evidence.add_file(actor=world.people.officer, task=world.task,
                             upload=SimpleUploadedFile("a.pdf", pdf(1))).evidence
    outsider = bearer(world.people.outsider)
    client = Client()
    assert client.get(_evidence_url(world.task), headers=outsider).status_code == 404
    file_url = f"{_evidence_url(world.task)}/{item.pk}/file"
    assert client.get(file_url, headers=outsider).status_code == 404
    assert client.post(_evidence_url(world.task), {"url": "https://a.gov.vn"},
                       content_type="application/json", headers=outsider).status_code == 404
    # The ward's leader sees and downloads; the file of another task is not reached by its id.
    assert client.get(file_url, headers=bearer(world.people.leader)).status_code == 200
    other = f"/api/v1/tasks/{world.late.pk}/evidence/{item.pk}/file"
    assert client.get(other, headers=bearer(world.people.leader)).status_code == 404
    # Removed: listed, but no longer served.
    removed = client.post(f"{_evidence_url(world.task)}/{item.pk}/remove", {},
                          content_type="application/json", headers=bearer(world.leader))
    assert removed.status_code == 200 and removed.json()["removed_by"] == "p.city"
    assert removed.json()["download"] is None
    assert client.get(file_url, headers=bearer(world.leader)).status_code == 404


def test_listing_evidence_costs_the_same_queries_for_more_items(world: World) -> None:
    headers = bearer(world.people.officer)
    client = Client()
    evidence.add_link(actor=world.people.officer, task=world.task, url="https://a.gov.vn/0")
    client.get(_evidence_url(world.task), headers=headers)  # the token's first use is noted
    with CaptureQueriesContext(connection) as one:
        client.get(_evidence_url(world.task), headers=headers)
    for n in range(1, 6):
        evidence.add_link(actor=world.people.officer, task=world.task, url=f"https://a.gov.vn/{n}")
    with CaptureQueriesContext(connection) as six:
        assert len(client.get(_evidence_url(world.task), headers=headers).json()) == 6
    assert len(six) == len(one)


# -- evidence: the task page -------------------------------------------------------------------


def test_the_task_page_lists_evidence_and_takes_a_file_and_a_link(world: World) -> None:
    page_url = f"/nhiem-vu/{world.task.pk}/"
    officer = signed_in(world.people.officer)
    sent = officer.post(f"{page_url}minh-chung/", {
        "file": SimpleUploadedFile("ke-hoach.pdf", pdf(1)), "note": "Kế hoạch chi tiết",
        "idempotency_key": "page-1"})
    assert sent.status_code == 302 and sent["Location"].endswith("#evidence")
    assert officer.post(f"{page_url}minh-chung/lien-ket/", {
        "url": "https://example.gov.vn/kq", "note": "", "idempotency_key": "page-2"}
    ).status_code == 302
    # A double click (the same key) gives one item.
    officer.post(f"{page_url}minh-chung/lien-ket/", {
        "url": "https://example.gov.vn/kq", "idempotency_key": "page-2"})
    assert Evidence.objects.count() == 2
    text = officer.get(page_url).content.decode()
    assert "ke-hoach.pdf" in text and "https://example.gov.vn/kq" in text
    assert 'rel="noopener noreferrer nofollow"' in text
    item = Evidence.objects.get(kind="file")
    download = officer.get(f"{page_url}minh-chung/{item.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    # The other ward's leader sees neither the page nor the file.
    outsider = signed_in(world.people.outsider)
    assert outsider.get(page_url).status_code == 404
    assert outsider.get(f"{page_url}minh-chung/{item.pk}/").status_code == 404


def test_a_refused_file_shows_the_reason_on_the_page(world: World) -> None:
    officer = signed_in(world.people.officer)
    answer = officer.post(f"/nhiem-vu/{world.task.pk}/minh-chung/", {
        "file": SimpleUploadedFile("virus.exe", b"MZ" + b"\x00" * 50), "idempotency_key": "x"})
    assert answer.status_code == 400
    assert "virus.exe" in answer.content.decode()
    assert not Evidence.objects.exists()


def test_only_who_may_remove_sees_the_button_and_removal_is_kept(world: World) -> None:
    item = evidence.add_link(actor=world.people.officer, task=world.task,
                             url="https://example.gov.vn/kq").evidence
    colleague = make_staff("p.o3", world.people.ward, Role.OFFICER)
    remove_url = f"/nhiem-vu/{world.task.pk}/minh-chung/{item.pk}/go/"
    assert remove_url not in signed_in(colleague).get(f"/nhiem-vu/{world.task.pk}/").content \
        .decode()
    signed_in(colleague).post(remove_url)
    assert not Evidence.objects.get().removed
    assert signed_in(world.people.officer).post(remove_url).status_code == 302
    text = signed_in(world.leader).get(f"/nhiem-vu/{world.task.pk}/").content.decode()
    assert "evidence-removed" in text and "<del>" in text


# -- extension requests ------------------------------------------------------------------------


def test_the_person_in_charge_asks_and_the_plans_leaders_are_told(world: World) -> None:
    officer = signed_in(world.people.officer)
    page_url = f"/nhiem-vu/{world.late.pk}/"
    # The late task is the ward's, with no person: its officer asks as the lead unit's.
    answer = officer.post(f"{page_url}gia-han/", {"due": "2025-06-30",
                                                   "reason": "Chờ cấp tài khoản"})
    assert answer.status_code == 302
    asked = ExtensionRequest.objects.get()
    assert asked.decision == Decision.PENDING and asked.asked_by == world.people.officer
    notice = Notification.objects.get(recipient=world.leader)
    assert notice.subject.startswith("Đề nghị gia hạn") and world.late.title in notice.subject
    assert notice.subject_ref == f"plans.task:{world.late.pk}"
    # A second request while one waits is refused on the page.
    again = officer.post(f"{page_url}gia-han/", {"due": "2025-07-31", "reason": "Thêm"})
    assert again.status_code == 400 and ExtensionRequest.objects.count() == 1
    # The leader sees it on the task page and in the list of their plans' requests.
    leader = signed_in(world.leader)
    assert "extension-decide-form" in leader.get(page_url).content.decode()
    listed = leader.get("/ke-hoach/gia-han/").content.decode()
    assert world.late.title in listed
    assert world.late.title not in signed_in(world.people.leader).get(
        "/ke-hoach/gia-han/").content.decode()  # the ward's leader does not own the plan
    assert "extension-decide-form" not in officer.get(page_url).content.decode()


def test_approval_moves_the_due_date_and_the_chart_follows(world: World) -> None:
    today = timezone.localdate()
    before = gantt_data(world.plan, world.leader, today)["tasks"]
    assert next(t for t in before if t["id"] == world.late.pk)["status"] == "overdue"
    asked = services.request_extension(actor=world.people.officer, task=world.late,
                                       new_due=D(2099, 6, 30), reason="Chờ thiết bị")
    leader = signed_in(world.leader)
    answer = leader.post(f"/nhiem-vu/{world.late.pk}/gia-han/{asked.pk}/",
                         {"decision": "approve", "note": "Đồng ý", "next": "list"})
    assert answer.status_code == 302 and answer["Location"] == "/ke-hoach/gia-han/"
    world.late.refresh_from_db()
    assert world.late.due == D(2099, 6, 30)
    row = next(t for t in gantt_data(world.plan, world.leader, today)["tasks"]
               if t["id"] == world.late.pk)
    assert row["status"] == "in_progress" and row["end"] == D(2099, 6, 30)
    told = Notification.objects.get(recipient=world.people.officer)
    assert told.subject.startswith("Đã duyệt gia hạn")
    assert told.subject_ref == f"plans.task:{world.late.pk}"
    history = signed_in(world.people.officer).get(f"/nhiem-vu/{world.late.pk}/")
    assert 'data-decision="approved"' in history.content.decode()
    assert "Đồng ý" in history.content.decode()


def test_refusal_keeps_the_date_and_only_the_plans_owner_decides(world: World) -> None:
    asked = services.request_extension(actor=world.people.officer, task=world.late,
                                       new_due=D(2099, 6, 30), reason="Chờ thiết bị")
    url = f"/nhiem-vu/{world.late.pk}/gia-han/{asked.pk}/"
    assert signed_in(world.people.leader).post(url, {"decision": "approve"}).status_code == 400
    assert signed_in(world.leader).post(url, {"decision": "refuse",
                                              "note": "Không đủ căn cứ"}).status_code == 302
    asked.refresh_from_db()
    world.late.refresh_from_db()
    assert asked.decision == Decision.REFUSED and world.late.due == D(2025, 3, 31)
    assert asked.decision_note == "Không đủ căn cứ"


def test_the_api_asks_lists_and_decides_extensions(world: World) -> None:
    client = Client()
    officer, leader = bearer(world.people.officer), bearer(world.leader)
    url = f"/api/v1/tasks/{world.late.pk}/extensions"
    asked = client.post(url, {"due": "2099-01-31", "reason": "Chờ kinh phí"},
                        content_type="application/json", headers=officer)
    assert asked.status_code == 201 and asked.json()["decision"] == "pending"
    again = client.post(url, {"due": "2099-02-28", "reason": "Lần nữa"},
                        content_type="application/json", headers=officer)
    assert again.status_code == 409 and again.json()["code"] == "extension_pending"
    waiting = client.get("/api/v1/extensions", headers=leader).json()
    assert [w["id"] for w in waiting] == [asked.json()["id"]]
    assert client.get("/api/v1/extensions", headers=officer).json() == []
    decision_url = f"/api/v1/extensions/{asked.json()['id']}/decision"
    refused = client.post(decision_url, {"approve": True}, content_type="application/json",
                          headers=officer)
    assert refused.status_code == 403
    decided = client.post(decision_url, {"approve": True, "note": "OK"},
                          content_type="application/json", headers=leader)
    assert decided.status_code == 200 and decided.json()["decision"] == "approved"
    twice = client.post(decision_url, {"approve": False}, content_type="application/json",
                        headers=leader)
    assert twice.status_code == 409
    assert [e["decision"] for e in client.get(url, headers=officer).json()] == ["approved"]
    assert client.get(url, headers=bearer(world.people.outsider)).status_code == 404


def test_the_demo_history_tells_nobody(db: None) -> None:
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    call_command("load_demo_plans", verbosity=0)
    assert ExtensionRequest.objects.filter(decision=Decision.APPROVED).exists()
    assert not Notification.objects.filter(subject__contains="gia hạn").exists()


# -- the Gantt: late only ----------------------------------------------------------------------


def test_late_only_keeps_the_overdue_and_done_late_tasks_and_their_links(world: World) -> None:
    services.report_progress(actor=world.leader, task=world.late, percent=100,
                             now=dt.datetime(2025, 4, 10, 10, tzinfo=dt.UTC))
    overdue = services.create_task(
        actor=world.leader, plan=world.plan, title="Rà soát thủ tục", lead_unit=world.people.ward,
        start=D(2025, 1, 6), due=D(2025, 2, 28), depends_on=[(world.late, 0), (world.done, 1)])
    data = gantt_data(world.plan, world.leader, timezone.localdate(), late_only=True)
    assert {t["id"]: t["status"] for t in data["tasks"]} == {
        world.late.pk: "done_late", overdue.pk: "overdue"}
    assert next(t for t in data["tasks"] if t["id"] == overdue.pk)["dependencies"] == [
        {"id": world.late.pk, "lag": 0}]
    body = Client().get(f"/api/v1/plans/{world.plan.pk}/gantt?late=true",
                        headers=bearer(world.leader)).json()
    assert sorted(t["id"] for t in body["tasks"]) == sorted([world.late.pk, overdue.pk])
    page = signed_in(world.leader).get(f"/ke-hoach/{world.plan.pk}/?late=1").content.decode()
    chart = json.loads(page.split('id="gantt-data" type="application/json">')[1]
                       .split("</script>")[0])
    assert len(chart["tasks"]) == 2 and 'aria-pressed="true"' in page


def test_the_chart_names_the_pending_extensions_to_the_plans_leader(world: World) -> None:
    services.request_extension(actor=world.people.officer, task=world.late,
                               new_due=D(2099, 6, 30), reason="Chờ thiết bị")
    page = signed_in(world.leader).get(f"/ke-hoach/{world.plan.pk}/").content.decode()
    assert 'class="button button-secondary gantt-extensions"' in page
    ward = signed_in(world.people.officer).get(f"/ke-hoach/{world.plan.pk}/").content.decode()
    assert "gantt-extensions" not in ward.split("</style>")[-1].split('id="gantt"')[0]


def test_a_member_leaving_the_lead_unit_may_no_longer_add(world: World) -> None:
    colleague = make_staff("p.o4", world.people.ward, Role.OFFICER)
    Membership.objects.filter(user=colleague).update(valid_to=D(2020, 1, 1))
    assert not evidence.may_add(colleague, world.task)


# -- office documents on the file layer --------------------------------------------------------


def _zip(entries: dict[str, bytes], *, stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(entries.items()):
            method = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=method)
    return out.getvalue()


def _docx(*, macros: bool = False) -> bytes:
    parts = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    if macros:
        parts["word/vbaProject.bin"] = b"\x00" * 64
    return _zip(parts)


def test_office_documents_are_told_apart_inside_their_archive(world: World) -> None:
    workbook = Workbook()
    workbook.create_sheet("so-lieu").append(["Phường", "Số hồ sơ"])
    sheet = io.BytesIO()
    workbook.save(sheet)
    odt = _zip({"mimetype": b"application/vnd.oasis.opendocument.text",
                "content.xml": b"<office:document-content/>"}, stored_first=True)
    officer = world.people.officer
    made = {name: evidence.add_file(actor=officer, task=world.task,
                                    upload=SimpleUploadedFile(name, data)).evidence
            for name, data in (("bao-cao.docx", _docx()), ("so-lieu.xlsx", sheet.getvalue()),
                               ("ke-hoach.odt", odt))}
    kinds = {name: (e.content_type, str(e.file.name).rsplit(".", 1)[-1])
             for name, e in made.items()}
    assert kinds == {
        "bao-cao.docx": (office.DOCX.content_type, "docx"),
        "so-lieu.xlsx": (office.XLSX.content_type, "xlsx"),
        "ke-hoach.odt": (office.ODT.content_type, "odt")}


@pytest.mark.parametrize(("name", "data", "said"), [
    ("macro.docm", _docx(macros=True), "macros"),
    ("kho.zip", _zip({"a.txt": b"x"}), "ZIP"),
    ("hong.docx", b"PK\x03\x04" + b"\x00" * 60, "ZIP"),
])
def test_macros_and_other_archives_are_refused(world: World, name: str, data: bytes,
                                               said: str) -> None:
    with translation.override("en"), pytest.raises(PlanError) as refused:
        evidence.add_file(actor=world.people.officer, task=world.task,
                          upload=SimpleUploadedFile(name, data))
    assert refused.value.code == PlanCode.EVIDENCE_FILE_REFUSED
    assert said in refused.value.detail["file"]
    assert not Evidence.objects.exists()


def test_an_archive_of_too_many_entries_is_not_read(settings: Settings) -> None:
    many = _zip({f"{n}.xml": b"" for n in range(office.MAX_ENTRIES + 1)}
                | {"[Content_Types].xml": b"", "word/document.xml": b""})
    assert office.identify(io.BytesIO(many)) is None
    assert office.identify(io.BytesIO(_docx())) == office.DOCX
