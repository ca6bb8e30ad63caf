"""Office documents (Word, Excel, PowerPoint; OpenDocument) told apart inside their ZIP
archive, from its directory and the OpenDocument `mimetype` entry only: nothing else is
decompressed, so an archive built to explode when unpacked costs nothing here."""

from __future__ import annotations

import zipfile
from typing import IO

from django.utils.translation import gettext_lazy as _

from cityhall.core.files.sniff import Kind

DOCX = Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx",
            _("a Word document"))
XLSX = Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
            _("an Excel workbook"))
PPTX = Kind("application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptx", _("a PowerPoint presentation"))
ODT = Kind("application/vnd.oasis.opendocument.text", "odt", _("an OpenDocument text"))
ODS = Kind("application/vnd.oasis.opendocument.spreadsheet", "ods",
           _("an OpenDocument spreadsheet"))
# Recognised to be refused by name: a document that carries macros.
MACROS = Kind("application/vnd.ms-office.macro-enabled", "zip",
              _("an office document with macros"))

#: The part that names each Office Open XML kind.
_OOXML = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX, "ppt/presentation.xml": PPTX}
_ODF = {ODT.content_type: ODT, ODS.content_type: ODS}
#: More entries than any real document has: such an archive is not read further.
MAX_ENTRIES = 10_000


def identify(file: IO[bytes]) -> Kind | None:
    """Which office document the ZIP archive is (`MACROS` for one with a VBA project), or
    None for another archive or one that does not read; the file is left at its start."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                return None
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" in names:
                if any(name.lower().endswith("vbaproject.bin") for name in names):
                    return MACROS
                return next((kind for part, kind in _OOXML.items() if part in names), None)
            first = entries[0] if entries else None
            if first is not None and first.filename == "mimetype" and first.file_size < 100:
                with archive.open(first) as entry:
                    declared = entry.read(100).decode("ascii", "replace").strip()
                return _ODF.get(declared)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError, RuntimeError):
        return None
    finally:
        file.seek(0)
    return None
