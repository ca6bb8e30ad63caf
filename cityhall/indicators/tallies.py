"""The daily roll-ups: what each counted fact adds, and the one upsert that adds it.

`count_facts` is registered with `core.facts`: the workflow engine tells it every step it
writes (one call per batch: `start_many` for the Open311 queue gives one call), the
reports service a rating, the dossiers service a dossier's components. It turns the facts
into increments per (day, unit, tally) and writes them with ONE statement per batch
(`INSERT ... ON CONFLICT DO UPDATE SET value = value + excluded.value`), in the caller's
transaction: concurrent writers add up on PostgreSQL (the conflicting row is locked and
re-read), and SQLite lets one writer in at a time. `recompute.py` counts the same tallies
from the records, so that `cityhall indicators verify` can compare.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cityhall.core.facts import Fact

REPORT = "reports.report"
DOSSIER = "dossiers.dossier"
DOCUMENT = "documents.document"

#: Every tally, with what one increment means (docs/indicators.md lists them too).
METRICS: dict[str, str | Promise] = {
    "reports.received": _("a request's workflow started at the unit (start step)"),
    "reports.resolved": _("a request was answered (resolve step)"),
    "reports.on_time": _("an answer no later than the request's deadline at that step"),
    "reports.late": _("an answer after the request's deadline"),
    "reports.reopened": _("a reporter reopened an answered request (reopen step)"),
    "reports.rating_sum": _("the rating (1-5) a reporter gave"),
    "reports.rating_count": _("a rating given"),
    "reports.rating_satisfied": _("a rating of 4 or 5"),
    "dossiers.received": _("a dossier received (start step), for its competent unit"),
    "dossiers.online": _("a dossier received online"),
    "dossiers.fully_online_eligible": _("a dossier of a procedure that can be fully online"),
    "dossiers.fully_online": _("a dossier received online for a fully-online procedure"),
    "dossiers.results": _("a dossier's result issued (issue_result step)"),
    "dossiers.on_time": _("a result issued no later than the dossier's deadline"),
    "dossiers.late": _("a result issued after the dossier's deadline"),
    "dossiers.early": _("a result issued on a day before the day of the dossier's deadline "
                        "(counted among the results on time too)"),
    "dossiers.results_electronic": _("a result issued of a procedure with electronic results"),
    "dossiers.components": _("a part of a received dossier"),
    "dossiers.components_by_data": _("a part replaced by data already held"),
    "dossiers.with_data": _("a received dossier with at least one part replaced by data"),
    "dossiers.fully_by_data": _("a received dossier whose every part was replaced by data"),
    "dossiers.components_digitised": _(
        "a dossier's part held electronically (a scan, an upload or data held), on the day "
        "it became so"),
    "dossiers.digitised": _("a dossier whose every part is held electronically, on the day "
                            "its last part became so"),
    "dossiers.with_fee": _("a dossier received with a fee to pay"),
    "dossiers.paid_online": _("a dossier's fee paid through an online payment gateway"),
    "dossiers.rating_sum": _("the rating (1-5) an applicant gave a dossier's service"),
    "dossiers.rating_count": _("a dossier's service rated"),
    "dossiers.rating_satisfied": _("a dossier's service rated 4 or 5"),
    "documents.issued": _("an outgoing document issued (numbered: the issue step)"),
    "documents.issued_signed": _("an outgoing document issued with its digital signatures"),
}

#: The counts made now from the open cases (values.live_by_unit), with what each counts.
LIVE_COUNTS: dict[str, str | Promise] = {
    "reports.open_overdue": _("open requests past their deadline now"),
    "dossiers.open_overdue": _("dossiers in processing past their deadline now"),
    "dossiers.open": _("dossiers in processing now"),
    "dossiers.open_in_time": _("dossiers in processing within their deadline now"),
}

Key = tuple[dt.date, int, str]


def on_time(at: dt.datetime, due_at: dt.datetime | None) -> bool:
    """Whether a step at `at` kept the deadline `due_at` (a case without one is never late)."""
    return due_at is None or at <= due_at


# The rules: what one fact adds, from plain values. The listener below reads them off the
# facts; the bulk generator (`bulk.py`) passes the values it generated. A new tally is a
# new line here (and, if it needs one, a new keyword both callers pass).
Tallies = Iterator[tuple[str, int]]


def report_tallies(kind: str, *, kept: bool = True, rating: int = 0) -> Tallies:
    """What a request's fact `kind` adds: `kept`, an answer's deadline kept; `rating` 1-5."""
    if kind == "start":
        yield "reports.received", 1
    elif kind == "resolve":
        yield "reports.resolved", 1
        yield ("reports.on_time" if kept else "reports.late"), 1
    elif kind == "reopen":
        yield "reports.reopened", 1
    elif kind == "rated":
        yield from _rating("reports", rating)


def early(at: dt.datetime, due_at: dt.datetime | None) -> bool:
    """Whether a step at `at` came on a day (in Vietnam) before the day of `due_at`."""
    return due_at is not None and timezone.localdate(at) < timezone.localdate(due_at)


def dossier_tallies(kind: str, *, online: bool = False, fully: bool = False,
                    fee: bool = False, kept: bool = True, ahead: bool = False,
                    electronic: bool = False, parts: int = 0, by_data: int = 0,
                    digitised: int = 0, dossiers: int = 0, rating: int = 0) -> Tallies:
    """What a dossier's fact `kind` adds: at `start`, received `online`, of a procedure
    that can be `fully` online, with a `fee`; at `issue_result`, the deadline `kept`,
    issued `ahead` (a day before the deadline's day), a procedure with `electronic`
    results; its `components`: `parts` of which `by_data` replaced by data and `digitised`
    held electronically; `digitised` later: `digitised` parts completing `dossiers`."""
    if kind == "start":
        yield "dossiers.received", 1
        if online:
            yield "dossiers.online", 1
        if fully:
            yield "dossiers.fully_online_eligible", 1
        if online and fully:
            yield "dossiers.fully_online", 1
        if fee:
            yield "dossiers.with_fee", 1
    elif kind == "issue_result":
        yield "dossiers.results", 1
        yield ("dossiers.on_time" if kept else "dossiers.late"), 1
        if ahead:
            yield "dossiers.early", 1
        if electronic:
            yield "dossiers.results_electronic", 1
    elif kind == "components":
        yield "dossiers.components", parts
        yield "dossiers.components_by_data", by_data
        if by_data:
            yield "dossiers.with_data", 1
        if parts and by_data == parts:
            yield "dossiers.fully_by_data", 1
        yield "dossiers.components_digitised", digitised
        if parts and digitised == parts:
            yield "dossiers.digitised", 1
    elif kind == "digitised":
        # Parts held on paper at receipt, scanned or supplied later.
        yield "dossiers.components_digitised", digitised
        yield "dossiers.digitised", dossiers
    elif kind == "paid_online":
        yield "dossiers.paid_online", 1
    elif kind == "rated":
        yield from _rating("dossiers", rating)


def _rating(app: str, rating: int) -> Tallies:
    yield f"{app}.rating_sum", rating
    yield f"{app}.rating_count", 1
    if rating >= 4:
        yield f"{app}.rating_satisfied", 1


def _report_metrics(fact: Fact) -> Tallies:
    return report_tallies(fact.kind, kept=on_time(fact.at, fact.due_at), rating=fact.value)


def _dossier_metrics(fact: Fact) -> Tallies:
    from cityhall.dossiers.models import Channel
    from cityhall.procedures.models import OnlineLevel

    dossier = fact.case
    if fact.kind == "start":
        return dossier_tallies("start", online=dossier.channel == Channel.ONLINE,
                               fully=dossier.procedure.online == OnlineLevel.FULLY,
                               fee=dossier.fee_vnd > 0)
    if fact.kind == "issue_result":
        return dossier_tallies("issue_result", kept=on_time(fact.at, fact.due_at),
                               ahead=early(fact.at, fact.due_at),
                               electronic=dossier.procedure.result_electronic)
    if fact.kind == "components":
        counts = dict(fact.extra)
        return dossier_tallies("components", parts=counts.get("components", 0),
                               by_data=counts.get("by_data", 0),
                               digitised=counts.get("digitised", 0))
    if fact.kind == "digitised":
        counts = dict(fact.extra)
        return dossier_tallies("digitised", digitised=counts.get("components", 0),
                               dossiers=counts.get("dossiers", 0))
    return dossier_tallies(fact.kind, rating=fact.value)


def _document_metrics(fact: Fact) -> Iterable[tuple[str, int]]:
    # The engine tells the issue step; the documents service tells "signed" once the
    # issued PDF carries the leader's and the organisation's signatures.
    if fact.kind == "issue":
        yield "documents.issued", 1
    elif fact.kind == "signed":
        yield "documents.issued_signed", 1


_BY_CASE_TYPE = {REPORT: _report_metrics, DOSSIER: _dossier_metrics,
                 DOCUMENT: _document_metrics}


def increments(facts: Sequence[Fact]) -> Counter[Key]:
    """The tallies `facts` add, by (day in Vietnam, unit, tally)."""
    found: Counter[Key] = Counter()
    for fact in facts:
        metrics = _BY_CASE_TYPE.get(fact.case_type)
        if metrics is None or fact.unit_id is None:
            continue
        day = timezone.localdate(fact.at)
        for name, n in metrics(fact):
            if n:
                found[(day, fact.unit_id, name)] += n
    return found


def count_facts(facts: Sequence[Fact]) -> None:
    """Add what `facts` count to the daily roll-ups (the `core.facts` listener)."""
    add(increments(facts))


# Rows per statement: 4 parameters each, under SQLite's 999-parameter floor.
_CHUNK = 240


def add(deltas: Counter[Key]) -> None:
    """Add `deltas` to the roll-ups: one INSERT ... ON CONFLICT statement per 240 rows.

    Rows go in key order, so that two batches lock the rows they share in the same order
    and never wait on each other in a cycle.
    """
    rows = sorted((k, v) for k, v in deltas.items() if v)
    if not rows:
        return
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start:start + _CHUNK]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            params: list[dt.date | int | str] = []
            for (day, unit_id, metric), n in chunk:
                params += [day, unit_id, metric, n]
            cursor.execute(
                "INSERT INTO indicators_dailytally (day, unit_id, metric, value) "  # noqa: S608
                f"VALUES {values} ON CONFLICT (day, unit_id, metric) "
                "DO UPDATE SET value = indicators_dailytally.value + excluded.value",
                params)
