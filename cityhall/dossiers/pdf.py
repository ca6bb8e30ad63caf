"""The one-stop forms as PDF: A4, Liberation Serif 13 pt, the margins of Decree 30/2020."""

from __future__ import annotations

import io
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
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
    SERIF,
    SERIF_BOLD,
    SERIF_ITALIC,
    register_fonts,
    style,
)
from cityhall.dossiers.official import OfficialForm
from cityhall.dossiers.slips import MOTTO, NATIONAL_TITLE, ReceiptSlip, money


def _style(name: str, *, font: str = SERIF, size: float = 13,
           align: Literal[0, 1, 2, 4] = TA_LEFT,
           leading: float | None = None) -> ParagraphStyle:
    return style(name, font=font, size=size, align=align, leading=leading)


def receipt_pdf(slip: ReceiptSlip) -> bytes:
    """Form 01 as an A4 PDF with its text selectable (and extractable) in Unicode."""
    register_fonts()
    body = _style("body")
    centre = _style("centre", align=TA_CENTER)
    bold_centre = _style("bold_centre", font=SERIF_BOLD, align=TA_CENTER)
    italic_centre = _style("italic_centre", font=SERIF_ITALIC, align=TA_CENTER)
    title = _style("title", font=SERIF_BOLD, size=14, align=TA_CENTER)
    cell = _style("cell", size=12)

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    # The heading in 12 pt, so that the national title holds on one line.
    head = _style("head", font=SERIF_BOLD, size=12, align=TA_CENTER)
    header = Table([
        [p(slip.agency, head), p(NATIONAL_TITLE, head)],
        [p(slip.office, head), p(MOTTO, head)],
        [p(f"Mã hồ sơ: {slip.code}", centre), p(slip.place_and_date, italic_centre)],
    ], colWidths=[68 * mm, 97 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    rows = [[p("TT", cell), p("Tên loại giấy tờ", cell), p("Hình thức", cell),
             p("Số lượng", cell)]]
    rows += [[p(str(c.number), cell), p(c.name, cell), p(c.form, cell), p(str(c.copies), cell)]
             for c in slip.components]
    components = Table(rows, colWidths=[10 * mm, 95 * mm, 40 * mm, 20 * mm], repeatRows=1)
    components.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    signatures = Table([
        [p("NGƯỜI NỘP HỒ SƠ", bold_centre), p("NGƯỜI TIẾP NHẬN HỒ SƠ", bold_centre)],
        [p("(Ký và ghi rõ họ tên)", italic_centre), p("(Ký và ghi rõ họ tên)", italic_centre)],
    ], colWidths=[82 * mm, 83 * mm])
    story = [
        header, Spacer(1, 8 * mm), p(slip.title, title), Spacer(1, 5 * mm),
        p(f"Bộ phận tiếp nhận và trả kết quả: {slip.receiving}"),
        p(f"Tiếp nhận hồ sơ của: {slip.applicant}"),
        p(f"Địa chỉ: {slip.address}"),
        p(f"Số điện thoại: {slip.phone}    Thư điện tử: {slip.email}"),
        p(f"Nội dung yêu cầu giải quyết: {slip.request}"),
        p(f"Hình thức nộp: {slip.channel}"),
        p("1. Thành phần hồ sơ nộp gồm:"), components,
        p("2. Số lượng hồ sơ: 01 bộ"),
        p(f"3. Thời gian giải quyết hồ sơ theo quy định là: {slip.processing_days} ngày làm việc"),
        p(f"4. Thời gian nhận hồ sơ: {slip.received}"),
        p(f"5. Thời gian trả kết quả giải quyết hồ sơ: {slip.appointment}"),
        p(f"6. Đăng ký nhận kết quả tại: {slip.result_at}"),
    ]
    if slip.fee_vnd:
        story.append(p(f"7. Phí, lệ phí: {money(slip.fee_vnd)}"))
    if slip.payment_qr:
        story.append(_qr_block(slip.payment_qr, p(
            "Quét mã VietQR bằng ứng dụng ngân hàng để nộp phí, lệ phí trực tuyến (nội dung "
            f"chuyển khoản: {slip.code}).", cell)))
    story += [Spacer(1, 8 * mm), signatures]
    return _build(story, title=f"{slip.title} {slip.code}", author=slip.agency)


def _qr_block(text: str, caption: Paragraph) -> Table:
    """A VietQR code (30 mm) with its caption beside it."""
    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    side = 30 * mm
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    block = Table([[drawing, caption]], colWidths=[34 * mm, 131 * mm])
    block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return block


def _build(story: list[Flowable], *, title: str, author: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN_LEFT,
                                 rightMargin=MARGIN_RIGHT, topMargin=MARGIN_TOP,
                                 bottomMargin=MARGIN_BOTTOM, title=title, author=author)
    document.build(story)
    return buffer.getvalue()


def official_pdf(form: OfficialForm) -> bytes:
    """One of the forms 02-06 as an A4 PDF, laid out as form 01 is."""
    register_fonts()
    styles = {"body": _style("body", leading=17), "bold": _style("bold", font=SERIF_BOLD),
              "italic": _style("italic", font=SERIF_ITALIC, align=TA_CENTER),
              "centre": _style("centre", align=TA_CENTER)}
    head = _style("head", font=SERIF_BOLD, size=12, align=TA_CENTER)
    plain_centre = _style("plain_centre", size=12, align=TA_CENTER)
    italic_centre = _style("italic_centre", font=SERIF_ITALIC, align=TA_CENTER)
    bold_centre = _style("bold_centre", font=SERIF_BOLD, align=TA_CENTER)
    title = _style("title", font=SERIF_BOLD, size=14, align=TA_CENTER)
    cell = _style("cell", size=11)
    small = _style("small", size=11)
    small_bold = _style("small_bold", font=SERIF_BOLD, size=12)

    def p(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text), style)

    left = [p(form.agency, head)]
    if form.office:
        left.append(p(form.office, head))
    header = Table([
        [left, [p(NATIONAL_TITLE, head), p(MOTTO, head)]],
        [p(form.notation, plain_centre), p(form.place_and_date, italic_centre)],
    ], colWidths=[68 * mm, 97 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story: list[Flowable] = [header, Spacer(1, 8 * mm), p(form.title, title),
                             Spacer(1, 5 * mm)]
    for block in form.body:
        if block.rows:
            table = Table([[p(c, cell) for c in row] for row in block.rows],
                          colWidths=[w * mm for w in block.widths] or None, repeatRows=1)
            table.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ]))
            story += [Spacer(1, 2 * mm), table]
        else:
            story.append(p(block.text, styles.get(block.style, styles["body"])))
    if form.signatures or form.recipients:
        signed = [[p(s.title, bold_centre), p(s.note, italic_centre), Spacer(1, 18 * mm),
                   p(s.name, bold_centre)] for s in form.signatures]
        recipients = [p("Nơi nhận:", small_bold), *(p(r, small) for r in form.recipients)]
        row = [recipients if form.recipients else "", signed[0] if signed else ""]
        story += [Spacer(1, 8 * mm), Table([row], colWidths=[75 * mm, 90 * mm],
                                           style=[("VALIGN", (0, 0), (-1, -1), "TOP")])]
    return _build(story, title=f"{form.title} {form.code}", author=form.agency)
