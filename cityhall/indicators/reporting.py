"""Reported socio-economic indicators: yearly targets, values submitted by the reporting
units (form, XLSX import, API), approved or returned by the unit's leaders, every version
kept. Writes are keyword-only, with an actor, in one transaction, with an audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.accounts.models import Membership, Role, User
from cityhall.accounts.scope import scope_of
from cityhall.core import audit
from cityhall.core.errors import Common
from cityhall.indicators.audit_actions import IndicatorAudit
from cityhall.indicators.errors import IndicatorCode, IndicatorError
from cityhall.indicators.models import (
    Channel,
    Indicator,
    ReportedValue,
    ReportState,
    Source,
    Target,
)
from cityhall.orgunits.models import Unit

#: Who of a reporting unit may submit its values (leaders approve them).
SUBMITTING_ROLES = (Role.LEADER, Role.OFFICER, Role.ADMIN)
#: The largest magnitude a value or target may have (the column holds 16 digits).
MAX_VALUE = Decimal("1e15")
#: The most rows one XLSX import takes.
MAX_IMPORT_ROWS = 5000


# Periods -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportPeriod:
    """A month (YYYY-MM), quarter (YYYY-Qn) or year (YYYY) a value is reported for."""

    label: str
    first: dt.date
    last: dt.date

    def shifted(self, *, years: int = 0, steps: int = 0) -> ReportPeriod:
        """The period `years` years and `steps` periods of the same length away."""
        months = _months(self.label)
        start = self.first.year * 12 + self.first.month - 1 + 12 * years + steps * months
        return _period(start // 12, start % 12 + 1, months)


def _months(label: str) -> int:
    return 12 if len(label) == 4 else 3 if "Q" in label else 1


def _period(year: int, month: int, months: int) -> ReportPeriod:
    first = dt.date(year, month, 1)
    end = year * 12 + month - 1 + months
    last = dt.date(end // 12, end % 12 + 1, 1) - dt.timedelta(days=1)
    if months == 12:
        label = f"{year:04d}"
    elif months == 3:
        label = f"{year:04d}-Q{(month - 1) // 3 + 1}"
    else:
        label = f"{year:04d}-{month:02d}"
    return ReportPeriod(label, first, last)


#: The catalogue's frequencies and how many months a reported period of each spans.
FREQUENCY_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def report_period(text: str, frequency: str) -> ReportPeriod:
    """The period `text` names, which must match the indicator's frequency.

    IndicatorError `invalid_period` otherwise (monthly: YYYY-MM, quarterly: YYYY-Qn,
    yearly: YYYY).
    """
    months = FREQUENCY_MONTHS.get(frequency, 1)
    shapes = {1: "YYYY-MM", 3: "YYYY-Qn", 12: "YYYY"}
    text = text.strip().upper()
    try:
        year = int(text[:4])
        if not 2000 <= year <= 2100:
            raise ValueError(text)
        if months == 12 and len(text) == 4:
            return _period(year, 1, 12)
        if months == 3 and len(text) == 7 and text[4:6] == "-Q" and text[6] in "1234":
            return _period(year, 3 * int(text[6]) - 2, 3)
        if months == 1 and len(text) == 7 and text[4] == "-" and 1 <= int(text[5:]) <= 12:
            return _period(year, int(text[5:]), 1)
    except ValueError:
        pass
    raise IndicatorError(IndicatorCode.INVALID_PERIOD,
                         _("This indicator is reported per period written %(shape)s.")
                         % {"shape": shapes[months]})


def period_of_value(value: ReportedValue) -> ReportPeriod:
    """The period a stored value is for."""
    return ReportPeriod(value.period, value.first, value.last)


# Who may do what ------------------------------------------------------------------------

def _is_system(actor: audit.Actor) -> bool:
    return isinstance(actor, audit.SystemActor)


def may_submit(user: Any, unit: Unit) -> bool:
    """Whether `user` submits values for `unit`: its leaders and officers, or leaders above."""
    if not getattr(user, "is_authenticated", False):
        return False
    if scope_of(user).managed().covers(unit):
        return True
    return Membership.objects.active_on().filter(
        user=user, unit=unit, role__in=SUBMITTING_ROLES).exists()


def may_approve(user: Any, unit: Unit) -> bool:
    """Whether `user` leads the reporting unit (or a unit above it): approves its values."""
    return bool(getattr(user, "is_authenticated", False)) and \
        scope_of(user).managed().covers(unit)


def _refuse_unless(allowed: bool, text: str) -> None:
    if not allowed:
        raise IndicatorError(Common.NOT_ALLOWED, text)


def _reported(indicator: Indicator) -> None:
    if indicator.source != Source.REPORTED:
        raise IndicatorError(IndicatorCode.NOT_REPORTED,
                             _("%(code)s is computed from the records, not reported.")
                             % {"code": indicator.code})


def _reporter(indicator: Indicator, unit: Unit) -> None:
    if unit.kind not in (indicator.reporters or []):
        raise IndicatorError(IndicatorCode.NOT_A_REPORTER,
                             _("A %(kind)s does not report %(name)s.")
                             % {"kind": unit.get_kind_display(), "name": indicator.name})


def number(value: Any, field: str = "value") -> Decimal:
    """`value` as a decimal of at most four places; IndicatorError `invalid` if it is not one."""
    try:
        found = Decimal(str(value).strip().replace(",", ".")) if not isinstance(
            value, Decimal) else value
    except (InvalidOperation, ValueError):
        found = Decimal("NaN")
    if not found.is_finite() or abs(found) >= MAX_VALUE or isinstance(value, bool):
        raise IndicatorError(Common.INVALID, {field: _("Write a number.")})
    return found.quantize(Decimal("0.0001"))


# Targets ------------------------------------------------------------------------------

def set_target(*, actor: audit.Actor, indicator: Indicator, unit: Unit, year: int,
               value: Any) -> Target:
    """Set (or change) the unit's target for the indicator in `year`; for its leaders."""
    _reported(indicator)
    if not _is_system(actor):
        _refuse_unless(may_approve(actor, unit),
                       _("Only the leaders of %(unit)s set its targets.") % {"unit": unit.name})
    if not 2000 <= year <= 2100:
        raise IndicatorError(Common.INVALID, {"year": _("A year from 2000 to 2100.")})
    amount = number(value, "value")
    with transaction.atomic():
        found = Target.objects.select_for_update().filter(
            indicator=indicator, unit=unit, year=year).first()
        before = None if found is None else str(found.value)
        if found is None:
            found = Target(indicator=indicator, unit=unit, year=year)
        found.value = amount
        found.set_by = actor if isinstance(actor, User) else None
        found.set_at = timezone.now()
        found.save()
        audit.record(actor=actor, action=IndicatorAudit.TARGET_SET, obj=found, unit=unit,
                     changes={"indicator": indicator.code, "year": year,
                              "value": [before, str(amount)]})
    return found


# Values -------------------------------------------------------------------------------

def submit_value(*, actor: audit.Actor, indicator: Indicator, unit: Unit, period: str,
                 value: Any, note: str = "", channel: str = Channel.FORM,
                 today: dt.date | None = None) -> ReportedValue:
    """A reporting unit submits its value for a period; a new version if one was there.

    The value waits for the approval of the unit's leaders; IndicatorError
    `pending_exists` while an earlier version of the same period still waits.
    """
    _reported(indicator)
    _reporter(indicator, unit)
    if not _is_system(actor):
        _refuse_unless(may_submit(actor, unit),
                       _("Only the staff of %(unit)s report its figures.") % {"unit": unit.name})
    span = report_period(period, indicator.frequency)
    if span.first > (today or timezone.localdate()):
        raise IndicatorError(IndicatorCode.INVALID_PERIOD,
                             _("The period %(p)s has not started.") % {"p": span.label})
    amount = number(value)
    with transaction.atomic():
        # Lock the unit's earlier versions of the period: two submissions in a race get
        # consecutive versions, the second refused while the first waits.
        earlier = list(ReportedValue.objects.select_for_update().filter(
            indicator=indicator, unit=unit, period=span.label).order_by("version"))
        if any(v.state == ReportState.PENDING for v in earlier):
            raise IndicatorError(IndicatorCode.PENDING_EXISTS, _(
                "A value of %(unit)s for %(p)s awaits approval: have it approved or returned "
                "first.") % {"unit": unit.name, "p": span.label})
        version = (earlier[-1].version + 1) if earlier else 1
        saved = ReportedValue.objects.create(
            indicator=indicator, unit=unit, period=span.label, first=span.first,
            last=span.last, version=version, value=amount, note=note.strip()[:500],
            state=ReportState.PENDING, channel=channel,
            submitted_by=actor if isinstance(actor, User) else None,
            submitted_at=timezone.now())
        audit.record(actor=actor, action=IndicatorAudit.VALUE_SUBMIT, obj=saved, unit=unit,
                     changes={"indicator": indicator.code, "period": span.label,
                              "version": version, "value": [None, str(amount)],
                              "channel": channel})
    return saved


def _decide(actor: audit.Actor, value: ReportedValue) -> ReportedValue:
    """The value locked, if `actor` may decide it now."""
    if not _is_system(actor):
        _refuse_unless(may_approve(actor, value.unit),
                       _("Only the leaders of %(unit)s approve its figures.")
                       % {"unit": value.unit.name})
        own = getattr(actor, "pk", None)
        if value.submitted_by_id is not None and value.submitted_by_id == own:
            raise IndicatorError(IndicatorCode.OWN_SUBMISSION,
                                 _("Another leader approves a value you submitted."))
    locked = ReportedValue.objects.select_for_update().get(pk=value.pk)
    if locked.state != ReportState.PENDING:
        raise IndicatorError(Common.INVALID_STATE,
                             _("This value was decided already (%(state)s).")
                             % {"state": locked.get_state_display()})
    return locked


def approve_value(*, actor: audit.Actor, value: ReportedValue) -> ReportedValue:
    """The unit's leader approves a submitted value: the figures show it from now on."""
    with transaction.atomic():
        locked = _decide(actor, value)
        locked.state = ReportState.APPROVED
        locked.decided_by = actor if isinstance(actor, User) else None
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        audit.record(actor=actor, action=IndicatorAudit.VALUE_APPROVE, obj=locked,
                     unit=value.unit, changes={"state": [ReportState.PENDING,
                                                         ReportState.APPROVED],
                                               "period": locked.period,
                                               "version": locked.version})
    return locked


def return_value(*, actor: audit.Actor, value: ReportedValue, reason: str) -> ReportedValue:
    """The unit's leader returns a submitted value with a reason; it is never shown."""
    reason = reason.strip()
    if not reason:
        raise IndicatorError(Common.REASON_REQUIRED, {"reason": _("Say why it is returned.")})
    with transaction.atomic():
        locked = _decide(actor, value)
        locked.state = ReportState.RETURNED
        locked.reason = reason[:500]
        locked.decided_by = actor if isinstance(actor, User) else None
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "reason", "decided_by", "decided_at"])
        audit.record(actor=actor, action=IndicatorAudit.VALUE_RETURN, obj=locked,
                     unit=value.unit, changes={"state": [ReportState.PENDING,
                                                         ReportState.RETURNED],
                                               "reason": locked.reason})
    return locked


# Import -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportRow:
    """One row of an import: indicator code, unit code, period, value, note."""

    line: int
    indicator: str
    unit: str
    period: str
    value: Any
    note: str = ""


class ImportRefused(IndicatorError):
    """Some rows of an import are wrong; `problems` lists them (nothing was imported)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(IndicatorCode.IMPORT_REFUSED, {"rows": problems})
        self.problems = problems


def _detail(exc: IndicatorError) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        return "; ".join(str(v) for v in detail.values())
    return str(detail)


def import_values(*, actor: audit.Actor, rows: Sequence[ImportRow], source: str = "",
                  today: dt.date | None = None) -> list[ReportedValue]:
    """Submit every row, all or nothing: ImportRefused lists each wrong row, and then
    nothing changes (the refusal itself is audited)."""
    problems: list[str] = []
    saved: list[ReportedValue] = []
    if not rows:
        problems.append(_("The file has no rows."))
    if len(rows) > MAX_IMPORT_ROWS:
        problems.append(_("At most %(n)d rows at once.") % {"n": MAX_IMPORT_ROWS})
    indicators = {i.code: i for i in Indicator.objects.filter(
        code__in=[r.indicator[:64] for r in rows])}
    units = {u.code: u for u in Unit.objects.active_on().filter(
        code__in=[r.unit[:32] for r in rows]).defer("boundary")}
    seen: set[tuple[str, str, str]] = set()
    if not problems:
        try:
            with transaction.atomic():
                for row in rows:
                    where = _("row %(n)d") % {"n": row.line}
                    indicator, unit = indicators.get(row.indicator), units.get(row.unit)
                    if indicator is None or unit is None:
                        problems.append(f"{where}: " + (
                            _("unknown indicator %(c)s") % {"c": row.indicator}
                            if indicator is None else _("unknown unit %(c)s") % {"c": row.unit}))
                        continue
                    key = (row.indicator, row.unit, row.period.strip().upper())
                    if key in seen:
                        problems.append(f"{where}: " + _("the same period twice in the file"))
                        continue
                    seen.add(key)
                    try:
                        with transaction.atomic():
                            saved.append(submit_value(
                                actor=actor, indicator=indicator, unit=unit,
                                period=row.period, value=row.value, note=row.note,
                                channel=Channel.IMPORT, today=today))
                    except IndicatorError as exc:
                        problems.append(f"{where}: {_detail(exc)}")
                if problems:
                    raise ImportRefused(problems)
                audit.record(actor=actor, action=IndicatorAudit.VALUES_IMPORT, changes={
                    "source": source[:200], "rows": len(saved)})
        except ImportRefused:
            pass
    if problems:
        audit.record(actor=actor, action=IndicatorAudit.VALUES_IMPORT_REFUSED, changes={
            "source": source[:200], "problems": problems[:50]})
        raise ImportRefused(problems)
    return saved


HEADER = ("indicator", "unit", "period", "value", "note")


def read_workbook(data: bytes) -> list[ImportRow]:
    """The rows of an XLSX file whose first sheet has the columns of `HEADER` (a header row
    first); ImportRefused when the file cannot be read."""
    from io import BytesIO

    from openpyxl import load_workbook

    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a bad file
        raise ImportRefused([_("This is not an XLSX workbook.")]) from None
    sheet = book.worksheets[0]
    found: list[ImportRow] = []
    for n, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        texts = [("" if c is None else c) for c in (list(cells) + [None] * 5)[:5]]
        if n == 1 and str(texts[0]).strip().lower() == HEADER[0]:
            continue
        if all(str(t).strip() == "" for t in texts):
            continue
        if len(found) > MAX_IMPORT_ROWS:
            break
        found.append(ImportRow(line=n, indicator=str(texts[0]).strip(),
                               unit=str(texts[1]).strip(), period=_period_text(texts[2]),
                               value=texts[3], note=str(texts[4]).strip()))
    book.close()
    return found


def _period_text(cell: Any) -> str:
    # A spreadsheet may have turned "2026-03" into a date.
    if isinstance(cell, dt.datetime | dt.date):
        return f"{cell.year:04d}-{cell.month:02d}"
    return str(cell).strip()


# Reads --------------------------------------------------------------------------------

def latest_approved(indicator: Indicator, units: Sequence[int] | None = None,
                    *, until: dt.date | None = None) -> dict[tuple[int, str], ReportedValue]:
    """The latest approved version per (unit, period), of `units` (None: all), for periods
    that start on or before `until`."""
    qs = ReportedValue.objects.approved().filter(indicator=indicator)
    if units is not None:
        qs = qs.filter(unit_id__in=list(units))
    if until is not None:
        qs = qs.filter(first__lte=until)
    found: dict[tuple[int, str], ReportedValue] = {}
    for v in qs.order_by("unit_id", "period", "version"):
        found[(v.unit_id, v.period)] = v
    return found


#: How a target compares with a period's value (the catalogue's `compute.target`): `level`
#: as is (a rate, a growth), `year_total` a share of it by the period's months (a
#: monthly amount), `cumulative` the share of the year up to the period's end.
TARGET_KINDS = ("level", "year_total", "cumulative")
#: How the values of several units add up (the catalogue's `compute.combine`).
COMBINES = ("sum", "mean")


def threshold(indicator: Indicator, target: float, span: ReportPeriod) -> float:
    """What the value of `span` is compared with, given the year's target."""
    kind = (indicator.compute or {}).get("target", "level")
    if kind == "year_total":
        return target * _months(span.label) / 12
    if kind == "cumulative":
        return target * span.last.month / 12
    return target


def _combine(indicator: Indicator, numbers: list[float]) -> float | None:
    if not numbers:
        return None
    if (indicator.compute or {}).get("combine", "sum") == "mean":
        return sum(numbers) / len(numbers)
    return sum(numbers)


@dataclass(frozen=True)
class ReportedFigure:
    """A reported indicator for a unit's subtree, as of a day: the latest period reported,
    its value, the period before, the same period a year before, and the target."""

    period: ReportPeriod | None
    value: float | None
    previous: float | None
    last_year: float | None
    target: float | None
    threshold: float | None
    units: int
    #: The units whose values it adds (the one responsible, when there is one).
    reporter_ids: tuple[int, ...] = ()

    @property
    def below_target(self) -> bool | None:
        """Whether the value misses the target (None: no target or no value)."""
        if self.value is None or self.threshold is None:
            return None
        return self.value < self.threshold


def _subtree_ids(root: Unit) -> list[int] | None:
    if root.parent_id is None:
        return None
    return list(Unit.objects.filter(path__startswith=root.path).values_list("pk", flat=True))


def reported_figures(indicators: Sequence[Indicator], root: Unit,
                     as_of: dt.date) -> dict[str, ReportedFigure]:
    """Each reported indicator's figure for `root` and the units below it, as of `as_of`:
    the approved values only, the latest version of each (unit, period)."""
    found: dict[str, ReportedFigure] = {}
    ids = _subtree_ids(root)
    for indicator in indicators:
        if indicator.source != Source.REPORTED:
            continue
        latest = latest_approved(indicator, ids, until=as_of)
        if not latest:
            found[indicator.code] = ReportedFigure(None, None, None, None, None, None, 0)
            continue
        newest = max(latest.values(), key=lambda v: v.first)
        span = period_of_value(newest)

        def at(label: str, latest: dict[tuple[int, str], ReportedValue] = latest
               ) -> list[ReportedValue]:
            return [v for (_u, p), v in latest.items() if p == label]

        now = at(span.label)
        reporters = {v.unit_id for v in now}
        before = [float(v.value) for v in at(span.shifted(steps=-1).label)
                  if v.unit_id in reporters]
        year = [float(v.value) for v in at(span.shifted(years=-1).label)
                if v.unit_id in reporters]
        targets = dict(Target.objects.filter(
            indicator=indicator, year=span.first.year,
            unit_id__in=[root.pk, *reporters]).values_list("unit_id", "value"))
        target = float(targets[root.pk]) if root.pk in targets else _combine(
            indicator, [float(targets[u]) for u in reporters if u in targets])
        found[indicator.code] = ReportedFigure(
            period=span, value=_combine(indicator, [float(v.value) for v in now]),
            previous=_combine(indicator, before), last_year=_combine(indicator, year),
            target=target,
            threshold=None if target is None else threshold(indicator, target, span),
            units=len(reporters), reporter_ids=tuple(sorted(reporters)))
    return found


def approved_series(indicator: Indicator, root: Unit, first: dt.date,
                    last: dt.date) -> list[tuple[ReportPeriod, float | None, int]]:
    """The reported indicator per period starting from `first` to `last`: (period, value
    of the units below `root` that reported it, how many units)."""
    latest = latest_approved(indicator, _subtree_ids(root), until=last)
    periods: dict[str, list[ReportedValue]] = {}
    for v in latest.values():
        if v.first >= first:
            periods.setdefault(v.period, []).append(v)
    return [(period_of_value(vs[0]), _combine(indicator, [float(v.value) for v in vs]),
             len(vs)) for _label, vs in sorted(periods.items())]
