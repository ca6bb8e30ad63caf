"""The dashboard's view as an XLSX workbook: the figures with their formulas, the units,
and the Decision 766 score."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from cityhall.indicators.dashboard import Dashboard


def _percent(value: float | None, unit: str) -> float | None:
    if value is None:
        return None
    return round(value, 4) if unit == "percent" else round(value, 2)


def workbook(board: Dashboard) -> bytes:
    """The workbook's bytes: one sheet each for the figures, the units and the 766 score."""
    book = Workbook()
    bold = Font(bold=True)
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet  # noqa: S101
    sheet.title = _("Indicators")[:31]
    sheet.append([_("Unit"), board.unit.name, _("From"), board.period.first.isoformat(),
                  _("To"), board.period.last.isoformat()])
    sheet.append([_("Code"), _("Indicator"), _("Unit of measure"), _("Value"),
                  _("Previous period"), _("Same period last year"), _("Formula"), _("Inputs")])
    for cell in sheet[2]:
        cell.font = bold
    for row in board.rows:
        unit = row.indicator.unit
        sheet.append([
            row.indicator.code, row.indicator.name, unit,
            _percent(row.figure.value, unit), _percent(row.previous.value, unit),
            _percent(row.last_year.value, unit), row.indicator.formula,
            ", ".join(f"{k} = {v}" for k, v in row.figure.inputs.items())])
    units = book.create_sheet(_("Units")[:31])
    units.append([_("Code"), _("Unit"), *(i.name for i in board.columns)])
    for cell in units[1]:
        cell.font = bold
    for child in board.children:
        units.append([child.code, child.name, *(
            _percent(board.child_figure(child, i).value, i.unit) for i in board.columns)])
    score = book.create_sheet(_("Decision 766")[:31])
    score.append([_("Group"), _("Indicator"), _("Points"), _("Maximum"), _("Rate"),
                  _("Target"), _("Formula")])
    for cell in score[1]:
        cell.font = bold
    for group in board.score:
        score.append([group.group.name, "", group.points, group.group.max])
        for item in group.items:
            score.append([
                "", item.item.name, item.points if item.points is not None else _("no data"),
                item.item.points, round(item.rate, 4) if item.rate is not None else None,
                item.item.target,
                item.formula or _("The system holds no data for this indicator yet.")])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
