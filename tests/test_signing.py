"""The signature layer (cityhall.core.signing): PAdES signing, verification, Decree 30's
visible images, the DEMO PKI, and keys on a PKCS#11 token (SoftHSM2)."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pytest_django import Settings
from reportlab.pdfgen import canvas

from cityhall.core.signing import (
    A4,
    MM,
    Changes,
    KeySource,
    SignatureBox,
    SignatureProblem,
    SigningCode,
    SigningRefused,
    attachment_stamp_box,
    demo,
    load_signer,
    open_signer,
    page_size,
    personal_signature_box,
    seal_box,
    sign_pdf,
    verify_pdf,
)
from cityhall.core.signing.demo import DemoKey
from tests.softhsm_support import NO_SOFTHSM, NO_SOFTHSM_REASON, SOFTHSM_MODULE, make_token

WORDS = b"Quyet dinh so 07"


def a_pdf(pages: int = 1) -> bytes:
    """A small A4 PDF whose text is stored uncompressed, so a test can find and change it."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=0)
    for number in range(pages):
        page.drawString(72, 700, f"{WORDS.decode()} page {number + 1}")
        page.drawString(330, 300, "CHU TICH")
        page.drawString(330, 200, "Tran Quoc Bao")
        page.showPage()
    page.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(scope="module")
def leader(pki: Path) -> DemoKey:
    return demo.demo_person_key("Trần Quốc Bảo", organisation="UBND Phường Thủ Đức",
                                title="Chủ tịch UBND phường", out=pki)


@pytest.fixture(scope="module")
def ward(pki: Path) -> DemoKey:
    return demo.demo_organisation_key("UBND Phường Thủ Đức", out=pki)


def ca(pki: Path) -> Path:
    return pki / "demo-ca.pem"


def personal(leader: DemoKey) -> SignatureBox:
    # The space between the title (baseline 300) and the name (baseline 200) of a_pdf.
    return personal_signature_box(page=-1, centre_x=365, top=292, bottom=214,
                                  image_png=leader.image_png())


def signed_twice(leader: DemoKey, ward: DemoKey) -> bytes:
    box = personal(leader)
    once = sign_pdf(a_pdf(), load_signer(leader.key_source), field_name="leader", box=box,
                    reason="Ký duyệt", location="Phường Thủ Đức")
    return sign_pdf(once, load_signer(ward.key_source), field_name="organisation",
                    box=seal_box(box, image_png=ward.image_png()), reason="Ban hành",
                    location="Phường Thủ Đức")


def test_a_signed_pdf_verifies_with_its_signer_and_time(leader: DemoKey, pki: Path) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    signed = sign_pdf(a_pdf(), load_signer(leader.key_source), field_name="leader",
                      box=personal(leader), reason="Ký duyệt", location="Phường Thủ Đức")
    assert signed.startswith(a_pdf()), "an incremental update keeps the original bytes"
    [report] = verify_pdf(signed, [ca(pki)])
    assert report.valid and report.problems == []
    assert report.intact and report.trusted and report.covers_whole_document
    assert report.changes == Changes.NONE and not report.modified_after_signing
    assert report.signer_name == "Trần Quốc Bảo (DEMO)"
    assert report.organisation == "UBND Phường Thủ Đức"
    assert report.issuer == demo.DEMO_CA_NAME
    cert = leader.certificate.read_text()
    from cryptography import x509
    assert int(report.serial, 16) == x509.load_pem_x509_certificate(cert.encode()).serial_number
    assert report.signing_time is not None
    assert report.signing_time.utcoffset() == dt.timedelta(hours=7)
    assert before <= report.signing_time <= dt.datetime.now(dt.UTC)
    assert (report.field_name, report.reason, report.location) == (
        "leader", "Ký duyệt", "Phường Thủ Đức")


def test_it_signs_pades_baseline_b(leader: DemoKey) -> None:
    signed = sign_pdf(a_pdf(), load_signer(leader.key_source), field_name="s", box=None,
                      reason="", location="")
    assert b"/ETSI.CAdES.detached" in signed


def test_the_personal_then_the_organisation_signature_are_both_valid(
        leader: DemoKey, ward: DemoKey, pki: Path) -> None:
    first, second = verify_pdf(signed_twice(leader, ward), [ca(pki)])
    assert (first.field_name, second.field_name) == ("leader", "organisation")
    assert first.valid and second.valid
    assert not first.covers_whole_document and first.changes == Changes.SIGNATURES
    assert not first.modified_after_signing
    assert second.covers_whole_document
    assert second.signer_name == "UBND Phường Thủ Đức (DEMO)"


def test_a_byte_changed_after_signing_breaks_the_signature(leader: DemoKey, pki: Path) -> None:
    signed = sign_pdf(a_pdf(), load_signer(leader.key_source), field_name="leader", box=None,
                      reason="", location="")
    assert signed.count(WORDS) == 1
    forged = signed.replace(WORDS, b"Quyet dinh so 08")
    [report] = verify_pdf(forged, [ca(pki)])
    assert not report.intact and not report.valid
    assert SignatureProblem.NOT_INTACT in report.problems


def test_an_update_appended_after_signing_is_reported_as_a_modification(
        leader: DemoKey, pki: Path) -> None:
    signed = sign_pdf(a_pdf(), load_signer(leader.key_source), field_name="leader", box=None,
                      reason="", location="")
    [report] = verify_pdf(_appended_update(signed), [ca(pki)])
    assert report.intact, "the signed revision itself is unchanged"
    assert not report.covers_whole_document
    assert report.modified_after_signing and report.changes == Changes.OTHER
    assert report.problems == [SignatureProblem.MODIFIED]


def test_a_signature_from_an_unknown_authority_is_not_trusted(
        leader: DemoKey, tmp_path: Path) -> None:
    signed = sign_pdf(a_pdf(), load_signer(leader.key_source), field_name="leader", box=None,
                      reason="", location="")
    other = demo.ensure_demo_ca(tmp_path / "other")
    for roots in ([other.path], []):
        [report] = verify_pdf(signed, roots)
        assert report.intact and not report.trusted
        assert report.problems == [SignatureProblem.UNTRUSTED]


def test_trust_roots_come_from_the_settings(leader: DemoKey, pki: Path,
                                            settings: Settings) -> None:
    signed = sign_pdf(a_pdf(), load_signer(leader.key_source), field_name="leader", box=None,
                      reason="", location="")
    settings.CITYHALL_SIGNING_DEMO_DIR = pki
    settings.CITYHALL_SIGNING_TRUST_ROOTS = []
    settings.CITYHALL_SIGNING_TRUST_DEMO_CA = False
    assert not verify_pdf(signed)[0].trusted, "the demo CA is not trusted unless said so"
    settings.CITYHALL_SIGNING_TRUST_DEMO_CA = True
    assert verify_pdf(signed)[0].trusted
    settings.CITYHALL_SIGNING_TRUST_DEMO_CA = False
    settings.CITYHALL_SIGNING_TRUST_ROOTS = [str(ca(pki))]
    assert verify_pdf(signed)[0].trusted


@pytest.mark.parametrize("data", [b"", b"hello, not a PDF", b"%PDF-1.7\n garbage",
                                  b"\x89PNG\r\n\x1a\n"])
def test_a_file_that_is_not_a_pdf_is_refused_with_a_code(data: bytes, leader: DemoKey) -> None:
    for attempt in (lambda: verify_pdf(data),
                    lambda: sign_pdf(data, load_signer(leader.key_source), field_name="x",
                                     box=None, reason="", location="")):
        with pytest.raises(SigningRefused) as refused:
            attempt()
        assert refused.value.code == SigningCode.NOT_A_PDF
        assert refused.value.code.status == 400


def test_an_unsigned_pdf_has_no_signatures() -> None:
    assert verify_pdf(a_pdf()) == []


def test_a_signed_field_is_not_signed_twice(leader: DemoKey) -> None:
    signer = load_signer(leader.key_source)
    signed = sign_pdf(a_pdf(), signer, field_name="leader", box=None, reason="", location="")
    with pytest.raises(SigningRefused) as refused:
        sign_pdf(signed, signer, field_name="leader", box=None, reason="", location="")
    assert refused.value.code == SigningCode.SIGNATURE_FIELD_TAKEN


@pytest.mark.parametrize("box", [
    SignatureBox(page=3, x=10, y=10, width=50, height=50),
    SignatureBox(page=0, x=580, y=10, width=50, height=50),
    SignatureBox(page=0, x=10, y=-20, width=50, height=50),
    SignatureBox(page=0, x=10, y=10, width=0, height=50),
])
def test_a_box_off_the_page_is_refused(box: SignatureBox, leader: DemoKey) -> None:
    with pytest.raises(SigningRefused) as refused:
        sign_pdf(a_pdf(), load_signer(leader.key_source), field_name="x", box=box,
                 reason="", location="")
    assert refused.value.code == SigningCode.SIGNATURE_BOX_INVALID


def test_an_image_that_is_no_png_is_refused(leader: DemoKey) -> None:
    jpeg = io.BytesIO()
    Image.new("RGB", (20, 10)).save(jpeg, format="JPEG")
    for image in (jpeg.getvalue(), b"not an image"):
        with pytest.raises(SigningRefused) as refused:
            sign_pdf(a_pdf(), load_signer(leader.key_source), field_name="x",
                     box=SignatureBox(0, 10, 10, 50, 50, image_png=image), reason="",
                     location="")
        assert refused.value.code == SigningCode.SIGNATURE_IMAGE_INVALID


def test_a_key_that_cannot_be_opened_is_unavailable(leader: DemoKey, tmp_path: Path) -> None:
    assert leader.key_source.pkcs12_path is not None
    for source in (KeySource.pkcs12(leader.key_source.pkcs12_path, "s3cret-typo"),
                   KeySource.pkcs12(tmp_path / "missing.p12", "x"),
                   KeySource.pkcs11(module=str(tmp_path / "no-such-module.so"),
                                    token_label="t", key_label="k", pin="1")):
        with pytest.raises(SigningRefused) as refused:
            load_signer(source)
        assert refused.value.code == SigningCode.SIGNING_KEY_UNAVAILABLE
        assert refused.value.code.status == 503
        assert "s3cret" not in str(refused.value.detail)
    assert "s3cret" not in repr(KeySource.pkcs12("x.p12", "s3cret")), "secrets stay out of repr"


# --- Decree 30's placements -----------------------------------------------------------------


def test_the_seal_covers_the_left_third_of_the_personal_signature(leader: DemoKey,
                                                                  ward: DemoKey) -> None:
    box = personal(leader)
    width, height = Image.open(io.BytesIO(leader.image_png())).size
    assert box.width / box.height == pytest.approx(width / height, rel=0.01)
    assert box.y >= 214 - 0.01 and box.top <= 292 + 0.01
    seal = seal_box(box, image_png=ward.image_png())
    assert seal.right == pytest.approx(box.x + box.width / 3)
    assert seal.width == seal.height == pytest.approx(35 * MM)
    assert seal.y + seal.height / 2 == pytest.approx(box.y + box.height / 2)


def test_the_attachment_stamp_is_at_the_top_right_of_the_first_page() -> None:
    stamp = attachment_stamp_box(page_size(a_pdf()), number_notation="07/QĐ-UBND")
    assert stamp.page == 0
    assert A4[0] - stamp.right == pytest.approx(15 * MM, abs=0.01)
    assert A4[1] - stamp.top == pytest.approx(8 * MM, abs=0.01)
    assert stamp.text == "07/QĐ-UBND\n{signing_time}" and stamp.image_png is None


def _pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(  # noqa: S603 (poppler's tool on our own file)
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"],  # noqa: S607
        check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_attachment_stamp_shows_the_notation_and_the_signing_time(
        ward: DemoKey, pki: Path, tmp_path: Path) -> None:
    pdf = a_pdf(pages=2)
    signed = sign_pdf(pdf, load_signer(ward.key_source), field_name="attachment",
                      box=attachment_stamp_box(page_size(pdf), number_notation="07/QĐ-UBND"),
                      reason="", location="")
    [report] = verify_pdf(signed, [ca(pki)])
    assert report.valid and report.signing_time is not None
    text = _pdftotext(signed, tmp_path)
    # The same moment as the signature's, in ISO 8601 with Vietnam's offset.
    assert f"07/QĐ-UBND\n{report.signing_time.isoformat()}" in text
    assert report.signing_time.isoformat().endswith("+07:00")


def _colour_bounds(image: Image.Image, wanted: str) -> tuple[int, int, int, int] | None:
    """The bounding box of the clearly red or clearly blue pixels of a rendered page."""
    data = image.convert("RGB").tobytes()
    marks = bytearray(image.width * image.height)
    for index in range(len(marks)):
        r, g, b = data[3 * index], data[3 * index + 1], data[3 * index + 2]
        red = r > 150 and g < 110 and b < 110
        blue = b > 120 and r < 110 and g < 130
        if red if wanted == "red" else blue:
            marks[index] = 255
    return Image.frombytes("L", image.size, bytes(marks)).getbbox()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_the_rendered_page_shows_the_seal_over_the_left_third_of_the_signature(
        leader: DemoKey, ward: DemoKey, tmp_path: Path) -> None:
    signed = signed_twice(leader, ward)
    (tmp_path / "doc.pdf").write_bytes(signed)
    dpi = 72  # one pixel a point: PDF boxes map to pixels with y flipped
    subprocess.run(  # noqa: S603 (poppler's tool on our own file)
        ["pdftoppm", "-png", "-r", str(dpi), "-singlefile",  # noqa: S607
         str(tmp_path / "doc.pdf"), str(tmp_path / "page")], check=True)
    page = Image.open(tmp_path / "page.png")
    box = personal(leader)
    seal = seal_box(box, image_png=ward.image_png())
    blue, red = _colour_bounds(page, "blue"), _colour_bounds(page, "red")
    assert blue is not None and red is not None

    def in_pixels(b: SignatureBox) -> tuple[float, float, float, float]:
        return b.x, page.height - b.top, b.right, page.height - b.y

    bx1, by1, bx2, by2 = in_pixels(box)
    sx1, sy1, sx2, sy2 = in_pixels(seal)
    slack = 3
    # The blue stroke is inside the personal box, the red seal inside its own.
    assert blue[0] >= bx1 - slack and blue[2] <= bx2 + slack
    assert blue[1] >= by1 - slack and blue[3] <= by2 + slack
    assert red[0] >= sx1 - slack and red[2] <= sx2 + slack
    assert red[1] >= sy1 - slack and red[3] <= sy2 + slack
    # The seal reaches into the signature image by about a third of its width, from the left.
    overlap = (red[2] - blue[0]) / (blue[2] - blue[0])
    assert 0.2 <= overlap <= 0.45, overlap
    assert red[0] < blue[0]


# --- the DEMO PKI ---------------------------------------------------------------------------


def test_demo_pki_makes_the_ca_and_keys_once(tmp_path: Path) -> None:
    call_command("demo_pki", "--out", str(tmp_path), stdout=io.StringIO())
    files = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert "demo-ca.pem" in files and "org-ubnd-phuong-thu-duc.p12" in files
    assert "person-tran-quoc-bao-ubnd-phuong-thu-duc.p12" in files
    assert len([name for name in files if name.endswith(".p12")]) == (
        len(demo.DEMO_PEOPLE) + len(demo.DEMO_ORGANISATIONS))
    call_command("demo_pki", "--out", str(tmp_path), stdout=io.StringIO())
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == files
    assert oct((tmp_path / "demo-ca.key.pem").stat().st_mode & 0o777) == "0o600"
    from cryptography import x509
    ca_cert = x509.load_pem_x509_certificate(files["demo-ca.pem"])
    assert "DEMO" in ca_cert.subject.rfc4514_string()
    assert "NOT FOR PRODUCTION" in ca_cert.subject.rfc4514_string()


def test_demo_pki_makes_a_key_for_any_unit_and_reissues_after_a_new_ca(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("demo_pki", "--out", str(tmp_path), "--organisation", "UBND Phường Bến Thành",
                 "--person", "Phạm Văn Demo", "--of", "UBND Phường Bến Thành", stdout=out)
    p12 = tmp_path / "org-ubnd-phuong-ben-thanh.p12"
    key = demo.demo_organisation_key("UBND Phường Bến Thành", out=tmp_path)
    signed = sign_pdf(a_pdf(), load_signer(key.key_source), field_name="o", box=None,
                      reason="", location="")
    assert verify_pdf(signed, [tmp_path / "demo-ca.pem"])[0].valid
    assert (tmp_path / "person-pham-van-demo-ubnd-phuong-ben-thanh.p12").exists()
    assert Image.open(key.image).format == "PNG"
    # A new CA: the key is issued again, by it, and verifies against it.
    (tmp_path / "demo-ca.pem").unlink()
    before = p12.read_bytes()
    key = demo.demo_organisation_key("UBND Phường Bến Thành", out=tmp_path)
    assert p12.read_bytes() != before
    signed = sign_pdf(a_pdf(), load_signer(key.key_source), field_name="o", box=None,
                      reason="", location="")
    assert verify_pdf(signed, [tmp_path / "demo-ca.pem"])[0].valid


@pytest.mark.django_db
def test_the_demo_signers_are_the_demo_leaders() -> None:
    from cityhall.accounts.demo import demo_staff
    from cityhall.accounts.models import Role

    leaders = {(p.username, p.full_name, p.title) for p in demo_staff() if p.role == Role.LEADER}
    assert {(p.username, p.full_name, p.title) for p in demo.DEMO_PEOPLE} == leaders
    units = {p.unit.name for p in demo_staff() if p.role == Role.LEADER}
    organisations = {name.removeprefix("UBND ") for name in demo.DEMO_ORGANISATIONS}
    assert units - {"Thành phố Hồ Chí Minh"} <= organisations


# --- PKCS#11: a key on a SoftHSM2 token -----------------------------------------------------

@pytest.mark.skipif(NO_SOFTHSM, reason=NO_SOFTHSM_REASON)
def test_it_signs_with_a_key_on_a_pkcs11_token(leader: DemoKey, pki: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert SOFTHSM_MODULE is not None
    from cryptography.hazmat.primitives.serialization import pkcs12

    assert leader.key_source.pkcs12_path is not None
    key, cert, _cas = pkcs12.load_key_and_certificates(
        leader.key_source.pkcs12_path.read_bytes(), demo.DEMO_PASSPHRASE.encode())
    assert key is not None and cert is not None
    make_token(tmp_path, monkeypatch, key=key, certificate=cert, label="cityhall-test",
               pin="1234", key_label="leader", key_id="01")

    source = KeySource.pkcs11(module=SOFTHSM_MODULE, token_label="cityhall-test",
                              key_label="leader", pin="1234")
    with open_signer(source) as signer:
        signed = sign_pdf(a_pdf(), signer, field_name="leader", box=personal(leader),
                          reason="Ký duyệt", location="Phường Thủ Đức")
    [report] = verify_pdf(signed, [ca(pki)])
    assert report.valid and report.signer_name == "Trần Quốc Bảo (DEMO)"
    wrong_pin = KeySource.pkcs11(module=SOFTHSM_MODULE, token_label="cityhall-test",
                                 key_label="leader", pin="0000")
    with pytest.raises(SigningRefused) as refused:
        load_signer(wrong_pin)
    assert refused.value.code == SigningCode.SIGNING_KEY_UNAVAILABLE


def test_the_checks_refuse_unreadable_roots_and_warn_of_a_trusted_demo_ca(
        settings: Settings, tmp_path: Path, pki: Path, leader: DemoKey) -> None:
    from cityhall.core.checks import signing_trust

    (tmp_path / "empty.pem").write_text("")
    settings.CITYHALL_SIGNING_TRUST_ROOTS = [str(ca(pki)), str(tmp_path / "missing.pem"),
                                             str(tmp_path / "empty.pem")]
    settings.DEBUG = False
    settings.CITYHALL_SIGNING_TRUST_DEMO_CA = True
    found = signing_trust()
    assert [message.id for message in found] == ["cityhall.E101", "cityhall.E101",
                                                  "cityhall.W101"]
    settings.CITYHALL_SIGNING_TRUST_ROOTS = [str(ca(pki))]
    settings.CITYHALL_SIGNING_TRUST_DEMO_CA = False
    assert signing_trust() == []


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils not installed")
def test_an_independent_verifier_agrees(leader: DemoKey, ward: DemoKey, tmp_path: Path) -> None:
    """poppler's pdfsig (NSS, not pyHanko) checks the signatures' bytes: both valid, and a
    changed byte a digest mismatch. (The chain, through an NSS database that trusts the demo
    CA: the next test.)"""
    def pdfsig(pdf: bytes) -> str:
        (tmp_path / "doc.pdf").write_bytes(pdf)
        return subprocess.run(  # noqa: S603 (poppler's tool on our own file)
            ["pdfsig", str(tmp_path / "doc.pdf")],  # noqa: S607
            capture_output=True, text=True).stdout

    signed = signed_twice(leader, ward)
    said = pdfsig(signed)
    assert said.count("Signature Validation: Signature is Valid.") == 2, said
    assert "ETSI.CAdES.detached" in said and "Trần Quốc Bảo (DEMO)" in said
    forged = pdfsig(signed.replace(WORDS, b"Quyet dinh so 08"))
    assert "Signature is Valid." not in forged and "Digest Mismatch" in forged, forged


def _appended_update(signed: bytes) -> bytes:
    """`signed` with new text drawn over its first page in a revision of its own."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(
        stream_data=b"BT /F1 24 Tf 72 650 Td (KHONG CON HIEU LUC) Tj ET")))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils (pdfsig) not installed")
@pytest.mark.skipif(shutil.which("certutil") is None,
                    reason="certutil not installed (Debian libnss3-tools): no NSS database "
                           "to give pdfsig the demo CA")
def test_pyhanko_and_pdfsig_with_the_demo_ca_agree_on_valid_and_on_changed_files(
        leader: DemoKey, ward: DemoKey, pki: Path, tmp_path: Path) -> None:
    """Issue #12: a signed PDF is valid for pyHanko and for poppler's pdfsig, which is given
    the demo CA as its only trusted authority through an NSS database (certutil); a PDF
    changed after signing is broken for both: a byte changed inside the signed range (pdfsig:
    digest mismatch) and text appended in a later revision (pdfsig: the last signature no
    longer covers the whole document)."""
    nss = tmp_path / "nss"
    nss.mkdir()
    for command in (["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"],
                    ["certutil", "-A", "-d", f"sql:{nss}", "-n", "cityhall demo CA",
                     "-t", "C,C,C", "-i", str(ca(pki))]):
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603

    def pdfsig(pdf: bytes) -> list[str]:
        """pdfsig's account of each signature, in the file's order."""
        (tmp_path / "doc.pdf").write_bytes(pdf)
        said = subprocess.run(  # noqa: S603 (poppler's tool on our own file)
            ["pdfsig", "-nssdir", f"sql:{nss}", str(tmp_path / "doc.pdf")],  # noqa: S607
            capture_output=True, text=True).stdout
        return said.split("Signature #")[1:]

    signed = signed_twice(leader, ward)
    assert all(report.valid for report in verify_pdf(signed, [ca(pki)]))
    accounts = pdfsig(signed)
    assert len(accounts) == 2
    for account in accounts:
        assert "Signature Validation: Signature is Valid." in account, account
        assert "Certificate Validation: Certificate is Trusted." in account, account
    assert "- Total document signed" in accounts[1]

    forged = signed.replace(WORDS, b"Quyet dinh so 08")
    assert not any(report.valid for report in verify_pdf(forged, [ca(pki)]))
    for account in pdfsig(forged):
        assert "Signature is Valid." not in account and "Digest Mismatch" in account, account

    appended = _appended_update(signed)
    last = verify_pdf(appended, [ca(pki)])[-1]
    assert not last.valid and last.modified_after_signing
    assert "- Not total document signed" in pdfsig(appended)[-1]

    # Without the demo CA in its database pdfsig does not trust the chain: the test above
    # is not passing for want of a check.
    (tmp_path / "doc.pdf").write_bytes(signed)
    bare = subprocess.run(["pdfsig", str(tmp_path / "doc.pdf")],  # noqa: S603, S607
                          capture_output=True, text=True, env={**os.environ, "HOME": str(tmp_path)}
                          ).stdout
    assert "Certificate is Trusted." not in bare


def test_a_damaged_signature_is_reported_unreadable_and_the_others_still_checked(
        leader: DemoKey, ward: DemoKey, pki: Path) -> None:
    signed = signed_twice(leader, ward)
    # The last signature's CMS container (hex in /Contents, outside every signed range).
    start = signed.rindex(b"/Contents <") + len(b"/Contents <")
    damaged = signed[:start] + b"0000" + signed[start + 4:]
    first, second = verify_pdf(damaged, [ca(pki)])
    assert first.field_name == "leader" and first.valid
    assert second.field_name == "organisation" and not second.valid
    assert second.problems[0] == SignatureProblem.UNREADABLE
