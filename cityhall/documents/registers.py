"""The registers as Decree 30/2020, Appendix IV lays them out: one definition of their
columns and filters, read by the API, the pages and the XLSX export."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from cityhall.core.scoping import scope_of
from cityhall.documents.models import Direction, Document, Register
from cityhall.orgunits.models import Unit


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    value: Callable[[Document], Any]
    width: int = 16


def _day(value: dt.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def _type_and_summary(d: Document) -> str:
    return f"{d.doc_type.name}: {d.summary}"


#: The outgoing register's columns (Appendix IV, "Sổ đăng ký văn bản đi").
OUTGOING: tuple[Column, ...] = (
    Column("notation", gettext_lazy("Number and notation"), lambda d: d.notation, 16),
    Column("document_date", gettext_lazy("Date"), lambda d: _day(d.document_date), 12),
    Column("summary", gettext_lazy("Type and summary"), _type_and_summary, 60),
    Column("signer", gettext_lazy("Signer"), lambda d: d.signer_name, 22),
    Column("recipients", gettext_lazy("Recipients"), lambda d: "; ".join(d.recipient_lines), 30),
    Column("file_copy_unit", gettext_lazy("File copies kept by"),
           lambda d: ", ".join(p for p in ("VT", d.file_copy_unit) if p), 16),
    Column("copies", gettext_lazy("Copies"), lambda d: d.copies, 8),
    Column("notes", gettext_lazy("Notes"), lambda d: d.notes, 20),
)
#: The incoming register's columns (Appendix IV, "Sổ đăng ký văn bản đến").
INCOMING: tuple[Column, ...] = (
    Column("arrival_date", gettext_lazy("Arrival date"), lambda d: _day(d.arrival_date), 12),
    Column("number", gettext_lazy("Arrival number"), lambda d: d.number, 8),
    Column("author", gettext_lazy("Author"), lambda d: d.author, 24),
    Column("notation", gettext_lazy("Number and notation"), lambda d: d.notation, 16),
    Column("document_date", gettext_lazy("Document date"), lambda d: _day(d.document_date),
           12),
    Column("summary", gettext_lazy("Type and summary"), _type_and_summary, 60),
    Column("receiving_unit", gettext_lazy("Receiving unit or person"),
           lambda d: d.receiving_unit, 24),
    Column("transfer_date", gettext_lazy("Transfer date"), lambda d: _day(d.transfer_date), 12),
    Column("notes", gettext_lazy("Notes"), lambda d: d.notes, 20),
)


def columns(direction: str) -> tuple[Column, ...]:
    return OUTGOING if direction == Direction.OUTGOING else INCOMING


def visible_units(user: Any) -> list[Unit]:
    """The units whose registers the user may read, that keep at least one register."""
    ids = Register.objects.visible_to(user).values("unit_id")
    return list(Unit.objects.filter(pk__in=ids).order_by("name"))


def unit_for(user: Any, code: str) -> Unit | None:
    """The unit with this code if the user may read its registers; None otherwise."""
    unit = Unit.objects.active_on().filter(code=code[:32]).first()
    return unit if unit is not None and scope_of(user).covers(unit) else None


def entries(user: Any, unit: Unit, direction: str, year: int, query: str = ""
            ) -> Iterable[Document]:
    """The register's entries the user may see, in number order, matching `query`."""
    found = (Document.objects.visible_to(user).filter(
        unit=unit, direction=direction, register__year=year, number__isnull=False)
        .select_related("doc_type").order_by("number"))
    return found.matching(query) if query.strip() else found


def row(document: Document, direction: str) -> dict[str, Any]:
    """One entry as the register's columns, keyed."""
    return {c.key: c.value(document) for c in columns(direction)}


def title(unit: Unit, direction: str, year: int) -> str:
    if direction == Direction.OUTGOING:
        return _("Outgoing register of %(unit)s, %(year)s") % {"unit": unit.name, "year": year}
    return _("Incoming register of %(unit)s, %(year)s") % {"unit": unit.name, "year": year}


def xlsx(unit: Unit, direction: str, year: int, documents: Iterable[Document]) -> bytes:
    """The register as an XLSX workbook: a title line, the column headings, one row each."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has its sheet
    sheet.title = str(year)
    cols = columns(direction)
    sheet.append([title(unit, direction, year)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([str(c.label) for c in cols])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for document in documents:
        sheet.append([c.value(document) for c in cols])
    for index, column in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
