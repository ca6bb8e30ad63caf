"""The workflow engine: definitions, starting, acting, history, deadlines and sweeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

import pytest
import yaml
from django.db import IntegrityError, transaction
from pytest_django import DjangoAssertNumQueries

from cityhall.accounts.models import User
from cityhall.core import localcache
from cityhall.core.audit import SYSTEM
from cityhall.core.fields import concrete_field
from cityhall.core.models import AuditEntry
from cityhall.notifications.models import Notification, OutboxMessage
from cityhall.workflow import definitions, engine
from cityhall.workflow.definitions import DefinitionError
from cityhall.workflow.engine import WorkflowError
from cityhall.workflow.models import ExampleCase, Transition, WorkflowDefinition
from tests.factories import at
from tests.workflow_support import new_case, ward_staff

pytestmark = pytest.mark.django_db

FRI = at(2026, 2, 13, 10)  # the Friday before Tết 2026
# Other apps ship definitions too (reports): pick the engine's own example by name.
EXAMPLE_FILE = next(p for p in definitions.definition_files() if p.name == "example.v1.yaml")


def test_start_puts_the_case_in_the_start_state_with_working_day_deadlines() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    case.refresh_from_db()
    assert case.state == "received"
    assert case.workflow is not None
    assert case.workflow.name == "example" and case.workflow.version == 1
    assert case.due_at == at(2026, 2, 27, 17)
    assert case.state_due_at == at(2026, 2, 23, 10)  # 8 working hours, across Tết
    assert [t.action for t in engine.history(case)] == ["start"]
    assert AuditEntry.objects.filter(action="workflow.start", object_id=str(case.pk)).exists()


def test_available_actions_depend_on_role_state_and_assignee() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    assert engine.available_actions(case, staff.clerk) == ["assign"]
    assert engine.available_actions(case, staff.leader) == ["assign", "reject"]
    assert engine.available_actions(case, staff.officer) == []
    assert engine.available_actions(case, staff.outsider) == []
    # The city leader leads the ward's parent, so the subtree includes this case.
    assert engine.available_actions(case, staff.city_leader) == ["assign", "reject"]
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    assert engine.available_actions(case, staff.officer) == [
        "request_supplement", "submit_for_review"
    ]
    assert engine.available_actions(case, staff.other_officer) == []  # not the assignee


def test_perform_refuses_wrong_role_wrong_state_and_missing_inputs() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    with pytest.raises(WorkflowError) as err:
        engine.perform(case, "assign", actor=staff.officer, assignee=staff.officer)
    assert err.value.code == "not_allowed"
    with pytest.raises(WorkflowError) as err:
        engine.perform(case, "approve", actor=staff.leader, comment="ok")
    assert err.value.code == "invalid_state"
    with pytest.raises(WorkflowError) as err:
        engine.perform(case, "assign", actor=staff.clerk)
    assert err.value.code == "assignee_required"
    with pytest.raises(WorkflowError) as err:
        engine.perform(case, "assign", actor=staff.clerk, assignee=staff.outsider)
    assert err.value.code == "assignee_out_of_scope"
    with pytest.raises(WorkflowError) as err:
        engine.perform(case, "reject", actor=staff.leader, reason="because")
    assert err.value.code == "reason_required"
    with pytest.raises(WorkflowError) as err:
        engine.perform(case, "fly", actor=staff.leader)
    assert err.value.code == "unknown_action"
    case.refresh_from_db()
    assert case.state == "received" and case.steps == 1
    assert Transition.objects.for_case(case).count() == 1


def test_a_full_run_records_every_step_and_closes_the_case() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer,
                   now=at(2026, 2, 23, 8))
    engine.perform(case, "submit_for_review", actor=staff.officer, now=at(2026, 2, 24, 9))
    engine.perform(case, "send_back", actor=staff.leader, comment="thiếu chữ ký",
                   now=at(2026, 2, 24, 10))
    engine.perform(case, "submit_for_review", actor=staff.officer, now=at(2026, 2, 24, 14))
    step = engine.perform(case, "approve", actor=staff.leader, comment="Đồng ý",
                          now=at(2026, 2, 25, 9))
    assert case.state == "done" and case.closed_at == at(2026, 2, 25, 9)
    assert case.next_sweep_at is None
    history = list(engine.history(case))
    assert [t.seq for t in history] == [1, 2, 3, 4, 5, 6]
    assert [(t.from_state, t.to_state) for t in history][-2:] == [
        ("in_progress", "review"), ("review", "done")
    ]
    assert step is not None
    assert step.comment == "Đồng ý" and step.actor == staff.leader
    # Wed 09:00 to Fri 17:00: 6.5 + 8 + 8 working hours were left when it was approved.
    assert step.remaining_seconds == int(dt.timedelta(hours=22, minutes=30).total_seconds())
    assert engine.available_actions(case, staff.leader) == []


def test_the_same_idempotency_key_performs_once() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    first = engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer,
                           idempotency_key="req-1", now=FRI)
    again = engine.perform(case, "assign", actor=staff.clerk, assignee=staff.other_officer,
                           idempotency_key="req-1", now=FRI)
    assert first is not None and again is not None and first.pk == again.pk
    case.refresh_from_db()
    assert case.assignee == staff.officer and case.steps == 2


def test_history_is_append_only() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    step = engine.history(case).first()
    assert step is not None
    step.comment = "rewritten"
    with pytest.raises(TypeError):
        step.save()
    with pytest.raises(TypeError):
        step.delete()
    with pytest.raises(TypeError):
        Transition.objects.for_case(case).update(comment="x")
    with pytest.raises(TypeError):
        Transition.objects.for_case(case).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Transition.objects.create(case_type=step.case_type, case_id=step.case_id,
                                  workflow=step.workflow, seq=1, action="forged",
                                  to_state="done", actor_label="x")
    assert Transition.objects.get(pk=step.pk).comment == ""


def test_a_state_that_stops_the_clock_pushes_the_deadline_by_the_time_stopped() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer,
                   now=at(2026, 2, 23, 8))
    engine.perform(case, "request_supplement", actor=staff.officer, comment="Thiếu bản sao",
                   now=at(2026, 2, 24, 9, 30))
    assert case.clock_paused_at == at(2026, 2, 24, 9, 30)
    assert case.next_sweep_at is None  # no reminders while the applicant holds the case
    # Remaining at the stop: rest of Tue (6 h) + Wed, Thu, Fri (24 h) = 30 working hours.
    assert case.clock_remaining_seconds == 30 * 3600
    engine.perform(case, "supplement_received", actor=staff.clerk, now=at(2026, 3, 2, 7, 30))
    assert case.clock_paused_at is None
    assert case.due_at == at(2026, 3, 5, 15)  # Mon 07:30 + 30 working hours
    steps = list(engine.history(case))
    assert steps[-1].remaining_seconds == 30 * 3600


def test_the_applicant_is_told_in_their_language_and_the_assignee_in_theirs() -> None:
    staff = ward_staff(language="en")
    staff.officer.language = "vi"
    staff.officer.save()
    case = new_case(staff, FRI)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    note = Notification.objects.get(recipient=staff.officer)
    assert note.subject.startswith("Hồ sơ được giao cho bạn")
    assert OutboxMessage.objects.filter(recipient=staff.officer, channel="email").count() == 1
    engine.perform(case, "request_supplement", actor=staff.officer, comment="x", now=FRI)
    sms = OutboxMessage.objects.get(recipient=staff.applicant, channel="sms")
    assert sms.address == "0901234567"
    assert sms.subject.startswith("Please supplement")


def test_a_case_keeps_its_version_when_a_new_one_is_loaded(tmp_path: Path) -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    spec = yaml.safe_load(EXAMPLE_FILE.read_text())
    spec["version"] = 2
    spec["deadline"] = {"working_days": 10}
    path = tmp_path / "example.v2.yaml"
    path.write_text(yaml.safe_dump(spec))
    v2, created = definitions.load_file(path)
    assert created and v2.version == 2
    later = new_case(staff, FRI, title="later")
    assert later.workflow == v2 and later.due_at == at(2026, 3, 6, 17)
    case.refresh_from_db()
    assert case.workflow is not None and case.workflow.version == 1
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    assert case.due_at == at(2026, 2, 27, 17)


def test_the_newest_version_kept_per_process_is_forgotten_when_one_is_loaded(
    tmp_path: Path, django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    """Starting a case reads the newest version from a process cache (where the caller's
    transaction changes no reference row); loading a version in this process empties it."""
    ward_staff()
    definitions.latest("example")  # loaded (the first use loads the files)
    with localcache.caching_in_transaction():
        v1 = definitions.latest_id("example")
        with django_assert_num_queries(0):
            assert definitions.latest_id("example") == v1
    spec = yaml.safe_load(EXAMPLE_FILE.read_text())
    spec["version"] = 2
    path = tmp_path / "example.v2.yaml"
    path.write_text(yaml.safe_dump(spec))
    v2, _created = definitions.load_file(path)
    with localcache.caching_in_transaction():
        assert definitions.latest_id("example") == v2.pk != v1


def test_a_version_in_use_cannot_be_changed(tmp_path: Path) -> None:
    staff = ward_staff()
    new_case(staff, FRI)
    spec = yaml.safe_load(EXAMPLE_FILE.read_text())
    spec["title"] = "changed"
    path = tmp_path / "example.v1.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(DefinitionError, match="in use"):
        definitions.load_file(path)
    assert WorkflowDefinition.objects.get(name="example", version=1).title == "Example request"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: [v.pop("terminal", None) for v in s["states"].values()], "terminal"),
        (lambda s: s["actions"]["assign"].update(to="nowhere"), "unknown target"),
        (lambda s: s["actions"]["approve"].update(roles=[]), "roles"),
        (lambda s: s["actions"]["reject"].pop("reasons"), "reasons"),
        (lambda s: s.update(deadline={"weeks": 2}), "unknown unit"),
        (lambda s: s["escalation"].update(on_overdue="panic"), "on_overdue"),
        (lambda s: s["notifications"].append({"event": "x", "audience": ["a"],
                                              "channels": ["in_app"], "template": "t"}),
         "unknown action"),
    ],
)
def test_it_rejects_a_definition_that_does_not_hold_together(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    spec = yaml.safe_load(EXAMPLE_FILE.read_text())
    change(spec)
    with pytest.raises(DefinitionError, match=message):
        definitions.validate(spec)


def test_sweep_reminds_then_escalates_to_the_unit_leader_exactly_once() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    # In progress: state deadline 3 working days -> Wed 25 Feb 17:00; remind 4 h before.
    assert case.state_due_at == at(2026, 2, 25, 17)
    assert case.next_sweep_at == at(2026, 2, 25, 13)
    assert engine.sweep(now=at(2026, 2, 25, 12)).total == 0
    first = engine.sweep(now=at(2026, 2, 25, 13, 5))
    assert (first.reminded, first.escalated) == (1, 0)
    assert Notification.objects.filter(recipient=staff.officer,
                                       subject__startswith="Sắp đến hạn").count() == 1
    assert engine.sweep(now=at(2026, 2, 25, 13, 10)).total == 0
    late = engine.sweep(now=at(2026, 2, 26, 8))
    assert late.escalated == 1
    case.refresh_from_db()
    assert case.assignee == staff.leader and case.escalation_level == 1
    last = engine.history(case).last()
    assert last is not None and last.action == "escalate"
    assert Notification.objects.filter(recipient=staff.leader,
                                       subject__startswith="Overdue").count() == 1
    assert engine.sweep(now=at(2026, 2, 26, 9)).escalated == 0
    escalations = AuditEntry.objects.filter(action="workflow.escalate", object_id=str(case.pk))
    assert escalations.count() == 1


def test_escalation_to_the_parent_unit_and_auto_close(tmp_path: Path) -> None:
    staff = ward_staff()
    spec = yaml.safe_load(EXAMPLE_FILE.read_text())
    spec.update(version=3, escalation={"on_overdue": "escalate_to_parent_unit",
                                       "auto_close": {"after_working_days": 2, "action": "expire"}})
    path = tmp_path / "example.v3.yaml"
    path.write_text(yaml.safe_dump(spec))
    definitions.load_file(path)
    case = new_case(staff, FRI)
    # Received: 8 working hours -> Mon 23 Feb 10:00; the case deadline is Fri 27 Feb 17:00.
    assert engine.sweep(now=at(2026, 2, 23, 11)).escalated == 1
    case.refresh_from_db()
    assert case.assignee == staff.city_leader
    assert engine.sweep(now=at(2026, 3, 3, 16)).closed == 0
    assert engine.sweep(now=at(2026, 3, 3, 17)).closed == 1
    case.refresh_from_db()
    assert case.state == "expired" and case.closed_at is not None
    assert [t.actor_label for t in engine.history(case)][-2:] == ["system", "system"]


def test_the_system_alone_may_take_system_actions() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    assert "expire" not in engine.available_actions(case, staff.city_leader)
    assert engine.available_actions(case, SYSTEM) == ["expire"]


def test_register_case_type_refuses_a_model_without_the_engine_fields() -> None:
    with pytest.raises(TypeError):
        # A model without the engine's fields, on purpose: the registry must refuse it.
        engine.register_case_type(AuditEntry, "example")  # type: ignore[arg-type]
    assert (ExampleCase, "example") in engine.case_types()


def test_perform_writes_an_action_with_few_queries(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)

    def fresh(user: User) -> User:
        # As in a request: user objects come without cached roles or scope.
        return User.objects.get(pk=user.pk)

    officer, leader, other = fresh(staff.officer), fresh(staff.leader), fresh(staff.other_officer)
    # The actor's memberships, the case update, the transition, the audit entry, and the
    # savepoint pair of the nested transaction (the test runs inside one).
    with django_assert_max_num_queries(6):
        engine.perform(case, "submit_for_review", actor=officer, now=FRI)
    with django_assert_max_num_queries(6):
        engine.perform(case, "send_back", actor=leader, comment="x", now=FRI)
    # The same, plus the new assignee's scope and the notices: one insert for in-app
    # notices and one for the outbox, however many people are told.
    with django_assert_max_num_queries(8):
        engine.perform(case, "assign", actor=leader, assignee=other, now=FRI)
    assert [t.action for t in engine.history(case)] == [
        "start", "assign", "submit_for_review", "send_back", "assign"
    ]
    assert AuditEntry.objects.filter(object_type=case._meta.label_lower,
                                     object_id=str(case.pk)).count() == 5
    assert Notification.objects.filter(recipient=staff.other_officer).count() == 1


def test_a_stale_case_object_is_checked_against_its_row() -> None:
    staff = ward_staff()
    case = new_case(staff, FRI)
    stale = ExampleCase.objects.get(pk=case.pk)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    engine.perform(case, "submit_for_review", actor=staff.officer, now=FRI)
    # `stale` still says "received", where a clerk may assign; the row says "review".
    with pytest.raises(WorkflowError) as err:
        engine.perform(stale, "assign", actor=staff.clerk, assignee=staff.other_officer, now=FRI)
    assert err.value.code == "invalid_state"
    assert stale.state == "received"  # a refused action leaves the object as it was
    # An action the row allows succeeds on the stale object, which then holds the row's values.
    engine.perform(stale, "send_back", actor=staff.leader, comment="x", now=FRI)
    assert (stale.state, stale.steps, stale.assignee_id) == ("in_progress", 4, staff.officer.pk)
    assert [t.seq for t in engine.history(case)] == [1, 2, 3, 4]


def test_one_sweep_fires_many_cases_with_a_bounded_number_of_queries(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    staff = ward_staff()
    cases = [new_case(staff, FRI, title=f"case {i}") for i in range(12)]
    for case in cases[:6]:
        engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    # Wed 25 Feb 14:00: the assigned cases are inside their reminder window (in progress
    # until Wed 17:00); the others passed their "received" deadline on Monday, so they are
    # reminded and then escalated. Three rounds (reminders, escalations, an empty claim),
    # each a fixed number of statements whatever the number of cases; plus one empty claim
    # (three statements) for each other registered case type, such as reports.
    others = len(engine.case_types()) - 1
    with django_assert_max_num_queries(23 + 3 * others):
        result = engine.sweep(now=at(2026, 2, 25, 14))
    assert (result.reminded, result.escalated) == (12, 6)
    for case in cases:
        case.refresh_from_db()
    assert {c.escalation_level for c in cases[:6]} == {0}
    assert {(c.escalation_level, c.assignee_id, c.steps) for c in cases[6:]} == {
        (1, staff.leader.pk, 2)
    }
    assert Transition.objects.filter(action="escalate").count() == 6
    assert AuditEntry.objects.filter(action="workflow.escalate").count() == 6
    assert Notification.objects.filter(recipient=staff.officer,
                                       subject__startswith="Sắp đến hạn").count() == 6
    assert engine.sweep(now=at(2026, 2, 25, 14)).total == 0


def test_perform_many_acts_on_every_case_with_one_write_per_table(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    staff = ward_staff()
    few = [new_case(staff, FRI, f"few {i}") for i in range(3)]
    many = [new_case(staff, FRI, f"many {i}") for i in range(40)]
    single = new_case(staff, FRI, "single")
    engine.perform(single, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    engine.perform_many(few, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    clerk, officer = User.objects.get(pk=staff.clerk.pk), User.objects.get(pk=staff.officer.pk)
    # The lock, the units, the actor's memberships, the assignee's scope, the cases, the
    # steps, the audit entries, the two notice tables and a savepoint pair: the same for
    # forty cases as for three.
    with django_assert_max_num_queries(11):
        steps = engine.perform_many(many, "assign", actor=clerk, assignee=officer,
                                    comment="chia việc", now=FRI)
    assert [s.case_id if s else None for s in steps] == [c.pk for c in many]
    for case in many:
        # The objects in hand hold what the rows hold, as after `perform`.
        row = ExampleCase.objects.get(pk=case.pk)
        assert (case.state, case.assignee_id, case.steps) == ("in_progress", staff.officer.pk, 2)
        assert (row.state, row.assignee_id, row.steps, row.next_sweep_at, row.sweep_stage) == (
            case.state, case.assignee_id, case.steps, case.next_sweep_at, case.sweep_stage)
        assert [(t.action, t.seq, t.comment) for t in engine.history(case)] == [
            ("start", 1, ""), ("assign", 2, "chia việc")]
    # The same rows as one action at a time would leave: history, deadlines, audit, notices.
    reference = ExampleCase.objects.get(pk=single.pk)
    for case in many[:1]:
        assert (case.due_at, case.state_due_at, case.next_sweep_at) == (
            reference.due_at, reference.state_due_at, reference.next_sweep_at)
    assert AuditEntry.objects.filter(action="workflow.assign",
                                     object_id__in=[str(c.pk) for c in many]).count() == 40
    assert Notification.objects.filter(recipient=staff.officer).count() == 1 + 3 + 40


def test_perform_many_is_all_or_nothing_and_names_the_refused_case() -> None:
    staff = ward_staff()
    cases = [new_case(staff, FRI, f"batch {i}") for i in range(5)]
    engine.perform(cases[3], "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    engine.perform(cases[3], "submit_for_review", actor=staff.officer, now=FRI)
    before = list(Transition.objects.order_by("pk").values_list("pk", flat=True))
    with pytest.raises(engine.BatchError) as err:
        engine.perform_many(cases, "assign", actor=staff.clerk, assignee=staff.officer, now=FRI)
    assert err.value.case is cases[3] and err.value.code == "invalid_state"
    assert list(Transition.objects.order_by("pk").values_list("pk", flat=True)) == before
    assert [c.state for c in ExampleCase.objects.filter(pk__in=[c.pk for c in cases])
            .order_by("pk")] == ["received", "received", "received", "review", "received"]
    # Refused for the actor's role or the assignee's scope, as `perform` refuses.
    with pytest.raises(engine.BatchError) as err:
        engine.perform_many(cases[:2], "assign", actor=staff.outsider, assignee=staff.officer,
                            now=FRI)
    assert err.value.code == "not_allowed"
    with pytest.raises(engine.BatchError) as err:
        engine.perform_many(cases[:2], "assign", actor=staff.clerk, assignee=staff.outsider,
                            now=FRI)
    assert err.value.code == "assignee_out_of_scope"
    with pytest.raises(WorkflowError) as plain:
        engine.perform_many([cases[0], cases[0]], "assign", actor=staff.clerk,
                            assignee=staff.officer, now=FRI)
    assert plain.value.code == "duplicate_case"
    assert Transition.objects.filter(action="assign").count() == 1


def test_perform_many_with_the_same_idempotency_key_acts_once() -> None:
    staff = ward_staff()
    cases = [new_case(staff, FRI, f"retry {i}") for i in range(3)]
    first = engine.perform_many(cases, "assign", actor=staff.clerk, assignee=staff.officer,
                                idempotency_key="bulk-1", now=FRI)
    # A retry with fresh objects (as a second request would have) gets the same steps back.
    again = engine.perform_many(list(ExampleCase.objects.filter(pk__in=[c.pk for c in cases])
                                     .order_by("pk")),
                                "assign", actor=staff.clerk, assignee=staff.officer,
                                idempotency_key="bulk-1", now=FRI)
    assert None not in first
    assert [s.pk if s else None for s in again] == [s.pk if s else None for s in first]
    assert Transition.objects.filter(action="assign").count() == 3


class _ActionArgs(TypedDict, total=False):
    """The keyword arguments some actions need beyond the actor and the moment."""

    assignee: User
    comment: str


def test_perform_many_leaves_the_rows_one_perform_at_a_time_would() -> None:
    staff = ward_staff()
    one = [new_case(staff, FRI, f"hồ sơ {i}") for i in range(3)]
    many = [new_case(staff, FRI, f"hồ sơ {i}") for i in range(3)]
    later = FRI + dt.timedelta(days=1, hours=2)
    plan: list[tuple[str, User, _ActionArgs]] = [
        ("assign", staff.clerk, {"assignee": staff.officer}),
        ("submit_for_review", staff.officer, {}),
        ("send_back", staff.leader, {"comment": "bổ sung"}),
    ]
    for action, actor, extra in plan:
        for case in one:
            engine.perform(case, action, actor=actor, now=later, **extra)
        engine.perform_many(many, action, actor=actor, now=later, **extra)

    def case_row(case: ExampleCase) -> tuple[object, ...]:
        row = ExampleCase.objects.get(pk=case.pk)
        return tuple(getattr(row, concrete_field(row, n).attname) for n in engine.CASE_FIELDS)

    def steps(case: ExampleCase) -> list[tuple[object, ...]]:
        return list(engine.history(case).values_list(
            "seq", "action", "from_state", "to_state", "actor_id", "comment", "assignee_id",
            "assignee_before_id", "due_at", "remaining_seconds"))

    def audits(case: ExampleCase) -> list[tuple[object, ...]]:
        return list(AuditEntry.objects.filter(object_id=str(case.pk),
                                              action__startswith="workflow.")
                    .order_by("pk").values_list("action", "changes", "unit_id"))

    for a, b in zip(one, many, strict=True):
        assert case_row(a) == case_row(b)
        assert steps(a) == steps(b)
        assert audits(a) == audits(b)

    def told(case: ExampleCase) -> list[tuple[object, ...]]:
        return sorted(Notification.objects.filter(subject_ref=f"workflow.examplecase:{case.pk}")
                      .values_list("recipient_id", "subject"))

    assert told(one[0]) and all(told(a) == told(b) for a, b in zip(one, many, strict=True))


def test_the_definition_example_in_the_workflow_doc_is_the_example_file() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "workflow.md").read_text()
    section = doc.split("## Definition format", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert yaml.safe_load(block) == yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))
