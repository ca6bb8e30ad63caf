"""The registers as Decree 30/2020, Appendix IV lays them out: one definition of their
columns and filters, read by the API, the pages and the XLSX export."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from cityhall.core.scoping import scope_of
from cityhall.documents.models import Direction, Document, DocumentFile, Register
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


@dataclass(frozen=True)
class Summary:
    """A register's year in figures: outgoing, how many issued carry the system's digital
    signatures; incoming, how many arrived signed and how many were digitised from paper."""

    entries: int
    signed: int
    digitised: int

    @property
    def signed_percent(self) -> float | None:
        """The share signed, in percent to one decimal; None for an empty register."""
        return round(100 * self.signed / self.entries, 1) if self.entries else None

    def as_dict(self) -> dict[str, Any]:
        return {"entries": self.entries, "signed": self.signed,
                "signed_percent": self.signed_percent, "digitised": self.digitised}


def signed_files(kind: str) -> QuerySet[DocumentFile]:
    """The signed files of that kind of the document in hand (for `Exists`)."""
    return DocumentFile.objects.filter(document=OuterRef("pk"), kind=kind, signed=True)


def summary(user: Any, unit: Unit, direction: str, year: int) -> Summary:
    """The register's whole year (whatever the search): entries, signed, digitised.

    Outgoing, "signed" is an entry whose PDF as issued carries the leader's and the
    organisation's signatures made by this system (`DocumentFile.signed`); incoming, one
    whose arrived PDF verified valid when it was registered.
    """
    kind = (DocumentFile.Kind.ISSUED if direction == Direction.OUTGOING
            else DocumentFile.Kind.ARRIVED)
    found = Document.objects.visible_to(user).filter(
        unit=unit, direction=direction, register__year=year, number__isnull=False)
    counts = found.annotate(has_signed=Exists(signed_files(kind))).aggregate(
        entries=models.Count("pk"),
        signed=models.Count("pk", filter=models.Q(has_signed=True)),
        digitised=models.Count("pk", filter=models.Q(digitised=True)))
    return Summary(entries=counts["entries"], signed=counts["signed"],
                   digitised=counts["digitised"])


def _percent(value: float) -> str:
    """100 as "100", 99.5 as "99,5" (the locale's decimal mark)."""
    return number_format(int(value) if value.is_integer() else value)


def summary_text(direction: str, figures: Summary) -> str:
    """The summary in words, as the page and the workbook print it."""
    if direction == Direction.OUTGOING:
        if not figures.entries:
            return _("No document issued yet.")
        return _("Digitally signed: %(signed)s of %(n)s issued (%(percent)s%%).") % {
            "signed": figures.signed, "n": figures.entries,
            "percent": _percent(figures.signed_percent or 0.0)}
    return _("%(n)s registered: %(signed)s arrived with valid digital signatures, "
             "%(digitised)s digitised from paper.") % {
        "n": figures.entries, "signed": figures.signed, "digitised": figures.digitised}


def row(document: Document, direction: str) -> dict[str, Any]:
    """One entry as the register's columns, keyed."""
    return {c.key: c.value(document) for c in columns(direction)}


def title(unit: Unit, direction: str, year: int) -> str:
    if direction == Direction.OUTGOING:
        return _("Outgoing register of %(unit)s, %(year)s") % {"unit": unit.name, "year": year}
    return _("Incoming register of %(unit)s, %(year)s") % {"unit": unit.name, "year": year}


def xlsx(unit: Unit, direction: str, year: int, documents: Iterable[Document],
         figures: Summary | None = None) -> bytes:
    """The register as an XLSX workbook: a title line, the column headings, one row each;
    then, given the year's `figures`, the summary line (signed share, digitised)."""
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
    if figures is not None:
        sheet.append([])
        sheet.append([summary_text(direction, figures)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True)
    for index, column in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
