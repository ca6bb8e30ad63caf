"""Photos the reporter adds to a report shortly after filing it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.accounts.models import User
from cityhall.core import audit
from cityhall.core.errors import Common
from cityhall.reports.audit_actions import ReportAudit
from cityhall.reports.errors import ReportCode, ReportError
from cityhall.reports.models import Report, ReportPhoto
from cityhall.reports.services.handling import REPORTER_LINK
from cityhall.reports.services.intake import clean_photos, store_photos
from cityhall.reports.states import OPEN_STATES


def _check(report: Report, actor: audit.Actor, private_token: str, now: dt.datetime) -> None:
    if not report.followed_by(actor, private_token):
        raise ReportError(ReportCode.NOT_REPORTER, _("Only the reporter may do this."))
    minutes = settings.CITYHALL_REPORTS_PHOTO_WINDOW_MINUTES
    if now > report.created_at + dt.timedelta(minutes=minutes):
        raise ReportError(ReportCode.PHOTO_WINDOW_PASSED, _(
            "Photos can be added within %(n)s minutes of filing.") % {"n": minutes})
    if report.state not in OPEN_STATES:
        raise ReportError(Common.INVALID_STATE,
                          _("Photos can be added only while the report is open."))


def add_report_photos(
    *, actor: audit.Actor, report: Report, photos: Sequence[Any], private_token: str = "",
    now: dt.datetime | None = None,
) -> tuple[list[ReportPhoto], int]:
    """The reporter adds photos within the window, checked as `submit_report` checks them.

    Returns the report's photos ready to be shown (those left to the worker appear once
    cleaned) and how many were added; a photo the report already has (the same bytes sent
    again) is not stored twice. Refusals leave an audit entry only.
    """
    now = now or timezone.now()
    who = actor if isinstance(actor, User) else REPORTER_LINK
    try:
        _check(report, actor, private_token, now)
        if not photos:
            raise ReportError(ReportCode.PHOTOS_REQUIRED, _("Attach at least one photo."))
        cleaned = clean_photos(list(photos))
        with transaction.atomic():
            # Lock the report so that two uploads at once cannot pass the limit together.
            Report.objects.select_for_update().filter(pk=report.pk).values_list("pk").get()
            # Photos still being cleaned count too: they will be shown.
            existing = list(ReportPhoto.everything.filter(
                report=report, kind=ReportPhoto.Kind.REPORT).exclude(
                state=ReportPhoto.State.FAILED).order_by("pk"))
            known = {p.received_sha256 for p in existing}
            fresh = []
            for photo in cleaned:
                if photo.sha256 not in known:
                    known.add(photo.sha256)
                    fresh.append(photo)
            if len(existing) + len(fresh) > settings.CITYHALL_REPORTS_PHOTOS_MAX:
                raise ReportError(ReportCode.TOO_MANY_PHOTOS, _("At most %(n)s photos.") % {
                    "n": settings.CITYHALL_REPORTS_PHOTOS_MAX})
            if not fresh:
                return _shown(existing), 0
            saved = store_photos(report, fresh, ReportPhoto.Kind.REPORT)
            report.updated_at = now
            Report.objects.filter(pk=report.pk).update(updated_at=now)
            audit.record(actor=who, action=ReportAudit.ADD_PHOTOS, obj=report, unit=report.unit,
                         changes={"photos": [len(existing), len(existing) + len(saved)]})
    except ReportError as exc:
        audit.record(actor=who, action=ReportAudit.ADD_PHOTOS_REFUSED, obj=report,
                     unit=report.unit, changes={"code": exc.code})
        raise
    return _shown([*existing, *saved]), len(saved)


def _shown(photos: list[ReportPhoto]) -> list[ReportPhoto]:
    return [p for p in photos if p.state == ReportPhoto.State.READY]
