"""Dates as sources give them, working days in England, durations."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseline.dates import (
    DateError,
    DateRange,
    add_duration,
    add_working_days,
    format_range,
    is_working_day,
    parse_date_field,
    parse_duration,
    parse_range,
    parse_user_date,
    working_days_between,
)

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2021-09-15", date(2021, 9, 15), date(2021, 9, 15)),
        ("2021-09", date(2021, 9, 1), date(2021, 9, 30)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2021", date(2021, 1, 1), date(2021, 12, 31)),
    ],
)
def test_partial_dates_fill_the_range(text, start, end):
    assert parse_date_field(text) == DateRange(start, end)


@pytest.mark.parametrize("text", ["15/09/2021", "2021-13", "2021-02-30", "Sept", "", "21-09-15"])
def test_unreadable_dates_are_refused(text):
    with pytest.raises(DateError):
        parse_date_field(text)


def test_range_from_two_columns_takes_the_end_of_a_partial_end():
    assert parse_range("2020-06", "2020-08") == DateRange(date(2020, 6, 1), date(2020, 8, 31))


def test_end_before_start_is_refused():
    with pytest.raises(DateError, match="before"):
        parse_range("2021-09-15", "2021-09-14")


@given(days, st.integers(min_value=0, max_value=400))
def test_any_valid_range_round_trips(start, length):
    end = start + timedelta(days=length)
    assert parse_range(start.isoformat(), end.isoformat()) == DateRange(start, end)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("15 Sep 2021", DateRange.on(date(2021, 9, 15))), ("Sep 2021", parse_date_field("2021-09")),
     ("september 2021", parse_date_field("2021-09")), ("2021-09", parse_date_field("2021-09"))],
)
def test_user_dates(text, expected):
    assert parse_user_date(text) == expected


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2020, 5, 8), "VE Day: May Day moved from 4 May"),
        (date(2022, 6, 3), "Platinum Jubilee"),
        (date(2022, 6, 2), "spring bank holiday moved to 2 June"),
        (date(2022, 9, 19), "State Funeral"),
        (date(2023, 5, 8), "Coronation"),
        (date(2021, 12, 27), "Christmas Day substitute"),
        (date(2021, 12, 28), "Boxing Day substitute"),
        (date(2022, 12, 27), "Christmas Day substitute"),
        (date(2020, 4, 10), "Good Friday"),
    ],
)
def test_bank_holidays_are_not_working_days(day, why):
    assert day.weekday() < 5, why
    assert not is_working_day(day), why


def test_the_days_that_moved_away_are_working_days():
    assert is_working_day(date(2020, 5, 4))  # May Day 2020 moved to the 8th
    assert is_working_day(date(2022, 5, 30))  # spring bank holiday 2022 moved to 2 June


def test_working_days_count_after_the_first_day_up_to_the_second():
    # Thursday 7 May 2020 to Monday 11 May 2020: Friday is VE Day, so one working day.
    assert working_days_between(date(2020, 5, 7), date(2020, 5, 11)) == 1
    assert add_working_days(date(2020, 5, 7), 1) == date(2020, 5, 11)
    assert add_working_days(date(2020, 5, 11), -1) == date(2020, 5, 7)
    # From a Sunday, one working day back is the Friday (here Thursday: Friday is a holiday).
    assert add_working_days(date(2020, 5, 10), -1) == date(2020, 5, 7)


@given(days, st.integers(min_value=-300, max_value=300))
def test_working_day_arithmetic_round_trips(day, count):
    later = add_working_days(day, count)
    if count:
        assert is_working_day(later)
    if is_working_day(day) or count == 0:
        assert working_days_between(day, later) == count
        assert add_working_days(later, -count) == day or not is_working_day(day)


@given(days, days)
def test_working_days_between_matches_a_plain_walk(a, b):
    if abs((b - a).days) > 200:
        b = a + timedelta(days=(b - a).days % 200)
    lo, hi = min(a, b), max(a, b)
    walked = sum(1 for n in range(1, (hi - lo).days + 1) if is_working_day(lo + timedelta(days=n)))
    assert working_days_between(lo, hi) == walked
    assert working_days_between(hi, lo) == -walked


def test_durations_read_as_rules_write_them():
    assert str(parse_duration("6 weeks")) == "6 weeks"
    assert str(parse_duration("15 working_days")) == "15 working days"
    assert parse_duration("1 years") == parse_duration("12 months")
    with pytest.raises(DateError):
        parse_duration("six weeks")


def test_months_are_calendar_months():
    assert add_duration(date(2021, 1, 31), parse_duration("1 months")) == date(2021, 2, 28)
    assert add_duration(date(2020, 11, 16), parse_duration("6 months")) == date(2021, 5, 16)


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        ("2021-09-15", None, "15 Sep 2021"),
        ("2021-09", None, "~Sep 2021"),
        ("2021", None, "~2021"),
        ("2020-06", "2020-08", "~Jun-Aug 2020"),
        ("2022-02-01", "2022-02-10", "~1-10 Feb 2022"),
        ("2021-11-27", "2021-12-06", "~27 Nov-6 Dec 2021"),
        ("2021-12-20", "2022-01-05", "~20 Dec 2021-5 Jan 2022"),
    ],
)
def test_precision_is_shown(start, end, shown):
    assert format_range(parse_range(start, end)) == shown


@given(days, st.integers(min_value=-60, max_value=60))
def test_month_arithmetic_matches_relativedelta(day, months):
    from dateutil.relativedelta import relativedelta

    from caseline.dates import add_months

    assert add_months(day, months) == day + relativedelta(months=months)


def _naive_working_day(day: date, closed: set[date]) -> bool:
    return day.weekday() < 5 and day not in closed and (day.month, day.day) not in ((12, 25), (12, 26))


@settings(max_examples=200, deadline=None)
@given(st.dates(date(1977, 1, 1), date(2093, 12, 31)), st.integers(-1500, 1500), st.integers(-900, 900))
def test_the_working_day_window_grows_and_agrees_with_a_walk_through_the_calendar(day, count, apart):
    """The calendar covers the years around the days asked about and grows on demand; its
    answers are those of walking day by day through England's bank holidays."""
    import holidays

    from caseline import dates

    closed = set(holidays.country_holidays("GB", subdiv="ENG", years=range(1965, 2106)))
    dates._CALENDAR = dates._Calendar(2019, 2021)  # a narrow window, as a first case might leave
    found = dates.add_working_days(day, count)
    walked, step, left = day, 1 if count > 0 else -1, abs(count)
    while left:
        walked += timedelta(days=step)
        left -= _naive_working_day(walked, closed)
    assert found == walked
    other = day + timedelta(days=apart)
    low, high = min(day, other), max(day, other)
    between = sum(_naive_working_day(low + timedelta(days=k), closed) for k in range(1, (high - low).days + 1))
    assert dates.working_days_between(day, other) == (between if other >= day else -between)
    assert dates.is_working_day(other) == _naive_working_day(other, closed)
