"""The dashboard's map of the units below the one shown, coloured by an indicator, and the
red cells of its units table.

The map joins each unit's value with its boundary: the page carries the values (they are
the reader's, for the period), the boundaries come in one cached layer
(`orgunits.maps.children_layer`). A unit without a boundary on record is listed beside the
map with its value, never drawn as a shape of ours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from cityhall.indicators import values
from cityhall.indicators.dashboard import Dashboard, uses_live
from cityhall.indicators.models import Direction, Indicator, Source
from cityhall.indicators.templatetags.indicators_web import shown
from cityhall.orgunits.maps import AREA_KINDS
from cityhall.orgunits.models import Unit

#: At most this many classes (quantiles of the units' values).
CLASSES = 5
#: Worse to better: the house red to green, through amber (ColorBrewer's RdYlGn, darkened
#: at both ends so a thin border reads on white).
WORSE_TO_BETTER = ("#a4161a", "#e0703a", "#e9c04a", "#8dbd68", "#2b7a3b")
#: For a volume (neither better nor worse): light to dark blue, fewer to more.
FEWER_TO_MORE = ("#dbe7f3", "#a7c4e2", "#6b9bcc", "#3a6fa8", "#1d4a7c")
#: A unit the map draws with no value for the indicator.
NO_VALUE = "#eef0f2"
#: The unit shown, drawn alone when none of the units below has a boundary (one unit has
#: no class: its figure is in its tooltip and beside the map).
OWN = "#c9d6e3"
#: Between the two ends of a band (an en dash, spaced).
EN_DASH = " \u2013 "


@dataclass(frozen=True)
class Band:
    """One class of the legend: the lowest and highest value in it, and its colour."""

    low: float
    high: float
    colour: str
    label: str


@dataclass(frozen=True)
class Place:
    """One unit on (or beside) the map, with its value for the indicator."""

    unit: Unit
    value: float | None
    text: str
    colour: str
    bounded: bool
    url: str


@dataclass(frozen=True)
class UnitMap:
    """What the dashboard's map panel shows for one indicator."""

    indicator: Indicator
    own: Place
    places: list[Place]
    bands: list[Band]
    #: Units below that are not areas (departments, agencies, divisions).
    not_areas: int

    @property
    def bounded(self) -> list[Place]:
        return [p for p in self.places if p.bounded]

    @property
    def unbounded(self) -> list[Place]:
        """Units that are areas but have no boundary on record."""
        return [p for p in self.places if not p.bounded]

    @property
    def has_missing(self) -> bool:
        """Whether a unit drawn has no value (the legend then says what its colour means)."""
        return any(p.value is None for p in self.bounded)

    @property
    def drawable(self) -> bool:
        """Whether anything can be drawn: a unit below, or the unit shown, has a boundary."""
        return bool(self.bounded) or self.own.bounded

    @property
    def worse_first(self) -> bool:
        """Whether the legend reads from worse to better (else from fewer to more)."""
        return self.indicator.direction != Direction.NEUTRAL

    @property
    def legend(self) -> list[Band]:
        """The bands worse first (or fewer first, for a volume)."""
        if self.indicator.direction == Direction.LOWER:
            return list(reversed(self.bands))
        return self.bands

    def data(self) -> dict[str, Any]:
        """What the map's script needs, keyed by unit code (the layer's feature ids)."""
        return {
            "indicator": self.indicator.name,
            "own": {"code": self.own.unit.code, "name": self.own.unit.name,
                    "text": self.own.text},
            "units": {p.unit.code: {"name": p.unit.name, "text": p.text, "colour": p.colour,
                                    "url": p.url} for p in self.bounded},
            "noValue": NO_VALUE, "ownColour": OWN,
        }


def choices(catalogue: Sequence[Indicator]) -> list[Indicator]:
    """The indicators a map may be coloured by: the computed ones of a period (a count now
    has no value for a past period, but the open cases now are a fair map)."""
    return [i for i in catalogue if i.source == Source.COMPUTED]


def chosen(board: Dashboard, code: str | None) -> Indicator:
    """The indicator the map is coloured by: `code` if it is a choice, else the ranking's."""
    by_code = {r.indicator.code: r.indicator for r in board.rows}
    found = by_code.get(code or "")
    if found is not None and found.source == Source.COMPUTED:
        return found
    return board.rank_by


def _palette(indicator: Indicator, classes: int) -> list[str]:
    """`classes` colours from the lowest values' class to the highest's."""
    if indicator.direction == Direction.NEUTRAL:
        scale = list(FEWER_TO_MORE)
    elif indicator.direction == Direction.LOWER:
        scale = list(reversed(WORSE_TO_BETTER))
    else:
        scale = list(WORSE_TO_BETTER)
    if classes == 1:
        return [scale[len(scale) // 2]]
    return [scale[round(i * (len(scale) - 1) / (classes - 1))] for i in range(classes)]


def bands(indicator: Indicator, found: Sequence[float]) -> list[Band]:
    """Quantile classes of the values, lowest first: about as many units in each, equal
    values in one class, never an empty class. Each band spans the values actually in it,
    so the legend never names a value no unit has."""
    if not found:
        return []
    distinct = sorted(Counter(found).items())
    classes = min(CLASSES, len(distinct))
    groups: list[list[float]] = [[]]
    seen = 0
    for index, (value, count) in enumerate(distinct):
        groups[-1].append(value)
        seen += count
        values_left, classes_left = len(distinct) - index - 1, classes - len(groups)
        if classes_left and (seen >= len(groups) * len(found) / classes
                             or values_left == classes_left):
            groups.append([])
    result = []
    for colour, group in zip(_palette(indicator, classes), groups, strict=True):
        low, high = group[0], group[-1]
        label = shown(low, indicator.unit) if low == high else \
            f"{shown(low, indicator.unit)}{EN_DASH}{shown(high, indicator.unit)}"
        result.append(Band(low, high, colour, label))
    return result


def colour_of(value: float | None, found: Sequence[Band]) -> str:
    """The colour of the band that holds `value` (NO_VALUE for none)."""
    if value is None:
        return NO_VALUE
    for band in found:
        if band.low <= value <= band.high:
            return band.colour
    return NO_VALUE


def dashboard_link(unit: Unit, board: Dashboard, indicator: Indicator) -> str:
    """The unit's own dashboard for the same period, its map by the same indicator."""
    return reverse("indicators:dashboard") + "?" + urlencode({
        "unit": unit.code, "from": board.period.first.isoformat(),
        "to": board.period.last.isoformat(), "rank": board.rank_by.code,
        "map": indicator.code})


def unit_map(board: Dashboard, indicator: Indicator) -> UnitMap:
    """The units below the one shown that are areas, each with its value and colour."""
    areas = [c for c in board.children if c.kind in AREA_KINDS]
    figures = {c.pk: board.child_figure(c, indicator).value for c in areas}
    found = bands(indicator, [v for v in figures.values() if v is not None])
    places = [Place(unit=c, value=figures[c.pk], text=shown(figures[c.pk], indicator.unit),
                    colour=colour_of(figures[c.pk], found), bounded=c.bbox_west is not None,
                    url=dashboard_link(c, board, indicator)) for c in areas]
    own_value = next((r.figure.value for r in board.rows if r.indicator.code == indicator.code),
                     None)
    own = Place(unit=board.unit, value=own_value, text=shown(own_value, indicator.unit),
                colour=NO_VALUE, bounded=board.unit.bbox_west is not None,
                url=dashboard_link(board.unit, board, indicator))
    return UnitMap(indicator=indicator, own=own, places=places, bands=found,
                   not_areas=len(board.children) - len(areas))


# The units table's red cells ------------------------------------------------------------

def is_red(indicator: Indicator, now: float | None, before: float | None) -> bool:
    """Whether a unit's value is worse than its own previous period: red on its own
    dashboard, and so in the units table (a volume, a count made now, or a missing value
    is never red)."""
    if (now is None or before is None or indicator.direction == Direction.NEUTRAL
            or indicator.source != Source.COMPUTED or uses_live(indicator)):
        return False
    return now != before and not values.better(indicator, now, before)


@dataclass(frozen=True)
class Cell:
    """One figure of the units table: its value, whether it is red, and where to assign."""

    indicator: Indicator
    figure: values.Figure
    red: bool
    assign: bool


def table(board: Dashboard, may_assign: Any) -> list[tuple[Unit, list[Cell]]]:
    """The units table with each cell's red mark; `may_assign(unit)` says whether the reader
    may give that unit a task (a leader of it or above)."""
    before = board.per_child_before
    rows = []
    for child, cells in board.table():
        past = before.get(child.pk, Counter())
        steer = None
        marked = []
        for indicator, fig in cells:
            red = is_red(indicator, fig.value, values.figure(indicator, past).value)
            if red and steer is None:
                steer = bool(may_assign(child))
            marked.append(Cell(indicator, fig, red, red and bool(steer)))
        rows.append((child, marked))
    return rows
