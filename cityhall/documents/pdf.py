"""An official document as PDF, laid out as Decree 30/2020, Appendix I asks.

A4; margins of Appendix I; Liberation Serif (Times-compatible) in the sizes of the
Appendix: national title 12 pt bold, motto 13 pt bold, agency 12 pt bold, number 13 pt,
place and date 13 pt italic, type 14 pt bold, summary 14 pt bold, body 13 pt, "Nơi nhận"
12 pt bold italic with its lines in 11 pt, the signer's block 13 pt bold.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from cityhall.core.pdf import (
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    MOTTO,
    NATIONAL_TITLE,
    SERIF_BOLD,
    SERIF_ITALIC,
    register_fonts,
    style,
)
from cityhall.documents.models import Document
from cityhall.documents.numbering import format_number

#: The width of the text between the margins.
TEXT_WIDTH = A4[0] - MARGIN_LEFT - MARGIN_RIGHT
#: Room left between the signer's title and name for the signature and the seal.
SIGNATURE_HEIGHT = 28 * mm


@dataclass
class Rendered:
    """The PDF, and where its signature goes: (page, x1, y1, x2, y2) in points, page 0-based."""

    pdf: bytes
    signature_box: tuple[int, float, float, float, float] | None = None


class _SignatureSpace(Flowable):
    """Empty room for the signer's signature; remembers where it was drawn."""

    def __init__(self, width: float, height: float, found: dict[str, object]) -> None:
        super().__init__()
        self.width, self.height, self._found = width, height, found

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        self._found["box"] = (self.canv.getPageNumber() - 1, x, y, x + self.width,
                              y + self.height)


def _rule(width: float) -> HRFlowable:
    """A short black rule, centred under the line above (Appendix I: under the agency a
    third to a half of its line, under the motto as long as the motto)."""
    return HRFlowable(width=width, thickness=0.6, color=colors.black, hAlign="CENTER",
                      spaceBefore=2, spaceAfter=2)


@dataclass(frozen=True)
class Layout:
    """What the page prints, in Vietnamese, worked out from a document."""

    #: The issuing agency, upper case, one printed line per "\n".
    agency: str
    number: str
    place_and_date: str
    type_name: str
    summary: str
    paragraphs: list[str]
    signer_lines: list[str]
    signer_name: str
    recipients: list[str] = field(default_factory=list)
    official_letter: bool = False


def place_and_date(place: str, day: dt.date | None, year: int) -> str:
    """"Sài Gòn, ngày 05 tháng 01 năm 2026"; a draft's date is left to fill in."""
    if day is None:
        return f"{place}, ngày      tháng      năm {year}"
    return f"{place}, ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def layout_of(document: Document, *, today: dt.date) -> Layout:
    """The parts of the page for a document, numbered or still a draft."""
    abbreviation = document.doc_type.abbreviation
    tail = (f"{abbreviation}-{document.agency_abbreviation}" if abbreviation
            else f"{document.agency_abbreviation}-{document.drafting_unit}".strip("-"))
    number = (f"Số: {document.notation}" if document.number is not None
              else f"Số:       /{tail}")
    year = document.document_date.year if document.document_date else today.year
    lines = []
    if document.authority:
        lines.append(f"{document.authority} {document.authority_for}".strip().upper())
    if document.signer_title:
        lines.append(document.signer_title.upper())
    recipients = [f"- {line.lstrip('- ').rstrip(';.')};" for line in document.recipient_lines]
    keep = ", ".join(part for part in ("VT", document.file_copy_unit.strip()) if part)
    recipients.append(f"- Lưu: {keep}.")
    agency = document.author.upper()
    committee = "ỦY BAN NHÂN DÂN "
    if agency.startswith(committee):
        # "ỦY BAN NHÂN DÂN" on its line, the unit's name under it, as the committees print it.
        agency = committee.strip() + "\n" + agency[len(committee):]
    return Layout(
        agency=agency, number=number,
        place_and_date=place_and_date(document.place, document.document_date, year),
        type_name=document.doc_type.name.upper(), summary=document.summary,
        paragraphs=[p.strip() for p in document.content.split("\n\n") if p.strip()],
        signer_lines=lines, signer_name=document.signer_name, recipients=recipients,
        official_letter=not abbreviation,
    )


def render(document: Document, *, today: dt.date) -> Rendered:
    """The document as an A4 PDF with its text in Unicode (selectable, searchable)."""
    register_fonts()
    page = layout_of(document, today=today)
    head = style("head", font=SERIF_BOLD, size=12, align=TA_CENTER)
    motto = style("motto", font=SERIF_BOLD, size=13, align=TA_CENTER)
    number = style("number", size=13, align=TA_CENTER)
    letter_summary = style("letter_summary", size=12, align=TA_CENTER)
    date = style("date", font=SERIF_ITALIC, size=13, align=TA_CENTER)
    kind = style("kind", font=SERIF_BOLD, size=14, align=TA_CENTER)
    body = style("body", size=13, align=TA_JUSTIFY, first_line_indent=10 * mm,
                 space_after=6)
    to_head = style("to_head", font=SERIF_BOLD, size=12, align=TA_LEFT)
    to_line = style("to_line", size=11, align=TA_LEFT, leading=13)
    signer = style("signer", font=SERIF_BOLD, size=13, align=TA_CENTER)

    def p(text: str, how: object) -> Paragraph:
        return Paragraph(escape(text), how)  # type: ignore[arg-type]

    left_width, right_width = 65 * mm, TEXT_WIDTH - 65 * mm
    under_number = [p(page.number, number)]
    if page.official_letter:
        # A Công văn's summary stands under its number: "V/v ...".
        under_number.append(p(f"V/v {page.summary}", letter_summary))
    header = Table([
        # The short rules under the agency (a third of its line) and the motto (its width).
        [[Paragraph("<br/>".join(escape(line) for line in page.agency.split("\n")), head),
          _rule(left_width / 3)],
         [p(NATIONAL_TITLE, head), p(MOTTO, motto),
          _rule(stringWidth(MOTTO, SERIF_BOLD, 13))]],
        [under_number, p(page.place_and_date, date)],
    ], colWidths=[left_width, right_width])
    header.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        # Centres the rules (a cell places its flowables by its own alignment).
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 1), (-1, 1), 6),
    ]))
    story: list[Flowable] = [header, Spacer(1, 8 * mm)]
    if not page.official_letter:
        story += [p(page.type_name, kind), p(page.summary, kind), Spacer(1, 6 * mm)]
    story += [p(text, body) for text in page.paragraphs]
    found: dict[str, object] = {}
    signature: list[Flowable] = [p(line, signer) for line in page.signer_lines]
    signature += [_SignatureSpace(right_width - 10 * mm, SIGNATURE_HEIGHT, found),
                  p(page.signer_name, signer)]
    recipients = [Paragraph("<i>Nơi nhận:</i>", to_head)]
    recipients += [p(line, to_line) for line in page.recipients]
    closing = Table([[recipients, signature]], colWidths=[left_width + 15 * mm,
                                                          right_width - 15 * mm])
    closing.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 6 * mm), closing]
    buffer = io.BytesIO()
    title = f"{page.type_name.capitalize()} {document.notation}".strip()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN_LEFT, rightMargin=MARGIN_RIGHT,
                      topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, title=title,
                      author=document.author, subject=document.summary).build(story)
    box = found.get("box")
    return Rendered(pdf=buffer.getvalue(), signature_box=box)  # type: ignore[arg-type]


__all__ = ["Layout", "Rendered", "format_number", "layout_of", "place_and_date", "render"]
