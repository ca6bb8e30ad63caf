"""Moderation: hide a report from the public pages, or show it again."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.accounts.models import User
from cityhall.core import audit
from cityhall.core.errors import Common
from cityhall.reports import policy
from cityhall.reports.audit_actions import ReportAudit
from cityhall.reports.errors import ReportCode, ReportError
from cityhall.reports.models import Report

#: The longest moderation reason kept in the audit trail.
MAX_REASON = 1000


def _check_moderator(actor: audit.Actor, report: Report) -> User:
    """Only a leader or administrator whose subtree holds the report's unit moderates."""
    if not isinstance(actor, User) or not policy.may_moderate(actor, report.unit):
        raise ReportError(Common.NOT_ALLOWED,
                          _("Only a leader or administrator of the unit may do this."))
    return actor


def _check_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ReportError(Common.REASON_REQUIRED, _("Say why the report is hidden."))
    if len(reason) > MAX_REASON:
        raise ReportError(ReportCode.REASON_TOO_LONG,
                          _("At most %(n)s characters.") % {"n": MAX_REASON})
    return reason


def _set_public(
    *, actor: User, report: Report, public: bool, reason: str, action: ReportAudit,
    now: dt.datetime,
) -> Report:
    with transaction.atomic():
        # A conditional UPDATE: a repeated or concurrent call changes nothing the second time
        # and writes no second audit entry.
        changed = Report.objects.filter(pk=report.pk, is_public=not public).update(
            is_public=public, updated_at=now)
        if changed:
            report.updated_at = now
            audit.record(actor=actor, action=action, obj=report, unit=report.unit,
                         changes={"is_public": [not public, public], "reason": [None, reason]})
    report.is_public = public
    return report


def hide_report(
    *, actor: audit.Actor, report: Report, reason: str, now: dt.datetime | None = None,
) -> Report:
    """Take a report off the public list, map, statistics and Open311; staff still see it."""
    moderator = _check_moderator(actor, report)
    reason = _check_reason(reason, required=True)
    return _set_public(actor=moderator, report=report, public=False, reason=reason,
                       action=ReportAudit.HIDE, now=now or timezone.now())


def publish_report(
    *, actor: audit.Actor, report: Report, reason: str = "", now: dt.datetime | None = None,
) -> Report:
    """Show a hidden report on the public pages again."""
    moderator = _check_moderator(actor, report)
    reason = _check_reason(reason, required=False)
    return _set_public(actor=moderator, report=report, public=True, reason=reason,
                       action=ReportAudit.PUBLISH, now=now or timezone.now())
