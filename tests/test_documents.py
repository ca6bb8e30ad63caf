"""Official documents: types as data, registers and numbering, drafting to PDF, the approval
workflow, incoming handling, scope."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import threading
from io import BytesIO

import pytest
from django.db import connection, connections
from pypdf import PdfReader

from cityhall.accounts.models import Role
from cityhall.core.audit import SYSTEM
from cityhall.core.models import AuditEntry
from cityhall.core.signing import verify_pdf
from cityhall.documents import numbering, services
from cityhall.documents.errors import DocumentCode, DocumentError
from cityhall.documents.models import Document, DocumentFile, DocumentType, Handling, Register
from cityhall.orgunits.models import Unit
from cityhall.workflow import engine
from tests.documents_support import arrived, decision, issued
from tests.factories import Personas, at, make_staff

pytestmark = [pytest.mark.django_db]
#: poppler-utils' text extractor, an independent reader of the PDFs we write.
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"


def pdftotext(pdf: bytes, *options: str) -> str:
    """The text poppler reads from a PDF (our own file, given on stdin)."""
    return subprocess.run([PDFTOTEXT, *options, "-", "-"], input=pdf,  # noqa: S603
                          capture_output=True, check=True).stdout.decode()


@pytest.fixture
def clerk(people: Personas) -> object:
    return make_staff("p.clerk", people.ward, Role.CLERK)


def test_the_types_of_decree_30_are_seeded_as_data(db: None) -> None:
    types = {t.code: t for t in DocumentType.objects.all()}
    assert len(types) == 29
    assert types["quyet_dinh"].abbreviation == "QĐ"
    assert types["to_trinh"].abbreviation == "TTr"
    assert types["quy_dinh"].abbreviation == "QyĐ"
    assert types["cong_van"].abbreviation == ""
    assert [t.code for t in DocumentType.objects.all()][:2] == ["nghi_quyet", "quyet_dinh"]


def test_loading_the_types_again_puts_back_the_seed_and_changes_nothing_else(db: None) -> None:
    DocumentType.objects.filter(code="to_trinh").update(abbreviation="TT")
    assert services.load_document_types(actor=SYSTEM) == 1
    assert DocumentType.objects.get(code="to_trinh").abbreviation == "TTr"
    assert services.load_document_types(actor=SYSTEM) == 0
    assert AuditEntry.objects.filter(action="documents.load_types").count() == 1


def test_notations_follow_decree_30() -> None:
    assert numbering.notation(7, type_abbreviation="QĐ", agency="UBND") == "07/QĐ-UBND"
    assert numbering.notation(123, type_abbreviation="", agency="UBND",
                              drafting_unit="VX") == "123/UBND-VX"
    assert numbering.format_number(10) == "10"


def test_a_decision_goes_from_draft_to_issued_with_its_number(
    people: Personas, clerk: object,
) -> None:
    document = services.draft_document(actor=people.officer, unit=people.ward,
                                       draft=decision(), now=at(2026, 3, 2, 9))
    assert document.state == "drafted" and document.number is None
    assert document.author == "Ủy ban nhân dân Phường Sài Gòn"
    with pytest.raises(DocumentError) as refused:  # an officer does not sign
        services.act_on_document(actor=people.officer, document=document, action="sign")
    assert refused.value.code == "invalid_state"
    services.act_on_document(actor=people.officer, document=document, action="review")
    with pytest.raises(DocumentError) as refused:
        services.act_on_document(actor=people.officer, document=document, action="sign")
    assert refused.value.code == "not_allowed"
    services.act_on_document(actor=people.leader, document=document, action="sign",
                             now=at(2026, 3, 2, 10))
    assert document.number is None  # numbered at issue, not at signature
    services.act_on_document(actor=clerk, document=document, action="issue",  # type: ignore[arg-type]
                             now=at(2026, 3, 2, 11))
    document.refresh_from_db()
    assert document.state == "issued" and document.number == 1
    assert document.notation == "01/QĐ-UBND"
    assert document.document_date == dt.date(2026, 3, 2)
    assert document.register is not None and document.register.year == 2026
    files = {f.kind: f for f in DocumentFile.objects.filter(document=document)}
    assert set(files) == {"leader", "issued"}
    # Signed with the DEMO keys (DEBUG): the leader, then the organisation's seal over it.
    assert files["issued"].signed and files["leader"].signed
    reports = verify_pdf(files["issued"].file.read())
    assert [r.valid for r in reports] == [True, True], [r.problems for r in reports]
    assert [r.signer_name for r in reports] == [
        f"{people.leader.display_name} (DEMO)",
        "UBND Phường Sài Gòn (DEMO)"]
    assert AuditEntry.objects.filter(action="documents.number", object_id=str(document.pk)
                                     ).exists()
    services.act_on_document(actor=clerk, document=document, action="send")  # type: ignore[arg-type]
    assert document.state == "sent"


def test_numbers_are_shared_across_types_and_restart_each_year(
    people: Personas, clerk: object,
) -> None:
    first = issued(people.ward, people.officer, people.leader, clerk, now=at(2026, 12, 30, 9))  # type: ignore[arg-type]
    letter = issued(people.ward, people.officer, people.leader, clerk,  # type: ignore[arg-type]
                    now=at(2026, 12, 31, 9), doc_type="cong_van", drafting_unit="vx",
                    summary="Về việc báo cáo tình hình")
    new_year = issued(people.ward, people.officer, people.leader, clerk,  # type: ignore[arg-type]
                      now=at(2027, 1, 1, 9))
    assert (first.notation, letter.notation, new_year.notation) == (
        "01/QĐ-UBND", "02/UBND-VX", "01/QĐ-UBND")
    assert {r.year: r.last_number for r in Register.objects.filter(unit=people.ward)} == {
        2026: 2, 2027: 1}
    # Another ward counts on its own.
    other_clerk = make_staff("o.clerk", people.other_ward, Role.CLERK)
    other_officer = make_staff("o.officer", people.other_ward, Role.OFFICER)
    other = issued(people.other_ward, other_officer, people.outsider, other_clerk,
                   now=at(2026, 12, 31, 10))
    assert other.number == 1


def test_bad_drafts_are_refused_and_change_nothing(people: Personas) -> None:
    before = Document.objects.count()
    cases = [
        (people.officer, decision(doc_type="no_such_type"), DocumentCode.UNKNOWN_TYPE),
        (people.officer, decision(summary="  "), DocumentCode.INVALID_DOCUMENT),
        (people.officer, decision(authority="XX."), DocumentCode.INVALID_DOCUMENT),
        (people.officer, decision(doc_type="cong_van"), DocumentCode.INVALID_DOCUMENT),
        (people.outsider, decision(), DocumentCode.NOT_IN_UNIT),
        (people.resident, decision(), DocumentCode.NOT_IN_UNIT),
    ]
    for actor, draft, code in cases:
        with pytest.raises(DocumentError) as refused:
            services.draft_document(actor=actor, unit=people.ward, draft=draft)
        assert refused.value.code == code, (draft, refused.value.detail)
    assert Document.objects.count() == before


def test_the_pdf_follows_the_layout_of_decree_30(people: Personas, clerk: object) -> None:
    from cityhall.documents.pdf import render

    document = issued(people.ward, people.officer, people.leader, clerk,  # type: ignore[arg-type]
                      now=at(2026, 1, 5, 9))
    rendered = render(document, today=dt.date(2026, 1, 5))
    reader = PdfReader(BytesIO(rendered.pdf))
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = pdftotext(rendered.pdf)
    flat = " ".join(text.split())
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "ỦY BAN NHÂN DÂN PHƯỜNG SÀI GÒN", "Số: 01/QĐ-UBND",
                     "Sài Gòn, ngày 05 tháng 01 năm 2026", "QUYẾT ĐỊNH",
                     "Về việc thành lập Tổ công tác chuyển đổi số phường",
                     "Điều 1. Thành lập Tổ công tác", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH",
                     "Nguyễn Văn Chủ", "Nơi nhận:", "- Như Điều 2;", "- Lưu: VT, VP."):
        assert expected in flat, (expected, flat)
    # The text starts 30 mm from the left edge, within the right margin of 15 mm.
    boxes = pdftotext(rendered.pdf, "-bbox")
    xs = [float(part.split('"')[1]) for part in boxes.split("xMin=")[1:]]
    x_max = [float(part.split('"')[1]) for part in boxes.split("xMax=")[1:]]
    mm = 72 / 25.4
    assert min(xs) >= 30 * mm - 1 and max(x_max) <= width - 15 * mm + 1
    # The signature's room lies between the title and the name, on the right half.
    assert rendered.signature_box is not None
    page_no, x1, y1, _x2, y2 = rendered.signature_box
    assert page_no == 0 and x1 > width / 2 - 20 * mm and y2 - y1 > 20 * mm


def test_an_incoming_document_is_registered_assigned_and_completed(
    people: Personas, clerk: object,
) -> None:
    day = dt.date(2026, 3, 2)
    first = arrived(people.ward, clerk, day=day)  # type: ignore[arg-type]
    second = arrived(people.ward, clerk, day=day, notation="88/TB-UBND",  # type: ignore[arg-type]
                     doc_type="thong_bao", author="UBND Thành phố")
    assert (first.number, second.number) == (1, 2)
    assert first.register is not None and first.register.direction == "incoming"
    with pytest.raises(DocumentError) as refused:  # the officer does not assign
        services.assign_handling(actor=people.officer, document=first,
                                 assignee=people.officer)
    assert refused.value.code == DocumentCode.NOT_IN_UNIT
    handling = services.assign_handling(
        actor=people.leader, document=first, assignee=people.officer, working_days=5,
        instructions="Rà soát và báo cáo", now=at(2026, 3, 2, 9))
    assert handling.state == "assigned" and handling.assignee == people.officer
    # Five working days from Monday 2 March 2026 09:00.
    assert handling.due_at is not None and handling.due_at.date() == dt.date(2026, 3, 9)
    first.refresh_from_db()
    assert first.transfer_date == dt.date(2026, 3, 2)
    entry = AuditEntry.objects.get(action="documents.assign_handling")
    assert entry.changes["assignee"] == [None, people.officer.username]
    assert Handling.objects.overdue(at(2026, 3, 10, 9)).filter(pk=handling.pk).exists()
    with pytest.raises(DocumentError) as refused:
        services.act_on_handling(actor=people.officer, handling=handling, action="complete")
    assert refused.value.code == "comment_required"
    services.act_on_handling(actor=people.officer, handling=handling, action="complete",
                             comment="Đã rà soát 12 căn, báo cáo kèm theo.")
    handling.refresh_from_db()
    assert handling.state == "completed" and handling.report.startswith("Đã rà soát")
    assert [s.action for s in engine.history(handling)] == ["start", "complete"]


def test_overdue_handling_escalates_like_every_case(people: Personas, clerk: object) -> None:
    document = arrived(people.ward, clerk, day=dt.date(2026, 3, 2))  # type: ignore[arg-type]
    handling = services.assign_handling(actor=people.leader, document=document,
                                        assignee=people.officer, working_days=1,
                                        now=at(2026, 3, 2, 9))
    engine.sweep(now=at(2026, 3, 20, 9))
    handling.refresh_from_db()
    assert handling.escalation_level == 1
    assert "escalate" in [s.action for s in engine.history(handling)]


def test_a_wards_staff_never_see_another_wards_register(people: Personas, clerk: object) -> None:
    document = issued(people.ward, people.officer, people.leader, clerk)  # type: ignore[arg-type]
    incoming = arrived(people.ward, clerk, day=dt.date(2026, 3, 2))  # type: ignore[arg-type]
    for user in (people.officer, people.leader, people.city_leader, clerk):
        assert set(Document.objects.visible_to(user)) >= {document, incoming}
    for user in (people.outsider, people.resident, people.kp_head, None):
        assert not Document.objects.visible_to(user).exists()
        assert not Register.objects.visible_to(user).exists()


def test_the_register_search_ignores_diacritics(people: Personas, clerk: object) -> None:
    document = issued(people.ward, people.officer, people.leader, clerk)  # type: ignore[arg-type]
    seen = Document.objects.visible_to(people.officer)
    assert list(seen.matching("thanh lap to cong tac")) == [document]
    assert list(seen.matching("THÀNH LẬP")) == [document]
    assert list(seen.matching("01/QĐ-UBND")) == [document]
    assert not seen.matching("xay dung").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_clerks_never_share_or_skip_a_number(committed_registry: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite lets one writer in at a time")
    # The tables were emptied by an earlier transactional test: put the types back.
    services.load_document_types(actor=SYSTEM)
    ward = Unit.objects.get(name="Phường Sài Gòn", valid_to__isnull=True)
    officer = make_staff("c.officer", ward, Role.OFFICER)
    leader = make_staff("c.leader", ward, Role.LEADER)
    clerks = [make_staff(f"c.clerk{n}", ward, Role.CLERK) for n in range(6)]
    drafts = []
    for _n in range(len(clerks) * 4):
        document = services.draft_document(actor=officer, unit=ward, draft=decision())
        services.act_on_document(actor=officer, document=document, action="review")
        services.act_on_document(actor=leader, document=document, action="sign")
        drafts.append(document)
    errors: list[BaseException] = []
    start = threading.Barrier(len(clerks))

    def issue(n: int) -> None:
        try:
            start.wait()
            for document in drafts[n::len(clerks)]:
                services.act_on_document(actor=clerks[n], document=document, action="issue")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(len(clerks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    numbers = sorted(n for n in Document.objects.filter(unit=ward).values_list(
        "number", flat=True) if n is not None)
    assert numbers == list(range(1, len(drafts) + 1))


def test_a_send_back_needs_a_reason_and_tells_the_drafter(people: Personas) -> None:
    from cityhall.notifications.models import Notification

    document = services.draft_document(actor=people.officer, unit=people.ward, draft=decision())
    services.act_on_document(actor=people.officer, document=document, action="review")
    with pytest.raises(DocumentError) as refused:
        services.act_on_document(actor=people.leader, document=document, action="send_back")
    assert refused.value.code == "comment_required"
    assert not Notification.objects.filter(recipient=people.officer).exists()
    services.act_on_document(actor=people.leader, document=document, action="send_back",
                             comment="Sửa căn cứ pháp lý")
    assert document.state == "drafted"
    assert Notification.objects.filter(recipient=people.officer).exists()


def test_a_draft_sent_back_is_edited_and_only_a_draft(people: Personas, clerk: object) -> None:
    document = services.draft_document(actor=people.officer, unit=people.ward, draft=decision())
    services.act_on_document(actor=people.officer, document=document, action="review")
    with pytest.raises(DocumentError) as refused:
        services.edit_draft(actor=people.officer, document=document,
                            draft=decision(summary="Khác"))
    assert refused.value.code == "invalid_state"
    services.act_on_document(actor=people.leader, document=document, action="send_back",
                             comment="Sửa trích yếu")
    with pytest.raises(DocumentError) as refused:
        services.edit_draft(actor=people.outsider, document=document, draft=decision())
    assert refused.value.code == DocumentCode.NOT_IN_UNIT
    with pytest.raises(DocumentError) as refused:
        services.edit_draft(actor=people.officer, document=document,
                            draft=decision(doc_type="cong_van"))
    assert refused.value.code == DocumentCode.INVALID_DOCUMENT
    services.edit_draft(actor=people.officer, document=document,
                        draft=decision(summary="Về việc kiện toàn Tổ công tác"))
    document.refresh_from_db()
    assert document.summary == "Về việc kiện toàn Tổ công tác"
    assert Document.objects.matching("kien toan").filter(pk=document.pk).exists()
    entry = AuditEntry.objects.get(action="documents.edit_draft")
    assert entry.changes == {"summary": [decision().summary, "Về việc kiện toàn Tổ công tác"]}
    # An edit that changes nothing leaves no entry.
    services.edit_draft(actor=people.officer, document=document,
                        draft=decision(summary="Về việc kiện toàn Tổ công tác"))
    assert AuditEntry.objects.filter(action="documents.edit_draft").count() == 1


def test_whoever_signs_is_the_signer_printed(people: Personas) -> None:
    named = services.draft_document(actor=people.officer, unit=people.ward,
                                    draft=decision(signer=people.leader, signer_name=""))
    assert named.signer_name == people.leader.display_name
    services.act_on_document(actor=people.officer, document=named, action="review")
    # City leadership signs in the ward leader's stead: the page must carry their name.
    services.act_on_document(actor=people.city_leader, document=named, action="sign")
    named.refresh_from_db()
    assert named.signer == people.city_leader
    assert named.signer_name == people.city_leader.display_name
