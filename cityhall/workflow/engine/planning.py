"""Deadline planning: spans, the stopped clock and the sweep's next rule. Pure: no database.

Every function here works on values in hand (a case object's fields, a parsed definition,
a `WorkCalendar`), so it can be tested with a frozen clock and used by tools that write
cases in bulk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

from django.utils import timezone

from cityhall.workflow.engine.errors import WorkflowCode, WorkflowError
from cityhall.workflow.spec import DefinitionError, Span, Spec, parse_span
from cityhall.workflow.workcalendar import WorkCalendar

# Sweep stages, in the order they fire for one deadline.
REMIND, OVERDUE, AUTO_CLOSE, NOTHING = 0, 1, 2, 3
#: A deadline given to the engine: a moment (aware datetime), or a span from now such as
#: `{"working_days": 15}` or `{"working_hours": 8}`.
Deadline = dt.datetime | Mapping[str, float]


class Planned(Protocol):
    """The fields of a case that deadline planning reads."""

    @property
    def state(self) -> str: ...
    @property
    def state_entered_at(self) -> dt.datetime | None: ...
    @property
    def due_at(self) -> dt.datetime | None: ...
    @property
    def state_due_at(self) -> dt.datetime | None: ...
    @property
    def clock_paused_at(self) -> dt.datetime | None: ...
    @property
    def closed_at(self) -> dt.datetime | None: ...


def span_end(cal: WorkCalendar, start: dt.datetime, span: Span | None) -> dt.datetime | None:
    """When a span that starts at `start` ends; None without a span."""
    if span is None:
        return None
    if span.unit == "working_days":
        return cal.add_working_days(start, int(span.amount))
    return cal.add_working_hours(start, span.amount)


def span_time(cal: WorkCalendar, span: Span) -> dt.timedelta:
    """The working time a span stands for."""
    if span.unit == "working_days":
        return cal.day_length() * int(span.amount)
    return dt.timedelta(hours=span.amount)


def effective_deadline(case: Planned) -> dt.datetime | None:
    """The earlier of the state's and the case's deadlines."""
    return min([d for d in (case.state_due_at, case.due_at) if d is not None], default=None)


def auto_close_at(case: Planned, spec: Spec, cal: WorkCalendar) -> dt.datetime | None:
    """When the definition's auto-close would fire for the case as it stands, if at all."""
    auto = spec.escalation.auto_close
    if auto is None:
        return None
    if auto.counted_from == "state_entry":
        # Counted from entry into a state the action leaves (a resolved report waiting
        # for its rating); it runs even while the clock is stopped there.
        if case.state not in spec.auto_close_sources or case.state_entered_at is None:
            return None
        return cal.add_working_days(case.state_entered_at, auto.after_working_days)
    if case.due_at is None or case.clock_paused_at is not None:
        return None
    return cal.add_working_days(case.due_at, auto.after_working_days)


def schedule(
    case: Planned, spec: Spec, cal: WorkCalendar, first: int, after: dt.datetime | None = None,
) -> tuple[int, dt.datetime | None]:
    """The next deadline rule from stage `first` on, and when it fires.

    Of the rules not yet passed (stage `first` or later, and later than `after`
    when given), the earliest fires next; on a tie, the earlier stage.
    """
    if case.closed_at is not None:
        return NOTHING, None
    plan: list[tuple[int, dt.datetime]] = []
    if case.clock_paused_at is None:
        esc = spec.escalation
        effective = effective_deadline(case)
        if effective is not None and esc.remind_before is not None:
            ahead = span_time(cal, esc.remind_before)
            plan.append((REMIND, cal.subtract_working_time(effective, ahead)))
        if effective is not None and esc.on_overdue != "none":
            plan.append((OVERDUE, effective))
    auto_at = auto_close_at(case, spec, cal)
    if auto_at is not None:
        plan.append((AUTO_CLOSE, auto_at))
    due = [(at, stage) for stage, at in plan
           if stage >= first and (after is None or at > after)]
    if not due:
        return NOTHING, None
    at, stage = min(due)
    return stage, at


def next_rule(
    case: Planned, spec: Spec, cal: WorkCalendar, first: int = REMIND,
) -> tuple[int, dt.datetime | None]:
    """The sweep bookmark (stage, moment) the engine would plan for `case` from stage `first`.

    For tools that write cases in bulk without running the workflow (an import, the
    benchmarks' generator) and must leave the bookmark the sweep expects. `case` needs
    `closed_at`, `clock_paused_at`, `due_at`, `state_due_at`, `state` and
    `state_entered_at`.
    """
    return schedule(case, spec, cal, first)


def deadline_at(cal: WorkCalendar, now: dt.datetime, deadline: Deadline) -> dt.datetime:
    """The moment a deadline given as a moment or as a span from `now` falls on."""
    if isinstance(deadline, dt.datetime):
        if timezone.is_naive(deadline):
            raise WorkflowError(WorkflowCode.INVALID_DEADLINE)
        return deadline
    try:
        span = parse_span("deadline", dict(deadline))
    except DefinitionError:
        raise WorkflowError(WorkflowCode.INVALID_DEADLINE) from None
    end = span_end(cal, now, span)
    if end is None:
        raise WorkflowError(WorkflowCode.INVALID_DEADLINE)
    return end


def remaining(cal: WorkCalendar, case: Any, now: dt.datetime) -> int | None:
    """The working seconds left to the case deadline at `now` (kept while the clock stops)."""
    if case.clock_paused_at is not None:
        return case.clock_remaining_seconds
    if case.due_at is None:
        return None
    return int(cal.working_time_between(now, case.due_at).total_seconds())


def move(
    case: Any, spec: Spec, cal: WorkCalendar, target: str, *, now: dt.datetime,
    due_at: dt.datetime | None = None,
) -> None:
    """Plan `case` into `target` in memory: clock, state deadline, closing, next sweep.

    `due_at`, when given, becomes the case deadline (the caller records it in the step).
    `case` is a case object (its fields are set, nothing is saved).
    """
    states = spec.states
    source = case.state
    was_stopped = states[source].stops_clock
    stops = states[target].stops_clock
    old_effective = effective_deadline(case)
    # The deadline rules are planned again from the first one, skipping those whose moment
    # passed before `held_since`, when they were held back: while the clock was stopped
    # (none is planned then), or while a state-entry auto-close was planned ahead of them.
    held_since: dt.datetime | None = None
    auto = spec.escalation.auto_close
    if target != source and case.sweep_stage == AUTO_CLOSE and auto is not None \
            and auto.counted_from == "state_entry" and source in spec.auto_close_sources:
        held_since = now
    if stops and not was_stopped and case.clock_paused_at is None:
        case.clock_remaining_seconds = remaining(cal, case, now)
        case.clock_paused_at = now
    elif was_stopped and not stops and case.clock_paused_at is not None:
        held_since = min(filter(None, [held_since, case.clock_paused_at]))
        left = case.clock_remaining_seconds
        if case.due_at is not None and left is not None and left > 0:
            restarted = cal.add_working_time(now, dt.timedelta(seconds=left))
            case.due_at = max(case.due_at, restarted)
        case.clock_paused_at = None
        case.clock_remaining_seconds = None
    if due_at is not None:
        case.due_at = due_at
        if case.clock_paused_at is not None:
            # The clock is stopped: keep the working time to the new deadline for the restart.
            case.clock_remaining_seconds = int(
                cal.working_time_between(now, due_at).total_seconds())
    if target != source:
        case.state = target
        case.state_entered_at = now
        case.state_due_at = span_end(cal, now, states[target].deadline)
    if states[target].terminal:
        case.closed_at = now
    new_effective = effective_deadline(case)
    if held_since is not None and new_effective == old_effective:
        case.sweep_stage, case.next_sweep_at = schedule(case, spec, cal, REMIND, held_since)
        return
    # A new deadline starts the rules afresh; the same deadline keeps its progress.
    first = case.sweep_stage if new_effective == old_effective else REMIND
    case.sweep_stage, case.next_sweep_at = schedule(case, spec, cal, first)
