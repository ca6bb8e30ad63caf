"""A report's states and which steps' notes each reader sees: named once, used everywhere."""

from __future__ import annotations

#: Every state of a report, in the order of its workflow (a test holds it to the definitions).
STATES = ("received", "assigned", "in_progress", "resolved", "closed", "rejected", "merged")
#: States in which a report waits for the unit's work.
OPEN_STATES = ("received", "assigned", "in_progress")
#: Steps whose note is written for the public: the routing reason, start of work, replies,
#: transfers, rejections and merges. Assignment notes are internal.
PUBLIC_NOTE_ACTIONS = frozenset({"start", "resolve", "reject", "transfer", "merge"})
#: What the reporter also reads: their own reason for reopening, never shown publicly.
REPORTER_NOTE_ACTIONS = PUBLIC_NOTE_ACTIONS | {"reopen"}
#: States that still move (the reporter may rate or reopen a resolved report).
ACTIVE_STATES = (*OPEN_STATES, "resolved")
RESOLVED_STATES = ("resolved", "closed")
