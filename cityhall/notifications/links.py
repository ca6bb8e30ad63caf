"""Where a notice leads: the apps say how to link what their notices are about.

A notice names its subject as `type:id` (`reports.report:42`); the app that owns the type
registers, from its `AppConfig.ready()`, a function that gives the addresses of many such
subjects for one reader at once (the ones the reader may open; others are left out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cityhall.notifications.models import Notification

#: (reader, ids) -> {id: address} for the subjects of one type the reader may open.
Resolver = Callable[[Any, list[int]], Mapping[int, str]]

_resolvers: dict[str, Resolver] = {}


def register_link(kind: str, resolver: Resolver) -> None:
    """Say how notices about `kind` (the part before the colon) link to their subject."""
    _resolvers[kind] = resolver


def _parsed(ref: str) -> tuple[str, int] | None:
    kind, _, raw = ref.partition(":")
    return (kind, int(raw)) if raw.isdigit() else None


def links_for(reader: Any, notices: Iterable[Notification]) -> dict[int, str]:
    """The address each notice leads to, by notice id: its own link, else its subject's."""
    found: dict[int, str] = {}
    wanted: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for notice in notices:
        if notice.link:
            found[notice.pk] = notice.link
            continue
        parsed = _parsed(notice.subject_ref)
        if parsed is not None and parsed[0] in _resolvers:
            wanted[parsed[0]][parsed[1]].append(notice.pk)
    for kind, by_id in wanted.items():
        for subject_id, address in _resolvers[kind](reader, list(by_id)).items():
            for notice_id in by_id.get(subject_id, []):
                found[notice_id] = address
    return found
