"""Workflow definitions as typed objects: what the engine reads, and what it refuses."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from cityhall.workflow import definitions
from cityhall.workflow.spec import DefinitionError, Span, parse

EXAMPLE_FILE = next(p for p in definitions.definition_files() if p.name == "example.v1.yaml")
REPORT_FILE = next(p for p in definitions.definition_files() if p.name == "report.v2.yaml")


def _example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))


def test_the_example_file_reads_as_typed_states_actions_rules_and_spans() -> None:
    spec = parse(_example())
    assert (spec.name, spec.version, spec.start_state) == ("example", 1, "received")
    assert spec.deadline == Span(unit="working_days", amount=5)
    assert spec.states["received"].deadline == Span(unit="working_hours", amount=8)
    assert spec.states["waiting_applicant"].stops_clock
    assert [n for n, s in spec.states.items() if s.terminal] == ["done", "rejected", "expired"]
    assign = spec.actions["assign"]
    assert (assign.sources, assign.to, assign.roles, assign.requires) == (
        ("received", "in_progress"), "in_progress", ("clerk", "leader"), ("assignee",))
    assert spec.escalation.on_overdue == "escalate_to_unit_leader"
    assert spec.escalation.auto_close is not None
    assert spec.escalation.auto_close.counted_from == "deadline"
    assert spec.auto_close_sources == {"received", "in_progress", "waiting_applicant", "review"}
    assert [r.template for r in spec.rules_for("assign")] == ["case_assigned"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["states"]["waiting_applicant"].update(stop_clock=True),
         "state waiting_applicant: unknown key 'stop_clock'"),
        (lambda s: s["actions"]["assign"].update(require=["comment"]),
         "action assign: unknown key 'require'"),
        (lambda s: s["escalation"].update(remind={"working_hours": 4}),
         "escalation: unknown key 'remind'"),
        (lambda s: s["notifications"][0].update(audiences=["actor"]),
         "notification 1: unknown key 'audiences'"),
        (lambda s: s["states"]["review"].update(deadline={"working_days": 1, "hours": 2}),
         "state review: give exactly one of working_days / working_hours"),
        (lambda s: s["actions"]["approve"].pop("to"), "action approve: missing 'to'"),
        (lambda s: s.pop("name"), "missing 'name'"),
    ],
)
def test_it_refuses_a_key_the_engine_does_not_know_inside_a_definition(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    spec = _example()
    change(spec)
    with pytest.raises(DefinitionError) as err:
        definitions.validate(spec)
    assert str(err.value) == message


def test_a_top_level_key_the_engine_does_not_read_is_left_to_the_app() -> None:
    spec = parse(yaml.safe_load(REPORT_FILE.read_text(encoding="utf-8")))
    assert spec.setting("transfer") == {"deadline": "restart"}
    assert spec.setting("absent") is None


def test_empty_states_and_an_empty_escalation_read_as_defaults() -> None:
    raw = _example()
    raw["states"]["in_progress"] = None
    raw["escalation"] = None
    spec = parse(raw)
    assert spec.states["in_progress"].deadline is None
    assert spec.escalation.auto_close is None and spec.escalation.on_overdue == "none"


def test_the_stored_form_keeps_the_files_order_whatever_order_the_database_returns() -> None:
    stored = definitions.validate(_example())
    assert stored["state_order"][0] == "received" and stored["action_order"][-1] == "expire"
    shuffled = dict(stored)
    for part in ("states", "actions"):
        names = list(stored[part])
        random.Random(7).shuffle(names)
        shuffled[part] = {n: stored[part][n] for n in names}
    spec = parse(shuffled)
    assert list(spec.states) == stored["state_order"]
    assert list(spec.actions) == stored["action_order"]
    assert spec.setting("state_order") is None  # the order is not a setting of the app
