"""The audit actions of `reports`: each written once, here."""

from __future__ import annotations

from cityhall.core.audit import AuditAction


class ReportAudit(AuditAction):
    """Reports."""

    SUBMIT = "reports.submit"
    SUBMIT_REFUSED = "reports.submit_refused"
    ADD_PHOTOS = "reports.add_photos"
    ADD_PHOTOS_REFUSED = "reports.add_photos_refused"
    PHOTO_FAILED = "reports.photo_failed"
    RATE = "reports.rate"
    CLAIM = "reports.claim"
    RESOLVE = "reports.resolve"
    REJECT = "reports.reject"
    TRANSFER = "reports.transfer"
    MERGE = "reports.merge"
    HIDE = "reports.hide"
    PUBLISH = "reports.publish"
    MOVE_ON_REORGANISATION = "reports.move_on_reorganisation"
    CATEGORY_CREATE = "reports.category_create"
    CATEGORY_UPDATE = "reports.category_update"
