"""The plans' pure functions: derived status, roll-up, working days and the critical path."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cityhall.plans.critical import Activity, CycleError, Link, critical_path, topological_order
from cityhall.plans.schedule import WorkingDays, deadline_after, plan_schedule
from cityhall.plans.status import Node, Status, rolled_up, task_status
from cityhall.workflow.calendar_data import build_calendar

days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31))


@st.composite
def tasks(draw: st.DrawFn) -> dict[str, object]:
    start = draw(days)
    due = start + dt.timedelta(days=draw(st.integers(0, 400)))
    done = draw(st.none() | days)
    return {"start": start, "due": due, "done_on": done, "progress": draw(st.integers(0, 100)),
            "cancelled": draw(st.booleans())}


@given(tasks(), days)
def test_cancelled_wins_over_everything(task: dict[str, object], today: dt.date) -> None:
    status = task_status(**{**task, "cancelled": True}, today=today)  # type: ignore[arg-type]
    assert status == Status.CANCELLED


@given(tasks(), days)
def test_done_statuses_come_from_the_done_day_and_the_due_date_only(
        task: dict[str, object], today: dt.date) -> None:
    task["cancelled"] = False
    status = task_status(**task, today=today)  # type: ignore[arg-type]
    done = task["done_on"]
    if done is None:
        assert status not in {Status.DONE_ON_TIME, Status.DONE_LATE}
    else:
        assert status == (Status.DONE_ON_TIME if done <= task["due"] else Status.DONE_LATE)  # type: ignore[operator]


@given(tasks(), days)
def test_overdue_exactly_when_open_and_past_the_due_date(
        task: dict[str, object], today: dt.date) -> None:
    status = task_status(**task, today=today)  # type: ignore[arg-type]
    is_open = not task["cancelled"] and task["done_on"] is None
    assert (status == Status.OVERDUE) == (is_open and today > task["due"])  # type: ignore[operator]


@given(tasks(), days, st.integers(1, 500))
def test_an_open_task_only_moves_forward_in_time(
        task: dict[str, object], today: dt.date, later: int) -> None:
    task.update(cancelled=False, done_on=None)
    rank = [Status.NOT_STARTED, Status.IN_PROGRESS, Status.OVERDUE]
    before = task_status(**task, today=today)  # type: ignore[arg-type]
    after = task_status(**task, today=today + dt.timedelta(days=later))  # type: ignore[arg-type]
    assert rank.index(after) >= rank.index(before)


def test_statuses_on_example_days() -> None:
    base = {"start": dt.date(2025, 3, 1), "due": dt.date(2025, 6, 30), "done_on": None,
            "progress": 0, "cancelled": False}
    assert task_status(**base, today=dt.date(2025, 2, 1)) == Status.NOT_STARTED  # type: ignore[arg-type]
    assert task_status(**{**base, "progress": 5}, today=dt.date(2025, 2, 1)) == Status.IN_PROGRESS  # type: ignore[arg-type]
    assert task_status(**base, today=dt.date(2025, 3, 1)) == Status.IN_PROGRESS  # type: ignore[arg-type]
    assert task_status(**base, today=dt.date(2025, 6, 30)) == Status.IN_PROGRESS  # type: ignore[arg-type]
    assert task_status(**base, today=dt.date(2025, 7, 1)) == Status.OVERDUE  # type: ignore[arg-type]
    done = {**base, "done_on": dt.date(2025, 7, 1), "progress": 100}
    assert task_status(**done, today=dt.date(2025, 7, 2)) == Status.DONE_LATE  # type: ignore[arg-type]
    done["done_on"] = dt.date(2025, 6, 30)
    assert task_status(**done, today=dt.date(2026, 1, 1)) == Status.DONE_ON_TIME  # type: ignore[arg-type]


# -- roll-up ------------------------------------------------------------------

def test_a_parent_rolls_up_its_childrens_weighted_progress() -> None:
    nodes = {1: Node(None, 1, 0), 2: Node(1, 3, 100), 3: Node(1, 1, 0), 4: Node(None, 1, 40)}
    assert rolled_up(nodes) == {1: 75.0, 2: 100.0, 3: 0.0, 4: 40.0}


def test_cancelled_and_weightless_children_do_not_count() -> None:
    nodes = {1: Node(None, 1, 10), 2: Node(1, 1, 50), 3: Node(1, 5, 0, cancelled=True),
             4: Node(1, 0, 0)}
    assert rolled_up(nodes)[1] == 50.0
    only_cancelled = {1: Node(None, 1, 10), 2: Node(1, 1, 90, cancelled=True)}
    assert rolled_up(only_cancelled)[1] == 10.0


def test_roll_up_goes_through_grandchildren() -> None:
    nodes = {1: Node(None, 1, 0), 2: Node(1, 1, 0), 3: Node(2, 1, 100), 4: Node(2, 1, 50),
             5: Node(1, 1, 25)}
    assert rolled_up(nodes) == {1: 50.0, 2: 75.0, 3: 100.0, 4: 50.0, 5: 25.0}


def test_a_cycle_of_parents_is_refused() -> None:
    with pytest.raises(ValueError, match="parents"):
        rolled_up({1: Node(2, 1, 0), 2: Node(1, 1, 0)})


@st.composite
def forests(draw: st.DrawFn) -> dict[int, Node]:
    size = draw(st.integers(1, 40))
    nodes: dict[int, Node] = {}
    for key in range(size):
        parent = draw(st.none() | st.integers(0, key - 1)) if key else None
        nodes[key] = Node(parent, draw(st.integers(0, 5)), draw(st.integers(0, 100)),
                          draw(st.booleans()))
    return nodes


@given(forests())
def test_a_parent_lies_between_its_counted_childrens_progress(nodes: dict[int, Node]) -> None:
    result = rolled_up(nodes)
    for key, node in nodes.items():
        kids = [result[c] for c, n in nodes.items()
                if n.parent == key and not n.cancelled and n.weight > 0]
        if kids:
            assert min(kids) - 1e-9 <= result[key] <= max(kids) + 1e-9
        else:
            assert result[key] == node.progress


# -- working days -------------------------------------------------------------

@pytest.fixture(scope="module")
def calendar():  # type: ignore[no-untyped-def]
    return build_calendar(years=range(2024, 2028), exceptions=[], language="vi")


def test_deadlines_skip_weekends_and_tet(calendar) -> None:  # type: ignore[no-untyped-def]
    # Friday 24 Jan 2025 + 1 working day: Monday 27th (Tết runs 25 Jan to 2 Feb 2025).
    assert deadline_after(calendar, dt.date(2025, 1, 23), 1) == dt.date(2025, 1, 24)
    assert deadline_after(calendar, dt.date(2025, 1, 24), 1) == dt.date(2025, 2, 3)
    assert deadline_after(calendar, dt.date(2025, 6, 27), 1) == dt.date(2025, 6, 30)


def test_working_day_numbers_and_spans(calendar) -> None:  # type: ignore[no-untyped-def]
    numbers = WorkingDays(calendar, dt.date(2025, 6, 2), dt.date(2025, 6, 30))
    assert numbers.number(dt.date(2025, 6, 2)) == 0
    assert numbers.number(dt.date(2025, 6, 7)) == 5  # Saturday: the next working day, Monday
    assert numbers.span(dt.date(2025, 6, 2), dt.date(2025, 6, 6)) == 5
    assert numbers.span(dt.date(2025, 6, 2), dt.date(2025, 6, 9)) == 6
    assert numbers.span(dt.date(2025, 6, 7), dt.date(2025, 6, 8)) == 1  # a weekend: one day


# -- critical path --------------------------------------------------------------

def test_the_longest_chain_is_critical_and_the_short_branch_has_slack() -> None:
    acts = [Activity(1, 0, 5), Activity(2, 0, 3), Activity(3, 0, 4), Activity(4, 0, 2)]
    links = [Link(1, 3), Link(2, 3, lag=1), Link(3, 4, lag=2)]
    schedule = critical_path(acts, links)
    assert schedule.earliest_start == {1: 0, 2: 0, 3: 5, 4: 11}
    assert schedule.finish == 13
    assert schedule.critical == {1, 3, 4}
    assert schedule.slack(2) == 1


def test_a_lag_can_make_the_other_branch_critical() -> None:
    acts = [Activity(1, 0, 5), Activity(2, 0, 3), Activity(3, 0, 4)]
    schedule = critical_path(acts, [Link(1, 3), Link(2, 3, lag=2)])
    assert schedule.critical == {1, 2, 3}
    schedule = critical_path(acts, [Link(1, 3), Link(2, 3, lag=3)])
    assert schedule.critical == {2, 3}


def test_a_late_planned_start_holds_its_successors() -> None:
    schedule = critical_path([Activity(1, 0, 2), Activity(2, 10, 1)], [Link(1, 2)])
    assert schedule.earliest_start[2] == 10
    assert schedule.critical == {2}
    assert schedule.slack(1) == 8  # ends on day 9 at the latest


def test_a_cycle_is_refused_with_its_members() -> None:
    acts = [Activity(i, 0, 1) for i in range(1, 5)]
    with pytest.raises(CycleError) as caught:
        critical_path(acts, [Link(1, 2), Link(2, 3), Link(3, 2), Link(3, 4)])
    assert caught.value.members == [2, 3, 4]


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[Activity], list[Link]]:
    size = draw(st.integers(1, 30))
    acts = [Activity(i, draw(st.integers(0, 20)), draw(st.integers(1, 10))) for i in range(size)]
    links = []
    for after in range(1, size):
        for before in draw(st.sets(st.integers(0, after - 1), max_size=3)):
            links.append(Link(before, after, draw(st.integers(0, 5))))
    return acts, links


@given(dags())
def test_the_schedule_respects_every_link_and_a_critical_chain_spans_the_plan(
        dag: tuple[list[Activity], list[Link]]) -> None:
    acts, links = dag
    s = critical_path(acts, links)
    length = {a.id: a.duration for a in acts}
    for link in links:
        assert s.earliest_start[link.after] >= s.earliest_start[link.before] + \
            length[link.before] + link.lag
    for a in acts:
        assert s.earliest_start[a.id] >= a.start
        assert s.slack(a.id) >= 0
    # Some critical activity ends the plan, and following tight links backwards from it
    # reaches a critical activity that starts at its own planned start.
    end = [k for k in s.critical if s.earliest_start[k] + length[k] == s.finish]
    assert end
    current = end[0]
    while True:
        tight = [x for x in links if x.after == current and x.before in s.critical
                 and s.earliest_start[x.before] + length[x.before] + x.lag
                 == s.earliest_start[current]]
        if not tight:
            assert s.earliest_start[current] == next(a.start for a in acts if a.id == current)
            break
        current = tight[0].before


def test_topological_order_puts_every_link_forward() -> None:
    rng = random.Random(7)
    ids = list(range(200))
    links = [Link(rng.randrange(0, i), i) for i in range(1, 200) for _ in range(2)]
    rng.shuffle(ids)
    order = topological_order(ids, links)
    place = {k: n for n, k in enumerate(order)}
    assert all(place[x.before] < place[x.after] for x in links)


def test_plan_schedule_counts_in_working_days(calendar) -> None:  # type: ignore[no-untyped-def]
    tasks = [(1, dt.date(2025, 6, 2), dt.date(2025, 6, 6)),   # Mon-Fri: 5 working days
             (2, dt.date(2025, 6, 9), dt.date(2025, 6, 10)),  # after 1 with lag 0
             (3, dt.date(2025, 6, 2), dt.date(2025, 6, 3))]   # short branch into 2
    schedule = plan_schedule(calendar, tasks, [(1, 2, 0), (3, 2, 2)])
    assert schedule.critical == {1, 2}
    assert schedule.slack(3) == 1
    assert plan_schedule(calendar, [], []).critical == frozenset()
