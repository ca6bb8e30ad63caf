"""Reading catalogue entries (the seed YAML, a CSV or an XLSX file) into checked rows.

Nothing here writes: `services.load_catalogue` stores what these functions return, all of
it or none. Each problem names its row (`row 7: level: ...`), so a clerk fixes the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cityhall.procedures.models import CODE_PATTERN, DataSource, Decider, Level, OnlineLevel

SEED = Path(__file__).resolve().parent / "data" / "procedures.yaml"
#: The columns of an import file, in this order in the template; `components` holds one
#: component a line, as `name | copies | form file | data source`.
COLUMNS = ("code", "name", "name_en", "sector", "sector_en", "level", "decided_by", "days",
           "time_note", "fee", "fee_note", "online", "result", "result_electronic",
           "legal_basis", "workflow", "components", "verify")
REQUIRED = ("code", "name", "sector", "level", "decided_by", "days", "online", "result")
_CODE = re.compile(CODE_PATTERN)
_LIMITS = {"name": 500, "name_en": 500, "sector": 200, "sector_en": 200, "time_note": 500,
           "fee_note": 500, "result": 500, "legal_basis": 4000, "workflow": 80}
_YES = {"1", "true", "yes", "co", "có", "x"}
_NO = {"", "0", "false", "no", "khong", "không"}
_VERIFIABLE = {"code", "name", "days", "fee", "result", "legal_basis"}
MAX_DAYS = 365


@dataclass(frozen=True)
class ComponentRow:
    """One component of a procedure, checked."""

    name: str
    copies: int = 1
    form_file: str = ""
    data_source: str = ""


@dataclass(frozen=True)
class ProcedureRow:
    """One procedure, checked and ready to store."""

    code: str
    name: str
    name_en: str
    sector: str
    sector_en: str
    level: str
    decided_by: str
    processing_days: int
    time_note: str
    fee_vnd: int
    fee_note: str
    online: str
    result: str
    result_electronic: bool
    legal_basis: str
    workflow: str
    unverified: tuple[str, ...] = ()
    components: tuple[ComponentRow, ...] = field(default_factory=tuple)


class CatalogueError(ValueError):
    """The file cannot be imported; `problems` says where and why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _text(entry: Mapping[str, Any], key: str, problems: list[str]) -> str:
    value = entry.get(key)
    value = "" if value is None else str(value).strip()
    if "\x00" in value:
        problems.append(f"{key}: holds a NUL character")
        return ""
    if key in _LIMITS and len(value) > _LIMITS[key]:
        problems.append(f"{key}: longer than {_LIMITS[key]} characters")
    return value


def _number(entry: Mapping[str, Any], key: str, problems: list[str], *, low: int,
            high: int) -> int:
    raw = entry.get(key)
    if isinstance(raw, bool):
        text = ""
    elif isinstance(raw, float):
        # A spreadsheet gives numbers as floats: 3.0 is 3, 3.5 is no number of days.
        text = str(int(raw)) if raw.is_integer() else ""
    elif isinstance(raw, int):
        text = str(raw)
    else:
        # Written by people: "100.000" or "100,000" đồng is a hundred thousand.
        text = "" if raw is None else str(raw).strip().replace(".", "").replace(",", "")
    if not text.isdigit() or not low <= int(text) <= high:
        problems.append(f"{key}: a whole number from {low} to {high}, not {raw!r}")
        return low
    return int(text)


def _choice(value: str, key: str, choices: Iterable[str], problems: list[str]) -> str:
    allowed = list(choices)
    if value not in allowed:
        problems.append(f"{key}: one of {', '.join(allowed)}, not {value!r}")
    return value


def _flag(entry: Mapping[str, Any], key: str, problems: list[str]) -> bool:
    raw = entry.get(key)
    if isinstance(raw, bool):
        return raw
    text = "" if raw is None else str(raw).strip().lower()
    if text in _YES:
        return True
    if text not in _NO:
        problems.append(f"{key}: yes or no, not {raw!r}")
    return False


def _components(raw: Any, problems: list[str]) -> tuple[ComponentRow, ...]:
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        raw = [dict(zip(("name", "copies", "form", "data"),
                        (part.strip() for part in line.split("|")), strict=False))
               for line in raw.splitlines() if line.strip()]
    if not isinstance(raw, list):
        problems.append("components: a list")
        return ()
    found: list[ComponentRow] = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            problems.append(f"component {n}: name | copies | form | data source")
            continue
        own: list[str] = []
        name = _text(item, "name", own)
        if not name or len(name) > 500:
            own.append("name: required, at most 500 characters")
        copies = _number(item, "copies", own, low=1, high=99) if item.get("copies") else 1
        form = _text(item, "form", own)[:200]
        source = _text(item, "data", own)
        if source:
            _choice(source, "data", DataSource.values, own)
        problems.extend(f"component {n}: {p}" for p in own)
        found.append(ComponentRow(name=name, copies=copies, form_file=form, data_source=source))
    return tuple(found)


def parse_entry(entry: Mapping[str, Any]) -> tuple[ProcedureRow | None, list[str]]:
    """One entry (a YAML mapping or a file's row by column) as a row, or its problems."""
    problems: list[str] = []
    values = {key: _text(entry, key, problems) for key in _LIMITS}
    code = _text(entry, "code", problems)
    for key in REQUIRED:
        if entry.get(key) in (None, ""):
            problems.append(f"{key}: required")
    if code and not _CODE.fullmatch(code):
        problems.append(f"code: like 1.000494.000.00.00.H29, not {code!r}")
    level = _choice(_text(entry, "level", problems), "level", Level.values, problems)
    decided_by = _choice(_text(entry, "decided_by", problems), "decided_by", Decider.values,
                         problems)
    online = _choice(_text(entry, "online", problems), "online", OnlineLevel.values, problems)
    days = _number(entry, "days", problems, low=1, high=MAX_DAYS)
    fee = _number(entry, "fee", problems, low=0, high=1_000_000_000) if entry.get(
        "fee") not in (None, "") else 0
    electronic = _flag(entry, "result_electronic", problems)
    verify = entry.get("verify") or ()
    if isinstance(verify, str):
        verify = [part.strip() for part in verify.split(",") if part.strip()]
    unknown = set(map(str, verify)) - _VERIFIABLE
    if unknown:
        problems.append(f"verify: only {', '.join(sorted(_VERIFIABLE))}")
    components = _components(entry.get("components"), problems)
    if problems:
        return None, problems
    return ProcedureRow(
        code=code, name=values["name"], name_en=values["name_en"], sector=values["sector"],
        sector_en=values["sector_en"], level=level, decided_by=decided_by,
        processing_days=days, time_note=values["time_note"], fee_vnd=fee,
        fee_note=values["fee_note"], online=online, result=values["result"],
        result_electronic=electronic, legal_basis=values["legal_basis"],
        workflow=values["workflow"] or "dossier", unverified=tuple(sorted(map(str, verify))),
        components=components,
    ), []


def parse_entries(entries: Iterable[tuple[int, Mapping[str, Any]]]) -> list[ProcedureRow]:
    """Every entry checked, by row number; `CatalogueError` with every problem if any."""
    rows: list[ProcedureRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, entry in entries:
        row, found = parse_entry(entry)
        problems.extend(f"row {number}: {p}" for p in found)
        if row is None:
            continue
        if row.code in seen:
            problems.append(f"row {number}: code {row.code} already on row {seen[row.code]}")
            continue
        seen[row.code] = number
        rows.append(row)
    if problems:
        raise CatalogueError(problems)
    if not rows:
        raise CatalogueError(["the file holds no procedure"])
    return rows


def read_seed(path: Path = SEED) -> list[ProcedureRow]:
    """The seeded catalogue (or another YAML file in its shape), checked."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("procedures") if isinstance(data, Mapping) else None
    if not isinstance(entries, list):
        raise CatalogueError(["the YAML file needs a `procedures` list"])
    return parse_entries((n, e if isinstance(e, Mapping) else {})
                         for n, e in enumerate(entries, start=1))


def _table_rows(header: list[Any], rows: Iterable[Iterable[Any]]) -> Iterator[
        tuple[int, dict[str, Any]]]:
    names = [str(h or "").strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise CatalogueError([f"row 1: missing columns: {', '.join(missing)}"])
    for number, cells in enumerate(rows, start=2):
        values = list(cells)
        if not any(v not in (None, "") for v in values):
            continue
        yield number, {name: value for name, value in zip(names, values, strict=False) if name}


def read_csv(content: bytes) -> list[ProcedureRow]:
    """A CSV file (UTF-8, a header row naming the columns), checked."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogueError(["the CSV file is not UTF-8"]) from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
        return parse_entries(_table_rows(header, list(reader)))
    except StopIteration:
        raise CatalogueError(["the file is empty"]) from None
    except csv.Error as exc:
        raise CatalogueError([f"the CSV file cannot be read: {exc}"]) from None


def read_xlsx(content: bytes) -> list[ProcedureRow]:
    """The first sheet of an XLSX workbook (a header row naming the columns), checked."""
    from openpyxl import load_workbook  # a heavy import, needed only here

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise CatalogueError([f"the XLSX file cannot be read: {type(exc).__name__}"]) from None
    try:
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        book.close()
    if not rows:
        raise CatalogueError(["the file is empty"])
    return parse_entries(_table_rows(list(rows[0]), rows[1:]))


def read_file(path: Path) -> list[ProcedureRow]:
    """A catalogue file by its extension: .xlsx, .csv, or .yaml/.yml."""
    suffix = path.suffix.lower()
    if suffix in {".yaml", ".yml"}:
        return read_seed(path)
    content = path.read_bytes()
    if suffix == ".xlsx":
        return read_xlsx(content)
    if suffix == ".csv":
        return read_csv(content)
    raise CatalogueError([f"give an .xlsx, .csv or .yaml file, not {path.name}"])
