"""Checking and rebuilding the daily roll-ups against the records."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q

from cityhall.core import audit
from cityhall.indicators.audit_actions import IndicatorAudit
from cityhall.indicators.models import DailyTally
from cityhall.indicators.recompute import recompute
from cityhall.indicators.tallies import METRICS, Key


def _period(first: dt.date | None, last: dt.date | None) -> Q:
    condition = Q()
    if first is not None:
        condition &= Q(day__gte=first)
    if last is not None:
        condition &= Q(day__lte=last)
    return condition


def stored(first: dt.date | None = None, last: dt.date | None = None) -> Counter[Key]:
    """The roll-ups as stored, for the days `first` to `last`."""
    found: Counter[Key] = Counter()
    for day, unit_id, metric, value in DailyTally.objects.filter(
            _period(first, last)).values_list("day", "unit_id", "metric", "value").iterator(
            chunk_size=5000):
        if value:
            found[(day, unit_id, metric)] = value
    return found


@dataclass(frozen=True)
class Difference:
    """One (day, unit, tally) whose stored value is not what the records count."""

    day: dt.date
    unit_id: int
    metric: str
    stored: int
    counted: int


@dataclass
class Verification:
    """What `verify` found: the differences, and how many rows it compared per tally."""

    differences: list[Difference] = field(default_factory=list)
    compared: Counter[str] = field(default_factory=Counter)

    def by_metric(self) -> dict[str, int]:
        """The number of differences per tally, every tally named (zeros too)."""
        counts = Counter(d.metric for d in self.differences)
        return {m: counts.get(m, 0) for m in METRICS}

    @property
    def ok(self) -> bool:
        return not self.differences


def verify(first: dt.date | None = None, last: dt.date | None = None) -> Verification:
    """Count every tally of the period again from the records and compare with the roll-ups.

    Both reads run in one transaction, so that on PostgreSQL (REPEATABLE READ is not the
    default) a change committed between them could still differ: run it on a quiet
    database, or read the differences twice.
    """
    with transaction.atomic():
        have = stored(first, last)
        want = recompute(first, last)
    result = Verification()
    for key in sorted(set(have) | set(want)):
        result.compared[key[2]] += 1
        if have.get(key, 0) != want.get(key, 0):
            result.differences.append(Difference(key[0], key[1], key[2], have.get(key, 0),
                                                 want.get(key, 0)))
    return result


_CHUNK = 2000


def rebuild(*, actor: audit.Actor, first: dt.date | None = None,
            last: dt.date | None = None) -> int:
    """Replace the roll-ups of the period by the records' count; the number of rows written.

    On PostgreSQL the table is locked first (EXCLUSIVE: readers go on, writers wait), so a
    change made meanwhile waits and then adds to the rebuilt rows, never to deleted ones;
    its records are counted only once it commits, after the rebuild: nothing twice.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE indicators_dailytally IN EXCLUSIVE MODE")
        counted = recompute(first, last)
        DailyTally.objects.filter(_period(first, last)).delete()
        rows = [DailyTally(day=d, unit_id=u, metric=m, value=v)
                for (d, u, m), v in sorted(counted.items()) if v]
        DailyTally.objects.bulk_create(rows, batch_size=_CHUNK)
        audit.record(actor=actor, action=IndicatorAudit.REBUILD, changes={
            "period": [None, [first.isoformat() if first else None,
                              last.isoformat() if last else None]],
            "rows": [None, len(rows)]})
    return len(rows)
