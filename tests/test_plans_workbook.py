"""A plan as XLSX: the round trip gives back the same plan; a bad file changes nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from cityhall.core.models import AuditEntry
from cityhall.plans.demo import TITLE, TITLE_57
from cityhall.plans.models import Dependency, Plan, Task
from cityhall.plans.workbook import WorkbookError, parse_rows, write_xlsx


@pytest.fixture
def demo(db: None) -> Plan:
    call_command("load_demo", verbosity=0)
    call_command("load_demo_plans", verbosity=0)
    return Plan.objects.get(title=TITLE)


def rows_of(content: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {name: [tuple(r) for r in book[name].iter_rows(values_only=True)]
            for name in book.sheetnames}


def test_the_xlsx_round_trip_gives_back_the_same_plan(demo: Plan, tmp_path: Path) -> None:
    first = tmp_path / "plan.xlsx"
    call_command("plans", "export", str(demo.pk), str(first))
    call_command("plans", "import", str(first), "--as", "city.leader")
    copy = Plan.objects.exclude(pk=demo.pk).exclude(title=TITLE_57).get()
    assert rows_of(write_xlsx(copy)) == rows_of(first.read_bytes())
    assert copy.tasks.count() == demo.tasks.count() == 16
    assert Dependency.objects.filter(successor__plan=copy).count() == \
        Dependency.objects.filter(successor__plan=demo).count()
    done = {t.title: t.done_on for t in Task.objects.filter(plan=demo)}
    assert {t.title: t.done_on for t in Task.objects.filter(plan=copy)} == done
    importer = AuditEntry.objects.filter(action="plans.plan_import").get().actor_user
    assert importer is not None and importer.username == "city.leader"


def _rewrite(content: bytes, path: Path, edit: dict[tuple[int, str], str | int]) -> None:
    book = load_workbook(io.BytesIO(content))
    sheet = book["tasks"]
    header = [c.value for c in sheet[1]]
    for (row, column), value in edit.items():
        sheet.cell(row=row, column=header.index(column) + 1, value=value)
    book.save(path)


def test_a_file_with_bad_rows_is_refused_whole_with_every_problem(
        demo: Plan, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    _rewrite(write_xlsx(demo), bad, {(2, "due"): "2025-01-01", (3, "lead_unit"): "nope",
                                     (4, "depends_on"): "99", (5, "progress"): 140,
                                     (6, "depends_on"): "7", (7, "depends_on"): "6"})
    before = (Plan.objects.count(), Task.objects.count())
    with pytest.raises(CommandError) as caught:
        call_command("plans", "import", str(bad))
    message = str(caught.value)
    assert "tasks row 2: due 2025-01-01 comes before start" in message
    assert "depends_on '99' is no row's key" in message
    assert "progress is 0 to 100, not 140" in message
    assert "depend on each other in a circle" in message
    assert (Plan.objects.count(), Task.objects.count()) == before
    assert AuditEntry.objects.filter(action="plans.plan_import_refused").count() == 1
    # Rows that read well but name a unit that does not exist: refused too, nothing written.
    unknown = tmp_path / "unknown.xlsx"
    _rewrite(write_xlsx(demo), unknown, {(3, "lead_unit"): "nope"})
    with pytest.raises(CommandError, match="unknown unit code 'nope'"):
        call_command("plans", "import", str(unknown))
    assert (Plan.objects.count(), Task.objects.count()) == before


def test_parse_rows_needs_a_title_an_owner_and_known_fields() -> None:
    with pytest.raises(WorkbookError) as caught:
        parse_rows({"fields": "cooking"}, [])
    assert caught.value.problems == [
        "plan: title is empty", "plan: owner_unit (the owning unit's code) is empty",
        "plan: unknown field 'cooking' (one of digital_transformation, science_technology, "
        "innovation, administrative_reform, public_investment)"]


def test_not_a_workbook(tmp_path: Path, db: None) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="not an XLSX workbook"):
        call_command("plans", "import", str(junk))
