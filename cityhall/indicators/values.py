"""Figures from the daily roll-ups: per unit (rolled up the unit tree) and period, the
indicators' values with their formula's inputs, comparisons, rankings, trends and the
Decision 766 score. Reads thousands of roll-up rows, never the millions of records (the
`live` counts read the open cases only)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.core.errors import Common
from cityhall.dossiers.models import Dossier
from cityhall.indicators.catalogue import Group, Item, index766
from cityhall.indicators.errors import IndicatorCode, IndicatorError
from cityhall.indicators.models import DailyTally, Direction, Indicator, Source
from cityhall.orgunits.models import Unit
from cityhall.reports.models import Report
from cityhall.reports.states import OPEN_STATES

#: The longest period asked for at once (a day grain over it stays a few thousand points).
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """Vietnam's days `first` to `last`, both included."""

    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        last = self.first - dt.timedelta(days=1)
        return Period(last - dt.timedelta(days=self.days - 1), last)

    def last_year(self) -> Period:
        """The same days a year earlier (29 February becomes the 28th)."""
        def back(day: dt.date) -> dt.date:
            try:
                return day.replace(year=day.year - 1)
            except ValueError:
                return day.replace(year=day.year - 1, day=28)
        return Period(back(self.first), back(self.last))


def period_of(first: str | dt.date | None, last: str | dt.date | None, *,
              default_days: int = 30) -> Period:
    """The period asked for; by default the last `default_days` days up to today.

    IndicatorError `invalid_period` for dates that are not ISO dates or run backwards,
    `period_too_long` past `MAX_DAYS`.
    """
    def read(value: str | dt.date | None) -> dt.date | None:
        if value is None or value == "":
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise IndicatorError(IndicatorCode.INVALID_PERIOD,
                                 _("Dates are written YYYY-MM-DD.")) from None
    end = read(last) or timezone.localdate()
    start = read(first) or end - dt.timedelta(days=default_days - 1)
    if start > end:
        raise IndicatorError(IndicatorCode.INVALID_PERIOD,
                             _("The start of the period must not be after its end."))
    period = Period(start, end)
    if period.days > MAX_DAYS:
        raise IndicatorError(IndicatorCode.PERIOD_TOO_LONG,
                             _("At most %(n)s days at once.") % {"n": MAX_DAYS})
    return period


def quarter_or_month(text: str) -> Period:
    """`YYYY-Qn` or `YYYY-MM` as a period; IndicatorError `invalid_period` otherwise."""
    try:
        year_text, rest = text.strip().upper().split("-")
        year = int(year_text)
        if rest.startswith("Q"):
            quarter = int(rest[1:])
            if not 1 <= quarter <= 4:
                raise ValueError(text)
            first = dt.date(year, 3 * quarter - 2, 1)
            months = 3
        else:
            first = dt.date(year, int(rest), 1)
            months = 1
    except ValueError:
        raise IndicatorError(IndicatorCode.INVALID_PERIOD,
                             _("A period is written YYYY-Qn or YYYY-MM.")) from None
    month = first.month - 1 + months
    after = dt.date(first.year + month // 12, month % 12 + 1, 1)
    return Period(first, after - dt.timedelta(days=1))


# Tallies ------------------------------------------------------------------------------

#: The memory PostgreSQL may give one grouping of the roll-up reads (`rollup_reads`).
ROLLUP_WORK_MEM = "32MB"


@contextmanager
def rollup_reads() -> Iterator[None]:
    """Run the roll-up reads inside with the planner settings they need (PostgreSQL).

    A period's roll-ups group into a few thousand sums (units x tallies, days x tallies),
    but the planner estimates the groups from the whole table's statistics: with years of
    history it expects tens of thousands, finds the hash table too big for the default
    `work_mem` (4 MB) and sorts instead, spilling to disk; its cost then also passes
    `jit_above_cost`, and compiling the query costs more than running it. Measured on 15
    years of roll-ups (18.4 M rows): the period's read 146 ms -> 39 ms (as with one year),
    a period's totals 55 ms -> 25 ms. `SET LOCAL`: the settings end with the transaction
    (the one opened here, or the caller's).
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{ROLLUP_WORK_MEM}'")
        cursor.execute("SET LOCAL jit = off")
        yield


def _in_subtree(root: Unit | None) -> Q:
    # The subtree's ids, not a join on the units' paths: a ward's rows are then read by
    # the (unit, day) index, not picked out of the whole city's rows of the period.
    units = subtree_ids(root)
    return Q() if units is None else Q(unit_id__in=units)


def tallies_by_unit(period: Period, root: Unit | None) -> dict[int, Counter[str]]:
    """The sum of every tally over `period`, per unit of `root`'s subtree (None: all)."""
    found: dict[int, Counter[str]] = {}
    rows = (DailyTally.objects.filter(_in_subtree(root), day__gte=period.first,
                                      day__lte=period.last)
            .order_by().values_list("unit_id", "metric").annotate(n=Sum("value")))
    for unit_id, metric, n in rows:
        found.setdefault(unit_id, Counter())[metric] += n
    return found


def tallies_by_unit_and_bucket(period: Period, root: Unit | None, grain: str) -> tuple[
        dict[int, Counter[str]], dict[dt.date, Counter[str]]]:
    """`tallies_by_unit` and `per_bucket` of the same period at once.

    On PostgreSQL one pass over the period's roll-up rows gives both sums (GROUPING SETS:
    by unit and tally, by day and tally), where two queries would read the rows twice;
    elsewhere the two queries.
    """
    if connection.vendor != "postgresql":
        return tallies_by_unit(period, root), per_bucket(period, root, grain)
    units = subtree_ids(root)
    where = "" if units is None else " AND unit_id = ANY(%s)"
    params: list[Any] = [period.first, period.last] + ([units] if units is not None else [])
    by_unit: dict[int, Counter[str]] = {}
    by_bucket: dict[dt.date, Counter[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unit_id, day, metric, SUM(value)::bigint FROM indicators_dailytally "  # noqa: S608
            f"WHERE day >= %s AND day <= %s{where} "
            "GROUP BY GROUPING SETS ((unit_id, metric), (day, metric))", params)
        for unit_id, day, metric, n in cursor.fetchall():
            if unit_id is not None:
                by_unit.setdefault(unit_id, Counter())[metric] += n
            else:
                by_bucket.setdefault(_bucket(day, grain), Counter())[metric] += n
    return by_unit, by_bucket


def tallies(period: Period, root: Unit | None) -> Counter[str]:
    """The sum of every tally over `period` for `root`'s whole subtree (None: everything)."""
    rows = (DailyTally.objects.filter(_in_subtree(root), day__gte=period.first,
                                      day__lte=period.last)
            .order_by().values_list("metric").annotate(n=Sum("value")))
    return Counter(dict(rows))


def subtree_ids(root: Unit | None) -> list[int] | None:
    """The ids of `root` and every unit below it (None for the city: every unit)."""
    if root is None or root.parent_id is None:
        return None
    return list(Unit.objects.filter(path__startswith=root.path).values_list("pk", flat=True))


def live_by_unit(root: Unit | None, now: dt.datetime | None = None) -> dict[int, Counter[str]]:
    """The counts made now from the open cases, per unit (catalogue.LIVE names them).

    Both read a partial index that holds the open cases only (`report_open_due`,
    `dossier_running_unit_due`: unit and deadline), so they cost what is open now, never the
    history: an index-only scan of the open requests past their deadline, and of the
    dossiers in processing.
    """
    now = now or timezone.now()
    found: dict[int, Counter[str]] = {}
    mine = _in_subtree(root)
    # COUNT(*), not COUNT(id): the id is not in the index, the scan stays index-only.
    for row in (Report.objects.filter(mine, state__in=OPEN_STATES, due_at__lt=now)
                .order_by().values("unit_id").annotate(n=Count("*"))):
        found.setdefault(row["unit_id"], Counter())["reports.open_overdue"] += row["n"]
    running = Q(closed_at__isnull=True, clock_paused_at__isnull=True)
    for row in (Dossier.objects.filter(mine, running).order_by().values("unit_id")
                .annotate(n=Count("*"), late=Count("due_at", filter=Q(due_at__lt=now)))):
        counts = found.setdefault(row["unit_id"], Counter())
        counts["dossiers.open"] += row["n"]
        counts["dossiers.open_overdue"] += row["late"]
        counts["dossiers.open_in_time"] += row["n"] - row["late"]
    return found


def merge(*parts: dict[int, Counter[str]]) -> dict[int, Counter[str]]:
    """The per-unit counts of `parts` added together."""
    found: dict[int, Counter[str]] = {}
    for part in parts:
        for unit_id, counts in part.items():
            found.setdefault(unit_id, Counter()).update(counts)
    return found


def total(per_unit: dict[int, Counter[str]]) -> Counter[str]:
    """Everything of `per_unit` added up."""
    return merge({0: Counter()}, *({0: c} for c in per_unit.values()))[0]


def children_of(root: Unit) -> list[Unit]:
    """The units directly under `root` (in service today), which its figures are split into."""
    # Without the boundaries: 180 polygons read and parsed would take longer than the rest.
    return list(Unit.objects.active_on().filter(parent=root).defer("boundary").order_by("name"))


def roll_up(per_unit: dict[int, Counter[str]], root: Unit,
            children: Sequence[Unit]) -> dict[int, Counter[str]]:
    """`per_unit` added up into `children` of `root`, each with its whole subtree.

    Figures of `root` itself, or of units below it that no child covers (ended units with
    history), are not given to any child: they show in the root's total only.
    """
    by_code = {c.code: c.pk for c in children}
    paths = dict(Unit.objects.filter(pk__in=list(per_unit)).values_list("pk", "path"))
    found: dict[int, Counter[str]] = {c.pk: Counter() for c in children}
    for unit_id, counts in per_unit.items():
        path = paths.get(unit_id, "")
        if not path.startswith(root.path) or path == root.path:
            continue
        child = by_code.get(path[len(root.path):].split("/", 1)[0])
        if child is not None:
            found[child].update(counts)
    return found


# Values -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """An indicator's value (None: no data) and the inputs its formula took."""

    value: float | None
    inputs: dict[str, int] = field(default_factory=dict)


def _terms(term: str | list[str]) -> list[str]:
    return [term] if isinstance(term, str) else list(term)


def _count(counts: Counter[str], term: str) -> int:
    return counts.get(term.removeprefix("live."), 0)


def figure(indicator: Indicator, counts: Counter[str]) -> Figure:
    """The value of `indicator` from the period's tallies and the live counts in `counts`."""
    rule = indicator.compute or {}
    if indicator.source != Source.COMPUTED or not rule:
        return Figure(None)
    kind, how = next(iter(rule.items()))
    if kind in ("sum", "live"):
        n = _count(counts, how)
        return Figure(float(n), {how: n})
    top, bottom = (_terms(t) for t in how)
    inputs = {t: _count(counts, t) for t in [*top, *bottom]}
    num = sum(_count(counts, t) for t in top)
    den = sum(_count(counts, t) for t in bottom)
    return Figure(num / den if den else None, inputs)


def catalogue(codes: Iterable[str] | None = None) -> list[Indicator]:
    """The indicators in catalogue order (those of `codes`, when given)."""
    qs: QuerySet[Indicator] = Indicator.objects.all()
    if codes is not None:
        qs = qs.filter(code__in=list(codes))
    return list(qs)


def indicator(code: str) -> Indicator:
    """The indicator with this code; IndicatorError `not_found` if none."""
    found = Indicator.objects.filter(code=code[:64]).first()
    if found is None:
        raise IndicatorError(Common.NOT_FOUND, _("No such indicator."))
    return found


def better(indicator: Indicator, a: float, b: float) -> bool:
    """Whether value `a` is better than `b` for this indicator."""
    return a < b if indicator.direction == Direction.LOWER else a > b


@dataclass(frozen=True)
class Ranked:
    unit: Unit
    figure: Figure


def ranking(indicator: Indicator, per_child: dict[int, Counter[str]],
            children: Sequence[Unit]) -> list[Ranked]:
    """The children with a value for `indicator`, best first (by name among equals)."""
    ranked = [Ranked(c, figure(indicator, per_child.get(c.pk, Counter()))) for c in children]
    ranked = [r for r in ranked if r.figure.value is not None]
    sign = 1 if indicator.direction == Direction.LOWER else -1
    return sorted(ranked, key=lambda r: (sign * (r.figure.value or 0.0), r.unit.name))


# Trends -----------------------------------------------------------------------------

def buckets(period: Period) -> str:
    """The grain of a trend over `period`: days up to two months, else months."""
    return "day" if period.days <= 62 else "month"


def per_bucket(period: Period, root: Unit | None, grain: str) -> dict[dt.date, Counter[str]]:
    """The tallies of `period` summed per day, month or quarter (`grain`) of `root`'s subtree."""
    found: dict[dt.date, Counter[str]] = {}
    rows = (DailyTally.objects.filter(_in_subtree(root), day__gte=period.first,
                                      day__lte=period.last)
            .order_by().values("day", "metric").annotate(n=Sum("value")))
    for row in rows:
        found.setdefault(_bucket(row["day"], grain), Counter())[row["metric"]] += row["n"]
    return found


def series(indicator: Indicator, period: Period, root: Unit | None,
           grain: str) -> list[tuple[dt.date, Figure]]:
    """The indicator's figure for each day, month or quarter of `period` (its first day)."""
    counts = per_bucket(period, root, grain)
    return [(d, figure(indicator, counts.get(d, Counter()))) for d in _labels(period, grain)]


def trend(indicators: Sequence[Indicator], period: Period, root: Unit | None,
          grain: str | None = None,
          counts: dict[dt.date, Counter[str]] | None = None) -> dict[str, Any]:
    """Each indicator's value per day or month of `period` (live ones left out); `counts`:
    the period's `per_bucket` at that grain, when the caller has it already."""
    grain = grain or buckets(period)
    if counts is None:
        counts = per_bucket(period, root, grain)
    labels = _labels(period, grain)
    return {"grain": grain, "labels": [d.isoformat() for d in labels], "series": {
        i.code: [figure(i, counts.get(d, Counter())).value for d in labels]
        for i in indicators if "live" not in (i.compute or {})}}


def _bucket(day: dt.date, grain: str) -> dt.date:
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day


def _labels(period: Period, grain: str) -> list[dt.date]:
    found: list[dt.date] = []
    day = period.first
    while day <= period.last:
        bucket = _bucket(day, grain)
        if not found or found[-1] != bucket:
            found.append(bucket)
        day += dt.timedelta(days=1)
    return found


# Decision 766 -------------------------------------------------------------------------

@dataclass(frozen=True)
class Scored:
    """One 766 indicator for a unit and period: its rate and points, or no data."""

    item: Item
    rate: float | None
    points: float | None
    held: bool  # whether the system holds the data at all
    formula: str
    inputs: dict[str, int]


@dataclass(frozen=True)
class ScoredGroup:
    group: Group
    items: list[Scored]

    @property
    def points(self) -> float:
        return round(sum(i.points or 0.0 for i in self.items), 2)

    @property
    def measured_max(self) -> float:
        """The points of the indicators that have a value (the rest earn none: no data)."""
        return sum(i.item.points for i in self.items if i.points is not None)


def score766(counts: Counter[str]) -> list[ScoredGroup]:
    """The six groups scored from the period's tallies and the live counts in `counts`.

    A rate R at or above its target earns the full points, otherwise R * points / target;
    an indicator the system holds no data for, or with nothing to count in the period,
    earns nothing and says so.
    """
    by_code = {i.code: i for i in Indicator.objects.filter(
        code__in=[it.rate for g in index766() for it in g.items if it.rate])}
    groups = []
    for group in index766():
        items = []
        for item in group.items:
            source = by_code.get(item.rate or "")
            if source is None:
                items.append(Scored(item, None, None, False, "", {}))
                continue
            fig = figure(source, counts)
            points = None if fig.value is None else round(
                min(fig.value / item.target, 1.0) * item.points, 2)
            items.append(Scored(item, fig.value, points, True, source.formula, fig.inputs))
        groups.append(ScoredGroup(group, items))
    return groups
