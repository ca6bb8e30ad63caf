"""Dossier component files on the file layer: checked from their bytes, stored once.

Every file of a submission is checked (size, type from the content, pages or pixels, the
virus scanner) before anything is written; then each distinct content is stored once (two
components given the same bytes share one `DossierFile`). A new dossier's bytes are written
before its transaction (`write_files`) and only their rows inside it (`save_files`), so the
transaction holds its locks while it writes rows, not files. Bytes whose rows never commit
are deleted by the worker's orphan sweep (`core.files.orphans`), which covers every
`StoredFile` model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.files import File
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityhall.core.files import FilePolicy, FileRejected, Upload, check_upload
from cityhall.dossiers.errors import DossierCode, DossierError
from cityhall.dossiers.models import Dossier, DossierFile

#: What a component's file may be: a scan (PDF) or a photo of the paper (JPEG, PNG).
TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


def policy() -> FilePolicy:
    """What a component file may be (the settings are read at each call)."""
    return FilePolicy(
        types=TYPES, max_bytes=settings.CITYHALL_DOSSIERS_FILE_MAX_BYTES,
        accepted=gettext_lazy("a PDF document, a JPEG or a PNG image"),
        label=gettext_lazy("the file"))


def check_files(files: Sequence[Any]) -> list[Upload]:
    """Check every file (bytes or uploaded files); `DossierError` with the first refusal.

    The code is the file layer's, prefixed (`file_type`, `file_too_large`, ...); a PDF that
    does not parse is `file_type` ("... is not a PDF document, a JPEG or a PNG image").
    """
    if len(files) > settings.CITYHALL_DOSSIERS_FILES_MAX:
        raise DossierError(DossierCode.TOO_MANY_FILES, _("At most %(n)s files.") % {
            "n": settings.CITYHALL_DOSSIERS_FILES_MAX})
    rules = policy()
    checked = []
    for file in files:
        try:
            checked.append(check_upload(file, policy=rules))
        except FileRejected as exc:
            raise DossierError(DossierCode(f"file_{exc.code}"), exc.detail) from None
    return checked


def write_files(uploads: Sequence[Upload]) -> list[DossierFile]:
    """Write the checked uploads' bytes to storage, each content once; the rows, not saved
    and without their dossier, in the order of `uploads` (the same row for the same bytes).

    The stored name is ours, from the content's digest (the dossier's code is not known
    yet: it is taken last in the submission's transaction).
    """
    by_digest: dict[str, DossierFile] = {}
    rows = []
    for upload in uploads:
        row = by_digest.get(upload.sha256)
        if row is None:
            row = DossierFile(original_name=upload.name)
            row.put(File(upload.file), content_type=upload.content_type,
                    extension=upload.kind.extension, sha256=upload.sha256)
            by_digest[upload.sha256] = row
        rows.append(row)
    return rows


def save_files(dossier: Dossier, rows: Sequence[DossierFile]) -> None:
    """Save the rows `write_files` made for a new dossier (one INSERT, in its transaction)."""
    distinct = list({id(row): row for row in rows}.values())
    for row in distinct:
        row.dossier = dossier
    DossierFile.objects.bulk_create(distinct)


def store_files(dossier: Dossier, uploads: Sequence[Upload]) -> list[DossierFile]:
    """Store the checked uploads of a dossier, each content once (inside the caller's
    transaction); the rows in the order of `uploads` (the same row for the same bytes)."""
    by_digest: dict[str, DossierFile] = {
        f.sha256: f for f in DossierFile.objects.filter(
            dossier=dossier, sha256__in={u.sha256 for u in uploads})}
    rows = []
    for upload in uploads:
        row = by_digest.get(upload.sha256)
        if row is None:
            row = DossierFile(dossier=dossier, original_name=upload.name)
            # The stored name is ours: the dossier's code and the content's digest.
            row.put(File(upload.file), content_type=upload.content_type,
                    extension=upload.kind.extension, sha256=upload.sha256,
                    stem=f"{dossier.code}-{upload.sha256[:12]}")
            row.save()
            by_digest[upload.sha256] = row
        rows.append(row)
    return rows
