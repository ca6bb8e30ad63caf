"""Issue #12's verification: `cityhall documents verify`, the verification on the document
page and in the API, arrived PDFs (a broken signature refused unless overridden with a
reason, audited), scans of paper (colour, 200 dpi or better, counted as digitised), and the
outgoing register's signed share."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pytest_django import Settings
from reportlab.pdfgen import canvas

from cityhall.accounts.models import Role, User
from cityhall.core.models import AuditEntry
from cityhall.core.signing import load_signer, sign_pdf
from cityhall.core.signing.demo import demo_organisation_key
from cityhall.documents.models import Document, DocumentFile
from tests.documents_support import issued, issued_on_paper
from tests.factories import Personas, bearer, make_staff

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def clerk(people: Personas) -> User:
    return make_staff("v.clerk", people.ward, Role.CLERK)


def a_pdf() -> bytes:
    """A one-page letter as another agency would send it (text only)."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(595, 842), invariant=True, pageCompression=0)
    page.drawString(72, 700, "So 1234/SXD-QLN: ve viec ra soat nha o xuong cap")
    page.showPage()
    page.save()
    return out.getvalue()


def signed_by_department() -> bytes:
    """The letter signed by the Department of Construction's DEMO key (the demo CA, which
    the tests trust under DEBUG)."""
    key = demo_organisation_key("Sở Xây dựng")
    return sign_pdf(a_pdf(), load_signer(key.key_source), field_name="Signature-organisation",
                    box=None, reason="Ban hành", location="Thành phố Hồ Chí Minh")


def changed_after_signing(signed: bytes) -> bytes:
    """`signed` with text drawn over its page in a later revision."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(
        stream_data=b"BT /F1 24 Tf 72 650 Td (KHONG CON HIEU LUC) Tj ET")))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def a_scan(*, dpi: int, mode: str = "RGB", pages: int = 1) -> bytes:
    """A scanned PDF: on each 3 x 4 inch page one image of `dpi` pixels an inch."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(3 * 72, 4 * 72))
    image = Image.new(mode, (3 * dpi, 4 * dpi), "white" if mode == "1" else
                      ((200, 30, 30) if mode == "RGB" else 128))
    for _ in range(pages):
        from reportlab.lib.utils import ImageReader
        page.drawImage(ImageReader(image), 0, 0, width=3 * 72, height=4 * 72)
        page.showPage()
    page.save()
    return out.getvalue()


def verify(tmp_path: Path, *files: tuple[str, bytes], json_out: bool = False
           ) -> tuple[int, str, str]:
    """Run `cityhall documents verify` on the files; (exit status, stdout, stderr)."""
    paths = []
    for name, data in files:
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    out, err = io.StringIO(), io.StringIO()
    status = 0
    try:
        call_command("documents", "verify", *paths, *(["--json"] if json_out else []),
                     stdout=out, stderr=err)
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


# The command --------------------------------------------------------------------------------


def test_verify_prints_each_signature_and_exits_0_for_an_issued_decision(
        people: Personas, clerk: User, tmp_path: Path) -> None:
    document = issued(people.ward, people.officer, people.leader, clerk)
    stored = DocumentFile.objects.get(document=document, kind=DocumentFile.Kind.ISSUED)
    status, out, err = verify(tmp_path, ("decision.pdf", stored.file.read()))
    assert status == 0, (out, err)
    assert out.count("  signature ") == 2
    assert f"{people.leader.display_name} (DEMO)" in out
    assert "UBND Phường Sài Gòn (DEMO)" in out
    assert out.count("chain:    trusted (issued by cityhall DEMO CA") == 2
    assert out.count("changed after signing: no") == 2
    assert "signed:   20" in out and "+07:00" in out
    assert "VALID: every signature is valid" in out


def test_verify_exits_non_zero_for_a_changed_an_unsigned_and_an_unreadable_file(
        tmp_path: Path) -> None:
    signed = signed_by_department()
    assert verify(tmp_path, ("ok.pdf", signed))[0] == 0
    status, out, err = verify(tmp_path, ("changed.pdf", changed_after_signing(signed)))
    assert status == 1
    assert "changed after signing: YES (other)" in out and "NOT VALID" in err
    status, out, err = verify(tmp_path, ("plain.pdf", a_pdf()))
    assert status == 1 and "carries no digital signature" in err
    status, out, err = verify(tmp_path, ("ok.pdf", signed), ("notes.pdf", b"not a pdf"))
    assert status == 2 and "notes.pdf" in out and "NOT VALID" in err
    missing = tmp_path / "missing.pdf"
    out_io, err_io = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("documents", "verify", str(missing), stdout=out_io, stderr=err_io)
    assert stopped.value.code == 2 and "cannot read the file" in err_io.getvalue()


def test_verify_judges_the_chain_against_the_trust_roots_given(tmp_path: Path) -> None:
    other_ca = tmp_path / "other-ca"
    from cityhall.core.signing.demo import demo_person_key

    stranger = demo_person_key("Người Lạ", organisation="Không rõ", out=other_ca)
    foreign = sign_pdf(a_pdf(), load_signer(stranger.key_source), field_name="s", box=None,
                       reason="", location="")
    status, out, _err = verify(tmp_path, ("foreign.pdf", foreign))
    assert status == 1 and "chain:    untrusted" in out
    (tmp_path / "foreign.pdf").write_bytes(foreign)
    out_io = io.StringIO()
    call_command("documents", "verify", str(tmp_path / "foreign.pdf"), "--trust-root",
                 str(other_ca / "demo-ca.pem"), stdout=out_io, stderr=io.StringIO())
    assert "chain:    trusted" in out_io.getvalue()
    status, out, _err = verify(tmp_path, ("foreign.pdf", foreign), json_out=True)
    [found] = json.loads(out)["files"]
    assert status == 1 and found["status"] == "invalid"
    assert found["signatures"][0]["chain"] == "untrusted"


# The document page and the API --------------------------------------------------------------


def test_the_api_and_the_page_show_the_verification_of_the_issued_pdf(
        people: Personas, clerk: User) -> None:
    document = issued(people.ward, people.officer, people.leader, clerk)
    detail = Client().get(f"/api/v1/documents/{document.pk}",
                          headers=bearer(people.officer)).json()
    found = detail["verification"]
    assert found["file_kind"] == "issued" and found["status"] == "valid" and found["valid"]
    assert [s["signer"] for s in found["signatures"]] == [
        f"{people.leader.display_name} (DEMO)", "UBND Phường Sài Gòn (DEMO)"]
    for signature in found["signatures"]:
        assert signature["chain"] == "trusted" and signature["intact"]
        assert not signature["modified_after_signing"] and signature["valid"]
        assert signature["signing_time"].endswith("+07:00")
    client = Client()
    client.force_login(people.officer)
    page = client.get(f"/van-ban/{document.pk}/").content.decode()
    assert 'data-testid="verification" data-status="valid"' in page
    assert "Mọi chữ ký số đều hợp lệ." in page
    assert page.count('data-valid="true"') == 2


def test_a_pdf_changed_in_storage_shows_as_broken(people: Personas, clerk: User) -> None:
    document = issued(people.ward, people.officer, people.leader, clerk)
    stored = DocumentFile.objects.get(document=document, kind=DocumentFile.Kind.ISSUED)
    changed = changed_after_signing(stored.file.read())
    with open(stored.file.path, "wb") as handle:
        handle.write(changed)
    found = Client().get(f"/api/v1/documents/{document.pk}",
                         headers=bearer(people.officer)).json()["verification"]
    assert found["status"] == "invalid" and not found["valid"]
    assert found["signatures"][-1]["modified_after_signing"]
    assert "modified_after_signing" in found["signatures"][-1]["problems"]


# Arrived PDFs -------------------------------------------------------------------------------


def register(user: User, pdf: bytes, **form: Any) -> Any:
    body = {"unit": "", "doc_type": "cong_van", "author": "Sở Xây dựng",
            "notation": "1234/SXD-QLN", "document_date": str(timezone.localdate()),
            "summary": "Về việc rà soát nhà ở xuống cấp trên địa bàn"}
    body.update(form.pop("body", {}))
    return Client().post("/api/v1/documents/incoming/with-pdf", data={
        "document": json.dumps(body), "pdf": io.BytesIO(pdf), **form},
        headers=bearer(user))


def test_a_validly_signed_arrival_is_registered_with_its_pdf(
        people: Personas, clerk: User) -> None:
    answer = register(clerk, signed_by_department(), body={"unit": people.ward.code})
    assert answer.status_code == 201, answer.content
    document = Document.objects.get(pk=answer.json()["id"])
    stored = DocumentFile.objects.get(document=document)
    assert stored.kind == DocumentFile.Kind.ARRIVED and stored.signed and not document.digitised
    entry = AuditEntry.objects.get(action="documents.register_incoming", object_id=str(document.pk))
    assert entry.changes["signatures"][1]["status"] == "valid"
    detail = Client().get(f"/api/v1/documents/{document.pk}", headers=bearer(clerk)).json()
    assert detail["verification"]["file_kind"] == "arrived"
    assert detail["verification"]["signatures"][0]["signer"] == "Sở Xây dựng (DEMO)"
    summary = Client().get(f"/api/v1/units/{people.ward.code}/registers/incoming",
                           headers=bearer(clerk)).json()["summary"]
    assert summary == {"entries": 1, "signed": 1, "signed_percent": 100.0, "digitised": 0}


def test_a_broken_signature_is_refused_unless_the_clerk_overrides_with_a_reason(
        people: Personas, clerk: User) -> None:
    broken = changed_after_signing(signed_by_department())
    refused = register(clerk, broken, body={"unit": people.ward.code})
    assert refused.status_code == 422, refused.content
    assert refused.json()["code"] == "signature_broken"
    assert "pdf" in refused.json()["detail"]
    unsigned = register(clerk, a_pdf(), body={"unit": people.ward.code})
    assert unsigned.status_code == 422 and unsigned.json()["code"] == "pdf_unsigned"
    assert not Document.objects.filter(unit=people.ward).exists()
    reason = "Bản gốc giấy đã đối chiếu; Sở Xây dựng gửi lại bản ký số sau"
    accepted = register(clerk, broken, body={"unit": people.ward.code},
                        override_reason=reason)
    assert accepted.status_code == 201, accepted.content
    document = Document.objects.get(pk=accepted.json()["id"])
    assert document.number == 1  # the refusals took no arrival number
    stored = DocumentFile.objects.get(document=document)
    assert stored.kind == DocumentFile.Kind.ARRIVED and not stored.signed
    override = AuditEntry.objects.get(action="documents.signature_override",
                                      object_id=str(document.pk))
    assert override.actor_user == clerk
    assert override.changes["reason"] == [None, reason]
    assert override.changes["signatures"][1]["status"] == "invalid"
    detail = Client().get(f"/api/v1/documents/{document.pk}", headers=bearer(clerk)).json()
    assert detail["verification"]["status"] == "invalid"


def test_only_the_units_registrars_may_upload(people: Personas) -> None:
    answer = register(people.outsider, signed_by_department(), body={"unit": people.ward.code})
    assert answer.status_code == 403 and answer.json()["code"] == "not_in_unit"


def test_a_file_that_is_not_a_pdf_is_refused(people: Personas, clerk: User) -> None:
    answer = register(clerk, b"\x89PNG\r\n\x1a\n" + b"0" * 100, body={"unit": people.ward.code})
    assert answer.status_code == 400 and answer.json()["code"] == "document_file_refused"


# Scans --------------------------------------------------------------------------------------


def test_a_colour_scan_at_200_dpi_is_accepted_and_counted_as_digitised(
        people: Personas, clerk: User) -> None:
    answer = register(clerk, a_scan(dpi=200, pages=2), body={"unit": people.ward.code},
                      scanned="true")
    assert answer.status_code == 201, answer.content
    document = Document.objects.get(pk=answer.json()["id"])
    assert document.digitised
    stored = DocumentFile.objects.get(document=document)
    assert stored.kind == DocumentFile.Kind.SCANNED and stored.scan_dpi == 200
    detail = Client().get(f"/api/v1/documents/{document.pk}", headers=bearer(clerk)).json()
    assert detail["digitised"] is True and detail["verification"] is None
    summary = Client().get(f"/api/v1/units/{people.ward.code}/registers/incoming",
                           headers=bearer(clerk)).json()["summary"]
    assert summary["digitised"] == 1 and summary["signed"] == 0


@pytest.mark.parametrize(("scan", "words"), [
    (lambda: a_scan(dpi=150), "page 1 is scanned at 150 dpi"),
    (lambda: a_scan(dpi=300, mode="L"), "page 1 is not in colour"),
    (a_pdf, "page 1 holds no scanned image"),
])
def test_a_scan_below_200_dpi_or_not_in_colour_is_refused(
        people: Personas, clerk: User, settings: Settings, scan: Any, words: str) -> None:
    settings.LANGUAGE_CODE = "en"
    answer = Client().post("/api/v1/documents/incoming/with-pdf", data={
        "document": json.dumps({
            "unit": people.ward.code, "doc_type": "cong_van", "author": "Tổ dân phố",
            "document_date": str(timezone.localdate()), "summary": "Đơn kiến nghị"}),
        "pdf": io.BytesIO(scan()), "scanned": "true"},
        headers={**bearer(clerk), "Accept-Language": "en"})
    assert answer.status_code == 422, answer.content
    assert answer.json()["code"] == "scan_quality"
    assert words in answer.json()["detail"]["pdf"]
    assert not Document.objects.filter(unit=people.ward).exists()


def test_the_incoming_page_refuses_a_poor_scan_with_a_form_error(
        people: Personas, clerk: User) -> None:
    client = Client()
    client.force_login(clerk)
    form = {"unit": people.ward.code, "doc_type": "cong_van", "author": "Tổ dân phố",
            "document_date": str(timezone.localdate()), "summary": "Đơn kiến nghị",
            "scanned": "on"}
    refused = client.post("/van-ban/den/", {**form, "pdf": io.BytesIO(a_scan(dpi=100))})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Bản quét phải là ảnh màu" in body and "100 dpi" in body
    assert not Document.objects.filter(unit=people.ward).exists()
    scan = io.BytesIO(a_scan(dpi=200))
    scan.name = "don-kien-nghi.pdf"
    accepted = client.post("/van-ban/den/", {**form, "pdf": scan})
    assert accepted.status_code == 302, accepted.content.decode()[:2000]
    document = Document.objects.get(unit=people.ward)
    assert document.digitised
    page = client.get(f"/van-ban/{document.pk}/").content.decode()
    assert 'data-testid="digitised"' in page


# The outgoing register's signed share --------------------------------------------------------


def test_the_outgoing_register_shows_the_share_signed(
        people: Personas, clerk: User, settings: Settings) -> None:
    issued(people.ward, people.officer, people.leader, clerk)
    client = Client()
    client.force_login(clerk)
    url = f"/van-ban/?unit={people.ward.code}&direction=outgoing"
    page = client.get(url).content.decode()
    assert "Đã ký số: 1/1 văn bản đã ban hành (100%)." in page
    issued_on_paper(people.ward, people.officer, people.leader, clerk, summary="Về việc khác")
    page = client.get(url).content.decode()
    assert "Đã ký số: 1/2 văn bản đã ban hành (50%)." in page
    summary = Client().get(f"/api/v1/units/{people.ward.code}/registers/outgoing",
                           headers=bearer(clerk)).json()["summary"]
    assert summary == {"entries": 2, "signed": 1, "signed_percent": 50.0, "digitised": 0}


def test_the_signed_share_is_an_indicator_the_roll_ups_count_and_verify_agrees(
        people: Personas, clerk: User, settings: Settings) -> None:
    from cityhall.indicators import services as indicators
    from cityhall.indicators.models import DailyTally

    call_command("load_indicators", verbosity=0)
    issued(people.ward, people.officer, people.leader, clerk)
    issued_on_paper(people.ward, people.officer, people.leader, clerk, summary="Về việc khác")
    counted = dict(DailyTally.objects.filter(unit=people.ward, metric__startswith="documents.")
                   .values_list("metric", "value"))
    assert counted == {"documents.issued": 2, "documents.issued_signed": 1}
    assert indicators.verify().ok
    day = str(timezone.localdate())
    answer = Client().get(
        f"/api/v1/indicators/documents.signed_rate/values?unit={people.ward.code}"
        f"&from={day}&to={day}", headers=bearer(people.leader))
    assert answer.status_code == 200, answer.content
    assert answer.json()["total"]["value"] == 0.5, answer.json()  # a fraction: 50 %
