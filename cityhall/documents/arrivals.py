"""The PDF of an incoming document, checked before it is registered.

Two kinds arrive (docs/documents.md, "Arrived PDFs and scans"):

- an electronic document, signed by its issuer: its signatures are verified; a broken,
  untrusted or missing signature refuses the registration (`signature_broken`,
  `pdf_unsigned`) unless the clerk overrides it with a reason, which is audited;
- a paper document scanned by the clerk: each page's image must be in colour and of
  200 dpi or better (`scan_quality` otherwise); it is counted as digitised.

Both go through the shared file layer first (`core.files.check_upload`: size, type from the
bytes, pages, the virus scanner), and are stored as a `DocumentFile` in the registration's
transaction (`store`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files import File
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityhall.core.files import FilePolicy, FileRejected, Upload, check_upload
from cityhall.core.files.pdf import EncryptedPdf, PageScan, scan_pages
from cityhall.core.text import search_key
from cityhall.documents.errors import DocumentCode, DocumentError
from cityhall.documents.models import Document, DocumentFile
from cityhall.documents.verification import Status, Verification, status_text, verify_bytes

#: A scan must be at least this fine (Circular 01/2019/TT-BNV's practice for digitising
#: documents: colour, 200 dpi or more).
SCAN_MIN_DPI = 200
#: The largest arrived PDF, unless CITYHALL_DOCUMENTS_FILE_MAX_BYTES says otherwise.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
#: The longest override reason kept.
REASON_MAX = 1000


def policy() -> FilePolicy:
    return FilePolicy(
        types=frozenset({"application/pdf"}),
        max_bytes=int(getattr(settings, "CITYHALL_DOCUMENTS_FILE_MAX_BYTES", DEFAULT_MAX_BYTES)),
        accepted=gettext_lazy("a PDF document"), label=gettext_lazy("the PDF"))


@dataclass(frozen=True)
class ArrivedPdf:
    """An arrived PDF the checks accepted: what is stored and what the audit entry says."""

    upload: Upload
    scanned: bool
    #: The verification of an electronic document's signatures (None for a scan).
    verification: Verification | None = None
    #: The clerk's reason to register it although its signature is not valid.
    override_reason: str = ""
    pages: tuple[PageScan, ...] = ()

    @property
    def signed(self) -> bool:
        return self.verification is not None and self.verification.valid

    @property
    def min_dpi(self) -> int | None:
        return min(p.dpi for p in self.pages) if self.pages else None


def _scan_problems(pages: list[PageScan]) -> list[str]:
    problems: list[str] = []
    for page in pages:
        if page.dpi == 0:
            problems.append(_("page %(n)s holds no scanned image") % {"n": page.page})
        elif page.dpi < SCAN_MIN_DPI:
            problems.append(_("page %(n)s is scanned at %(dpi)s dpi") % {
                "n": page.page, "dpi": page.dpi})
        if page.dpi and not page.colour:
            problems.append(_("page %(n)s is not in colour") % {"n": page.page})
    return problems


def check(source: Any, *, scanned: bool, override_reason: str = "") -> ArrivedPdf:
    """Check an arrived PDF (bytes or an uploaded file); `DocumentError` on the `pdf` field
    when it is refused. Call before the registration's transaction (it reads the file)."""
    try:
        upload = check_upload(source, policy=policy())
    except FileRejected as exc:
        raise DocumentError(DocumentCode.DOCUMENT_FILE_REFUSED, {"pdf": exc.detail}) from None
    reason = " ".join((override_reason or "").split())[:REASON_MAX]
    if scanned:
        try:
            pages = scan_pages(upload.file)
        except EncryptedPdf:
            raise DocumentError(DocumentCode.DOCUMENT_FILE_REFUSED, {"pdf": _(
                "The PDF is protected by a password; send it without one.")}) from None
        except Exception:
            raise DocumentError(DocumentCode.DOCUMENT_FILE_REFUSED, {
                "pdf": _("The PDF cannot be read.")}) from None
        finally:
            upload.file.seek(0)
        problems = _scan_problems(pages)
        if problems:
            raise DocumentError(DocumentCode.SCAN_QUALITY, {"pdf": _(
                "A scan must be in colour at %(dpi)s dpi or better: %(problems)s.") % {
                    "dpi": SCAN_MIN_DPI, "problems": "; ".join(problems)}})
        return ArrivedPdf(upload=upload, scanned=True, pages=tuple(pages))
    upload.file.seek(0)
    verification = verify_bytes(upload.file.read())
    upload.file.seek(0)
    status = verification.status
    if status == Status.UNREADABLE:
        raise DocumentError(DocumentCode.DOCUMENT_FILE_REFUSED, {
            "pdf": f"{status_text(status)} {verification.error}"})
    if status != Status.VALID and not reason:
        code = (DocumentCode.PDF_UNSIGNED if status == Status.UNSIGNED
                else DocumentCode.SIGNATURE_BROKEN)
        raise DocumentError(code, {"pdf": _(
            "%(verdict)s Register it only if you know why: give the reason to override, "
            "or mark it as a scan of a paper document.") % {"verdict": status_text(status)}})
    return ArrivedPdf(upload=upload, scanned=False, verification=verification,
                      override_reason=reason if status != Status.VALID else "")


def store(document: Document, arrived: ArrivedPdf) -> DocumentFile:
    """Keep the arrived PDF as the document's file (inside the registration's transaction)."""
    kind = DocumentFile.Kind.SCANNED if arrived.scanned else DocumentFile.Kind.ARRIVED
    stored = DocumentFile(document=document, kind=kind, signed=arrived.signed,
                          original_name=arrived.upload.name, scan_dpi=arrived.min_dpi,
                          created_at=document.registered_at or document.created_at)
    stem = search_key(document.notation or f"arrived-{document.number}").replace(" ", "-")
    stored.put(File(arrived.upload.file), content_type="application/pdf", extension="pdf",
               sha256=arrived.upload.sha256, stem=stem[:60] or "document")
    stored.save()
    return stored
