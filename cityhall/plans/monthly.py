"""The monthly scorecards report the leaders send: XLSX and PDF, from the same rows."""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from cityhall.plans.scorecards import Scorecard, extremes


def columns() -> list[str]:
    """The report's column headings, in the order of `row`."""
    return [_("Rank"), _("Code or user name"), _("Unit or person"), _("Due"),
            _("Done on time"), _("Done late"), _("Overdue now"),
            _("Average delay (working days)"), _("Share done on time (%)"),
            _("Commitments"), _("Commitments met"), _("Share of commitments met (%)")]


def _percent(share: float | None) -> float | None:
    return round(share * 100, 1) if share is not None else None


def row(card: Scorecard) -> list[object]:
    """One scorecard as the report's cells."""
    return [card.rank, card.key, card.name or card.key, card.due, card.done_on_time,
            card.done_late, card.overdue_now, card.average_delay, _percent(card.share_met),
            card.commitments, card.commitments_met, _percent(card.share_commitments_met)]


def heading(period: str, kind: str) -> str:
    """The report's title: whose scorecards, which month."""
    month, year = period[5:], period[:4]
    return (_("Scorecards of the units, %(month)s/%(year)s") if kind == "unit"
            else _("Scorecards of the people in charge, %(month)s/%(year)s")) % {
        "month": month, "year": year}


def scorecards_xlsx(cards: Sequence[Scorecard], *, period: str, kind: str) -> bytes:
    """The ranked scorecards as one sheet: a title row, the headings, one row per card."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 (a new workbook has one sheet)
    sheet.title = period
    sheet.append([heading(period, kind)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(columns())
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for card in cards:
        sheet.append(row(card))
    sheet.column_dimensions["C"].width = 48
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def scorecards_pdf(cards: Sequence[Scorecard], *, period: str, kind: str,
                   viewer: str = "") -> bytes:
    """The ranked scorecards as an A4 landscape PDF: the best and the worst named first,
    then the whole table; text in the house serif (Vietnamese), extractable."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from cityhall.core.pdf import SERIF, SERIF_BOLD, register_fonts, style

    register_fonts()
    title = style("title", font=SERIF_BOLD, size=15)
    body = style("body", size=11)
    cell = style("cell", size=9)
    head = style("head", font=SERIF_BOLD, size=9)
    story: list[object] = [Paragraph(escape(heading(period, kind)), title), Spacer(1, 3 * mm)]
    if viewer:
        story.append(Paragraph(escape(viewer), body))
    if cards:
        best, worst = extremes(list(cards))
        story.append(Paragraph(escape(_("Best: %(names)s.") % {
            "names": "; ".join(c.name or c.key for c in best)}), body))
        if worst:
            story.append(Paragraph(escape(_("Worst: %(names)s.") % {
                "names": "; ".join(c.name or c.key for c in worst)}), body))
    else:
        story.append(Paragraph(escape(_("No task was due in this month.")), body))
    story.append(Spacer(1, 4 * mm))
    table: list[list[object]] = [[Paragraph(escape(h), head) for h in columns()]]
    for card in cards:
        # Plain strings but for the name, which may wrap: a paragraph a cell costs seconds
        # for the 188 units of the city.
        values: list[object] = ["" if v is None else str(v) for v in row(card)]
        values[2] = Paragraph(escape(str(values[2])), cell)
        table.append(values)
    widths = [12 * mm, 22 * mm, 70 * mm] + [18 * mm] * 9
    grid = Table(table, colWidths=widths, repeatRows=1)
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("FONTNAME", (0, 0), (-1, -1), SERIF),
        ("FONTSIZE", (0, 1), (-1, -1), 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story.append(grid)
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=15 * mm, rightMargin=15 * mm,
                      topMargin=15 * mm, bottomMargin=15 * mm,
                      title=heading(period, kind)).build(story)  # type: ignore[arg-type]
    return out.getvalue()
