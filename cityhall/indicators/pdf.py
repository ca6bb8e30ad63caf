"""The dashboard's view as a PDF (A4 landscape, the house serif with every Vietnamese
letter): the figures with their comparisons and targets, the ranking, the units below and
the Decision 766 score; the same view as the XLSX export."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cityhall.core.pdf import SERIF, SERIF_BOLD, register_fonts, style
from cityhall.indicators.dashboard import Dashboard
from cityhall.indicators.templatetags.indicators_web import change, shown

RED = colors.HexColor("#b3261e")
GREEN = colors.HexColor("#1b5e20")


def _table(rows: list[list[Any]], widths: list[float], marks: Sequence[tuple[int, Any]] = ()
           ) -> Table:
    cell = style("cell", size=9)
    head = style("head", font=SERIF_BOLD, size=9)
    body = [[Paragraph(str(c), head if i == 0 else cell) for c in row]
            for i, row in enumerate(rows)]
    table = Table(body, colWidths=widths, repeatRows=1)
    commands: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for line, colour in marks:
        commands.append(("TEXTCOLOR", (0, line), (-1, line), colour))
        commands.append(("BOX", (0, line), (-1, line), 0.8, colour))
    table.setStyle(TableStyle(commands))
    return table


def document(board: Dashboard) -> bytes:
    """The PDF's bytes."""
    register_fonts()
    out = BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(out, pagesize=page, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm,
                            title=_("Dashboard: %(unit)s") % {"unit": board.unit.name},
                            author="cityhall")
    width = page[0] - 30 * mm
    h1, h2, p = style("h1", font=SERIF_BOLD, size=16), style("h2", font=SERIF_BOLD, size=12,
                                                              space_after=4), style("p", size=10)
    story: list[Any] = [
        Paragraph(_("Dashboard: %(unit)s") % {"unit": board.unit.name}, h1),
        Paragraph(_("%(a)s to %(b)s (%(n)d days), compared with the %(n)d days before and the "
                    "same days a year earlier. Printed %(now)s.") % {
            "a": board.period.first.isoformat(), "b": board.period.last.isoformat(),
            "n": board.period.days, "now": timezone.localtime().strftime("%Y-%m-%d %H:%M")}, p),
        Spacer(1, 4 * mm), Paragraph(_("Indicators"), h2)]
    rows: list[list[Any]] = [[_("Indicator"), _("Value"), _("Previous period"), _("Change"),
                              _("Same period last year"), _("Target"), _("Formula")]]
    marks: list[tuple[int, Any]] = []
    for n, row in enumerate(board.rows, start=1):
        unit = row.indicator.unit
        name = row.indicator.name
        if row.reported is not None and row.reported.period is not None:
            name += f" ({row.reported.period.label})"
        rows.append([name, shown(row.figure.value, unit), "" if row.previous.value is None
                     else shown(row.previous.value, unit), change(row.compare, unit),
                     "" if row.last_year.value is None else shown(row.last_year.value, unit),
                     "" if row.target is None else shown(row.target, unit),
                     row.indicator.formula])
        if row.trend_word in ("better", "worse"):
            marks.append((n, RED if row.red else GREEN))
    story.append(_table(rows, [w * width for w in (.22, .1, .1, .1, .1, .08, .3)], marks))
    if board.ranking:
        story += [Spacer(1, 4 * mm), Paragraph(
            _("Units ranked by %(name)s") % {"name": board.rank_by.name}, h2)]
        ranked = [[_("Best"), _("Value"), _("Worst"), _("Value")]]
        worst = board.worst
        for i, best in enumerate(board.best):
            low = worst[i] if i < len(worst) else None
            ranked.append([best.unit.name, shown(best.figure.value, board.rank_by.unit),
                           low.unit.name if low else "",
                           shown(low.figure.value, board.rank_by.unit) if low else ""])
        story.append(_table(ranked, [w * width for w in (.3, .2, .3, .2)]))
    if board.children:
        story += [Spacer(1, 4 * mm), Paragraph(_("Units"), h2)]
        units = [[_("Unit"), *(i.name for i in board.columns)]]
        for child, cells in board.table():
            units.append([child.name, *("—" if f.value is None else shown(f.value, i.unit)
                                        for i, f in cells)])
        first = .2
        rest = (1 - first) / max(len(board.columns), 1)
        story.append(_table(units, [first * width] + [rest * width] * len(board.columns)))
    story += [Spacer(1, 4 * mm), Paragraph(
        _("Decision 766: %(points)s of 100 points (%(measured)s measured)") % {
            "points": board.score_points, "measured": board.score_measured}, h2)]
    score: list[list[Any]] = [[_("Group"), _("Indicator"), _("Points"), _("Maximum"),
                               _("Rate"), _("Target"), _("Formula")]]
    for group in board.score:
        score.append([group.group.name, "", group.points, group.group.max, "", "", ""])
        for item in group.items:
            score.append([
                "", item.item.name,
                _("no data") if item.points is None else item.points, item.item.points,
                "" if item.rate is None else shown(item.rate, "percent"),
                shown(item.item.target, "percent"),
                item.formula or _("The system holds no data for this indicator yet.")])
    story.append(_table(score, [w * width for w in (.16, .26, .07, .07, .08, .07, .29)]))
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(SERIF, 8)
    canvas.drawRightString(doc.pagesize[0] - 15 * mm, 8 * mm, str(doc.page))
    canvas.restoreState()
