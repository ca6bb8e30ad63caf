"""Scorecards: per unit or per person, for a month, how the tasks due in it went; ranked.

A task counts in the month its due date falls in (cancelled tasks never count). Done on
time: done on or before its due date. Done late: after it. Overdue now: not done and its
due date passed. Delay: working days between the due date and the day it was done (or
today, if still open), over the late tasks. Share met: the share done on time. Commitments:
the targets (targets.py) whose day falls in the month, and the share of them met.
Ranked by the share done on time (highest first), then the share of commitments met, then
fewer overdue, then more tasks due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cityhall.plans.models import Task
from cityhall.plans.schedule import WorkingDays
from cityhall.plans.targets import target_states
from cityhall.workflow.workcalendar import WorkCalendar

Kind = Literal["unit", "person"]


@dataclass
class Scorecard:
    """One unit's or person's month."""

    key: str
    name: str
    due: int = 0
    done_on_time: int = 0
    done_late: int = 0
    overdue_now: int = 0
    delay_days: int = 0  # summed over the late tasks
    late: int = 0
    commitments: int = 0
    commitments_met: int = 0
    rank: int = 0

    @property
    def share_met(self) -> float:
        return self.done_on_time / self.due if self.due else 0.0

    @property
    def share_commitments_met(self) -> float | None:
        return self.commitments_met / self.commitments if self.commitments else None

    @property
    def average_delay(self) -> float | None:
        return round(self.delay_days / self.late, 1) if self.late else None


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """"2025-06" -> (1 June 2025, 30 June 2025); ValueError for anything else."""
    year, _, month = period.partition("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(period)
    first = dt.date(int(year), int(month), 1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def tally(rows: Iterable[tuple[str, str, dt.date, dt.date | None]], calendar: WorkCalendar,
          today: dt.date, commitments: Iterable[tuple[str, str, bool]] = ()) -> list[Scorecard]:
    """Score (key, name, due, done_on) rows of one month's tasks, and (key, name, met) rows
    of its commitments, and rank them; pure."""
    rows = list(rows)
    cards: dict[str, Scorecard] = {}
    for key, name, met in commitments:
        card = cards.setdefault(key, Scorecard(key=key, name=name))
        card.commitments += 1
        card.commitments_met += met
    if not rows and not cards:
        return []
    first = min(due for _, _, due, _ in rows) if rows else today
    last = max([today, *(done or due for _, _, due, done in rows)])
    days = WorkingDays(calendar, first, last)
    for key, name, due, done in rows:
        card = cards.setdefault(key, Scorecard(key=key, name=name))
        card.due += 1
        if done is not None and done <= due:
            card.done_on_time += 1
            continue
        if done is not None:
            card.done_late += 1
        elif due < today:
            card.overdue_now += 1
        else:
            continue  # open, not yet due
        end = done or today
        card.late += 1
        # Working days after the due date, up to and including the day it ended (or today).
        one = dt.timedelta(days=1)
        card.delay_days += days.number(end + one) - days.number(due + one)
    ranked = sorted(cards.values(), key=lambda c: (
        -c.share_met, -(c.share_commitments_met or 0.0), c.overdue_now, -c.due, c.name))
    for place, card in enumerate(ranked, start=1):
        card.rank = place
    return ranked


def scorecards(user: Any, *, kind: Kind, period: str, calendar: WorkCalendar,
               today: dt.date) -> list[Scorecard]:
    """The ranked scorecards of the tasks the user may see, due in `period` (YYYY-MM)."""
    first, last = month_bounds(period)
    tasks = (Task.objects.visible_to(user).filter(cancelled=False, due__gte=first, due__lte=last))
    promised = Task.objects.visible_to(user).filter(
        cancelled=False, target__by__gte=first, target__by__lte=last)
    if kind == "unit":
        names = ("lead_unit__code", "lead_unit__name")
    else:
        names = ("person_in_charge__username", "person_in_charge__full_name")
        tasks = tasks.filter(person_in_charge__isnull=False)
        promised = promised.filter(person_in_charge__isnull=False)
    rows = tasks.values_list(*names, "due", "done_on")
    states = target_states(promised, today)
    kept = [(key, name, states[pk].met)
            for pk, key, name in promised.values_list("pk", *names) if pk in states]
    return tally(rows, calendar, today, kept)


def extremes(ranked: list[Scorecard], most: int = 3) -> tuple[list[Scorecard], list[Scorecard]]:
    """The best (first) and the worst (last, the very worst first) of a ranking: up to `most`
    each, never the same card in both (half each for a short ranking)."""
    count = min(most, len(ranked) // 2)
    best = ranked[:max(count, 1)] if ranked else []
    worst = list(reversed(ranked[len(ranked) - count:])) if count else []
    return best, worst
