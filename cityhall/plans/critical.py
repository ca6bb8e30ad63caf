"""The critical path of a plan: longest path over finish-to-start links with lags; pure.

Time is counted in working days (the caller turns dates into working-day numbers with the
calendar, `schedule.WorkingDays`). An activity occupies the working days
`start .. start + duration - 1`; a link "B after A with lag L" means B starts no earlier
than L working days after the day following A's last day. The forward pass gives each
activity its earliest start (never before its own planned start), the backward pass its
latest finish that keeps the plan's end; an activity with no slack is critical. Both passes
walk a topological order (Kahn's), so the work is linear in activities plus links; a cycle
is refused with the activities caught in it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Activity:
    """A task as the critical path sees it: planned start and length in working days."""

    id: int
    start: int
    duration: int


@dataclass(frozen=True)
class Link:
    """`after` starts no earlier than `lag` working days after `before` finishes."""

    before: int
    after: int
    lag: int = 0


@dataclass(frozen=True)
class Schedule:
    """The passes' outcome: earliest and latest starts, the plan's end, the critical set."""

    earliest_start: dict[int, int]
    latest_start: dict[int, int]
    finish: int
    critical: frozenset[int]

    def slack(self, activity: int) -> int:
        """Working days the activity may slip without moving the plan's end."""
        return self.latest_start[activity] - self.earliest_start[activity]


class CycleError(ValueError):
    """The links go round in a circle: no activity in `members` can start first."""

    def __init__(self, members: Iterable[int]) -> None:
        self.members = sorted(members)
        super().__init__(f"dependency cycle among {self.members}")


def topological_order(ids: Iterable[int], links: Sequence[Link]) -> list[int]:
    """The ids ordered so that every link points forward; CycleError when none exists.

    A link naming an unknown id raises KeyError.
    """
    known = list(ids)
    incoming = dict.fromkeys(known, 0)
    out: dict[int, list[int]] = {key: [] for key in known}
    for link in links:
        out[link.before].append(link.after)
        incoming[link.after] += 1
    ready = deque(key for key in known if incoming[key] == 0)
    order: list[int] = []
    while ready:
        key = ready.popleft()
        order.append(key)
        for nxt in out[key]:
            incoming[nxt] -= 1
            if incoming[nxt] == 0:
                ready.append(nxt)
    if len(order) != len(known):
        raise CycleError(key for key, count in incoming.items() if count > 0)
    return order


def critical_path(activities: Sequence[Activity], links: Sequence[Link]) -> Schedule:
    """Schedule the activities as early as their plans and links allow; find the critical ones.

    An activity is critical when it has no slack: delaying it by a working day moves the
    end of the whole plan. Durations below 1 count as 1 (a task takes at least its day).
    """
    by_id = {a.id: a for a in activities}
    order = topological_order(by_id, links)
    preds: dict[int, list[Link]] = {key: [] for key in by_id}
    succs: dict[int, list[Link]] = {key: [] for key in by_id}
    for link in links:
        preds[link.after].append(link)
        succs[link.before].append(link)
    length = {key: max(1, a.duration) for key, a in by_id.items()}
    early: dict[int, int] = {}
    for key in order:
        start = by_id[key].start
        for link in preds[key]:
            start = max(start, early[link.before] + length[link.before] + link.lag)
        early[key] = start
    finish = max((early[k] + length[k] for k in order), default=0)
    late: dict[int, int] = {}
    for key in reversed(order):
        end = finish
        for link in succs[key]:
            end = min(end, late[link.after] - link.lag)
        late[key] = end - length[key]
    critical = frozenset(key for key in order if late[key] == early[key])
    return Schedule(earliest_start=early, latest_start=late, finish=finish, critical=critical)
