"""The daily roll-ups counted again from the records: what `verify` compares and `rebuild` writes.

Each tally of `tallies.METRICS` is counted here from the rows that hold the facts: the
workflow's step log (`Transition`: the step, its time, its unit and the case deadline at
that step), the reports (ratings) and the dossiers (channel, procedure, parts). The rules
are those of `tallies.py`, written as queries: a day is Vietnam's date of the step.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from cityhall.documents.models import Document, DocumentFile
from cityhall.dossiers.models import Channel, Dossier, DossierComponent
from cityhall.indicators.tallies import DOCUMENT, DOSSIER, REPORT, Key
from cityhall.procedures.models import OnlineLevel
from cityhall.reports.models import Report
from cityhall.workflow.models import Transition


def bounds(first: dt.date | None, last: dt.date | None) -> Q:
    """The moments of Vietnam's days `first` to `last` (inclusive) as a filter on `at`."""
    return moments("at", first, last)


def moments(field: str, first: dt.date | None, last: dt.date | None) -> Q:
    """A filter on `field` for the moments of days `first` to `last`, either end open."""
    tz = timezone.get_default_timezone()
    condition = Q()
    if first is not None:
        condition &= Q(**{f"{field}__gte": dt.datetime.combine(first, dt.time(), tz)})
    if last is not None:
        condition &= Q(**{f"{field}__lt": dt.datetime.combine(
            last + dt.timedelta(days=1), dt.time(), tz)})
    return condition


def _day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


_ON_TIME = Q(due_at__isnull=True) | Q(at__lte=F("due_at"))


def _steps(case_type: str, model: type[Report] | type[Dossier] | type[Document],
           actions: list[str],
           first: dt.date | None, last: dt.date | None) -> Any:
    # Any: the annotations (d, u) are what the callers group by; the plugin cannot follow.
    # Steps written before a step kept its unit count for the case's unit now.
    unit = Coalesce("unit_id", Subquery(model.objects.filter(pk=OuterRef("case_id"))
                                        .values("unit_id")[:1]), output_field=IntegerField())
    return (Transition.objects.filter(bounds(first, last), case_type=case_type,
                                      action__in=actions)
            .order_by().annotate(d=_day("at"), u=unit))


def recompute(first: dt.date | None = None, last: dt.date | None = None) -> Counter[Key]:
    """Every tally of the days `first` to `last` (either end open), from the records."""
    found: Counter[Key] = Counter()

    def put(day: dt.date, unit_id: int, metric: str, n: int | None) -> None:
        if n:
            found[(day, unit_id, metric)] += n

    for row in _steps(REPORT, Report, ["start", "resolve", "reopen"], first, last).values(
            "d", "u", "action").annotate(n=Count("pk"), kept=Count("pk", filter=_ON_TIME)):
        action = row["action"]
        if action == "start":
            put(row["d"], row["u"], "reports.received", row["n"])
        elif action == "reopen":
            put(row["d"], row["u"], "reports.reopened", row["n"])
        else:
            put(row["d"], row["u"], "reports.resolved", row["n"])
            put(row["d"], row["u"], "reports.on_time", row["kept"])
            put(row["d"], row["u"], "reports.late", row["n"] - row["kept"])

    for row in (Report.objects.filter(moments("rated_at", first, last), rating__isnull=False)
                .order_by().annotate(d=_day("rated_at")).values("d", "unit_id")
                .annotate(s=Sum("rating"), n=Count("pk"),
                          happy=Count("pk", filter=Q(rating__gte=4)))):
        put(row["d"], row["unit_id"], "reports.rating_sum", row["s"])
        put(row["d"], row["unit_id"], "reports.rating_count", row["n"])
        put(row["d"], row["unit_id"], "reports.rating_satisfied", row["happy"])

    # A dossier is received at its workflow's start (the same moment, `received_at`), for
    # the unit that held it then, which its start step records: a transfer moves the
    # dossier to another unit later, but not its receipt.
    received_by = Coalesce(Subquery(
        Transition.objects.filter(case_type=DOSSIER, case_id=OuterRef("pk"), action="start")
        .order_by("pk").values("unit_id")[:1]), "unit_id", output_field=IntegerField())
    online = Q(channel=Channel.ONLINE)
    fully = Q(procedure__online=OnlineLevel.FULLY)
    # The parts as received (kept on the dossier at receipt): a supplement later adds a part
    # or replaces a file by data, which the roll-ups, told at receipt, do not count.
    with_data = Q(by_data_at_receipt__gt=0)
    all_by_data = Q(components_at_receipt__gt=0,
                    by_data_at_receipt=F("components_at_receipt"))
    for row in (Dossier.objects.filter(moments("received_at", first, last),
                                       workflow__isnull=False)
                .order_by().annotate(d=_day("received_at"), unit_id_then=received_by)
                .values("d", "unit_id_then")
                .annotate(n=Count("pk"), online=Count("pk", filter=online),
                          eligible=Count("pk", filter=fully),
                          fully=Count("pk", filter=online & fully),
                          with_fee=Count("pk", filter=Q(fee_vnd__gt=0)),
                          parts=Sum("components_at_receipt"),
                          by_data=Sum("by_data_at_receipt"),
                          with_data=Count("pk", filter=with_data),
                          all_by_data=Count("pk", filter=all_by_data))):
        put(row["d"], row["unit_id_then"], "dossiers.received", row["n"])
        put(row["d"], row["unit_id_then"], "dossiers.online", row["online"])
        put(row["d"], row["unit_id_then"], "dossiers.fully_online_eligible", row["eligible"])
        put(row["d"], row["unit_id_then"], "dossiers.fully_online", row["fully"])
        put(row["d"], row["unit_id_then"], "dossiers.with_fee", row["with_fee"])
        put(row["d"], row["unit_id_then"], "dossiers.components", row["parts"])
        put(row["d"], row["unit_id_then"], "dossiers.components_by_data", row["by_data"])
        put(row["d"], row["unit_id_then"], "dossiers.with_data", row["with_data"])
        put(row["d"], row["unit_id_then"], "dossiers.fully_by_data", row["all_by_data"])

    # Paid online: `paid_at` is written only by a gateway's paid callback, once; counted on
    # the day paid, where the dossier was received.
    for row in (Dossier.objects.filter(moments("paid_at", first, last), paid_at__isnull=False,
                                       workflow__isnull=False)
                .order_by().annotate(d=_day("paid_at"), unit_id_then=received_by)
                .values("d", "unit_id_then").annotate(n=Count("pk"))):
        put(row["d"], row["unit_id_then"], "dossiers.paid_online", row["n"])

    # Digitised: a part on the day it was first held electronically; a dossier on the day
    # every part first was (`Dossier.digitised_at`: a part added later does not move it).
    part_received_by = Coalesce(Subquery(
        Transition.objects.filter(case_type=DOSSIER, case_id=OuterRef("dossier_id"),
                                  action="start").order_by("pk").values("unit_id")[:1]),
        "dossier__unit_id", output_field=IntegerField())
    for row in (DossierComponent.objects.filter(moments("digitised_at", first, last),
                                                digitised_at__isnull=False,
                                                dossier__workflow__isnull=False)
                .order_by().annotate(d=_day("digitised_at"), unit_id_then=part_received_by)
                .values("d", "unit_id_then").annotate(n=Count("pk"))):
        put(row["d"], row["unit_id_then"], "dossiers.components_digitised", row["n"])
    for row in (Dossier.objects.filter(moments("digitised_at", first, last),
                                       digitised_at__isnull=False, workflow__isnull=False)
                .order_by().annotate(d=_day("digitised_at"), unit_id_then=received_by)
                .values("d", "unit_id_then").annotate(n=Count("pk"))):
        put(row["d"], row["unit_id_then"], "dossiers.digitised", row["n"])

    electronic = Exists(Dossier.objects.filter(pk=OuterRef("case_id"),
                                               procedure__result_electronic=True))
    # Early: on a day before the day of the deadline (Vietnam's days, as `tallies.early`).
    for row in (_steps(DOSSIER, Dossier, ["issue_result"], first, last)
                .annotate(e=electronic, due_day=_day("due_at")).values("d", "u", "e")
                .annotate(n=Count("pk"), kept=Count("pk", filter=_ON_TIME),
                          early=Count("pk", filter=Q(due_day__gt=F("d"))))):
        put(row["d"], row["u"], "dossiers.results", row["n"])
        put(row["d"], row["u"], "dossiers.on_time", row["kept"])
        put(row["d"], row["u"], "dossiers.late", row["n"] - row["kept"])
        put(row["d"], row["u"], "dossiers.early", row["early"])
        if row["e"]:
            put(row["d"], row["u"], "dossiers.results_electronic", row["n"])

    for row in (Dossier.objects.filter(moments("rated_at", first, last), rating__isnull=False)
                .order_by().annotate(d=_day("rated_at")).values("d", "unit_id")
                .annotate(s=Sum("rating"), n=Count("pk"),
                          happy=Count("pk", filter=Q(rating__gte=4)))):
        put(row["d"], row["unit_id"], "dossiers.rating_sum", row["s"])
        put(row["d"], row["unit_id"], "dossiers.rating_count", row["n"])
        put(row["d"], row["unit_id"], "dossiers.rating_satisfied", row["happy"])
    # Outgoing documents: issued at the issue step; signed when the file kept as issued
    # (made in the same transaction, at the same moment) carries the signatures.
    for row in (_steps(DOCUMENT, Document, ["issue"], first, last)
                .values("d", "u").annotate(n=Count("pk"))):
        put(row["d"], row["u"], "documents.issued", row["n"])
    for row in (DocumentFile.objects.filter(moments("created_at", first, last),
                                            kind=DocumentFile.Kind.ISSUED, signed=True)
                .order_by().annotate(d=_day("created_at")).values("d", "document__unit_id")
                .annotate(n=Count("pk"))):
        put(row["d"], row["document__unit_id"], "documents.issued_signed", row["n"])
    return found
