"""What the reports app adds to notices: the private follow link, filled in at delivery.

Messages to a reporter without an account carry `[[secret:report_follow_link]]`; the
outbox keeps only that marker, and the link with its private token is rebuilt (from the
report's salt and the secret key) just before the message is handed to e-mail or SMS,
so the raw token is never stored.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from cityhall.reports.models import Report
from cityhall.reports.services.intake import private_token_of

SUBJECT_PREFIX = "reports.report:"


def follow_link(subject_ref: str) -> str | None:
    """The private follow link of the report a message is about, or None."""
    if not subject_ref.startswith(SUBJECT_PREFIX):
        return None
    pk = subject_ref.removeprefix(SUBJECT_PREFIX)
    report = Report.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if report is None:
        return None
    try:
        path = reverse("reports:report_follow", args=[report.code])
    except NoReverseMatch:
        return None
    return f"{settings.CITYHALL_SITE_URL}{path}?{urlencode({'t': private_token_of(report)})}"
