"""A task's status and a parent's progress, derived from dates, reports and today: pure.

Nothing here touches the database. "Overdue" and "done late" are never typed in: they
follow from the due date, the day the work was done and today. The same rule is written
once more as a SQL expression (`queries.status_expression`), which the tests hold equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import models
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    """What a task's dates, its progress and today say about it."""

    NOT_STARTED = "not_started", pgettext_lazy("task status", "not started")
    IN_PROGRESS = "in_progress", pgettext_lazy("task status", "in progress")
    DONE_ON_TIME = "done_on_time", pgettext_lazy("task status", "done on time")
    DONE_LATE = "done_late", pgettext_lazy("task status", "done late")
    OVERDUE = "overdue", pgettext_lazy("task status", "overdue")
    CANCELLED = "cancelled", pgettext_lazy("task status", "cancelled")


#: Statuses of work that is over (done or cancelled).
CLOSED = frozenset({Status.DONE_ON_TIME, Status.DONE_LATE, Status.CANCELLED})


def task_status(*, start: dt.date, due: dt.date, done_on: dt.date | None, progress: int,
                cancelled: bool, today: dt.date) -> Status:
    """The status of a task on `today`.

    Cancelled wins; then done (on time when finished on or before the due date); then
    overdue (past the due date, not done); then in progress (its start date reached, or
    some progress reported early); else not started.
    """
    if cancelled:
        return Status.CANCELLED
    if done_on is not None:
        return Status.DONE_ON_TIME if done_on <= due else Status.DONE_LATE
    if today > due:
        return Status.OVERDUE
    if today >= start or progress > 0:
        return Status.IN_PROGRESS
    return Status.NOT_STARTED


@dataclass(frozen=True)
class Node:
    """A task in the roll-up: its parent, its weight, its own progress, whether cancelled."""

    parent: int | None
    weight: int
    progress: float
    cancelled: bool = False


def rolled_up(nodes: Mapping[int, Node]) -> dict[int, float]:
    """Every task's progress: a leaf's own, a parent's the weighted mean of its children's.

    Cancelled children and children of weight 0 do not count; a parent with no child that
    counts keeps its own progress. A parent that is not in `nodes` is ignored (its children
    are roots here). Linear in the number of tasks; a cycle of parents raises ValueError.
    """
    children: dict[int, list[int]] = {}
    for key, node in nodes.items():
        if node.parent is not None and node.parent in nodes:
            children.setdefault(node.parent, []).append(key)
    result: dict[int, float] = {}
    # Iterative post-order, so a deep tree does not hit Python's recursion limit.
    state: dict[int, int] = {}  # 1: children pending, 2: done
    for root in nodes:
        if root in result:
            continue
        stack = [root]
        while stack:
            key = stack[-1]
            if state.get(key) is None:
                state[key] = 1
                for child in children.get(key, ()):
                    if state.get(child) == 1:
                        raise ValueError(f"tasks {key} and {child} are each other's parents")
                    if child not in result:
                        stack.append(child)
                continue
            stack.pop()
            if key in result:
                continue
            counted = [(nodes[c].weight, result[c]) for c in children.get(key, ())
                       if not nodes[c].cancelled and nodes[c].weight > 0]
            total = sum(w for w, _ in counted)
            result[key] = (sum(w * p for w, p in counted) / total if total
                           else float(nodes[key].progress))
            state[key] = 2
    return result
