"""Demo reported figures for `make run`: yearly targets, twelve months of approved values
and the current month awaiting approval, for the demo wards, the demo departments and the
departments that report the city's own figures, all through the services."""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from cityhall.accounts.demo import DEMO_DEPARTMENTS, DEMO_WARDS
from cityhall.accounts.models import User
from cityhall.core import audit
from cityhall.indicators import reporting
from cityhall.indicators.models import Indicator, ReportedValue
from cityhall.orgunits.models import Unit

#: How many months of approved values (the current month comes on top, awaiting approval).
MONTHS = 12
BUDGET = "socio.budget_revenue"
DISBURSED = "socio.public_investment_disbursement"
#: Yearly targets of a ward and of a demo department (billion VND; percent).
WARD_TARGETS = {BUDGET: 1200.0, DISBURSED: 95.0}
DEPT_TARGETS = {BUDGET: 3500.0, DISBURSED: 95.0}
#: The city's own figures and the department that reports each (code, target).
CITY_FIGURES = {
    "socio.grdp_growth": ("79-STC", 8.5),
    "socio.fdi_attracted": ("79-STC", 8000.0),
    "socio.new_enterprises": ("79-STC", 55000.0),
    "socio.exports": ("79-SCT", 52000.0),
}
#: How far along each demo ward's budget revenue is against its target (An Khánh lags:
#: a red number for the demo's "assign now").
PACE = {"saigon": 1.05, "thuduc": 0.98, "ankhanh": 0.72}


def _months(back: int) -> list[str]:
    """The labels of the `back` months before the current one and the current one."""
    today = timezone.localdate()
    now = today.year * 12 + today.month - 1
    return [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in range(now - back, now + 1)]


def _quarters(months: list[str]) -> list[str]:
    seen: list[str] = []
    for label in months:
        quarter = f"{label[:4]}-Q{(int(label[5:]) - 1) // 3 + 1}"
        if quarter not in seen:
            seen.append(quarter)
    return seen


def _report(indicator: Indicator, unit: Unit, period: str, value: float,
            submitter: audit.Actor, approver: audit.Actor | None) -> None:
    saved = reporting.submit_value(actor=submitter, indicator=indicator, unit=unit,
                                   period=period, value=round(value, 2))
    if approver is not None:
        reporting.approve_value(actor=approver, value=saved)


def load_demo_reported(seed: int = 766) -> int | None:
    """Targets and values once; the number of values, None when they are there already."""
    if ReportedValue.objects.exists():
        return None
    rng = random.Random(seed)  # noqa: S311 (demo figures, not a secret)
    by_code = {i.code: i for i in Indicator.objects.filter(source="reported")}
    months = _months(MONTHS)
    years = sorted({int(m[:4]) for m in months})
    system = audit.SYSTEM
    count = 0
    with transaction.atomic():
        reporters: list[tuple[Unit, dict[str, float], audit.Actor, audit.Actor, float]] = []
        for slug, name in DEMO_WARDS:
            unit = Unit.objects.active_on().commune_level().get(name=name)
            reporters.append((unit, WARD_TARGETS, User.objects.get(username=f"officer.{slug}"),
                              User.objects.get(username=f"leader.{slug}"), PACE[slug]))
        for slug, code in DEMO_DEPARTMENTS:
            unit = Unit.objects.active_on().get(code=code)
            reporters.append((unit, DEPT_TARGETS, User.objects.get(username=f"officer.{slug}"),
                              User.objects.get(username=f"leader.{slug}"), 1.0))
        for unit, targets, officer, leader, pace in reporters:
            for code, target in targets.items():
                for year in years:
                    reporting.set_target(actor=leader, indicator=by_code[code], unit=unit,
                                         year=year, value=target)
                for n, month in enumerate(months):
                    share = int(month[5:]) / 12
                    if code == BUDGET:
                        value = target * share * pace * rng.uniform(0.97, 1.03)
                    else:  # disbursement lags the plan everywhere, as it does in the city
                        value = min(100.0, target * share * rng.uniform(0.55, 0.8))
                    last = n == len(months) - 1
                    _report(by_code[code], unit, month, value, officer,
                            None if last else leader)
                    count += 1
        for code, (unit_code, target) in CITY_FIGURES.items():
            indicator = by_code[code]
            unit = Unit.objects.active_on().get(code=unit_code)
            for year in years:
                reporting.set_target(actor=system, indicator=indicator, unit=unit, year=year,
                                     value=target)
            periods = _quarters(months) if indicator.frequency == "quarterly" else months
            for n, period in enumerate(periods):
                if code == "socio.grdp_growth":
                    value = target * rng.uniform(0.85, 1.05)
                else:
                    value = target / 12 * (3 if "Q" in period else 1) * rng.uniform(0.8, 1.15)
                last = n == len(periods) - 1
                _report(indicator, unit, period, value, system, None if last else system)
                count += 1
    return count
