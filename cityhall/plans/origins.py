"""Where a task comes from: a report, a document, a red number, a dossier, or nowhere.

A task keeps its origin's kind, reference, label and address, so that its page, the API and
the export lead back to it. Kinds whose app describes them (`core.origins`: reports for
`request`, documents for `document`, plans itself for `task`, a follow-up) are looked up
for the actor, who must be able to see the origin; the label and address are then the
app's own. Other kinds (`indicator`,
`dossier`) are taken as given, after a check of their shape: a label, and an address on
this site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from cityhall.core import origins
from cityhall.plans.errors import PlanCode, PlanError
from cityhall.plans.models import OriginKind

REF_MAX = 64
LABEL_MAX = 300
URL_MAX = 500


@dataclass(frozen=True)
class Origin:
    """A task's origin: kind, reference (code or id), label, and its page on this site."""

    kind: str
    ref: str = ""
    label: str = ""
    url: str = ""

    @property
    def empty(self) -> bool:
        return self.kind == OriginKind.NONE


NONE = Origin(kind=OriginKind.NONE)


def _refuse(field: str, message: str) -> PlanError:
    return PlanError(PlanCode.INVALID_ORIGIN, {f"origin.{field}": message})


def local_path(url: str) -> bool:
    """Whether `url` is a page of this site: a path (no scheme or host) that resolves."""
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return False
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return False
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return False
    try:
        resolve(parts.path)
    except Resolver404:
        return False
    return True


__all__ = ["NONE", "Origin", "OriginKind", "checked", "describe_task", "local_path", "of_task"]


def describe_task(ref: str, reader: Any) -> origins.Described | None:
    """A task as the origin of a follow-up (`core.origins`): for those who may see it.

    The follow-up's suggested unit is the task's lead unit: a late task is followed up
    where it is late.
    """
    from cityhall.plans.models import Task

    if not ref.isdigit() or len(ref) > 18:
        return None
    task = (Task.objects.visible_to(reader).select_related("lead_unit")
            .filter(pk=int(ref)).first())
    if task is None:
        return None
    return origins.Described(
        label=_("Task: %(title)s") % {"title": task.title},
        url=reverse("plans:task", args=[task.pk]),
        title=_("Follow up: %(title)s") % {"title": task.title},
        unit_code=task.lead_unit.code if task.lead_unit_id else "")


def checked(origin: Origin | None, reader: Any) -> Origin:
    """The origin made sure of for `reader` (who gives the task); PlanError when it is not.

    A described kind is looked up (unknown or hidden: `unknown_origin`, 404-like but 400, as
    the task is refused) and takes the app's label and address; another kind keeps its
    own, checked.
    """
    if origin is None or origin.kind in ("", OriginKind.NONE):
        return NONE
    if origin.kind not in OriginKind.values:
        raise _refuse("kind", _("Unknown kind of origin: %(kind)s.") % {"kind": origin.kind[:40]})
    ref = origin.ref.strip()
    if not ref or len(ref) > REF_MAX or any(ord(c) < 32 for c in ref):
        raise _refuse("ref", _("Name the origin by its code or id (at most %(n)d characters).")
                      % {"n": REF_MAX})
    if origins.describable(origin.kind):
        found = origins.describe(origin.kind, ref, reader)
        if found is None:
            raise PlanError(PlanCode.UNKNOWN_ORIGIN,
                            _("No such %(kind)s that you may see: %(ref)s.")
                            % {"kind": OriginKind(origin.kind).label, "ref": ref})
        return Origin(kind=origin.kind, ref=ref, label=found.label[:LABEL_MAX],
                      url=found.url[:URL_MAX])
    label = " ".join(origin.label.split())
    if not label or len(label) > LABEL_MAX:
        raise _refuse("label", _("Say what the origin is (at most %(n)d characters).")
                      % {"n": LABEL_MAX})
    url = origin.url.strip()
    if url and (len(url) > URL_MAX or not local_path(url)):
        raise _refuse("url", _("The origin's address is a page of this site (a path)."))
    return Origin(kind=origin.kind, ref=ref, label=label, url=url)


def of_task(task: Any) -> Origin | None:
    """The origin a task remembers, or None."""
    if task.origin_kind in ("", OriginKind.NONE):
        return None
    return Origin(kind=task.origin_kind, ref=task.origin_ref, label=task.origin_label,
                  url=task.origin_url)
