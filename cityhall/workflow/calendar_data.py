"""The calendar in force: settings, the `holidays` package and administrators' exceptions."""

from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.utils import translation

from cityhall.workflow.workcalendar import WorkCalendar, parse_periods

# Years covered: generous on both sides so deadlines far ahead still see holidays.
_YEARS_BACK, _YEARS_AHEAD = 3, 5
_CACHE_SECONDS = 60

_lock = threading.Lock()
_cache: dict[str, tuple[float, WorkCalendar]] = {}


def build_calendar(
    *,
    years: range,
    exceptions: list[tuple[dt.date, str, str]],
    language: str = "vi",
) -> WorkCalendar:
    """Build a calendar from public holidays for `years` and (date, kind, name) exceptions."""
    lang = "vi" if language.startswith("vi") else "en_US"
    public = holidays.country_holidays("VN", years=list(years), language=lang)
    days_off: dict[dt.date, str] = dict(public.items())
    workdays = {d for d in public.weekend_workdays if d.year in years}
    for day, kind, name in exceptions:
        if kind == "day_off":
            days_off[day] = name
            workdays.discard(day)
        else:
            workdays.add(day)
            days_off.pop(day, None)
    return WorkCalendar(
        tz=ZoneInfo(settings.TIME_ZONE),
        periods=parse_periods(settings.CITYHALL_WORKING_HOURS),
        weekdays=frozenset(settings.CITYHALL_WORKING_WEEKDAYS),
        days_off=days_off,
        workdays=frozenset(workdays),
    )


def current_calendar() -> WorkCalendar:
    """The calendar in force, cached for a minute (and dropped when an exception changes)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = "vi" if language.startswith("vi") else "en"
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < _CACHE_SECONDS:
            return hit[1]
    from cityhall.workflow.models import CalendarException

    this_year = dt.date.today().year  # noqa: DTZ011 (a year range; the zone is irrelevant)
    rows = [(e.date, e.kind, e.name) for e in CalendarException.objects.all()]
    years = range(
        min([this_year - _YEARS_BACK, *[d.year for d, _, _ in rows]]),
        max([this_year + _YEARS_AHEAD, *[d.year for d, _, _ in rows]]) + 1,
    )
    cal = build_calendar(years=years, exceptions=rows, language=key)
    with _lock:
        _cache[key] = (now, cal)
    return cal


def clear_cache(**_: object) -> None:
    """Forget the cached calendar (an exception was added, changed or removed)."""
    with _lock:
        _cache.clear()


def connect_cache_invalidation() -> None:
    """Drop the cache whenever an administrator edits the exceptions."""
    from cityhall.workflow.models import CalendarException

    post_save.connect(clear_cache, sender=CalendarException, dispatch_uid="calendar-save")
    post_delete.connect(clear_cache, sender=CalendarException, dispatch_uid="calendar-del")
