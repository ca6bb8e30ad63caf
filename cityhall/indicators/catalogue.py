"""The indicator catalogue and the Decision 766 index as data: reading and loading the YAML."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import translation

from cityhall.core import audit
from cityhall.indicators.audit_actions import IndicatorAudit
from cityhall.indicators.models import Direction, Indicator, Source
from cityhall.indicators.tallies import METRICS

DATA = Path(__file__).resolve().parent / "data"
CATALOGUE = DATA / "catalogue.yaml"
INDEX766 = DATA / "index766.yaml"

#: The counts made now from the open cases (values.live_counts), usable in `compute`.
LIVE = ("reports.open_overdue", "dossiers.open_overdue", "dossiers.open",
        "dossiers.open_in_time")


class CatalogueError(ValueError):
    """The catalogue file is wrong; `problems` says where."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _names(term: Any) -> list[str]:
    return [term] if isinstance(term, str) else list(term)


def tallies_of(compute: dict[str, Any]) -> list[str]:
    """Every tally and `live.` count a `compute` rule reads."""
    terms: list[str] = []
    for value in compute.values():
        if isinstance(value, str):
            terms.append(value)
        else:
            for term in value:
                terms.extend(_names(term))
    return terms


def _check(row: dict[str, Any], where: str) -> list[str]:
    problems = []
    for field in ("code", "group", "name_vi", "name_en", "unit", "direction", "source",
                  "frequency", "formula_vi", "formula_en"):
        if not str(row.get(field, "")).strip():
            problems.append(f"{where}: {field} missing")
    if row.get("direction") not in Direction.values:
        problems.append(f"{where}: direction is one of {Direction.values}")
    if row.get("source") not in Source.values:
        problems.append(f"{where}: source is one of {Source.values}")
    compute = row.get("compute") or {}
    if row.get("source") == Source.COMPUTED:
        if len(compute) != 1 or next(iter(compute)) not in ("sum", "ratio", "mean", "live"):
            problems.append(f"{where}: compute is one of sum, ratio, mean, live")
        for name in tallies_of(compute):
            known = name.removeprefix("live.") in LIVE if name.startswith("live.") \
                else name in METRICS
            if compute.get("live") is not None:
                known = name in LIVE
            if not known:
                problems.append(f"{where}: unknown tally {name}")
    else:
        if not row.get("reporters"):
            problems.append(f"{where}: a reported indicator names the unit kinds that report it")
        if row.get("frequency") not in ("monthly", "quarterly", "yearly"):
            problems.append(f"{where}: a reported indicator is monthly, quarterly or yearly")
        if set(compute) - {"combine", "target"} \
                or compute.get("combine", "sum") not in ("sum", "mean") \
                or compute.get("target", "level") not in ("level", "year_total", "cumulative"):
            problems.append(f"{where}: a reported compute is {{combine: sum|mean, "
                            f"target: level|year_total|cumulative}}")
    return problems


def read_catalogue(path: Path = CATALOGUE) -> list[dict[str, Any]]:
    """The indicators of the file, checked; CatalogueError lists every problem."""
    rows = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("indicators") or []
    problems: list[str] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        where = f"{path.name} #{i + 1} ({row.get('code', '?')})"
        problems += _check(row, where)
        if row.get("code") in seen:
            problems.append(f"{where}: code repeated")
        seen.add(row.get("code", ""))
    if problems:
        raise CatalogueError(problems)
    return rows


@dataclass(frozen=True)
class Loaded:
    created: list[str]
    updated: list[str]
    unchanged: int


def load_catalogue(*, actor: audit.Actor, rows: list[dict[str, Any]], source: str) -> Loaded:
    """Create or update the indicators of `rows` (idempotent); one audit entry if any changed."""
    created: list[str] = []
    updated: list[str] = []
    unchanged = 0
    with transaction.atomic():
        existing = {i.code: i for i in Indicator.objects.select_for_update()}
        for order, row in enumerate(rows):
            values = {
                "group": row["group"], "name_vi": row["name_vi"], "name_en": row["name_en"],
                "unit": row["unit"], "direction": row["direction"], "source": row["source"],
                "frequency": str(row["frequency"]), "formula_vi": row["formula_vi"].strip(),
                "formula_en": row["formula_en"].strip(), "compute": row.get("compute") or {},
                "reporters": row.get("reporters") or [], "order": order,
            }
            found = existing.get(row["code"])
            if found is None:
                Indicator.objects.create(code=row["code"], **values)
                created.append(row["code"])
            elif found.as_dict() != values:
                Indicator.objects.filter(pk=found.pk).update(**values)
                updated.append(row["code"])
            else:
                unchanged += 1
        if created or updated:
            audit.record(actor=actor, action=IndicatorAudit.LOAD_CATALOGUE, changes={
                "source": [None, source], "created": [None, created], "updated": [None, updated]})
    return Loaded(created, updated, unchanged)


@dataclass(frozen=True)
class Item:
    """One indicator of the 766 index: its points and target, and the rate that scores it."""

    code: str
    name_vi: str
    name_en: str
    points: float
    target: float
    rate: str | None

    @property
    def name(self) -> str:
        return self.name_en if _in_english() else self.name_vi


@dataclass(frozen=True)
class Group:
    """One of the six groups of the 766 index."""

    code: str
    name_vi: str
    name_en: str
    max: float
    items: tuple[Item, ...]

    @property
    def name(self) -> str:
        return self.name_en if _in_english() else self.name_vi


def _in_english() -> bool:
    return (translation.get_language() or "").startswith("en")


@functools.cache
def index766() -> tuple[Group, ...]:
    """The six groups of Decision 766 with their indicators, read once from the data file."""
    data = yaml.safe_load(INDEX766.read_text(encoding="utf-8"))
    return tuple(
        Group(code=g["code"], name_vi=g["name_vi"], name_en=g["name_en"], max=float(g["max"]),
              items=tuple(Item(code=i["code"], name_vi=i["name_vi"], name_en=i["name_en"],
                               points=float(i["points"]), target=float(i["target"]),
                               rate=i.get("rate")) for i in g["items"]))
        for g in data["groups"])
