"""The engine's public deadline tools: a deadline at start, with an action or on its own,
and auto-close counted from entry into a state; the definition keys that drive them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cityhall.core.models import AuditEntry
from cityhall.workflow import definitions, engine
from cityhall.workflow.calendar_data import current_calendar
from cityhall.workflow.definitions import DefinitionError
from cityhall.workflow.engine import WorkflowError
from cityhall.workflow.models import ExampleCase
from tests.factories import at
from tests.workflow_support import new_case, ward_staff

pytestmark = pytest.mark.django_db

MON = at(2026, 3, 2, 9)  # an ordinary Monday
EXAMPLE_FILE = next(p for p in definitions.definition_files() if p.name == "example.v1.yaml")


def _example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE_FILE.read_text())


def _load(tmp_path: Path, spec: dict[str, Any]) -> None:
    path = tmp_path / f"example.v{spec['version']}.yaml"
    path.write_text(yaml.safe_dump(spec))
    definitions.load_file(path)


def test_start_takes_a_deadline_span_or_moment_and_records_it_in_the_start_step() -> None:
    staff = ward_staff()
    by_span = ExampleCase(title="span", unit=staff.ward)
    engine.start(by_span, actor=staff.clerk, deadline={"working_days": 15}, now=MON)
    assert by_span.due_at == current_calendar().add_working_days(MON, 15)
    assert engine.history(by_span).get().due_at == by_span.due_at
    by_moment = ExampleCase(title="moment", unit=staff.ward)
    engine.start(by_moment, actor=staff.clerk, deadline=at(2026, 3, 20, 17), now=MON)
    by_moment.refresh_from_db()
    assert by_moment.due_at == at(2026, 3, 20, 17)


@pytest.mark.parametrize("bad", [dt.datetime(2026, 3, 20, 17), {"weeks": 2},
                                 {"working_days": 0}, {}])
def test_it_refuses_a_deadline_it_cannot_place(bad: Any) -> None:
    staff = ward_staff()
    case = ExampleCase(title="x", unit=staff.ward)
    with pytest.raises(WorkflowError) as err:
        engine.start(case, actor=staff.clerk, deadline=bad, now=MON)
    assert err.value.code == "invalid_deadline"
    assert case.pk is None


def test_an_action_can_bring_a_new_deadline_which_its_step_and_audit_entry_record() -> None:
    staff = ward_staff()
    case = new_case(staff, MON)
    old = case.due_at
    step = engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer,
                          deadline={"working_days": 10}, now=MON)
    expected = current_calendar().add_working_days(MON, 10)
    case.refresh_from_db()
    assert step is not None
    assert case.due_at == step.due_at == expected != old
    entry = AuditEntry.objects.filter(action="workflow.assign", object_id=str(case.pk)).get()
    assert "due_at" in entry.changes


def test_set_case_deadline_is_a_step_with_its_reason_and_replans_the_sweep() -> None:
    staff = ward_staff()
    case = new_case(staff, MON)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=MON)
    # In progress: 3 working days -> Thu 5 March 17:00; the reminder 4 hours before.
    assert case.next_sweep_at == at(2026, 3, 5, 13)
    step = engine.set_case_deadline(case, at(2026, 3, 4, 17), actor=staff.leader,
                                    reason="Chỉ đạo xử lý gấp", now=MON)
    assert step is not None
    assert (step.action, step.comment, step.due_at) == ("set_deadline", "Chỉ đạo xử lý gấp",
                                                        at(2026, 3, 4, 17))
    assert (step.from_state, step.to_state) == ("in_progress", "in_progress")
    assert (case.due_at, case.steps, case.sweep_stage) == (at(2026, 3, 4, 17), 3, engine.REMIND)
    assert case.next_sweep_at == at(2026, 3, 4, 13)
    case.refresh_from_db()
    assert case.next_sweep_at == at(2026, 3, 4, 13)
    entry = AuditEntry.objects.get(action="workflow.set_deadline", object_id=str(case.pk))
    assert entry.changes["due_at"][1].startswith("2026-03-04")
    assert engine.sweep(now=at(2026, 3, 4, 13, 1)).reminded == 1


def test_set_case_deadline_refuses_without_reason_or_on_a_closed_case() -> None:
    staff = ward_staff()
    case = new_case(staff, MON)
    with pytest.raises(WorkflowError) as err:
        engine.set_case_deadline(case, {"working_days": 3}, actor=staff.leader, reason=" ")
    assert err.value.code == "comment_required"
    engine.perform(case, "reject", actor=staff.leader, reason="duplicate", now=MON)
    with pytest.raises(WorkflowError) as err:
        engine.set_case_deadline(case, {"working_days": 3}, actor=staff.leader, reason="x")
    assert err.value.code == "invalid_state"
    assert [t.action for t in engine.history(case)] == ["start", "reject"]


def test_a_new_deadline_while_the_clock_is_stopped_counts_from_the_restart() -> None:
    staff = ward_staff()
    case = new_case(staff, MON)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=MON)
    engine.perform(case, "request_supplement", actor=staff.officer, comment="Thiếu giấy tờ",
                   now=MON)
    engine.set_case_deadline(case, {"working_days": 2}, actor=staff.leader, reason="Gia hạn",
                             now=MON)
    # Monday 9:00 to Wednesday 17:00: 6.5 + 8 + 8 working hours are kept for the restart.
    assert case.clock_remaining_seconds == int(22.5 * 3600)
    assert case.next_sweep_at is None
    engine.perform(case, "supplement_received", actor=staff.clerk, now=at(2026, 3, 9, 9))
    # Restarted Monday 9 March 9:00 with 22.5 working hours: Wednesday 11 March 17:00.
    assert case.due_at == at(2026, 3, 11, 17)


def _state_entry_auto_close(tmp_path: Path) -> None:
    spec = _example()
    spec["version"] = 5
    spec["actions"]["expire"]["from"] = ["waiting_applicant"]
    spec["escalation"]["auto_close"] = {"after_working_days": 2, "action": "expire",
                                        "counted_from": "state_entry"}
    _load(tmp_path, spec)


def test_auto_close_counted_from_state_entry_runs_even_with_the_clock_stopped(
    tmp_path: Path,
) -> None:
    _state_entry_auto_close(tmp_path)
    staff = ward_staff()
    case = new_case(staff, MON)
    assert case.workflow is not None and case.workflow.version == 5
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=MON)
    engine.perform(case, "request_supplement", actor=staff.officer, comment="Thiếu giấy tờ",
                   now=at(2026, 3, 2, 10))
    # Two working days after entering "waiting_applicant": Wednesday 17:00.
    assert (case.sweep_stage, case.next_sweep_at) == (engine.AUTO_CLOSE, at(2026, 3, 4, 17))
    assert engine.sweep(now=at(2026, 3, 4, 16, 59)).total == 0
    assert engine.sweep(now=at(2026, 3, 4, 17)).closed == 1
    case.refresh_from_db()
    last = engine.history(case).last()
    assert last is not None
    assert case.state == "expired" and last.actor_label == "system"


def test_leaving_the_state_before_the_auto_close_plans_the_deadline_rules_again(
    tmp_path: Path,
) -> None:
    _state_entry_auto_close(tmp_path)
    staff = ward_staff()
    case = new_case(staff, MON)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=MON)
    engine.perform(case, "request_supplement", actor=staff.officer, comment="x", now=MON)
    engine.perform(case, "supplement_received", actor=staff.clerk, now=at(2026, 3, 3, 9))
    assert case.state == "in_progress" and case.sweep_stage == engine.REMIND
    assert case.next_sweep_at is not None and case.state_due_at is not None
    assert case.next_sweep_at < case.state_due_at
    assert engine.sweep(now=at(2026, 3, 4, 17)).closed == 0
    case.refresh_from_db()
    assert case.state == "in_progress"


def test_a_deadline_counted_auto_close_keeps_its_old_meaning(tmp_path: Path) -> None:
    spec = _example()
    spec["version"] = 6
    spec["escalation"] = {"auto_close": {"after_working_days": 1, "action": "expire"}}
    _load(tmp_path, spec)
    staff = ward_staff()
    case = new_case(staff, MON)  # case deadline: 5 working days -> Monday 9 March 17:00
    assert (case.sweep_stage, case.next_sweep_at) == (engine.AUTO_CLOSE, at(2026, 3, 10, 17))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["escalation"]["auto_close"].update(counted_from="reply"), "counted_from"),
        (lambda s: s["escalation"]["auto_close"].update(after="5d"), "takes only"),
        (lambda s: s["escalation"]["auto_close"].update(after_working_days=2.5), "whole number"),
        (lambda s: s["actions"].update(start={"from": ["received"], "to": "done",
                                              "roles": ["leader"]}), "engine's own"),
        (lambda s: s["notifications"].append({"event": "approve", "audience": ["contacts"],
                                              "channels": ["in_app"], "template": "case_done"}),
         "no account"),
    ],
)
def test_it_rejects_bad_auto_close_and_contact_settings(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    spec = _example()
    change(spec)
    with pytest.raises(DefinitionError, match=message):
        definitions.validate(spec)


def test_the_new_keys_are_accepted() -> None:
    spec = _example()
    spec["escalation"]["auto_close"]["counted_from"] = "state_entry"
    spec["notifications"].append({"event": "set_deadline", "audience": ["assignee", "contacts"],
                                  "channels": ["in_app", "email"], "template": "case_done"})
    assert definitions.validate(spec)["escalation"]["auto_close"]["counted_from"] == "state_entry"


def test_a_sweep_of_one_round_fires_one_batch_and_leaves_the_rest_due() -> None:
    staff = ward_staff()
    cases = [new_case(staff, MON, title=f"Hồ sơ {n}") for n in range(5)]
    for case in cases:
        engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=MON)
    due = max(case.next_sweep_at for case in cases if case.next_sweep_at is not None)
    later = due + dt.timedelta(minutes=1)
    # One round of two: a worker asked to stop waits for two cases, not for the backlog.
    assert engine.sweep(now=later, batch=2, rounds=1).reminded == 2
    assert engine.sweep(now=later, batch=2, rounds=1).reminded == 2
    assert engine.sweep(now=later, batch=2).reminded == 1  # until nothing is due
    assert engine.sweep(now=later, batch=2).total == 0


def test_setting_the_deadline_a_case_already_has_changes_nothing() -> None:
    staff = ward_staff()
    case = new_case(staff, MON)
    first = engine.set_case_deadline(case, at(2026, 3, 4, 17), actor=staff.leader,
                                     reason="Chỉ đạo xử lý gấp", now=MON)
    assert first is not None
    steps = case.steps
    again = engine.set_case_deadline(case, at(2026, 3, 4, 17), actor=staff.leader,
                                     reason="Nhắc lại", now=MON)
    assert again is None and case.steps == steps
    assert AuditEntry.objects.filter(action="workflow.set_deadline").count() == 1
