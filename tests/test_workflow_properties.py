"""Property test: random actions by random people never break a case."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityhall.core.audit import SYSTEM
from cityhall.notifications.models import Notification
from cityhall.workflow import engine
from cityhall.workflow.engine import WorkflowError
from cityhall.workflow.models import ExampleCase
from tests.factories import at
from tests.workflow_support import Staff, new_case, ward_staff

pytestmark = pytest.mark.django_db

ACTIONS = ["assign", "request_supplement", "supplement_received", "submit_for_review",
           "approve", "send_back", "reject", "expire", "sweep"]
PEOPLE = ["clerk", "officer", "other_officer", "leader", "city_leader", "applicant", "outsider",
          "system"]

steps = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS), st.sampled_from(PEOPLE), st.sampled_from(PEOPLE),
        st.integers(min_value=0, max_value=60 * 24 * 4), st.booleans(), st.booleans(),
        st.booleans(),
    ),
    min_size=1, max_size=25,
)


@pytest.fixture
def staff() -> Staff:
    return ward_staff()


def _actor(staff: Staff, name: str) -> object:
    return SYSTEM if name == "system" else getattr(staff, name)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
def test_random_actions_keep_states_defined_history_whole_and_deadlines_forward(
    staff: Staff, plan: list[tuple[str, str, str, int, bool, bool, bool]]
) -> None:
    now = at(2026, 2, 13, 10)
    case = new_case(staff, now)
    assert case.due_at is not None
    spec = engine.case_spec(case)
    due = case.due_at
    ref = f"workflow.examplecase:{case.pk}"
    for action, who, whom, minutes, with_comment, with_reason, batched in plan:
        now += dt.timedelta(minutes=minutes)
        before = ExampleCase.objects.get(pk=case.pk)
        told_before = Notification.objects.filter(subject_ref=ref).count()
        if action == "sweep":
            engine.sweep(now=now)
            case.refresh_from_db()
        else:
            # The batch path (bulk actions) must keep the same promises as one action.
            take: Any = (lambda c, *a, **k: engine.perform_many([c], *a, **k)[0]) if batched \
                else engine.perform
            try:
                step = take(
                    case, action, actor=_actor(staff, who),
                    assignee=None if whom == "system" else _actor(staff, whom),
                    comment="ghi chú" if with_comment else "",
                    reason="duplicate" if with_reason else "", now=now,
                )
            except WorkflowError:
                step = None
            after = ExampleCase.objects.get(pk=case.pk)
            if step is None:
                # Refused, or nothing to change: the row is as it was, and nobody is told.
                assert (after.state, after.steps, after.assignee_id, after.due_at) == (
                    before.state, before.steps, before.assignee_id, before.due_at)
                assert Notification.objects.filter(subject_ref=ref).count() == told_before
            else:
                assert (step.seq, after.steps) == (before.steps + 1, before.steps + 1)
        assert case.state in spec.states
        history = list(engine.history(case))
        assert [t.seq for t in history] == list(range(1, case.steps + 1))
        assert history[-1].to_state == case.state
        assert all(a.to_state == b.from_state for a, b in itertools.pairwise(history))
        if spec.states[case.state].terminal:
            assert case.closed_at is not None and engine.available_actions(case, staff.leader) == []
        # The case deadline only moves later, and only when a stopped clock restarts.
        assert case.due_at is not None and case.due_at >= due
        due = case.due_at
