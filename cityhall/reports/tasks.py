"""Queued work of the reports app, run by `cityhall worker` through django-tasks."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django_tasks import task

from cityhall.core import audit
from cityhall.core.audit import SYSTEM
from cityhall.core.files import images
from cityhall.reports.audit_actions import ReportAudit
from cityhall.reports.models import ReportPhoto

logger = logging.getLogger(__name__)


@task()
def clean_report_photo(photo_id: int) -> str:
    """Clean a photo the request left as received; it is shown from then on.

    Returns the photo's state after: `ready`, `failed` (it did not decode: never shown,
    the original deleted), or `gone` (deleted, or cleaned already).
    """
    photo = ReportPhoto.everything.filter(
        pk=photo_id, state=ReportPhoto.State.PENDING).select_related("report").first()
    if photo is None:
        return "gone"
    received = photo.file.name or ""
    storage = photo.file.storage
    try:
        with photo.file.open("rb") as raw:
            clean = images.clean_image(raw, photo.content_type,
                                       max_side=settings.CITYHALL_REPORTS_PHOTO_MAX_SIDE)
    except Exception:
        logger.warning("report photo %s did not decode", photo_id, exc_info=True)
        with transaction.atomic():
            if ReportPhoto.everything.filter(pk=photo_id, state=ReportPhoto.State.PENDING
                                             ).update(state=ReportPhoto.State.FAILED):
                audit.record(actor=SYSTEM, action=ReportAudit.PHOTO_FAILED, obj=photo.report,
                             unit=photo.report.unit, changes={"photo": photo_id})
                transaction.on_commit(lambda: storage.delete(received))
        return "failed"
    with transaction.atomic():
        locked = ReportPhoto.everything.select_for_update().filter(
            pk=photo_id, state=ReportPhoto.State.PENDING).first()
        if locked is None:
            return "gone"
        locked.put(clean.data, content_type=clean.content_type, extension=clean.extension,
                   stem=f"{photo.report.code}-{photo.received_sha256[:12]}")
        locked.width, locked.height = clean.width, clean.height
        locked.state = ReportPhoto.State.READY
        locked.save()
        # The original, EXIF and all, goes once the clean copy is committed.
        transaction.on_commit(lambda: storage.delete(received))
    return "ready"
