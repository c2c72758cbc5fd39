"""Dates as sources give them: exact days, whole months, whole years and ranges.

An event carries an earliest and a latest possible date (:class:`DateRange`). Everything the
rule engine measures is therefore a range too. This module also holds the working-day
calendar for England (weekends, England and Wales bank holidays, Christmas Day, Boxing Day
and Good Friday) and the duration arithmetic rules are written in.
"""

from __future__ import annotations

import calendar
import re
import threading
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate

__all__ = [
    "DateRange",
    "DateError",
    "Duration",
    "parse_date_field",
    "parse_range",
    "OrdinalCache",
    "parse_user_date",
    "parse_duration",
    "add_duration",
    "is_working_day",
    "add_working_days",
    "working_days_between",
    "format_range",
    "format_day",
]

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class DateError(ValueError):
    """A date field that cannot be read; the message is one sentence for the user.

    Attributes:
        field: the column at fault (``date_start``, ``date_end``...) when it is known, so
            import and ``check`` name the field without guessing from the message.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True, order=True)
class DateRange:
    """The earliest and latest day an event can have happened on (both inclusive)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise DateError(
                f"date_end {self.end.isoformat()} is before date_start {self.start.isoformat()}", "date_end"
            )

    @property
    def exact(self) -> bool:
        return self.start == self.end

    @classmethod
    def on(cls, day: date) -> DateRange:
        return cls(day, day)

    def shifted(self, days: int) -> DateRange:
        delta = timedelta(days=days)
        return DateRange(self.start + delta, self.end + delta)


_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_ISO_YEAR = re.compile(r"^(\d{4})$")


def parse_date_field(text: str) -> DateRange:
    """Read ``2021-09-15``, ``2021-09`` (the whole month) or ``2021`` (the whole year).

    Raises:
        DateError: when *text* is none of those forms or names a day that does not exist.
    """
    value = text.strip()
    try:
        if m := _ISO_DAY.match(value):
            return DateRange.on(date(int(m[1]), int(m[2]), int(m[3])))
        if m := _ISO_MONTH.match(value):
            year, month = int(m[1]), int(m[2])
            last = calendar.monthrange(year, month)[1]
            return DateRange(date(year, month, 1), date(year, month, last))
        if m := _ISO_YEAR.match(value):
            year = int(m[1])
            return DateRange(date(year, 1, 1), date(year, 12, 31))
    except ValueError as exc:  # e.g. 2021-02-30 or month 13
        raise DateError(f"{value!r} is not a real date ({exc})") from None
    raise DateError(f"{value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")


def parse_range(date_start: object, date_end: object = None) -> DateRange:
    """Combine the two date columns of an event into one range: the only way stored or
    imported date text becomes dates.

    ``date_start`` gives the earliest day (the start of a month or year when partial);
    ``date_end``, when present, gives the latest day (the end of a month or year when partial).
    Two full ISO days (most rows) take a fast path that skips the general parser.

    Raises:
        DateError: with ``field`` set to the column at fault.
    """
    start = "" if date_start is None else str(date_start).strip()
    end = "" if date_end is None else str(date_end).strip()
    if len(start) == 10 and (not end or len(end) == 10):
        try:
            first = date.fromisoformat(start)
            last = date.fromisoformat(end) if end else first
        except ValueError:
            pass  # the general parser below says what is wrong
        else:
            if last < first:
                raise DateError(f"date_end {end} is before date_start {start}", "date_end")
            return DateRange(first, last)
    if not start:
        raise DateError("date_start is empty", "date_start")
    try:
        first = parse_date_field(start)
    except DateError as exc:
        raise DateError(str(exc), "date_start") from None
    if not end:
        return first
    try:
        last = parse_date_field(end)
    except DateError as exc:
        raise DateError(str(exc), "date_end") from None
    if last.end < first.start:
        raise DateError(f"date_end {end} is before date_start {start}", "date_end")
    return DateRange(first.start, last.end)


class OrdinalCache:
    """Day ordinals of stored date text, cached (a long case repeats the same dates a lot).

    Unreadable text maps to day 1, so it sorts first; ``caseline check`` reports it.
    """

    __slots__ = ("_first", "_last")

    def __init__(self) -> None:
        self._first: dict[object, int] = {}
        self._last: dict[object, int] = {}

    def first(self, text: object) -> int:
        """The first day *text* (``2021-09-15``, ``2021-09``, ``2021``) covers."""
        found = self._first.get(text)
        return found if found is not None else self._read(text)[0]

    def last(self, text: object) -> int:
        """The last day *text* covers."""
        found = self._last.get(text)
        return found if found is not None else self._read(text)[1]

    def _read(self, text: object) -> tuple[int, int]:
        try:
            read = parse_range(text)
            days = (read.start.toordinal(), read.end.toordinal())
        except DateError:
            days = (1, 1)
        self._first[text], self._last[text] = days
        return days


_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{4})$")


def _month_number(name: str) -> int | None:
    prefix = name[:3].title()
    return MONTH_ABBR.index(prefix) + 1 if prefix in MONTH_ABBR else None


def parse_user_date(text: str) -> DateRange:
    """Read a date a person typed: the ISO forms plus ``15 Sep 2021`` and ``Sep 2021``."""
    value = text.strip()
    if m := _DAY_MONTH_YEAR.match(value):
        month = _month_number(m[2])
        if month is not None:
            return parse_date_field(f"{int(m[3]):04d}-{month:02d}-{int(m[1]):02d}")
    if m := _MONTH_YEAR.match(value):
        month = _month_number(m[1])
        if month is not None:
            return parse_date_field(f"{int(m[2]):04d}-{month:02d}")
    try:
        return parse_date_field(value)
    except DateError:
        raise DateError(f"{value!r} is not a date: try 2021-09-15, 2021-09, 15 Sep 2021 or Sep 2021") from None


# --- Working days ---------------------------------------------------------------------------

# The calendar is a running count of working days, so that counting and adding working days
# is a lookup rather than a walk (1M-event cases). It covers a window of years around the
# days asked about, grown when a day falls outside it: the bank holidays of the whole
# supported span took a tenth of a second to work out, in every process that reads a case.
_CAL_FIRST = date(1970, 1, 1)
_CAL_LAST = date(2100, 12, 31)
#: Years the window reaches either side of a day it is first built or grown for.
_CAL_MARGIN_YEARS = 15


class _Calendar:
    """Working days counted from *first*: ``running[i]`` is how many there are before
    ``first + i days`` (``running[i + 1] != running[i]``: that day is one)."""

    __slots__ = ("first", "last", "running")

    def __init__(self, first_year: int, last_year: int) -> None:
        from caseline.bank_holidays import closed_days

        years = range(first_year, last_year + 1)
        self.first, self.last = date(first_year, 1, 1), date(last_year, 12, 31)
        days = (self.last - self.first).days + 1
        # Weekdays by their pattern from the first day's weekday, then the closed days out.
        week = [1, 1, 1, 1, 1, 0, 0]
        start = self.first.weekday()
        working = (week[start:] + week[:start]) * (days // 7 + 1)
        del working[days:]
        closed = closed_days(first_year, last_year, (_CAL_FIRST.year, _CAL_LAST.year))
        # Named in the working-day definitions even where the bank-holiday list moves them.
        closed.update(date(year, month, day) for year in years for month, day in ((12, 25), (12, 26)))
        first = self.first
        for day in closed:
            if first <= day <= self.last:
                working[(day - first).days] = 0
        self.running = list(accumulate(working, initial=0))

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last

    def index(self, day: date) -> int:
        return (day - self.first).days


_CALENDAR: _Calendar | None = None
_CALENDAR_LOCK = threading.Lock()


def _calendar(*days: date) -> _Calendar:
    """A calendar covering *days* (each within the supported span)."""
    for day in days:
        if not (_CAL_FIRST <= day <= _CAL_LAST):
            raise DateError(f"{day.isoformat()} is outside the supported calendar ({_CAL_FIRST.year}-{_CAL_LAST.year})")
    found = _CALENDAR
    if found is not None and all(found.covers(day) for day in days):
        return found
    return _grown(min(days).year - _CAL_MARGIN_YEARS, max(days).year + _CAL_MARGIN_YEARS)


def _grown(first_year: int, last_year: int) -> _Calendar:
    """The calendar grown to cover these years too (clipped to the supported span)."""
    global _CALENDAR
    with _CALENDAR_LOCK:
        found = _CALENDAR
        if found is not None:
            first_year, last_year = min(first_year, found.first.year), max(last_year, found.last.year)
        first_year, last_year = max(first_year, _CAL_FIRST.year), min(last_year, _CAL_LAST.year)
        if found is None or found.first.year > first_year or found.last.year < last_year:
            found = _CALENDAR = _Calendar(first_year, last_year)
        return found


def is_working_day(day: date) -> bool:
    """True for Monday to Friday that is not a bank holiday in England (nor 25/26 December)."""
    cal = _calendar(day)
    i = cal.index(day)
    return cal.running[i + 1] != cal.running[i]


def working_days_between(earlier: date, later: date) -> int:
    """Working days after *earlier* up to and including *later* (negative when reversed).

    This is the count that "within N working days of X" compares with N.
    """
    cal = _calendar(earlier, later)
    return cal.running[cal.index(later) + 1] - cal.running[cal.index(earlier) + 1]


def add_working_days(day: date, count: int) -> date:
    """The *count*-th working day after *day* (before it when *count* is negative).

    ``add_working_days(d, 0)`` is *d* itself.
    """
    if count == 0:
        return day
    cal = _calendar(day)
    while True:
        running, i = cal.running, cal.index(day)
        # Forward: count on from the working days up to and including *day*; backward: from
        # those strictly before it. Either way the answer is the first day the running
        # count reaches the target.
        target = running[i + 1] + count if count > 0 else running[i] + count + 1
        if 0 < target <= running[-1]:
            return cal.first + timedelta(days=bisect_left(running, target) - 1)
        # Beyond the window: grown by the years the count could take (a year has more than
        # 200 working days), unless it is the whole supported span already.
        years = abs(count) // 200 + 1 + _CAL_MARGIN_YEARS
        grown = _grown(day.year - years, day.year + years)
        if (grown.first, grown.last) == (cal.first, cal.last):
            raise DateError(f"{count} working days from {day.isoformat()} is outside the supported calendar")
        cal = grown


# --- Durations ------------------------------------------------------------------------------

UNITS = ("days", "working_days", "weeks", "months")
_DURATION = re.compile(r"^\s*(\d+)\s+(days?|working[_ ]days?|weeks?|months?|years?)\s*$")


@dataclass(frozen=True, slots=True)
class Duration:
    """A timescale as rules state it: ``6 weeks``, ``15 working_days``, ``3 months``."""

    amount: int
    unit: str

    def __str__(self) -> str:
        unit = self.unit.replace("_", " ")
        return f"{self.amount} {unit[:-1] if self.amount == 1 else unit}"

    def after(self, day: date) -> date:
        """The last day still within this duration of *day*."""
        return add_duration(day, self)

    def measure(self, earlier: date, later: date) -> float:
        """How long from *earlier* to *later* in this duration's unit (for messages)."""
        if self.unit == "working_days":
            return float(working_days_between(earlier, later))
        days = (later - earlier).days
        if self.unit == "weeks":
            return days / 7
        if self.unit == "months":
            return days / (365.25 / 12)
        return float(days)


def parse_duration(text: str) -> Duration:
    """Read ``6 weeks``, ``15 working_days``, ``3 months``, ``1 years`` (= 12 months)."""
    # The rules' few timescales are read for every case of a caseload: 40 a case.
    return _parsed_duration(text) if text.__class__ is str else _parse_duration(text)


def _parse_duration(text: object) -> Duration:
    m = _DURATION.match(str(text))
    if not m:
        raise DateError(f"{text!r} is not a duration: use e.g. '6 weeks', '15 working_days', '3 months'")
    amount, unit = int(m[1]), m[2].replace(" ", "_")
    if not unit.endswith("s"):
        unit += "s"
    if unit == "years":
        return Duration(amount * 12, "months")
    return Duration(amount, unit)


_parsed_duration = lru_cache(maxsize=512)(_parse_duration)


def add_duration(day: date, duration: Duration) -> date:
    """The date *duration* after *day*: calendar months by ``relativedelta``."""
    return _added(day, duration.amount, duration.unit)


@lru_cache(maxsize=1 << 16)  # rules add the same few limits to the same days a million times
def _added(day: date, amount: int, unit: str) -> date:
    if unit == "working_days":
        return add_working_days(day, amount)
    if unit == "weeks":
        return day + timedelta(weeks=amount)
    if unit == "days":
        return day + timedelta(days=amount)
    return add_months(day, amount)


def fewest_days(duration: Duration) -> int:
    """A floor on the days :func:`add_duration` adds from any day: *duration* after *day* is
    never earlier than this many days after it (months are 28 days at the least, and a
    month's end shifts a day back by 3 at most; a working day is at least a day)."""
    if duration.unit == "weeks":
        return 7 * duration.amount
    if duration.unit == "months":
        return max(0, 28 * duration.amount - 3)
    return duration.amount  # days, working days


def add_months(day: date, months: int) -> date:
    """Calendar months, as ``dateutil.relativedelta`` counts them (31 Jan + 1 month = 28/29 Feb),
    without its cost: rules add months millions of times on long cases."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


# --- Display --------------------------------------------------------------------------------


def format_day(day: date) -> str:
    """``15 Sep 2021``."""
    return f"{day.day} {MONTH_ABBR[day.month - 1]} {day.year}"


@lru_cache(maxsize=1 << 14)  # messages name the same days over and over
def format_range(r: DateRange) -> str:
    """Show a range with its precision: ``15 Sep 2021``, ``~Sep 2021``, ``~1-10 Feb 2022``."""
    s, e = r.start, r.end
    if s == e:
        return format_day(s)
    whole_months = s.day == 1 and e.day == calendar.monthrange(e.year, e.month)[1]
    if whole_months and s.month == 1 and e.month == 12 and s.year == e.year:
        return f"~{s.year}"
    if whole_months and (s.year, s.month) == (e.year, e.month):
        return f"~{MONTH_ABBR[s.month - 1]} {s.year}"
    if whole_months and s.year == e.year:
        return f"~{MONTH_ABBR[s.month - 1]}-{MONTH_ABBR[e.month - 1]} {s.year}"
    if (s.year, s.month) == (e.year, e.month):
        return f"~{s.day}-{e.day} {MONTH_ABBR[s.month - 1]} {s.year}"
    if s.year == e.year:
        return f"~{s.day} {MONTH_ABBR[s.month - 1]}-{format_day(e)}"
    return f"~{format_day(s)}-{format_day(e)}"
