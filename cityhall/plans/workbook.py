"""A plan as an XLSX workbook, both ways: sheet "plan" (one field a row), sheet "tasks" (one
task a row). Reading checks every row and refuses the whole file with every problem listed;
writing gives the columns reading takes, so a round trip gives back the same plan.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cityhall.plans.critical import CycleError, Link, topological_order
from cityhall.plans.models import Field, Plan, Task

PLAN_FIELDS = ("title", "document_number", "document_date", "owner_unit", "fields")
COLUMNS = ("key", "title", "description", "phase", "phase_deadline", "lead_unit",
           "coordinating_units", "person_in_charge", "start", "due", "progress", "weight",
           "parent", "depends_on", "cancelled", "done_on", "origin")
# "origin" (what the task was given from: its label and page) is written for the reader
# and not read back: an origin is a link into the instance that gave the task.


class WorkbookError(ValueError):
    """The workbook cannot be read as a plan; `problems` says where and why, all of them."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class TaskRow:
    """One task as the workbook gives it (units and people by code and user name)."""

    key: str
    title: str
    description: str
    phase: str
    phase_deadline: dt.date | None
    lead_unit: str
    coordinating_units: tuple[str, ...]
    person_in_charge: str
    start: dt.date
    due: dt.date
    progress: int
    weight: int
    parent: str
    depends_on: tuple[tuple[str, int], ...]
    cancelled: bool
    done_on: dt.date | None


@dataclass(frozen=True)
class PlanSheet:
    """The plan's own fields and its tasks, in the order of the rows."""

    title: str
    document_number: str
    document_date: str
    owner_unit: str
    fields: tuple[str, ...]
    tasks: tuple[TaskRow, ...]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any, column: str, problems: list[str], where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(_text(value))
    except ValueError:
        problems.append(f"{where}: {column} is not a date (YYYY-MM-DD): {_text(value)!r}")
        return None


def _int(value: Any, column: str, problems: list[str], where: str, *, low: int, high: int,
         default: int) -> int:
    text = _text(value)
    if not text:
        return default
    try:
        number = int(float(text))
    except ValueError:
        problems.append(f"{where}: {column} is not a number: {text!r}")
        return default
    if not low <= number <= high:
        problems.append(f"{where}: {column} is {low} to {high}, not {number}")
    return number


def _links(value: Any, problems: list[str], where: str) -> tuple[tuple[str, int], ...]:
    """"3, 5+2" -> (("3", 0), ("5", 2)): keys of earlier rows, each with its lag."""
    found = []
    for part in filter(None, (p.strip() for p in _text(value).split(","))):
        key, _, lag = part.partition("+")
        if lag and not lag.strip().isdigit():
            problems.append(f"{where}: depends_on {part!r}: the lag after + is working days")
            continue
        found.append((key.strip(), int(lag or 0)))
    return tuple(found)


def parse_rows(plan: dict[str, Any], rows: Iterable[tuple[int, dict[str, Any]]]) -> PlanSheet:
    """Check the plan's fields and every task row; WorkbookError lists every problem."""
    problems: list[str] = []
    title = _text(plan.get("title"))
    owner = _text(plan.get("owner_unit"))
    if not title:
        problems.append("plan: title is empty")
    if not owner:
        problems.append("plan: owner_unit (the owning unit's code) is empty")
    fields = tuple(filter(None, (f.strip() for f in _text(plan.get("fields")).split(","))))
    problems += [f"plan: unknown field {f!r} (one of {', '.join(Field.values)})"
                 for f in fields if f not in Field.values]
    tasks: list[TaskRow] = []
    keys: set[str] = set()
    for number, row in rows:
        where = f"tasks row {number}"
        key = _text(row.get("key"))
        if not key:
            problems.append(f"{where}: key is empty")
        elif key in keys:
            problems.append(f"{where}: key {key!r} is used twice")
        keys.add(key)
        task_title = _text(row.get("title"))
        if not task_title:
            problems.append(f"{where}: title is empty")
        lead = _text(row.get("lead_unit"))
        if not lead:
            problems.append(f"{where}: lead_unit (a unit's code) is empty")
        start = _date(row.get("start"), "start", problems, where)
        due = _date(row.get("due"), "due", problems, where)
        if start is None or due is None:
            if not any(p.startswith(where + ": start") or p.startswith(where + ": due")
                       for p in problems):
                problems.append(f"{where}: start and due are both needed")
            continue
        if due < start:
            problems.append(f"{where}: due {due} comes before start {start}")
        progress = _int(row.get("progress"), "progress", problems, where, low=0, high=100,
                        default=0)
        done_on = _date(row.get("done_on"), "done_on", problems, where)
        if done_on is not None and progress != 100:
            problems.append(f"{where}: done_on is given but progress is {progress}, not 100")
        phase = _text(row.get("phase"))
        deadline = _date(row.get("phase_deadline"), "phase_deadline", problems, where)
        if phase and deadline is None:
            problems.append(f"{where}: phase {phase!r} needs its phase_deadline")
        tasks.append(TaskRow(
            key=key, title=task_title, description=_text(row.get("description")),
            phase=phase, phase_deadline=deadline, lead_unit=lead,
            coordinating_units=tuple(filter(None, (u.strip() for u in
                                                   _text(row.get("coordinating_units"))
                                                   .split(",")))),
            person_in_charge=_text(row.get("person_in_charge")), start=start, due=due,
            progress=progress,
            weight=_int(row.get("weight"), "weight", problems, where, low=0, high=1000,
                        default=1),
            parent=_text(row.get("parent")), depends_on=_links(row.get("depends_on"),
                                                               problems, where),
            cancelled=_text(row.get("cancelled")).lower() in {"1", "true", "yes", "x", "có"},
            done_on=done_on))
    deadlines: dict[str, dt.date | None] = {}
    for task in tasks:
        if task.phase and deadlines.setdefault(task.phase, task.phase_deadline) \
                != task.phase_deadline:
            problems.append(f"task {task.key}: phase {task.phase!r} has two deadlines")
        if task.parent and task.parent not in keys:
            problems.append(f"task {task.key}: parent {task.parent!r} is no row's key")
        problems += [f"task {task.key}: depends_on {k!r} is no row's key"
                     for k, _ in task.depends_on if k not in keys]
    position = {t.key: n for n, t in enumerate(tasks)}
    links = [Link(before=position[k], after=position[t.key]) for t in tasks
             for k, _ in t.depends_on if k in position]
    try:
        topological_order(range(len(tasks)), links)
    except CycleError as cycle:
        caught = ", ".join(tasks[n].key for n in cycle.members)
        problems.append(f"tasks {caught} depend on each other in a circle")
    if problems:
        raise WorkbookError(problems)
    return PlanSheet(title=title, document_number=_text(plan.get("document_number")),
                     document_date=_text(plan.get("document_date")), owner_unit=owner,
                     fields=fields, tasks=tuple(tasks))


def read_xlsx(content: bytes) -> PlanSheet:
    """Read a workbook's "plan" and "tasks" sheets (the header row names the columns)."""
    from openpyxl import load_workbook  # a heavy import, needed only here

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise WorkbookError([f"not an XLSX workbook: {exc.__class__.__name__}"]) from None
    missing = [name for name in ("plan", "tasks") if name not in book.sheetnames]
    if missing:
        raise WorkbookError([f"no sheet named {name!r}" for name in missing])
    plan = {_text(row[0]): row[1] for row in book["plan"].iter_rows(values_only=True)
            if row and len(row) > 1 and row[0] is not None}
    sheet = book["tasks"].iter_rows(values_only=True)
    header = [_text(cell) for cell in next(sheet, ())]
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown or "title" not in header:
        raise WorkbookError([f"tasks: the header row names unknown columns {unknown}" if unknown
                             else "tasks: the header row has no 'title' column"])
    rows = [(number, dict(zip(header, cells, strict=False)))
            for number, cells in enumerate(sheet, start=2) if any(c not in (None, "")
                                                                  for c in cells)]
    return parse_rows(plan, rows)


def _origin_text(task: Task) -> str:
    if not task.origin_label:
        return ""
    return f"{task.origin_label} ({task.origin_url})" if task.origin_url else task.origin_label


def write_xlsx(plan: Plan) -> bytes:
    """The plan as a workbook `read_xlsx` reads back: keys are row numbers, 1 to n."""
    from openpyxl import Workbook

    book = Workbook()
    info = book.active
    assert info is not None  # noqa: S101 (a new workbook has its sheet)
    info.title = "plan"
    for name in PLAN_FIELDS:
        value = (plan.owner_unit.code if name == "owner_unit"
                 else ", ".join(plan.fields) if name == "fields" else getattr(plan, name))
        info.append([name, value])
    sheet = book.create_sheet("tasks")
    sheet.append(list(COLUMNS))
    tasks = list(Task.objects.filter(plan=plan).order_by("start", "pk")
                 .select_related("phase", "lead_unit", "person_in_charge", "parent")
                 .prefetch_related("coordinating_units"))
    key = {task.pk: str(n) for n, task in enumerate(tasks, start=1)}
    before: dict[int, list[str]] = {}
    from cityhall.plans.models import Dependency

    for pred, succ, lag in (Dependency.objects.filter(successor__plan=plan)
                            .order_by("predecessor__start", "predecessor_id")
                            .values_list("predecessor_id", "successor_id", "lag")):
        before.setdefault(succ, []).append(key[pred] + (f"+{lag}" if lag else ""))
    for task in tasks:
        sheet.append([
            key[task.pk], task.title, task.description, task.phase.name if task.phase else "",
            task.phase.deadline if task.phase else None, task.lead_unit.code,
            ", ".join(sorted(u.code for u in task.coordinating_units.all())),
            task.person_in_charge.username if task.person_in_charge else "",
            task.start, task.due, task.progress, task.weight,
            key.get(task.parent_id, "") if task.parent_id else "",
            ", ".join(before.get(task.pk, [])), "yes" if task.cancelled else "",
            task.done_on, _origin_text(task)])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
