"""`cityhall worker`: one round runs sweeps, delivery and queued tasks; workers never double up."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cityhall.notifications.models import OutboxMessage
from cityhall.workflow import engine
from cityhall.workflow.models import ExampleCase, Transition
from cityhall.workflow.tasks import sweep_now
from tests.workflow_support import make_staff, new_case, run_together


@pytest.mark.django_db
def test_one_worker_round_sweeps_delivers_and_runs_queued_tasks() -> None:
    staff = make_staff()
    long_ago = timezone.now() - dt.timedelta(days=60)
    case = new_case(staff, long_ago)
    engine.perform(case, "assign", actor=staff.clerk, assignee=staff.officer, now=long_ago)
    result = sweep_now.enqueue()
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    case.refresh_from_db()
    # Long overdue: reminded, escalated and finally auto-closed, in one round.
    assert case.state == "expired"
    assert case.escalation_level == 1
    assert OutboxMessage.objects.filter(status="pending").count() == 0
    assert OutboxMessage.objects.filter(status="sent").count() >= 1
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"
    assert "escalated 1" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL: SKIP LOCKED with truly concurrent writers")
def test_two_workers_escalate_each_of_1000_overdue_cases_exactly_once(
    committed_registry: None,
) -> None:
    staff = make_staff()
    template = new_case(staff, timezone.now())
    past = timezone.now() - dt.timedelta(hours=1)
    ExampleCase.objects.bulk_create(
        ExampleCase(
            title=f"overdue {i}", unit=staff.ward, workflow=template.workflow,
            state="in_progress", assignee=staff.officer, started_at=past, due_at=past,
            state_due_at=past, sweep_stage=engine.OVERDUE, next_sweep_at=past,
        )
        for i in range(1000)
    )
    now = timezone.now()
    results = run_together(lambda: engine.sweep(now=now, batch=50),
                           lambda: engine.sweep(now=now, batch=50))
    assert sum(r.escalated for r in results) == 1000
    assert all(r.escalated > 0 for r in results), "both workers took a share"
    per_case = (Transition.objects.filter(action="escalate").values("case_id")
                .annotate(n=Count("id")))
    assert per_case.count() == 1000
    assert {row["n"] for row in per_case} == {1}
    assert not ExampleCase.objects.filter(escalation_level__gt=1).exists()


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs PostgreSQL: truly concurrent writers on one row")
def test_two_people_acting_on_one_case_at_once_are_applied_one_after_the_other(
    committed_registry: None,
) -> None:
    staff = make_staff()
    case = new_case(staff, timezone.now())
    # Each request holds its own copy of the case, read before either acts.
    first, second = (ExampleCase.objects.select_related("unit").get(pk=case.pk)
                     for _ in range(2))
    run_together(
        lambda: engine.perform(first, "assign", actor=staff.clerk, assignee=staff.officer),
        lambda: engine.perform(second, "assign", actor=staff.leader,
                               assignee=staff.other_officer),
    )
    case.refresh_from_db()
    history = list(engine.history(case))
    assert [t.seq for t in history] == [1, 2, 3] and case.steps == 3
    # The second one was checked against the row the first one left, not its stale copy.
    assert [t.from_state for t in history[1:]] == ["received", "in_progress"]
    assert case.assignee_id == history[-1].assignee_id
