"""The indicators' JSON API: the catalogue, values per unit and period (scoped), the records
behind a value, and the Decision 766 index."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from pydantic import Field, StringConstraints

from cityhall.accounts.api_auth import AUTH, auth_user
from cityhall.core.api import NO_NUL, ErrorOut, text
from cityhall.core.errors import Common
from cityhall.indicators import records, scope, values
from cityhall.indicators.dashboard import uses_live
from cityhall.indicators.errors import IndicatorError
from cityhall.indicators.models import Indicator, Source

router = Router(tags=["indicators"])
index_router = Router(tags=["indicators"])

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                          422: ErrorOut}
CODE = Path(..., max_length=64, pattern=NO_NUL, description="The indicator's code.")
#: A day as the query writes it (empty: the default).
DATE = r"^([1-9][0-9]{3}-[0-9]{2}-[0-9]{2})?$"
#: A month or a quarter (empty: the current month).
PERIOD = r"^([1-9][0-9]{3}-(Q[1-4]|0[1-9]|1[0-2]))?$"
#: At most this many records in one answer (page on with `offset`).
RECORDS_LIMIT = 500


class IndicatorOut(Schema):
    """One indicator of the catalogue."""

    code: str
    group: str
    name_vi: str
    name_en: str
    unit: str
    direction: Literal["higher", "lower", "neutral"]
    source: Literal["computed", "reported"]
    frequency: str
    formula_vi: str
    formula_en: str
    compute: dict[str, Any]
    reporters: list[str]


class ValueOut(Schema):
    """The value of one day, month or quarter (`start`), with its formula's inputs."""

    start: dt.date
    value: float | None
    inputs: dict[str, int]


class ValuesOut(Schema):
    """An indicator's values for a unit (and the units below it) over a period."""

    indicator: str
    unit: str
    unit_name: str
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    grain: str
    formula: str
    total: ValueOut
    values: list[ValueOut]


class RecordOut(Schema):
    code: str
    at: dt.datetime | None
    unit: str


class RecordsOut(Schema):
    """The records behind a value: `count` in all, the page from `offset`."""

    indicator: str
    tally: str
    count: int
    records: list[RecordOut]


class ScoredItemOut(Schema):
    code: str
    name: str
    points: float | None
    max: float
    target: float
    rate: float | None
    held: bool
    formula: str
    inputs: dict[str, int]


class ScoredGroupOut(Schema):
    code: str
    name: str
    points: float
    max: float
    items: list[ScoredItemOut]


class Index766Out(Schema):
    unit: str
    unit_name: str
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    points: float
    measured_max: float
    groups: list[ScoredGroupOut]


class ValuesQuery(Schema):
    unit: Annotated[str, text(32)] = Field("", description="A unit's code; default: the "
                                           "highest unit in your scope (the city for its "
                                           "leadership).")
    start: Annotated[str, StringConstraints(max_length=10, pattern=DATE)] = Field(
        "", alias="from", description="YYYY-MM-DD; default: 30 days before `to`.")
    end: Annotated[str, StringConstraints(max_length=10, pattern=DATE)] = Field(
        "", alias="to", description="YYYY-MM-DD; default: today.")


class SeriesQuery(ValuesQuery):
    grain: Literal["day", "month", "quarter"] = "day"


class RecordsQuery(ValuesQuery):
    tally: Annotated[str, text(48)] = Field(
        "", description="Which input of the formula (default: the first).")
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get("", response={200: list[IndicatorOut]})
def catalogue(request: HttpRequest) -> list[Indicator]:
    """The indicator catalogue: what each measures, how, which way is better (public)."""
    return values.catalogue()


def _unit_and_period(request: HttpRequest, query: ValuesQuery) -> tuple[Any, values.Period]:
    unit = scope.unit_for(auth_user(request), query.unit or None)
    return unit, values.period_of(query.start or None, query.end or None)


@router.get("/{code}/values", response={200: ValuesOut, **ERRORS}, auth=AUTH, by_alias=True)
def indicator_values(request: HttpRequest, code: str = CODE,
                     query: Query[SeriesQuery] = ...) -> dict[str, Any]:  # type: ignore[assignment]
    """The indicator's value for the unit and the units below it, in total and per day,
    month or quarter; live indicators (counted now) have their total only."""
    indicator = values.indicator(code)
    unit, period = _unit_and_period(request, query)
    root = None if unit.parent_id is None else unit
    counts = values.total(values.tallies_by_unit(period, root))
    if uses_live(indicator):
        counts.update(values.total(values.live_by_unit(root)))
    whole = values.figure(indicator, counts)
    steps = [] if indicator.source != Source.COMPUTED or uses_live(indicator) else \
        values.series(indicator, period, root, query.grain)
    return {
        "indicator": indicator.code, "unit": unit.code, "unit_name": unit.name,
        "from": period.first, "to": period.last, "grain": query.grain,
        "formula": indicator.formula,
        "total": {"start": period.first, "value": whole.value, "inputs": whole.inputs},
        "values": [{"start": d, "value": f.value, "inputs": f.inputs} for d, f in steps],
    }


@router.get("/{code}/records", response={200: RecordsOut, **ERRORS}, auth=AUTH)
def indicator_records(request: HttpRequest, code: str = CODE,
                      query: Query[RecordsQuery] = ...) -> dict[str, Any]:  # type: ignore[assignment]
    """The records behind the indicator's value (one input of its formula), newest first."""
    indicator = values.indicator(code)
    terms = [t.removeprefix("live.") for t in values.figure(
        indicator, Counter()).inputs] if indicator.compute else []
    tally = query.tally or (terms[0] if terms else "")
    if tally not in terms:
        raise IndicatorError(Common.NOT_FOUND,
                             _("This indicator has no such input."))
    user = auth_user(request)
    unit, period = _unit_and_period(request, query)
    rows = records.records(user, tally, unit, period).select_related("unit")
    return {
        "indicator": indicator.code, "tally": tally, "count": rows.count(),
        "records": [{"code": r.code, "at": r.counted_at, "unit": r.unit.code}
                    for r in rows[query.offset:query.offset + RECORDS_LIMIT]],
    }


class IndexQuery(Schema):
    unit: Annotated[str, text(32)] = ""
    # The pattern admits no NUL either (what `text` checks otherwise).
    period: Annotated[str, StringConstraints(max_length=7, pattern=PERIOD)] = Field(
        "",
        description="YYYY-Qn or YYYY-MM; default: the current month.")


@index_router.get("", response={200: Index766Out, **ERRORS}, auth=AUTH, by_alias=True)
def index766(request: HttpRequest,
             query: Query[IndexQuery] = ...) -> dict[str, Any]:  # type: ignore[assignment]
    """The Decision 766 index for a unit and a month or quarter: the six groups with their
    points, maxima, rates and "no data" (`held` false, no points) where the system holds none."""
    unit = scope.unit_for(auth_user(request), query.unit or None)
    today = timezone.localdate()
    period = values.quarter_or_month(query.period or today.strftime("%Y-%m"))
    root = None if unit.parent_id is None else unit
    counts = values.total(values.merge(values.tallies_by_unit(period, root),
                                       values.live_by_unit(root)))
    groups = values.score766(counts)
    return {
        "unit": unit.code, "unit_name": unit.name, "from": period.first, "to": period.last,
        "points": round(sum(g.points for g in groups), 2),
        "measured_max": sum(g.measured_max for g in groups),
        "groups": [{"code": g.group.code, "name": g.group.name, "points": g.points,
                    "max": g.group.max, "items": [
                        {"code": i.item.code, "name": i.item.name, "points": i.points,
                         "max": i.item.points, "target": i.item.target, "rate": i.rate,
                         "held": i.held, "formula": i.formula, "inputs": i.inputs}
                        for i in g.items]} for g in groups],
    }
