"""PDF page counts with pypdf, reading the cross-reference table and the page tree only."""

from __future__ import annotations

import logging
from typing import IO

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

# pypdf logs every defect it repairs; an upload's refusal already says what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class EncryptedPdf(Exception):
    """A PDF that cannot be read without its password."""


def count_pages(file: IO[bytes]) -> int:
    """The number of pages, from the page tree itself (a wrong /Count is not believed).

    Page contents, fonts and images are never parsed. Raises `EncryptedPdf` for a PDF
    that needs a password, and pypdf's errors (or others) for one that does not parse.
    """
    file.seek(0)
    reader = PdfReader(file, strict=False)
    if reader.is_encrypted:
        try:
            # An empty user password opens PDFs that are only restricted, not secret.
            reader.decrypt("")
            return len(reader.pages)
        except (DependencyError, FileNotDecryptedError):
            raise EncryptedPdf from None
    return len(reader.pages)
