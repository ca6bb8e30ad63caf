"""Report photos on the file layer: checked from their bytes, cleaned within a budget, stored.

A request checks every photo (size, type from the content, pixels from the header, the
virus scanner) before anything is written. It then cleans (decodes, turns upright, shrinks
to `CITYHALL_REPORTS_PHOTO_MAX_SIDE`, re-encodes as a JPEG without metadata) as many as
`CITYHALL_REPORTS_PHOTO_INLINE_BUDGET` allows (pixels decoded plus bytes read, over the
request's photos); the others are stored as received, not shown, and cleaned by
`cityhall worker` (`reports.tasks.clean_report_photo`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files import File
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityhall.core.files import FilePolicy, FileRejected, Upload, check_upload, images
from cityhall.reports.errors import ReportCode
from cityhall.reports.models import Report, ReportPhoto
from cityhall.reports.tasks import clean_report_photo


class PhotoRejected(ValueError):
    """Photos refused; `code` is the reports error code (`photo_type`, `too_many_photos`...)."""

    def __init__(self, code: ReportCode, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def policy() -> FilePolicy:
    """What a report photo may be (the settings are read at each call)."""
    return FilePolicy(
        types=frozenset(images.PILLOW_FORMATS), max_bytes=settings.CITYHALL_REPORTS_PHOTO_MAX_BYTES,
        max_pixels=settings.CITYHALL_REPORTS_PHOTO_MAX_PIXELS,
        accepted=gettext_lazy("a JPEG, PNG or WebP image"), label=gettext_lazy("the photo"),
    )


@dataclass(frozen=True)
class CheckedPhoto:
    """A photo that passed the checks: cleaned already, or (`clean` None) left for the worker."""

    upload: Upload
    clean: images.CleanImage | None

    @property
    def sha256(self) -> str:
        """The SHA-256 of the bytes as received: the same upload sent again has the same."""
        return self.upload.sha256


def _refusal(exc: FileRejected) -> PhotoRejected:
    # FileError.TOO_LARGE is ReportCode.PHOTO_TOO_LARGE, and so on; the PDF checks (pages,
    # encryption) never run on an image policy.
    try:
        code = ReportCode(f"photo_{exc.code}")
    except ValueError:
        code = ReportCode.PHOTO_TYPE
    return PhotoRejected(code, exc.detail)


def check_photos(photos: Sequence[Any]) -> list[CheckedPhoto]:
    """Check uploads (bytes or uploaded files), then clean those the request's budget allows.

    Every photo is checked before any is decoded, so a refusal costs no decoding. Raises
    `PhotoRejected` (the services turn it into a `ReportError` with the same code).
    """
    if len(photos) > settings.CITYHALL_REPORTS_PHOTOS_MAX:
        raise PhotoRejected(ReportCode.TOO_MANY_PHOTOS, _("At most %(n)s photos.") % {
            "n": settings.CITYHALL_REPORTS_PHOTOS_MAX})
    rules = policy()
    uploads = []
    for photo in photos:
        try:
            uploads.append(check_upload(photo, policy=rules))
        except FileRejected as exc:
            raise _refusal(exc) from None
    max_side = settings.CITYHALL_REPORTS_PHOTO_MAX_SIDE
    budget = settings.CITYHALL_REPORTS_PHOTO_INLINE_BUDGET
    checked = []
    for upload in uploads:
        clean = None
        try:
            width, height = images.decoded_size(upload.file, upload.content_type, max_side)
            # The work of cleaning grows with the pixels decoded and the bytes they are
            # decoded from (measured: bench/photos.py, docs/performance.md).
            work = width * height + upload.size
            if work <= budget:
                budget -= work
                clean = images.clean_image(upload.file, upload.content_type, max_side=max_side)
        except Exception:
            raise PhotoRejected(ReportCode.PHOTO_TYPE, _("%(name)s is not %(accepted)s.") % {
                "name": upload.name or rules.label, "accepted": rules.accepted}) from None
        finally:
            upload.file.seek(0)
        checked.append(CheckedPhoto(upload=upload, clean=clean))
    return checked


def store_photos(report: Report, photos: Sequence[CheckedPhoto], kind: str) -> list[ReportPhoto]:
    """Save checked photos of a report (inside the caller's transaction).

    A photo not yet cleaned is stored as received, in the state `pending` (never shown),
    and its cleaning is queued in the same transaction.
    """
    saved = []
    for photo in photos:
        # The client's file name is not kept: like EXIF, it can say who took the photo.
        row = ReportPhoto(report=report, kind=kind, received_sha256=photo.sha256)
        stem = f"{report.code}-{photo.sha256[:12]}"
        if photo.clean is not None:
            row.put(photo.clean.data, content_type=photo.clean.content_type,
                    extension=photo.clean.extension, stem=stem)
            row.width, row.height = photo.clean.width, photo.clean.height
        else:
            upload = photo.upload
            row.put(File(upload.file), content_type=upload.content_type,
                    extension=upload.kind.extension, sha256=upload.sha256, stem=stem)
            row.width, row.height = upload.width, upload.height
            row.state = ReportPhoto.State.PENDING
        row.save()
        if row.state == ReportPhoto.State.PENDING:
            clean_report_photo.enqueue(row.pk)
        saved.append(row)
    return saved
