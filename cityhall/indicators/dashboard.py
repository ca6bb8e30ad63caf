"""One dashboard view: a unit's figures for a period, compared, split into its units, ranked,
scored on Decision 766, with a trend. The page, its XLSX export and the API read it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from cityhall.core.errors import Common
from cityhall.indicators import reporting, values
from cityhall.indicators.errors import IndicatorError
from cityhall.indicators.models import Direction, Indicator, Source
from cityhall.indicators.reporting import ReportedFigure
from cityhall.indicators.tallies import LIVE_COUNTS, METRICS
from cityhall.indicators.values import Figure, Period, Ranked, ScoredGroup
from cityhall.orgunits.models import Unit

#: The columns of the units table (and the export's).
COLUMNS = ("requests.received", "requests.on_time_rate", "requests.late",
           "requests.open_overdue", "dossiers.received", "dossiers.on_time_rate",
           "dossiers.open_overdue")
#: The indicators the trend chart draws.
TREND = ("requests.received", "requests.resolved", "requests.on_time_rate",
         "dossiers.received", "dossiers.on_time_rate")
DEFAULT_RANK = "requests.on_time_rate"
#: How many units the best and the worst lists show.
RANKED = 5


def uses_live(indicator: Indicator) -> bool:
    """Whether the indicator counts open cases now (no value for a past period then)."""
    return any(t.startswith("live.") or "live" in (indicator.compute or {})
               for t in _flat(indicator.compute or {}))


def _flat(rule: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for value in rule.values():
        if isinstance(value, str):
            found.append(value)
        else:
            for term in value:
                found.extend([term] if isinstance(term, str) else term)
    return found


@dataclass(frozen=True)
class Row:
    """One indicator on the dashboard: now, the previous period, a year before."""

    indicator: Indicator
    figure: Figure
    previous: Figure
    last_year: Figure
    #: For a reported indicator: the period shown, the target, how many units reported.
    reported: ReportedFigure | None = None

    @property
    def compare(self) -> tuple[float | None, float | None]:
        """(now, previous period): what the change is written from."""
        return self.figure.value, self.previous.value

    @property
    def inputs(self) -> list[tuple[str, str, int]]:
        """The formula's inputs: (tally or live count, what it counts, its value)."""
        words = {**METRICS, **LIVE_COUNTS}
        return [(name.removeprefix("live."), str(words.get(name.removeprefix("live."), name)), n)
                for name, n in self.figure.inputs.items()]

    @property
    def target(self) -> float | None:
        """What a reported value is held against for its period (scaled as the value)."""
        if self.reported is None or self.reported.threshold is None:
            return None
        return self.reported.threshold * scale(self.indicator)

    @property
    def trend_word(self) -> str:
        """better, worse, same or "" (no comparison, or a volume): against the target when
        there is one, else against the previous period."""
        now, before = self.figure.value, self.previous.value
        if self.target is not None:
            before = self.target
        if now is None or before is None or self.indicator.direction == Direction.NEUTRAL:
            return ""
        if now == before:
            return "same"
        return "better" if values.better(self.indicator, now, before) else "worse"

    @property
    def red(self) -> bool:
        """Whether the number is worse than its target or the previous period (shown red,
        with "assign now")."""
        return self.trend_word == "worse"


def scale(indicator: Indicator) -> float:
    """What a reported value is multiplied by to read as the figures do (percents as
    fractions, as the computed rates are)."""
    return 0.01 if indicator.unit == "percent" else 1.0


def _scaled(indicator: Indicator, value: float | None) -> Figure:
    return Figure(None if value is None else value * scale(indicator))


@dataclass(frozen=True)
class Dashboard:
    unit: Unit
    period: Period
    rows: list[Row]
    children: list[Unit]
    per_child: dict[int, Counter[str]]
    #: Each unit below's tallies over the previous period (the units table's red cells).
    per_child_before: dict[int, Counter[str]]
    columns: list[Indicator]
    rank_by: Indicator
    ranking: list[Ranked]
    score: list[ScoredGroup]
    trend: dict[str, Any]
    trend_indicators: list[Indicator]

    @property
    def best(self) -> list[Ranked]:
        return self.ranking[:RANKED]

    @property
    def worst(self) -> list[Ranked]:
        return list(reversed(self.ranking[-RANKED:])) if len(self.ranking) > RANKED else []

    @property
    def red_rows(self) -> list[Row]:
        """The numbers worse than their target or the previous period."""
        return [r for r in self.rows if r.red]

    @property
    def score_points(self) -> float:
        return round(sum(g.points for g in self.score), 2)

    @property
    def score_measured(self) -> float:
        return sum(g.measured_max for g in self.score)

    def table(self) -> list[tuple[Unit, list[tuple[Indicator, Figure]]]]:
        """The units below, each with the figures of `columns`."""
        return [(c, [(i, self.child_figure(c, i)) for i in self.columns]) for c in self.children]

    def child_figure(self, unit: Unit, indicator: Indicator) -> Figure:
        return values.figure(indicator, self.per_child.get(unit.pk, Counter()))


def build(unit: Unit, period: Period, rank: str | None = None) -> Dashboard:
    """Everything the dashboard shows for `unit` (and its subtree) over `period`."""
    with values.rollup_reads():
        return _build(unit, period, rank)


def _build(unit: Unit, period: Period, rank: str | None) -> Dashboard:
    root = None if unit.parent_id is None else unit
    live = values.live_by_unit(root)
    grain = values.buckets(period)
    in_period, per_bucket = values.tallies_by_unit_and_bucket(period, root, grain)
    per_unit = values.merge(in_period, live)
    now = values.total(per_unit)
    # Per unit: the total compares the whole, the units below their own red cells.
    before_by_unit = values.tallies_by_unit(period.previous(), root)
    before = values.total(before_by_unit)
    # A year's view: the year before is also the same days a year earlier (unless a
    # 29 February moves them a day), read once.
    last_year = period.last_year()
    year = before if last_year == period.previous() else values.tallies(last_year, root)
    catalogue = values.catalogue()
    if not catalogue:
        # A database migrated but never given its catalogue (`make run` loads it).
        raise IndicatorError(Common.NOT_FOUND, _(
            "The indicator catalogue is not loaded: run `cityhall load_indicators`."))
    rows = []
    reported = reporting.reported_figures(catalogue, unit, period.last)
    for ind in catalogue:
        if ind.code in reported:
            got = reported[ind.code]
            rows.append(Row(ind, _scaled(ind, got.value), _scaled(ind, got.previous),
                            _scaled(ind, got.last_year), got))
            continue
        past = ind.source == Source.COMPUTED and not uses_live(ind)
        rows.append(Row(ind, values.figure(ind, now),
                        values.figure(ind, before) if past else Figure(None),
                        values.figure(ind, year) if past else Figure(None)))
    children = values.children_of(unit)
    per_child = values.roll_up(per_unit, unit, children)
    per_child_before = values.roll_up(before_by_unit, unit, children)
    by_code = {i.code: i for i in catalogue}
    rank_by = by_code.get(rank or "") or by_code.get(DEFAULT_RANK) or catalogue[0]
    if rank_by.direction == Direction.NEUTRAL or rank_by.source != Source.COMPUTED:
        rank_by = by_code.get(DEFAULT_RANK, rank_by)
    trend_indicators = [by_code[c] for c in TREND if c in by_code]
    return Dashboard(
        unit=unit, period=period, rows=rows, children=children, per_child=per_child,
        per_child_before=per_child_before,
        columns=[by_code[c] for c in COLUMNS if c in by_code], rank_by=rank_by,
        ranking=values.ranking(rank_by, per_child, children), score=values.score766(now),
        trend=values.trend(trend_indicators, period, root, grain, per_bucket),
        trend_indicators=trend_indicators)
