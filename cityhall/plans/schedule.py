"""Dates to working days and back, on cityhall.workflow's calendar; pure (no database)."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Sequence

from cityhall.plans.critical import Activity, Link, Schedule, critical_path
from cityhall.workflow.workcalendar import WorkCalendar


def deadline_after(calendar: WorkCalendar, start: dt.date, working_days: int) -> dt.date:
    """The day on which `working_days` working days counted after `start` end.

    The day of `start` is not counted, as for every deadline on the calendar (a task given
    on Friday with 1 working day is due on Monday, or the next working day after a holiday).
    """
    moment = dt.datetime.combine(start, dt.time(12), tzinfo=calendar.tz)
    return calendar.add_working_days(moment, working_days).date()


class WorkingDays:
    """Numbers the working days between two dates, so the critical path can count in them."""

    def __init__(self, calendar: WorkCalendar, first: dt.date, last: dt.date) -> None:
        days: list[dt.date] = []
        day = first
        while day <= last:
            if calendar.is_working_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        self.days = days

    def number(self, day: dt.date) -> int:
        """The number of the first working day on or after `day` (0 for the first)."""
        return bisect_left(self.days, day)

    def span(self, start: dt.date, end: dt.date) -> int:
        """Working days from `start` to `end`, both included (at least 1)."""
        return max(1, bisect_left(self.days, end + dt.timedelta(days=1)) - self.number(start))


def plan_schedule(calendar: WorkCalendar,
                  tasks: Sequence[tuple[int, dt.date, dt.date]],
                  links: Sequence[tuple[int, int, int]]) -> Schedule:
    """The critical path of (id, start, due) tasks and (before, after, lag) links."""
    if not tasks:
        return critical_path([], [])
    first = min(start for _, start, _ in tasks)
    last = max(due for _, _, due in tasks)
    numbers = WorkingDays(calendar, first, last)
    activities = [Activity(id=key, start=numbers.number(start), duration=numbers.span(start, due))
                  for key, start, due in tasks]
    return critical_path(activities, [Link(before=b, after=a, lag=lag) for b, a, lag in links])
