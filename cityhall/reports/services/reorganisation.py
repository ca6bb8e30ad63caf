"""Moving open reports when their unit ends (registered with `orgunits.reorganisation`)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.core import audit
from cityhall.core.models import AuditEntry
from cityhall.orgunits.models import Unit
from cityhall.reports.audit_actions import ReportAudit
from cityhall.reports.models import Report


def move_open_reports(
    *, ended: Unit, primary: Unit, effective_on: dt.date, actor: audit.Actor,
) -> int:
    """Give `primary` every report of `ended` not yet closed; state, history and deadlines stay."""
    moving = list(Report.objects.active().filter(unit=ended).only("pk", "code", "unit_id"))
    if not moving:
        return 0
    now = timezone.now()
    Report.objects.filter(pk__in=[r.pk for r in moving]).update(unit=primary, updated_at=now)
    note = _("%(new)s took over from %(old)s on %(day)s.") % {
        "new": primary.name, "old": ended.name, "day": effective_on.isoformat()}
    AuditEntry.objects.bulk_create([
        audit.entry(actor=actor, action=ReportAudit.MOVE_ON_REORGANISATION, obj=report,
                    unit=primary, changes={"unit": [ended.code, primary.code], "note": note})
        for report in moving
    ])
    return len(moving)
