"""Deadline planning on its own: plain objects, a frozen clock, no database."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from django.utils import timezone

from cityhall.workflow import definitions
from cityhall.workflow.calendar_data import build_calendar
from cityhall.workflow.engine import planning
from cityhall.workflow.engine.errors import WorkflowError
from cityhall.workflow.spec import Spec, parse
from tests.factories import at

CAL = build_calendar(years=range(2024, 2029), exceptions=[])
EXAMPLE_FILE = next(p for p in definitions.definition_files() if p.name == "example.v1.yaml")
FRI = at(2026, 2, 13, 10)  # the Friday before Tết 2026


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning must use the moment it is given, never the real clock (or the database)."""

    def no_clock() -> dt.datetime:
        raise AssertionError("planning read the clock")

    monkeypatch.setattr(timezone, "now", no_clock)


def _spec() -> Spec:
    return parse(yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8")))


def _case(**fields: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "state": "received", "state_entered_at": FRI, "due_at": None, "state_due_at": None,
        "clock_paused_at": None, "clock_remaining_seconds": None, "closed_at": None,
        "sweep_stage": planning.REMIND, "next_sweep_at": None,
    }
    return SimpleNamespace(**{**base, **fields})


def test_the_reminder_comes_four_working_hours_before_the_earlier_deadline_across_tet() -> None:
    case = _case(state="in_progress", due_at=at(2026, 2, 27, 17), state_due_at=at(2026, 2, 25, 17))
    assert planning.next_rule(case, _spec(), CAL) == (planning.REMIND, at(2026, 2, 25, 13))
    assert planning.next_rule(case, _spec(), CAL, planning.OVERDUE) == (
        planning.OVERDUE, at(2026, 2, 25, 17))
    # After the escalation, the auto-close: 10 working days after the case deadline.
    assert planning.next_rule(case, _spec(), CAL, planning.AUTO_CLOSE) == (
        planning.AUTO_CLOSE, at(2026, 3, 13, 17))


def test_spans_end_in_working_time_and_a_deadline_may_be_a_span_from_now() -> None:
    spec = _spec()
    assert planning.span_end(CAL, FRI, spec.deadline) == at(2026, 2, 27, 17)
    assert planning.span_end(CAL, FRI, spec.states["received"].deadline) == at(2026, 2, 23, 10)
    assert planning.span_end(CAL, FRI, None) is None
    assert planning.deadline_at(CAL, FRI, {"working_days": 5}) == at(2026, 2, 27, 17)
    assert planning.deadline_at(CAL, FRI, at(2026, 3, 2, 9)) == at(2026, 3, 2, 9)
    for bad in ({"weeks": 1}, {}, dt.datetime(2026, 3, 2, 9)):  # the last one naive
        with pytest.raises(WorkflowError) as err:
            planning.deadline_at(CAL, FRI, bad)
        assert err.value.code == "invalid_deadline"


def test_a_stopped_clock_keeps_the_time_left_plans_nothing_and_gives_it_back() -> None:
    spec = _spec()
    case = _case(state="in_progress", due_at=at(2026, 2, 27, 17), state_due_at=at(2026, 2, 27, 17))
    stop = at(2026, 2, 24, 9, 30)
    planning.move(case, spec, CAL, "waiting_applicant", now=stop)
    # Rest of Tuesday (6 h) + Wednesday to Friday (24 h).
    assert (case.clock_paused_at, case.clock_remaining_seconds) == (stop, 30 * 3600)
    assert (case.state, case.state_entered_at, case.state_due_at) == (
        "waiting_applicant", stop, None)
    assert (case.sweep_stage, case.next_sweep_at) == (planning.NOTHING, None)
    planning.move(case, spec, CAL, "in_progress", now=at(2026, 3, 2, 7, 30))
    assert case.clock_paused_at is None and case.clock_remaining_seconds is None
    assert case.due_at == at(2026, 3, 5, 15)  # Monday 07:30 + 30 working hours
    assert case.state_due_at == at(2026, 3, 5, 17)  # 3 working days after Monday
    # Four working hours before the earlier deadline (15:00), over the lunch break.
    assert (case.sweep_stage, case.next_sweep_at) == (planning.REMIND, at(2026, 3, 5, 9, 30))


def test_a_terminal_state_closes_the_case_and_ends_the_plan() -> None:
    case = _case(state="review", due_at=at(2026, 2, 27, 17), sweep_stage=planning.OVERDUE)
    planning.move(case, _spec(), CAL, "done", now=at(2026, 2, 25, 9))
    assert case.closed_at == at(2026, 2, 25, 9)
    assert (case.sweep_stage, case.next_sweep_at) == (planning.NOTHING, None)


def test_the_same_deadline_keeps_the_rules_progress_and_a_new_one_starts_them_again() -> None:
    spec = _spec()
    case = _case(state="in_progress", due_at=at(2026, 2, 27, 17), state_due_at=at(2026, 2, 25, 17),
                 sweep_stage=planning.OVERDUE, next_sweep_at=at(2026, 2, 25, 17))
    planning.move(case, spec, CAL, "in_progress", now=at(2026, 2, 25, 14))
    assert (case.sweep_stage, case.next_sweep_at) == (planning.OVERDUE, at(2026, 2, 25, 17))
    planning.move(case, spec, CAL, "in_progress", now=at(2026, 2, 25, 14),
                  due_at=at(2026, 2, 24, 17))
    assert (case.sweep_stage, case.next_sweep_at) == (planning.REMIND, at(2026, 2, 24, 13))
