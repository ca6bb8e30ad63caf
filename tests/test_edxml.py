"""edXML: what is written reads back the same, files as other systems write them are read,
and what cannot be edXML is refused with the element named."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from defusedxml import ElementTree as ET
from hypothesis import given, settings
from hypothesis import strategies as st

from cityhall.core.errors import Common
from cityhall.documents import edxml
from cityhall.documents.edxml import (
    NS,
    VIETNAM,
    Attachment,
    Business,
    BusinessType,
    DocumentType,
    EdxmlError,
    Envelope,
    Organ,
    ResponseFor,
    Signer,
    Staff,
    Status,
    StatusCode,
    Trace,
)

CITY = Organ("000.00.00.H29", "Ủy ban nhân dân Thành phố Hồ Chí Minh",
             "86 Lê Thánh Tôn, Phường Sài Gòn", "ubnd@tphcm.gov.vn", "028 3829 6052")
WARD = Organ("000.00.12.H29", "Ủy ban nhân dân Phường Thủ Đức")
MOMENT = dt.datetime(2026, 3, 5, 9, 30, 15, tzinfo=VIETNAM)


def decision(**changes: object) -> Envelope:
    """A decision of the city to a ward, with every part of the header filled."""
    envelope = Envelope(
        sender=CITY, recipients=[WARD, Organ("000.00.13.H29", "Ủy ban nhân dân Phường An Khánh")],
        document_id=edxml.document_id(CITY.organ_id, dt.date(2026, 3, 5), "07/QĐ-UBND"),
        promulgation_date=dt.date(2026, 3, 5),
        subject="Về việc giao chỉ tiêu chuyển đổi số năm 2026",
        code_number="07", code_notation="QĐ-UBND", place="Thành phố Hồ Chí Minh",
        document_type=DocumentType(1, "Quyết định", "Quyết định cá biệt"),
        content="Điều 1. Giao chỉ tiêu...\nĐiều 2. Tổ chức thực hiện.",
        signer=Signer("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn A"),
        due_date=dt.date(2026, 3, 20), priority=1, sphere="Các phường, xã", typer_notation="VX",
        amount=170, pages=3, appendixes=["Phụ lục I", "Phụ lục II"], steering_type=1,
        to_places=["Các sở, ban, ngành", "UBND 168 phường, xã, đặc khu"],
        response_for=[ResponseFor("000.00.12.H29", "15/TTr-UBND", dt.date(2026, 2, 20),
                                  "000.00.12.H29,2026/02/20,15/TTr-UBND")],
        traces=[Trace(CITY.organ_id, MOMENT)],
        business=Business(BusinessType.REPLACE, "Thay thế văn bản số 05/QĐ-UBND",
                          Staff("Văn phòng", "Lê Thị Văn Thư", "0901234567", "vt@tphcm.gov.vn"),
                          paper=True),
        attachments=[Attachment("qd-07", "07-QD-UBND.pdf", "application/pdf",
                                b"%PDF-1.7\n\x00\xff binary", "Quyết định đã ký số")],
    )
    return dataclasses.replace(envelope, **changes)  # type: ignore[arg-type]


def test_an_envelope_reads_back_as_it_was_written() -> None:
    envelope = decision()
    assert edxml.read_envelope(edxml.write_envelope(envelope)) == envelope


def test_the_file_has_the_standards_structure() -> None:
    root = ET.fromstring(edxml.write_envelope(decision()))
    q = f"{{{NS}}}"
    assert root.tag == f"{q}edXML"
    header = root.find(f"{q}edXMLEnvelope/{q}edXMLHeader")
    assert header is not None
    message = header.find(f"{q}MessageHeader")
    assert message is not None
    assert [child.tag.removeprefix(q) for child in message] == [
        "From", "To", "To", "DocumentId", "Code", "PromulgationInfo", "DocumentType", "Subject",
        "Content", "SignerInfo", "DueDate", "OtherInfo", "SteeringType", "ToPlaces",
        "ResponseFor"]
    assert message.findtext(f"{q}PromulgationInfo/{q}PromulgationDate") == "2026/03/05"
    assert message.findtext(f"{q}DocumentId") == "000.00.00.H29,2026/03/05,07/QĐ-UBND"
    traces = header.find(f"{q}TraceHeaderList")
    assert traces is not None and traces.attrib == {
        "id": "TraceHeaderList", "version": "1.0", "mustUnderstand": "1",
        "actor": "http://schemas.xmlsoap.org/soap/actor/next"}
    assert traces.findtext(f"{q}TraceHeader/{q}Timestamp") == "2026/03/05 09:30:15"
    assert traces.findtext(f"{q}Bussiness/{q}BussinessDocType") == "3"
    reference = root.find(f"{q}edXMLEnvelope/{q}edXMLBody/{q}edXMLManifest/{q}Reference")
    assert reference is not None
    assert reference.get("{http://www.w3.org/1999/xlink}href") == "cid:qd-07"
    # The attachments travel outside the envelope, in base64.
    assert root.findtext(f"{q}AttachmentEncoded/{q}Attachment/{q}ContentTransferEncoded") == (
        "JVBERi0xLjcKAP8gYmluYXJ5")


def test_moments_are_written_in_vietnam_time() -> None:
    utc = dt.datetime(2026, 3, 5, 2, 30, 15, tzinfo=dt.UTC)
    written = edxml.write_envelope(decision(traces=[Trace(CITY.organ_id, utc)]))
    assert b"<edXML:Timestamp>2026/03/05 09:30:15</edXML:Timestamp>" in written
    assert edxml.read_envelope(written).traces[0].timestamp == utc


# A file as the national axis's client libraries write it: the default namespace on the root,
# the prefix inside, elements this definition does not name, blank optional elements.
SDK_FILE = f"""<?xml version="1.0" encoding="utf-8"?>
<edXML xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="{NS}" xmlns:edXML="{NS}">
  <edXML:edXMLEnvelope>
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From><edXML:OrganId>000.00.00.G22</edXML:OrganId>
          <edXML:OrganName>Văn phòng Chính phủ</edXML:OrganName>
          <edXML:OrganInCharge>Chính phủ</edXML:OrganInCharge></edXML:From>
        <edXML:To><edXML:OrganId>000.00.00.H29</edXML:OrganId></edXML:To>
        <edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</edXML:DocumentId>
        <edXML:Code><edXML:CodeNumber>7816</edXML:CodeNumber>
          <edXML:CodeNotation>VPCP-TTĐT</edXML:CodeNotation></edXML:Code>
        <edXML:PromulgationInfo><edXML:Place>Hà Nội</edXML:Place>
          <edXML:PromulgationDate>2015/09/30</edXML:PromulgationDate></edXML:PromulgationInfo>
        <edXML:DocumentType><edXML:Type>18</edXML:Type>
          <edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>
        <edXML:Subject>V/v triển khai Cổng dịch vụ công</edXML:Subject>
        <edXML:Content></edXML:Content>
        <edXML:SignerInfo><edXML:Competence>KT. BỘ TRƯỞNG, CHỦ NHIỆM</edXML:Competence>
          <edXML:FullName>Nguyễn Văn B</edXML:FullName></edXML:SignerInfo>
        <edXML:DueDate></edXML:DueDate>
        <edXML:SteeringType>0</edXML:SteeringType>
        <edXML:Extension><edXML:Note>giữ nguyên</edXML:Note></edXML:Extension>
      </edXML:MessageHeader>
      <edXML:TraceHeaderList id="TraceHeaderList" version="1.0" mustUnderstand="1"
          actor="http://schemas.xmlsoap.org/soap/actor/next">
        <edXML:TraceHeader><edXML:OrganId>000.00.00.G22</edXML:OrganId>
          <edXML:Timestamp>2015/09/30 16:05:00</edXML:Timestamp></edXML:TraceHeader>
        <edXML:Bussiness><edXML:BussinessDocType>0</edXML:BussinessDocType>
          <edXML:Paper>0</edXML:Paper></edXML:Bussiness>
      </edXML:TraceHeaderList>
      <edXML:DigitalSignature>MIIB...</edXML:DigitalSignature>
    </edXML:edXMLHeader>
    <edXML:edXMLBody><edXML:edXMLManifest version="1.0">
      <edXML:Reference xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="cid:7816">
        <edXML:AttachmentName>7816.pdf</edXML:AttachmentName></edXML:Reference>
    </edXML:edXMLManifest></edXML:edXMLBody>
  </edXML:edXMLEnvelope>
  <AttachmentEncoded><Attachment>
    <ContentType>application/pdf</ContentType><ContentId>cid:7816</ContentId>
    <Description>Văn bản</Description>
    <ContentTransferEncoded>JVBERi0xLjQ=</ContentTransferEncoded>
    <AttachmentName>7816.pdf</AttachmentName>
  </Attachment></AttachmentEncoded>
</edXML>""".encode()


def test_a_file_written_by_another_system_is_read_and_its_unknown_parts_kept() -> None:
    envelope = edxml.read_envelope(SDK_FILE)
    assert envelope.sender == Organ("000.00.00.G22", "Văn phòng Chính phủ")
    assert envelope.recipients == [Organ("000.00.00.H29")]
    assert (envelope.code_number, envelope.code_notation) == ("7816", "VPCP-TTĐT")
    assert envelope.promulgation_date == dt.date(2015, 9, 30)
    assert envelope.document_type == DocumentType(18, "Công văn")
    assert envelope.signer == Signer("KT. BỘ TRƯỞNG, CHỦ NHIỆM", "", "Nguyễn Văn B")
    assert envelope.content == "" and envelope.due_date is None  # blank elements: absent
    assert envelope.traces == [Trace("000.00.00.G22", dt.datetime(2015, 9, 30, 16, 5,
                                                                  tzinfo=VIETNAM))]
    assert envelope.attachments == [Attachment("7816", "7816.pdf", "application/pdf",
                                               b"%PDF-1.4", "Văn bản")]
    kept = {path.rsplit("/", 1)[-1]: text for path, text in envelope.unknown}
    assert set(kept) == {"edXML:From", "edXML:MessageHeader", "edXML:edXMLHeader"}
    assert "OrganInCharge" in kept["edXML:From"] and "giữ nguyên" in kept["edXML:MessageHeader"]
    assert "DigitalSignature" in kept["edXML:edXMLHeader"]
    # Written again, the unknown parts go back where they were, and read the same.
    again = edxml.write_envelope(envelope)
    assert "giữ nguyên" in again.decode() and "OrganInCharge" in again.decode()
    assert edxml.read_envelope(again) == envelope


def test_a_status_reads_back_as_it_was_written() -> None:
    status = Status(
        response_for=ResponseFor(CITY.organ_id, "07/QĐ-UBND", dt.date(2026, 3, 5),
                                 edxml.document_id(CITY.organ_id, dt.date(2026, 3, 5),
                                                   "07/QĐ-UBND")),
        sender=WARD, code=StatusCode.ACCEPTED, timestamp=MOMENT,
        description="Đã vào sổ, số đến 125", staff=Staff("Văn phòng HĐND và UBND", "Trần Văn C"))
    written = edxml.write_status(status)
    root = ET.fromstring(written)
    soap = "{http://schemas.xmlsoap.org/soap/envelope/}"
    assert root.tag == f"{soap}Envelope"
    assert root.findtext(f"{soap}Header/{{{NS}}}Status/{{{NS}}}StatusCode") == "03"
    assert edxml.read_status(written) == status


@pytest.mark.parametrize("code", list(StatusCode))
def test_every_status_code_travels(code: StatusCode) -> None:
    status = Status(ResponseFor(document_id="x,2026/01/01,1/UBND"), WARD, code, MOMENT)
    assert edxml.read_status(edxml.write_status(status)).code is code


# Refusals


def refusal(data: bytes, read: object = edxml.read_envelope) -> EdxmlError:
    with pytest.raises(EdxmlError) as caught:
        read(data)  # type: ignore[operator]
    assert caught.value.code is Common.BAD_REQUEST
    assert caught.value.code.status == 400
    return caught.value


def test_what_is_not_edxml_is_refused_saying_why() -> None:
    assert "not well-formed" in refusal(b"<edXML><unclosed></edXML>").detail
    assert "not edXML" in refusal(b"<edXML/>").detail  # no namespace
    assert "edXMLEnvelope: missing" in refusal(f'<edXML xmlns="{NS}"/>'.encode()).detail
    assert "not a SOAP Envelope" in refusal(SDK_FILE, edxml.read_status).detail


def test_entities_and_doctypes_are_refused() -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><edXML>&lol2;</edXML>')
    assert "unsafe XML" in refusal(laughs).detail
    external = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                b'<edXML>&e;</edXML>')
    assert "unsafe XML" in refusal(external).detail


def test_a_value_of_the_wrong_shape_names_its_element() -> None:
    bad_date = SDK_FILE.replace(b"<edXML:PromulgationDate>2015/09/30",
                                b"<edXML:PromulgationDate>30/09/2015")
    assert "PromulgationDate: cannot read '30/09/2015'" in refusal(bad_date).detail
    bad_type = SDK_FILE.replace(b"<edXML:Type>18", b"<edXML:Type>CV")
    assert "DocumentType/edXML:Type: cannot read 'CV'" in refusal(bad_type).detail
    no_id = SDK_FILE.replace(
        "<edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</edXML:DocumentId>".encode(),
        b"")
    assert "MessageHeader/DocumentId: missing" in refusal(no_id).detail
    no_sender = SDK_FILE.replace(b"<edXML:OrganId>000.00.00.G22</edXML:OrganId>\n", b"", 1)
    assert "From/OrganId: missing" in refusal(no_sender).detail
    bad_base64 = SDK_FILE.replace(b"JVBERi0xLjQ=", b"not base64!")
    assert "Attachment 1: ContentTransferEncoded is not base64" in refusal(bad_base64).detail
    bad_status = edxml.write_status(Status(ResponseFor(), WARD, StatusCode.ARRIVED, MOMENT)
                                    ).replace(b">01<", b">99<")
    assert "StatusCode: cannot read '99'" in refusal(bad_status, edxml.read_status).detail


# Any text a clerk may type travels unchanged (XML forbids control characters; a carriage
# return becomes a line feed in any XML parser, so the forms store line feeds).
TYPED = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t"),
                max_size=40)


@settings(max_examples=60, deadline=None)
@given(subject=TYPED.filter(str.strip), content=TYPED, name=TYPED, places=st.lists(TYPED),
       data=st.binary(max_size=200))
def test_any_typed_text_and_any_bytes_survive_the_trip(
    subject: str, content: str, name: str, places: list[str], data: bytes,
) -> None:
    envelope = decision(subject=subject, content=content, signer=Signer(full_name=name),
                        to_places=places,
                        attachments=[Attachment("a", "a.pdf", "application/pdf", data)])
    back = edxml.read_envelope(edxml.write_envelope(envelope))
    # A blank text is written as nothing, so it reads back empty (a blank list item: gone).
    assert back.subject == subject
    assert back.content == (content if content.strip() else "")
    assert back.signer.full_name == (name if name.strip() else "")
    assert back.to_places == [place for place in places if place.strip()]
    assert back.attachments[0].data == data
