"""Where a notice about a report leads its reader (registered with `notifications.links`),
and how a report describes itself as the origin of a task (`core.origins`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from cityhall.core.origins import Described
from cityhall.reports.models import Report


def notice_links(reader: Any, ids: list[int]) -> Mapping[int, str]:
    """Staff go to the report's handling page; its reporter to its follow page (two queries)."""
    staff = dict(Report.objects.visible_to(reader).filter(pk__in=ids).values_list("pk", "code"))
    found = {pk: reverse("reports:staff_report", args=[code]) for pk, code in staff.items()}
    rest = [i for i in ids if i not in found]
    if rest and getattr(reader, "is_authenticated", False):
        for pk, code in Report.objects.filter(pk__in=rest, reporter=reader).values_list(
                "pk", "code"):
            found[pk] = reverse("reports:report_follow", args=[code])
    return found


def describe_origin(code: str, reader: Any) -> Described | None:
    """A report as the origin of a task (`core.origins`): for the staff who may see it."""
    report = (Report.objects.visible_to(reader).select_related("category", "unit")
              .with_code(code[:32]).first())
    if report is None:
        return None
    what = report.category.name
    return Described(
        label=_("Report %(code)s: %(what)s") % {"code": report.code, "what": what},
        url=reverse("reports:staff_report", args=[report.code]),
        title=_("Follow up report %(code)s: %(what)s") % {"code": report.code, "what": what},
        unit_code=report.unit.code)
