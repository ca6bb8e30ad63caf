"""The working-day calendar: pure functions over working hours, days off and make-up days.

Nothing here touches the database. A `WorkCalendar` is built from data (weekly
working periods, a mapping of days off to their names, a set of make-up working
days); `cityhall.workflow.calendar_data.current_calendar()` builds the one in
force from settings, the `holidays` package and the administrators' exceptions.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Period = tuple[dt.time, dt.time]

DEFAULT_PERIODS: tuple[Period, ...] = (
    (dt.time(7, 30), dt.time(11, 30)),
    (dt.time(13, 0), dt.time(17, 0)),
)
ZERO = dt.timedelta(0)


def parse_periods(text: str) -> tuple[Period, ...]:
    """Parse "07:30-11:30,13:00-17:00" into ordered (start, end) pairs."""
    periods: list[Period] = []
    for chunk in text.split(","):
        start, _, end = chunk.strip().partition("-")
        begin, finish = dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())
        if finish <= begin:
            raise ValueError(f"working period ends before it starts: {chunk!r}")
        periods.append((begin, finish))
    periods.sort()
    for (_, earlier_end), (later_start, _) in itertools.pairwise(periods):
        if later_start < earlier_end:
            raise ValueError(f"working periods overlap: {text!r}")
    return tuple(periods)


@dataclass(frozen=True)
class WorkCalendar:
    """Working time: weekly periods, minus days off, plus make-up working days."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    periods: tuple[Period, ...] = DEFAULT_PERIODS
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    days_off: Mapping[dt.date, str] = field(default_factory=dict)
    workdays: frozenset[dt.date] = frozenset()

    # -- days -------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        """Whether `day` is a working day (a make-up day counts even on a weekend)."""
        if day in self.workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.days_off

    def day_off_name(self, day: dt.date) -> str | None:
        """The name of the day off on `day`, or None for a working day or a plain weekend."""
        if self.is_working_day(day):
            return None
        return self.days_off.get(day)

    def _local(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            raise ValueError("working-time arithmetic needs an aware datetime")
        return moment.astimezone(self.tz)

    def _day_periods(self, day: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        if not self.is_working_day(day):
            return
        for start, end in self.periods:
            yield (
                dt.datetime.combine(day, start, tzinfo=self.tz),
                dt.datetime.combine(day, end, tzinfo=self.tz),
            )

    def day_length(self) -> dt.timedelta:
        """Working time in one full working day."""
        return sum(
            (dt.datetime.combine(dt.date.min, e) - dt.datetime.combine(dt.date.min, s)
             for s, e in self.periods),
            ZERO,
        )

    # -- moments ----------------------------------------------------------
    def is_working_moment(self, moment: dt.datetime) -> bool:
        """Whether the clock runs at `moment` (start of a period included, end excluded)."""
        local = self._local(moment)
        return any(start <= local < end for start, end in self._day_periods(local.date()))

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The moment when `amount` of working time has run from `start`."""
        if amount < ZERO:
            raise ValueError("cannot add negative working time")
        local = self._local(start)
        if amount == ZERO:
            return local
        remaining = amount
        day = local.date()
        # A year of days without a single working period means the data is wrong.
        for _ in range(3660):
            for begin, end in self._day_periods(day):
                if end <= local:
                    continue
                begin = max(begin, local)
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("no working time within ten years")

    def subtract_working_time(self, end: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The latest moment from which `amount` of working time runs until `end`."""
        if amount < ZERO:
            raise ValueError("cannot subtract negative working time")
        local = self._local(end)
        if amount == ZERO:
            return local
        remaining = amount
        day = local.date()
        for _ in range(3660):
            for begin, finish in reversed(list(self._day_periods(day))):
                if begin >= local:
                    continue
                finish = min(finish, local)
                available = finish - begin
                if remaining <= available:
                    return finish - remaining
                remaining -= available
            day -= dt.timedelta(days=1)
        raise ValueError("no working time within ten years")

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment when `hours` working hours have run from `start`."""
        return self.add_working_time(start, dt.timedelta(hours=hours))

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The close of the `days`-th working day after the day of `start`.

        The day on which the clock starts is not counted (a dossier received on
        Friday morning has its first working day on the next working day), and
        the deadline is the end of the last working period of the last day.
        """
        if days < 0:
            raise ValueError("cannot add negative working days")
        local = self._local(start)
        if days == 0:
            return local
        day = local.date()
        counted = 0
        for _ in range(3660):
            day += dt.timedelta(days=1)
            if self.is_working_day(day) and self.periods:
                counted += 1
                if counted == days:
                    return dt.datetime.combine(day, self.periods[-1][1], tzinfo=self.tz)
        raise ValueError("no working day within ten years")

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time from `start` to `end` (negative when `end` comes first)."""
        a, b = self._local(start), self._local(end)
        if b < a:
            return -self.working_time_between(b, a)
        total = ZERO
        day = a.date()
        while day <= b.date():
            for begin, finish in self._day_periods(day):
                lo, hi = max(begin, a), min(finish, b)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total

    def non_working_days(self, year: int) -> list[tuple[dt.date, str]]:
        """Every day of `year` that is not a working day, with its name ('' for a weekend)."""
        day = dt.date(year, 1, 1)
        out: list[tuple[dt.date, str]] = []
        while day.year == year:
            if not self.is_working_day(day):
                out.append((day, self.days_off.get(day, "")))
            day += dt.timedelta(days=1)
        return out
