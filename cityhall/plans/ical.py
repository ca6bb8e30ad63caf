"""iCalendar (RFC 5545) text for the deadline feeds: pure, no database.

Each task is an event at the end of the working day it is due, in Asia/Ho_Chi_Minh, which
the file defines (VTIMEZONE: UTC+7 all year, no daylight saving) so that calendar apps
that do not know the zone still place it right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

TZID = "Asia/Ho_Chi_Minh"
VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    f"X-LIC-LOCATION:{TZID}",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0700",
    "TZOFFSETTO:+0700",
    "TZNAME:ICT",
    "DTSTART:19750613T000000",
    "END:STANDARD",
    "END:VTIMEZONE",
)


@dataclass(frozen=True)
class Deadline:
    """One task's deadline as an event."""

    uid: str
    title: str
    due: dt.date
    at: dt.time
    description: str = ""
    url: str = ""
    done: bool = False


def escape(text: str) -> str:
    """TEXT value escaping: backslash, semicolon, comma and newlines."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def calendar(name: str, deadlines: Iterable[Deadline], *, stamp: dt.datetime) -> str:
    """A VCALENDAR with the zone and one VEVENT per deadline (30 minutes, ending the day)."""
    utc = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//cityhall//plans//VI",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}",
             f"X-WR-TIMEZONE:{TZID}", *VTIMEZONE]
    for item in deadlines:
        end = dt.datetime.combine(item.due, item.at)
        start = end - dt.timedelta(minutes=30)
        lines += ["BEGIN:VEVENT", f"UID:{item.uid}", f"DTSTAMP:{utc}",
                  f"DTSTART;TZID={TZID}:{start:%Y%m%dT%H%M%S}",
                  f"DTEND;TZID={TZID}:{end:%Y%m%dT%H%M%S}",
                  f"SUMMARY:{'✓ ' if item.done else ''}{escape(item.title)}"]
        if item.description:
            lines.append(f"DESCRIPTION:{escape(item.description)}")
        if item.url:
            lines.append(f"URL:{item.url}")
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
