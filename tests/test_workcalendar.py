"""The working-day calendar: pure arithmetic over frozen inputs, and its commands."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from cityhall.workflow.calendar_data import build_calendar, clear_cache, current_calendar
from cityhall.workflow.workcalendar import WorkCalendar, parse_periods
from tests.factories import HCM, at

CAL = build_calendar(years=range(2024, 2029), exceptions=[])


def test_five_working_days_across_tet_end_at_close_of_the_last_day() -> None:
    assert CAL.add_working_days(at(2026, 2, 13, 10), 5) == at(2026, 2, 27, 17)


def test_the_holidays_package_lists_tet_2026_as_announced() -> None:
    for day in range(16, 21):
        assert not CAL.is_working_day(dt.date(2026, 2, day))
    assert CAL.is_working_day(dt.date(2026, 2, 13))
    assert CAL.is_working_day(dt.date(2026, 2, 23))


def test_substituted_day_off_and_make_up_saturday_2025() -> None:
    # 2 May 2025 (Friday) was given off in exchange for working Saturday 26 April.
    assert not CAL.is_working_day(dt.date(2025, 5, 2))
    assert CAL.is_working_day(dt.date(2025, 4, 26))
    assert CAL.add_working_days(at(2025, 4, 25, 9), 1) == at(2025, 4, 26, 17)
    # Thursday 1 May is Labour Day, Friday 2 May the swapped day: next is Monday 5 May.
    assert CAL.add_working_days(at(2025, 4, 30, 9), 1) == at(2025, 5, 5, 17)


def test_observed_day_when_a_holiday_falls_on_sunday() -> None:
    # Hùng Kings' day 2026 is Sunday 26 April; Monday 27 April is off in its place.
    assert not CAL.is_working_day(dt.date(2026, 4, 27))
    assert CAL.day_off_name(dt.date(2026, 4, 27))


def test_administrator_exceptions_override_the_package() -> None:
    cal = build_calendar(
        years=range(2026, 2027),
        exceptions=[(dt.date(2026, 3, 2), "day_off", "Bầu cử"),
                    (dt.date(2026, 3, 7), "working_day", "Làm bù")],
    )
    assert not cal.is_working_day(dt.date(2026, 3, 2))
    assert cal.is_working_day(dt.date(2026, 3, 7))
    assert cal.add_working_days(at(2026, 2, 27, 9), 2) == at(2026, 3, 4, 17)
    assert cal.add_working_days(at(2026, 3, 6, 9), 1) == at(2026, 3, 7, 17)


def test_hours_skip_lunch_nights_and_weekends() -> None:
    assert CAL.add_working_hours(at(2026, 3, 2, 10), 2) == at(2026, 3, 2, 13, 30)
    assert CAL.add_working_hours(at(2026, 3, 6, 16), 2) == at(2026, 3, 9, 8, 30)
    # A period boundary reached exactly ends there, not at the next opening.
    assert CAL.add_working_hours(at(2026, 3, 2, 7, 30), 4) == at(2026, 3, 2, 11, 30)


def test_a_start_outside_working_hours_counts_from_the_next_opening() -> None:
    assert CAL.add_working_hours(at(2026, 3, 7, 22), 1) == at(2026, 3, 9, 8, 30)
    assert CAL.add_working_hours(at(2026, 3, 2, 12), 1) == at(2026, 3, 2, 14)
    assert CAL.add_working_days(at(2026, 3, 7, 22), 1) == at(2026, 3, 9, 17)
    assert not CAL.is_working_moment(at(2026, 3, 2, 12))
    assert not CAL.is_working_moment(at(2026, 3, 2, 17))
    assert CAL.is_working_moment(at(2026, 3, 2, 7, 30))
    assert not CAL.is_working_moment(at(2026, 2, 17, 9))


def test_clock_stopped_and_restarted_keeps_the_remaining_time() -> None:
    start = at(2026, 3, 2, 9)
    due = CAL.add_working_days(start, 3)
    stop = at(2026, 3, 3, 10)
    left = CAL.working_time_between(stop, due)
    restart = at(2026, 3, 10, 14)
    new_due = CAL.add_working_time(restart, left)
    assert CAL.working_time_between(restart, new_due) == left
    assert new_due > due
    assert CAL.working_time_between(start, stop) + left == CAL.working_time_between(start, due)


def test_between_is_negative_backwards_and_zero_over_holidays() -> None:
    assert CAL.working_time_between(at(2026, 2, 16, 8), at(2026, 2, 20, 16)) == dt.timedelta(0)
    back = CAL.working_time_between(at(2026, 3, 2, 14), at(2026, 3, 2, 10))
    assert back == -dt.timedelta(hours=2, minutes=30)


def test_it_rejects_naive_moments_and_bad_periods() -> None:
    with pytest.raises(ValueError, match="aware"):
        CAL.add_working_hours(dt.datetime(2026, 3, 2, 9), 1)
    with pytest.raises(ValueError, match="overlap"):
        parse_periods("07:00-12:00,11:00-17:00")


def test_subtract_is_the_inverse_of_add() -> None:
    end = at(2026, 2, 23, 9)
    start = CAL.subtract_working_time(end, dt.timedelta(hours=4))
    assert start == at(2026, 2, 13, 14, 30)
    assert CAL.working_time_between(start, end) == dt.timedelta(hours=4)


moments = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 6, 1), timezones=st.just(HCM)
)
amounts = st.integers(min_value=0, max_value=60 * 8 * 30).map(lambda m: dt.timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(start=moments, amount=amounts)
def test_property_between_start_and_added_time_is_the_time_added(
    start: dt.datetime, amount: dt.timedelta
) -> None:
    assert CAL.working_time_between(start, CAL.add_working_time(start, amount)) == amount


@settings(max_examples=150, deadline=None)
@given(start=moments, a=amounts, b=amounts)
def test_property_more_working_time_never_gives_an_earlier_deadline(
    start: dt.datetime, a: dt.timedelta, b: dt.timedelta
) -> None:
    small, large = sorted((a, b))
    assert CAL.add_working_time(start, small) <= CAL.add_working_time(start, large)


@settings(max_examples=100, deadline=None)
@given(start=moments, a=st.integers(0, 40), b=st.integers(0, 40))
def test_property_more_working_days_never_gives_an_earlier_deadline(
    start: dt.datetime, a: int, b: int
) -> None:
    small, large = sorted((a, b))
    assert CAL.add_working_days(start, small) <= CAL.add_working_days(start, large)
    if large:
        assert CAL.is_working_day(CAL.add_working_days(start, large).date())


def test_a_calendar_with_no_data_is_plain_weekdays() -> None:
    plain = WorkCalendar()
    assert plain.add_working_days(at(2026, 2, 13, 10), 5) == at(2026, 2, 20, 17)


@pytest.mark.django_db
def test_calendar_due_command_prints_iso_8601() -> None:
    out = StringIO()
    call_command("calendar", "due", "--start", "2026-02-13T10:00:00+07:00",
                 "--working-days", "5", stdout=out)
    assert out.getvalue().strip() == "2026-02-27T17:00:00+07:00"
    out = StringIO()
    call_command("calendar", "due", "--start", "2026-02-13T10:00:00+07:00",
                 "--working-hours", "9", stdout=out)
    assert out.getvalue().strip() == "2026-02-23T11:00:00+07:00"


@pytest.mark.django_db
def test_calendar_days_command_lists_named_days_off_and_admin_days() -> None:
    from cityhall.workflow.models import CalendarException

    CalendarException.objects.create(date=dt.date(2026, 6, 15), kind="day_off", name="Test day")
    out = StringIO()
    call_command("calendar", "days", "2026", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("2026-02-17 ") for line in lines)
    assert "2026-06-15 Mon Test day" in lines
    assert not any(line.startswith("2026-02-14 ") for line in lines)  # a plain Saturday
    CalendarException.objects.all().delete()
    assert current_calendar().is_working_day(dt.date(2026, 6, 15))
    clear_cache()
