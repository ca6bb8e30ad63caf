"""Actions that would change nothing: no step, no audit entry, no notice, and the caller knows."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.utils import timezone

from cityhall.core.models import AuditEntry
from cityhall.notifications.models import Notification, OutboxMessage
from cityhall.workflow import definitions, engine
from cityhall.workflow.models import ExampleCase, Transition
from tests.factories import at
from tests.workflow_support import new_case, run_together, ward_staff

FRI = at(2026, 2, 13, 10)
EXAMPLE_FILE = next(p for p in definitions.definition_files() if p.name == "example.v1.yaml")


def _told(case: ExampleCase) -> list[tuple[int | None, str]]:
    return list(Notification.objects.filter(subject_ref=f"workflow.examplecase:{case.pk}")
                .order_by("pk").values_list("recipient_id", "subject"))


@pytest.mark.django_db
def test_assigning_a_case_to_its_assignee_in_the_same_state_records_nothing() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    first = engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    assert first is not None and (first.seq, case.state) == (2, "in_progress")
    told = _told(case)
    assert len(told) == 1
    # Assign moves to "in_progress", where the case is: the same person again changes nothing.
    again = engine.perform(case, "assign", actor=staff.leader, assignee=staff.officer,
                           comment="giao lại", now=at(2026, 2, 13, 11))
    assert again is None
    assert [t.action for t in engine.history(case)] == ["start", "assign"]
    assert _told(case) == told
    assert OutboxMessage.objects.filter(recipient=staff.officer).count() == 1
    assert AuditEntry.objects.filter(action="workflow.assign", object_id=str(case.pk)).count() == 1
    row = ExampleCase.objects.get(pk=case.pk)
    assert (row.steps, row.assignee_id, row.state) == (2, staff.officer.pk, "in_progress")
    assert case.steps == 2


@pytest.mark.django_db
def test_an_action_that_changes_the_assignee_the_state_or_the_deadline_is_recorded() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    assert engine.perform(case, "assign", actor=staff.clerk, assignee=staff.other_officer,
                          now=FRI) is not None
    assert engine.perform(case, "assign", actor=staff.clerk, assignee=staff.other_officer,
                          deadline={"working_days": 10}, now=FRI) is not None
    engine.perform(case, "submit_for_review", actor=staff.other_officer, now=FRI)
    engine.perform(case, "send_back", actor=staff.leader, comment="x", now=FRI)
    assert [t.action for t in engine.history(case)] == [
        "start", "assign", "assign", "assign", "submit_for_review", "send_back"]


@pytest.mark.django_db
def test_a_refused_repeat_is_still_refused() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    with pytest.raises(engine.WorkflowError) as err:
        engine.perform(case, "assign", actor=staff.outsider, assignee=staff.officer, now=FRI)
    assert err.value.code == "not_allowed"


@pytest.mark.django_db
def test_an_action_that_stays_in_its_state_without_assignee_or_deadline_is_a_note(
    tmp_path: Path,
) -> None:
    spec = yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))
    spec["version"] = 7
    spec["actions"]["note"] = {"from": ["in_progress"], "to": "in_progress",
                               "roles": ["officer"], "requires": ["comment"]}
    path = tmp_path / "example.v7.yaml"
    path.write_text(yaml.safe_dump(spec))
    definitions.load_file(path)
    staff = ward_staff()
    case = new_case(staff, FRI)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    for text in ("đã gọi điện", "đã gọi điện"):
        assert engine.perform(case, "note", actor=staff.officer, comment=text, now=FRI)
    assert [t.action for t in engine.history(case)] == ["start", "assign", "note", "note"]


@pytest.mark.django_db
def test_a_stale_object_that_looks_unchanged_is_checked_against_its_row() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    stale = ExampleCase.objects.get(pk=case.pk)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.other_officer, now=FRI)
    # `stale` still names the officer, but the row names the other one: this is a change.
    step = engine.perform(stale, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    assert step is not None and step.assignee_before_id == staff.other_officer.pk
    assert (stale.steps, stale.assignee_id) == (4, staff.officer.pk)


@pytest.mark.django_db
def test_perform_many_skips_the_cases_already_with_that_assignee_and_says_so() -> None:
    staff = ward_staff()
    cases = [new_case(staff, FRI, f"lô {i}") for i in range(4)]
    engine.perform(cases[1], "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    engine.perform(cases[2], "assign", actor=staff.clerk, assignee=staff.other_officer, now=FRI)
    steps = engine.perform_many(cases, "assign", actor=staff.clerk, assignee=staff.officer,
                                now=at(2026, 2, 13, 11))
    assert [s is not None for s in steps] == [True, False, True, True]
    assert [s.case_id for s in steps if s is not None] == [cases[i].pk for i in (0, 2, 3)]
    assert [c.steps for c in cases] == [2, 2, 3, 2]
    assert all(c.assignee_id == staff.officer.pk for c in cases)
    assert Transition.objects.filter(action="assign").count() == 2 + 3
    assert Notification.objects.filter(recipient=staff.officer).count() == 1 + 3
    # Every case already there: nothing is written at all.
    again = engine.perform_many(cases, "assign", actor=staff.clerk, assignee=staff.officer,
                                now=at(2026, 2, 13, 12))
    assert again == [None, None, None, None]
    assert Transition.objects.filter(action="assign").count() == 5


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL: truly concurrent writers on one row")
def test_six_identical_assignments_at_once_make_one_step_and_one_notice(
    committed_registry: None,
) -> None:
    staff = ward_staff()
    case = new_case(staff, timezone.now())
    # Each request holds its own copy of the case, read before any of them acts.
    copies = [ExampleCase.objects.select_related("unit").get(pk=case.pk) for _ in range(6)]
    steps = run_together(*[
        (lambda c=c: engine.perform(c, "assign", actor=staff.clerk, assignee=staff.officer))
        for c in copies
    ])
    assert len([s for s in steps if s is not None]) == 1
    assert [t.action for t in engine.history(case)] == ["start", "assign"]
    assert Notification.objects.filter(recipient=staff.officer).count() == 1
    assert OutboxMessage.objects.filter(recipient=staff.officer).count() == 1
    # Every copy now holds the row as it is, whichever request changed it.
    assert {(c.steps, c.state, c.assignee_id) for c in copies} == {
        (2, "in_progress", staff.officer.pk)}
