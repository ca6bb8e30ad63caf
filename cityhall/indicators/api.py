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
from cityhall.accounts.scope import scope_of
from cityhall.core.api import MAX_PAGE, NO_NUL, DbId, ErrorOut, Input, text
from cityhall.core.errors import Common
from cityhall.indicators import records, reporting, scope, values
from cityhall.indicators.dashboard import scale, uses_live
from cityhall.indicators.errors import IndicatorError
from cityhall.indicators.models import Channel, Indicator, ReportedValue, Source
from cityhall.orgunits.models import Unit

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
    if indicator.source == Source.REPORTED:
        return _reported_values(indicator, unit, period, query.grain)
    root = None if unit.parent_id is None else unit
    with values.rollup_reads():
        counts = values.total(values.tallies_by_unit(period, root))
        if uses_live(indicator):
            counts.update(values.total(values.live_by_unit(root)))
        steps = [] if indicator.source != Source.COMPUTED or uses_live(indicator) else \
            values.series(indicator, period, root, query.grain)
    whole = values.figure(indicator, counts)
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
    with values.rollup_reads():
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


def _reported_values(indicator: Indicator, unit: Unit, period: values.Period,
                     grain: str) -> dict[str, Any]:
    """A reported indicator's approved values for the unit's subtree: one per reported
    period starting in the range (the grain is the indicator's frequency), and the latest
    as of the range's end as the total; `inputs` says how many units reported it."""
    k = scale(indicator)
    latest = reporting.reported_figures([indicator], unit, period.last)[indicator.code]
    steps = reporting.approved_series(indicator, unit, period.first, period.last)
    return {
        "indicator": indicator.code, "unit": unit.code, "unit_name": unit.name,
        "from": period.first, "to": period.last, "grain": grain, "formula": indicator.formula,
        "total": {"start": latest.period.first if latest.period else period.first,
                  "value": None if latest.value is None else latest.value * k,
                  "inputs": {"units": latest.units}},
        "values": [{"start": span.first, "value": None if v is None else v * k,
                    "inputs": {"units": n}} for span, v, n in steps],
    }


# Reported indicators ------------------------------------------------------------------

#: A reported value's period as written (the indicator's frequency decides which).
REPORT_PERIOD = r"^[0-9]{4}(-(Q[1-4]|0[1-9]|1[0-2]))?$"
#: The magnitude a value stays below (what the column holds).
VALUE_LIMIT = 1e15


class ReportIn(Input):
    """A reporting unit's value for a period: it waits for its leaders' approval."""

    unit: Annotated[str, text(32, blank=False)] = Field(description="The reporting unit's code.")
    period: Annotated[str, StringConstraints(max_length=7, pattern=REPORT_PERIOD)] = Field(
        description="YYYY-MM (monthly), YYYY-Qn (quarterly) or YYYY (yearly), as the "
                    "indicator's frequency says.")
    value: float = Field(gt=-VALUE_LIMIT, lt=VALUE_LIMIT,
                         description="As written by the unit; percentages in percent.")
    note: Annotated[str, text(500)] = ""


class ReturnIn(Input):
    reason: Annotated[str, text(500, blank=False)]


class TargetIn(Input):
    """A unit's target for a year."""

    unit: Annotated[str, text(32, blank=False)]
    year: int = Field(ge=2000, le=2100)
    value: float = Field(gt=-VALUE_LIMIT, lt=VALUE_LIMIT)


class TargetOut(Schema):
    indicator: str
    unit: str
    year: int
    value: float


class ReportOut(Schema):
    """One version of a unit's reported value, with who submitted and decided it when."""

    id: int
    indicator: str
    unit_code: str
    period: str
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    version: int
    value: float
    note: str
    state: Literal["pending", "approved", "returned"]
    channel: Literal["form", "import", "api"]
    submitted_by: str | None
    submitted_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    reason: str


def _report_out(v: ReportedValue) -> dict[str, Any]:
    return {
        "id": v.pk, "indicator": v.indicator.code, "unit_code": v.unit.code,
        "period": v.period,
        "from": v.first, "to": v.last, "version": v.version, "value": float(v.value),
        "note": v.note, "state": v.state, "channel": v.channel,
        "submitted_by": v.submitted_by.username if v.submitted_by else None,
        "submitted_at": v.submitted_at,
        "decided_by": v.decided_by.username if v.decided_by else None,
        "decided_at": v.decided_at, "reason": v.reason,
    }


def _reported_unit(request: HttpRequest, code: str) -> Unit:
    """The unit named, if the caller may see it (else not told apart from none)."""
    unit = Unit.objects.active_on().filter(code=code).defer("boundary").first()
    if unit is None or not scope_of(auth_user(request)).covers(unit):
        raise IndicatorError(Common.NOT_FOUND, _("No such unit in your scope."))
    return unit


def _rows() -> Any:
    return ReportedValue.objects.select_related("indicator", "unit", "submitted_by",
                                                "decided_by")


class ReportsQuery(Schema):
    unit: Annotated[str, text(32)] = Field(
        "", description="This unit's values and those of the units below it (404 outside "
                        "your scope); default: every unit you may see.")
    state: Literal["", "pending", "approved", "returned"] = ""
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=10_000_000)


class ReportsOut(Schema):
    count: int
    items: list[ReportOut]


@router.get("/{code}/reports", response={200: ReportsOut, **ERRORS}, auth=AUTH,
            by_alias=True)
def list_reports(request: HttpRequest, code: str = CODE,
                 query: Query[ReportsQuery] = ...) -> dict[str, Any]:  # type: ignore[assignment]
    """Every version of the reported values the caller may see, newest first (the history
    of submissions, approvals, returns and corrections)."""
    indicator = values.indicator(code)
    user = auth_user(request)
    rows = _rows().visible_to(user).filter(indicator=indicator)
    if query.unit:
        unit = scope.unit_for(user, query.unit)
        if unit.parent_id is not None:
            rows = rows.filter(unit__path__startswith=unit.path)
    if query.state:
        rows = rows.filter(state=query.state)
    return {"count": rows.count(),
            "items": [_report_out(v) for v in rows[query.offset:query.offset + query.limit]]}


@router.post("/{code}/reports", response={201: ReportOut, **ERRORS, 409: ErrorOut},
             auth=AUTH, by_alias=True)
def submit_report(request: HttpRequest, payload: ReportIn,
                  code: str = CODE) -> tuple[int, dict[str, Any]]:
    """A reporting unit submits its value for a period (a new version if there was one);
    it waits for the approval of the unit's leaders."""
    saved = reporting.submit_value(
        actor=auth_user(request), indicator=values.indicator(code),
        unit=_reported_unit(request, payload.unit), period=payload.period, value=payload.value,
        note=payload.note, channel=Channel.API)
    return 201, _report_out(_rows().get(pk=saved.pk))


def _pending(request: HttpRequest, report_id: int) -> ReportedValue:
    found = _rows().visible_to(auth_user(request)).filter(pk=report_id).first()
    if found is None:
        raise IndicatorError(Common.NOT_FOUND, _("No such value in your scope."))
    return found


@router.post("/reports/{report_id}/approve", response={200: ReportOut, **ERRORS,
                                                       409: ErrorOut}, auth=AUTH, by_alias=True)
def approve_report(request: HttpRequest, report_id: DbId) -> dict[str, Any]:
    """The reporting unit's leader approves a value (not one they submitted)."""
    done = reporting.approve_value(actor=auth_user(request), value=_pending(request, report_id))
    return _report_out(_rows().get(pk=done.pk))


@router.post("/reports/{report_id}/return", response={200: ReportOut, **ERRORS,
                                                      409: ErrorOut}, auth=AUTH, by_alias=True)
def return_report(request: HttpRequest, report_id: DbId, payload: ReturnIn) -> dict[str, Any]:
    """The reporting unit's leader returns a value with the reason."""
    done = reporting.return_value(actor=auth_user(request), value=_pending(request, report_id),
                                  reason=payload.reason)
    return _report_out(_rows().get(pk=done.pk))


@router.put("/{code}/targets", response={200: TargetOut, **ERRORS}, auth=AUTH)
def put_target(request: HttpRequest, payload: TargetIn, code: str = CODE) -> dict[str, Any]:
    """A unit's target for the indicator in a year, set by the unit's leaders."""
    unit = _reported_unit(request, payload.unit)
    target = reporting.set_target(actor=auth_user(request), indicator=values.indicator(code),
                                  unit=unit, year=payload.year, value=payload.value)
    return {"indicator": code, "unit": unit.code, "year": target.year,
            "value": float(target.value)}
