"""edXML (QCVN 102:2016/BTTTT, amended 2022): the envelope official documents travel in
between agencies, and the status messages that answer them.

Two things are written and read here:

- the document envelope: the root `edXML` holding `edXMLEnvelope` (the header with
  `MessageHeader` and `TraceHeaderList`, the body with the attachments' manifest) and,
  outside the envelope, the attachments in base64 (`AttachmentEncoded`);
- the status message: a SOAP envelope whose header holds `Status` (01 arrived ...
  16 refused), which the receiver sends back to the document's sender.

Both are written and read from one schema-like definition (`Leaf` and `Node` trees below),
so the writer and the reader cannot drift apart: a round trip gives back what was written.
Received files come from other systems: they are parsed with defusedxml (no entities, no
external references), elements this definition does not name are kept (as XML text, with
the path of their parent) rather than refused, and a value of the wrong shape is refused
with `EdxmlError`, naming the element.

The XML digital signature (`DigitalSignature`) is not written: the PDFs inside are signed
(PAdES), and the exchange authenticates the transport (docs/documents.md).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET  # writing; received files are parsed by defusedxml
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from cityhall.core.errors import Common, Refused

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
XLINK = "http://www.w3.org/1999/xlink"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_NEXT_ACTOR = "http://schemas.xmlsoap.org/soap/actor/next"

for _prefix, _uri in (("edXML", NS), ("xsi", XSI), ("xsd", XSD), ("xlink", XLINK),
                      ("SOAP-ENV", SOAP)):
    ET.register_namespace(_prefix, _uri)

#: How the standard writes dates and moments (Vietnam time, no zone in the text).
DATE_FORMAT = "%Y/%m/%d"
MOMENT_FORMAT = "%Y/%m/%d %H:%M:%S"
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")


class EdxmlError(Refused):
    """A file that cannot be read as edXML (not XML, unsafe XML, a value of the wrong
    shape): answered `bad_request`, with `detail` saying where and why."""

    def __init__(self, detail: str) -> None:
        super().__init__(Common.BAD_REQUEST, detail)


# The data ---------------------------------------------------------------------------------


class BusinessType(IntEnum):
    """What a sent document does to an earlier one (TraceHeaderList/Bussiness)."""

    NEW = 0
    REVOKE = 1
    UPDATE = 2
    REPLACE = 3


class StatusCode(StrEnum):
    """The states a receiver reports back to the sender of a document."""

    ARRIVED = "01"
    REJECTED = "02"
    ACCEPTED = "03"  # accepted and registered
    ASSIGNED = "04"  # the leader assigned it for handling
    PROCESSING = "05"
    COMPLETED = "06"
    RECALL_REQUESTED = "13"
    RECALL_AGREED = "15"  # recall or update agreed
    RECALL_REFUSED = "16"


@dataclass
class Organ:
    """An agency, named by its electronic identification code (`000.00.00.G22`)."""

    organ_id: str
    name: str = ""
    address: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass
class Signer:
    competence: str = ""  # TM., KT., Q., TL., TUQ. with whom they sign for
    position: str = ""
    full_name: str = ""


@dataclass
class DocumentType:
    type: int = 0  # the axis's number for the type (18: công văn)
    name: str = ""
    detail: str = ""


@dataclass
class ResponseFor:
    """The document an answer is about, as its sender identified it."""

    organ_id: str = ""
    code: str = ""  # number/notation
    promulgation_date: dt.date | None = None
    document_id: str = ""


@dataclass
class Staff:
    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""


@dataclass
class Trace:
    """One agency the message passed through, and when."""

    organ_id: str
    timestamp: dt.datetime


@dataclass
class Business:
    doc_type: BusinessType = BusinessType.NEW
    reason: str = ""
    staff: Staff = field(default_factory=Staff)
    paper: bool = False  # whether a paper copy goes too


@dataclass
class Attachment:
    """A file inside the envelope: its id (without `cid:`), name, type and bytes."""

    content_id: str
    name: str
    content_type: str
    data: bytes
    description: str = ""


@dataclass
class Envelope:
    """One official document as edXML carries it."""

    sender: Organ
    document_id: str  # see `document_id()`
    promulgation_date: dt.date
    subject: str
    recipients: list[Organ] = field(default_factory=list)
    code_number: str = ""  # "7816"; empty for a document without a number
    code_notation: str = ""  # "VPCP-TTĐT"
    place: str = ""
    document_type: DocumentType = field(default_factory=DocumentType)
    content: str = ""
    signer: Signer = field(default_factory=Signer)
    due_date: dt.date | None = None
    priority: int = 0
    sphere: str = ""  # SphereOfPromulgation
    typer_notation: str = ""
    amount: int | None = None  # PromulgationAmount: copies
    pages: int | None = None  # PageAmount
    appendixes: list[str] = field(default_factory=list)
    steering_type: int = 0
    to_places: list[str] = field(default_factory=list)
    response_for: list[ResponseFor] = field(default_factory=list)
    traces: list[Trace] = field(default_factory=list)
    business: Business = field(default_factory=Business)
    attachments: list[Attachment] = field(default_factory=list)
    #: Elements a sender wrote that this definition does not name: (parent path, XML).
    unknown: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Status:
    """A receiver's answer about one document (a SOAP header `Status`)."""

    response_for: ResponseFor
    sender: Organ
    code: StatusCode
    timestamp: dt.datetime
    description: str = ""
    staff: Staff = field(default_factory=Staff)
    unknown: list[tuple[str, str]] = field(default_factory=list)


def document_id(organ_id: str, date: dt.date, notation: str) -> str:
    """The identifier the axis gives a document: `000.00.00.G22,2015/09/30,7816/VPCP-TTĐT`."""
    return f"{organ_id},{date.strftime(DATE_FORMAT)},{notation}"


# The definition ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How a value is written as element text and read back."""

    write: Callable[[Any], str]
    read: Callable[[str], Any]


def _read_date(text: str) -> dt.date:
    return dt.datetime.strptime(text.strip(), DATE_FORMAT).replace(tzinfo=VIETNAM).date()


def _read_moment(text: str) -> dt.datetime:
    return dt.datetime.strptime(text.strip(), MOMENT_FORMAT).replace(tzinfo=VIETNAM)


def _write_moment(value: dt.datetime) -> str:
    return value.astimezone(VIETNAM).strftime(MOMENT_FORMAT)


TEXT = Kind(str, str)
NUMBER = Kind(str, lambda text: int(text.strip()))
DATE = Kind(lambda value: value.strftime(DATE_FORMAT), _read_date)
MOMENT = Kind(_write_moment, _read_moment)
FLAG = Kind(lambda value: "1" if value else "0", lambda text: text.strip() == "1")
BUSINESS = Kind(lambda value: str(int(value)), lambda text: BusinessType(int(text.strip())))
STATUS = Kind(str, lambda text: StatusCode(text.strip()))


@dataclass(frozen=True)
class Leaf:
    """An element whose text is one attribute of the object (`many`: a list of them)."""

    tag: str
    attr: str
    kind: Kind = TEXT
    many: bool = False
    required: bool = False


@dataclass(frozen=True)
class Node:
    """An element holding others. With `model`, it is the attribute `attr` (one object of
    that class, or a list when `many`); without, its children belong to the same object."""

    tag: str
    children: tuple[Leaf | Node, ...]
    attr: str | None = None
    model: type | None = None
    many: bool = False
    attributes: tuple[tuple[str, str], ...] = ()  # fixed XML attributes it is written with


def _organ(tag: str, attr: str, *, many: bool = False) -> Node:
    return Node(tag, (
        Leaf("OrganId", "organ_id", required=True), Leaf("OrganName", "name"),
        Leaf("OrganAdd", "address"), Leaf("Email", "email"), Leaf("Telephone", "telephone"),
        Leaf("Fax", "fax"), Leaf("Website", "website"),
    ), attr=attr, model=Organ, many=many)


def _staff(attr: str) -> Node:
    return Node("StaffInfo", (
        Leaf("Department", "department"), Leaf("Staff", "staff"), Leaf("Mobile", "mobile"),
        Leaf("Email", "email"),
    ), attr=attr, model=Staff)


def _response_for(*, many: bool) -> Node:
    return Node("ResponseFor", (
        Leaf("OrganId", "organ_id"), Leaf("Code", "code"),
        Leaf("PromulgationDate", "promulgation_date", DATE), Leaf("DocumentId", "document_id"),
    ), attr="response_for", model=ResponseFor, many=many)


MESSAGE_HEADER = Node("MessageHeader", (
    _organ("From", "sender"),
    _organ("To", "recipients", many=True),
    Leaf("DocumentId", "document_id", required=True),
    Node("Code", (Leaf("CodeNumber", "code_number"), Leaf("CodeNotation", "code_notation"))),
    Node("PromulgationInfo", (
        Leaf("Place", "place"),
        Leaf("PromulgationDate", "promulgation_date", DATE, required=True),
    )),
    Node("DocumentType", (
        Leaf("Type", "type", NUMBER), Leaf("TypeName", "name"), Leaf("TypeDetail", "detail"),
    ), attr="document_type", model=DocumentType),
    Leaf("Subject", "subject", required=True),
    Leaf("Content", "content"),
    Node("SignerInfo", (
        Leaf("Competence", "competence"), Leaf("Position", "position"),
        Leaf("FullName", "full_name"),
    ), attr="signer", model=Signer),
    Leaf("DueDate", "due_date", DATE),
    Node("OtherInfo", (
        Leaf("Priority", "priority", NUMBER),
        Leaf("SphereOfPromulgation", "sphere"),
        Leaf("TyperNotation", "typer_notation"),
        Leaf("PromulgationAmount", "amount", NUMBER),
        Leaf("PageAmount", "pages", NUMBER),
        Node("Appendixes", (Leaf("Appendix", "appendixes", many=True),)),
    )),
    Leaf("SteeringType", "steering_type", NUMBER),
    Node("ToPlaces", (Leaf("Place", "to_places", many=True),)),
    _response_for(many=True),
))

TRACE_HEADER_LIST = Node("TraceHeaderList", (
    Node("TraceHeader", (
        Leaf("OrganId", "organ_id", required=True),
        Leaf("Timestamp", "timestamp", MOMENT, required=True),
    ), attr="traces", model=Trace, many=True),
    # "Bussiness" is the standard's own spelling.
    Node("Bussiness", (
        Leaf("BussinessDocType", "doc_type", BUSINESS),
        Leaf("BussinessDocReason", "reason"),
        _staff("staff"),
        Leaf("Paper", "paper", FLAG),
    ), attr="business", model=Business),
), attributes=(("id", "TraceHeaderList"), ("version", "1.0"), ("mustUnderstand", "1"),
               ("actor", SOAP_NEXT_ACTOR)))

STATUS_ELEMENT = Node("Status", (
    _response_for(many=False),
    _organ("From", "sender"),
    Leaf("StatusCode", "code", STATUS, required=True),
    Leaf("Description", "description"),
    Leaf("Timestamp", "timestamp", MOMENT, required=True),
    _staff("staff"),
))


# Writing ----------------------------------------------------------------------------------


def _q(tag: str, namespace: str = NS) -> str:
    return f"{{{namespace}}}{tag}"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
        and all(_empty(getattr(value, f.name)) for f in dataclasses.fields(value))
        and not isinstance(value, Organ | Trace))


def _write(parent: ET.Element, spec: Leaf | Node, source: Any) -> None:
    if isinstance(spec, Leaf):
        values = getattr(source, spec.attr)
        for value in (values if spec.many else [values]):
            if value is None or (isinstance(value, str) and not value.strip()):
                continue  # read back as absent: a blank text is no value
            ET.SubElement(parent, _q(spec.tag)).text = spec.kind.write(value)
        return
    if spec.model is not None and spec.attr is not None:
        value = getattr(source, spec.attr)
        for item in (value if spec.many else [value]):
            if item is None or _empty(item):
                continue
            element = ET.SubElement(parent, _q(spec.tag), dict(spec.attributes))
            for child in spec.children:
                _write(element, child, item)
        return
    element = ET.SubElement(parent, _q(spec.tag), dict(spec.attributes))
    for child in spec.children:
        _write(element, child, source)
    if not len(element) and not spec.attributes:
        parent.remove(element)


def _write_unknown(root: ET.Element, unknown: Sequence[tuple[str, str]]) -> None:
    """Put back the elements a sender wrote that the definition does not name."""
    for path, text in unknown:
        parent = root if path == "." else root.find(path, {"edXML": NS, "SOAP-ENV": SOAP})
        if parent is not None:
            parent.append(SafeET.fromstring(text))


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_envelope(envelope: Envelope) -> bytes:
    """The document as an edXML file (UTF-8 bytes)."""
    root = ET.Element(_q("edXML"))
    root.set(_q("schemaLocation", XSI), NS)  # also declares xsi, as the SDKs' files do
    envelope_element = ET.SubElement(root, _q("edXMLEnvelope"))
    header = ET.SubElement(envelope_element, _q("edXMLHeader"))
    _write(header, MESSAGE_HEADER, envelope)
    _write(header, TRACE_HEADER_LIST, envelope)
    body = ET.SubElement(envelope_element, _q("edXMLBody"))
    manifest = ET.SubElement(body, _q("edXMLManifest"), {"version": "1.0"})
    encoded = ET.SubElement(root, _q("AttachmentEncoded"))
    for attachment in envelope.attachments:
        reference = ET.SubElement(manifest, _q("Reference"),
                                  {_q("href", XLINK): f"cid:{attachment.content_id}"})
        ET.SubElement(reference, _q("AttachmentName")).text = attachment.name
        ET.SubElement(reference, _q("ContentType")).text = attachment.content_type
        ET.SubElement(reference, _q("ContentId")).text = attachment.content_id
        item = ET.SubElement(encoded, _q("Attachment"))
        ET.SubElement(item, _q("ContentType")).text = attachment.content_type
        ET.SubElement(item, _q("ContentId")).text = attachment.content_id
        ET.SubElement(item, _q("Description")).text = attachment.description
        ET.SubElement(item, _q("ContentTransferEncoded")).text = base64.b64encode(
            attachment.data).decode("ascii")
        ET.SubElement(item, _q("AttachmentName")).text = attachment.name
    _write_unknown(root, envelope.unknown)
    return _serialise(root)


def write_status(status: Status) -> bytes:
    """The status message as the SOAP envelope the axis carries (UTF-8 bytes)."""
    root = ET.Element(_q("Envelope", SOAP))
    header = ET.SubElement(root, _q("Header", SOAP))
    _write(header, STATUS_ELEMENT, status)
    ET.SubElement(root, _q("Body", SOAP))
    _write_unknown(root, status.unknown)
    return _serialise(root)


# Reading ----------------------------------------------------------------------------------


def _parse(data: bytes) -> ET.Element:
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as error:
        raise EdxmlError(f"unsafe XML refused: {type(error).__name__}") from error
    except ET.ParseError as error:
        raise EdxmlError(f"not well-formed XML: {error}") from error


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _named(tag: str) -> str:
    """The path step for an element, with the prefix `_write_unknown` resolves."""
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    prefix = {NS: "edXML:", SOAP: "SOAP-ENV:"}.get(namespace, "")
    return f"{prefix}{local}"


def _kept(node: ET.Element) -> str:
    """An unknown element as text, without the indentation around its children (the writer
    indents anew), so that it reads back the same after a round trip."""
    for part in node.iter():
        if len(part) and part.text is not None and not part.text.strip():
            part.text = None
        if part.tail is not None and not part.tail.strip():
            part.tail = None
    return ET.tostring(node, encoding="unicode")


def _read(element: ET.Element, spec: Node, target: dict[str, Any], path: str,
          unknown: list[tuple[str, str]]) -> None:
    """Read `element`'s children by `spec` into `target` (attribute name -> value)."""
    by_tag = {child.tag: child for child in spec.children}
    for node in element:
        name = _local(node.tag)
        child = by_tag.get(name)
        if child is None or not node.tag.startswith(f"{{{NS}}}"):
            unknown.append((path, _kept(node)))
            continue
        where = f"{path}/{_named(node.tag)}"
        if isinstance(child, Leaf):
            text = node.text or ""
            if not text.strip():
                continue
            try:
                # Text as written (spaces included); the other kinds strip it themselves.
                value = child.kind.read(text)
            except ValueError as error:
                raise EdxmlError(f"{where}: cannot read {text.strip()!r}") from error
            if child.many:
                target.setdefault(child.attr, []).append(value)
            else:
                target[child.attr] = value
        elif child.model is not None and child.attr is not None:
            fields: dict[str, Any] = {}
            _read(node, child, fields, where, unknown)
            _require(child, fields, where)
            item = child.model(**fields)
            if child.many:
                target.setdefault(child.attr, []).append(item)
            else:
                target[child.attr] = item
        else:
            _read(node, child, target, where, unknown)


def _require(spec: Node, fields: dict[str, Any], where: str) -> None:
    for child in spec.children:
        if isinstance(child, Leaf) and child.required and child.attr not in fields:
            raise EdxmlError(f"{where}/{child.tag}: missing")


def _find(element: ET.Element, *steps: tuple[str, str]) -> ET.Element:
    for namespace, tag in steps:
        found = element.find(_q(tag, namespace))
        if found is None:
            raise EdxmlError(f"{tag}: missing")
        element = found
    return element


def read_envelope(data: bytes) -> Envelope:
    """The document in an edXML file; `EdxmlError` if it cannot be one."""
    root = _parse(data)
    if root.tag != _q("edXML"):
        raise EdxmlError(f"the root is {_local(root.tag)}, not edXML in {NS}")
    header = _find(root, (NS, "edXMLEnvelope"), (NS, "edXMLHeader"))
    unknown: list[tuple[str, str]] = []
    fields: dict[str, Any] = {}
    path = "edXML:edXMLEnvelope/edXML:edXMLHeader"
    message = _find(header, (NS, "MessageHeader"))
    _read(message, MESSAGE_HEADER, fields, f"{path}/edXML:MessageHeader", unknown)
    _require(MESSAGE_HEADER, fields, "MessageHeader")
    if "sender" not in fields:
        raise EdxmlError("MessageHeader/From: missing")
    traces = header.find(_q("TraceHeaderList"))
    if traces is not None:
        _read(traces, TRACE_HEADER_LIST, fields, f"{path}/edXML:TraceHeaderList", unknown)
    for extra in header:
        if extra.tag not in (_q("MessageHeader"), _q("TraceHeaderList")):
            unknown.append((path, _kept(extra)))
    fields["attachments"] = _attachments(root)
    return Envelope(**fields, unknown=unknown)


def _attachments(root: ET.Element) -> list[Attachment]:
    found = []
    for number, item in enumerate(root.iterfind(f"{_q('AttachmentEncoded')}/{_q('Attachment')}"),
                                  start=1):
        def text(tag: str, item: ET.Element = item) -> str:
            return (item.findtext(_q(tag)) or "").strip()

        try:
            data = base64.b64decode(text("ContentTransferEncoded"), validate=True)
        except (binascii.Error, ValueError) as error:
            raise EdxmlError(f"Attachment {number}: ContentTransferEncoded is not base64"
                             ) from error
        content_id = text("ContentId").removeprefix("cid:")
        if not content_id or not text("AttachmentName"):
            raise EdxmlError(f"Attachment {number}: ContentId and AttachmentName are required")
        found.append(Attachment(content_id=content_id, name=text("AttachmentName"),
                                content_type=text("ContentType") or "application/octet-stream",
                                data=data, description=text("Description")))
    return found


def message_kind(data: bytes) -> str:
    """"envelope" for an edXML document, "status" for a status message; `EdxmlError` else."""
    root = _parse(data)
    if root.tag == _q("edXML"):
        return "envelope"
    if root.tag == _q("Envelope", SOAP):
        return "status"
    raise EdxmlError(f"the root is {_local(root.tag)}: neither edXML nor a SOAP Envelope")


def read_status(data: bytes) -> Status:
    """The status in a SOAP status message; `EdxmlError` if it cannot be one."""
    root = _parse(data)
    if root.tag != _q("Envelope", SOAP):
        raise EdxmlError(f"the root is {_local(root.tag)}, not a SOAP Envelope")
    element = _find(root, (SOAP, "Header"), (NS, "Status"))
    fields: dict[str, Any] = {}
    unknown: list[tuple[str, str]] = []
    _read(element, STATUS_ELEMENT, fields, "SOAP-ENV:Header/edXML:Status", unknown)
    _require(STATUS_ELEMENT, fields, "Status")
    for name in ("response_for", "sender"):
        if name not in fields:
            raise EdxmlError(f"Status/{'ResponseFor' if name == 'response_for' else 'From'}:"
                             " missing")
    return Status(**fields, unknown=unknown)
