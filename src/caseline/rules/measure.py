"""The measuring core every rule shape shares: case facts, ranges of readings, flag records.

Every date is a range (earliest, latest), so every measurement is a range too: a finding is
*definite* when even the most favourable reading breaks the rule and *possible* when only
some readings do.

Conventions:
* "within N of X" means on or before ``add_duration(X, N)``; a gap breaks an interval rule
  when the next event falls after that day.
* A case with no event at all of the kind a rule needs gets one ``coverage`` flag instead of
  one flag per missed date (the record may simply be incomplete).
* ``records_from``: the chronology is complete only from that day; gaps that end before it are
  not flagged and the clock for one that spans it starts there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from caseline.dates import DateRange, Duration, add_duration, format_range, parse_duration
from caseline.guidance import Rule
from caseline.kinds import STATUS_PAIRS
from caseline.model import Flag


class EventLike(Protocol):
    id: int
    ref: str
    kind: str
    actor: str
    dates: DateRange
    relative_to: str
    offset_days: int | None


@dataclass(frozen=True, slots=True)
class Span:
    """A measured length as a range, in one unit."""

    low: float
    high: float
    unit: str

    def text(self) -> str:
        unit = self.unit.replace("_", " ")
        lo, hi = round(self.low), round(self.high)
        if lo == hi:
            return f"{lo} {unit if lo != 1 else unit[:-1]}"
        mid = (self.low + self.high) / 2
        return f"~{round(mid)} {unit} ({lo}-{hi} {unit})"


class CaseFacts:
    """What every rule needs: events by kind, sorted, plus the case-wide settings."""

    def __init__(
        self,
        events: Iterable[EventLike],
        as_of: date,
        records_from: date | None,
        people: Mapping[str, str],
    ) -> None:
        self.as_of = as_of
        self.records_from = records_from
        self.people = people
        ordered = sorted(events, key=lambda e: (e.dates.start, e.dates.end, e.kind, e.id))
        self.events: list[EventLike] = []
        self.by_kind: dict[str, list[EventLike]] = {}
        for event in ordered:  # one pass: long cases hold a million events
            if event.dates.start > as_of:
                break  # sorted by start: the rest began after as-of too
            self.events.append(event)
            self.by_kind.setdefault(event.kind, []).append(event)

    def of(self, kinds: Iterable[str]) -> list[EventLike]:
        kinds = list(kinds)
        if len(kinds) == 1:
            return self.by_kind.get(kinds[0], [])
        found = [e for k in kinds for e in self.by_kind.get(k, [])]
        found.sort(key=lambda e: (e.dates.start, e.dates.end, e.kind, e.id))
        return found

    def name(self, person: str) -> str:
        return self.people.get(person, person) or "unknown"


# --- Measuring --------------------------------------------------------------------------------


def is_anchored(earlier: EventLike, later: EventLike) -> bool:
    return bool(later.relative_to) and later.relative_to == earlier.ref and later.offset_days is not None


def anchored_breaches(earlier: EventLike, later: EventLike, limit: Duration) -> tuple[bool, bool]:
    """(definite, possible) for an interval dated from the earlier event."""
    offset = timedelta(days=later.offset_days or 0)
    outcomes = set()
    day = earlier.dates.start
    while day <= earlier.dates.end:
        outcomes.add(day + offset > add_duration(day, limit))
        day += timedelta(days=1)
    return (outcomes == {True}, True in outcomes)


def breach(earlier: EventLike, later: EventLike, limit: Duration) -> tuple[bool, bool]:
    """Whether the time from *earlier* to *later* breaks *limit*: (definitely, possibly).

    The longest reading runs from the first day *earlier* may have been to the last day
    *later* may have been; the shortest from the last possible day of *earlier* to the first
    of *later* (never before it). Checked longest first: most intervals keep to the limit.
    """
    if is_anchored(earlier, later):
        return anchored_breaches(earlier, later, limit)
    if later.dates.end <= add_duration(earlier.dates.start, limit):
        return False, False
    shortest_to = max(later.dates.start, earlier.dates.end)
    return shortest_to > add_duration(earlier.dates.end, limit), True


def span_between(earlier: DateRange, later: DateRange, unit: Duration) -> Span:
    low = unit.measure(earlier.end, max(later.start, earlier.end))
    high = unit.measure(earlier.start, later.end)
    return Span(low, high, unit.unit)


def event_span(earlier: EventLike, later: EventLike, unit: Duration) -> Span:
    if is_anchored(earlier, later):
        offset = timedelta(days=later.offset_days or 0)
        values = [unit.measure(earlier.dates.start, earlier.dates.start + offset),
                  unit.measure(earlier.dates.end, earlier.dates.end + offset)]
        return Span(min(values), max(values), unit.unit)
    return span_between(earlier.dates, later.dates, unit)


def due_range(anchor: DateRange, limit: Duration) -> DateRange:
    return DateRange(add_duration(anchor.start, limit), add_duration(anchor.end, limit))


def when(r: DateRange) -> str:
    return format_range(r)


def limit_text(rule: Rule, limit: Duration, prefix: str = "every") -> str:
    return f"{rule.status_label}: {prefix} {limit}"


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule found, before it becomes a :class:`~caseline.model.Flag` of that rule.

    Attributes:
        kind: the flag kind (``gap``, ``deadline``...).
        severity: ``breach``, ``attention`` or ``info``.
        definite: every reading of the dates gives this finding.
        start: first day of the span the flag covers.
        end: last day of that span (never before *start*).
        due: when a required event was due, where that applies.
        events: the events the finding rests on.
        message: the sentence that shows the arithmetic.
        tag: what makes the flag's key unique within its rule and kind.
    """

    kind: str
    severity: str
    definite: bool
    start: date
    end: date
    due: date | None
    events: Sequence[EventLike]
    message: str
    tag: str


def make_flag(rule: Rule, finding: Finding) -> Flag:
    return Flag(
        key=f"{rule.id}:{finding.kind}:{finding.tag}",
        kind=finding.kind,
        rule=rule.id,
        severity=finding.severity,
        certainty="definite" if finding.definite else "possible",
        start=finding.start,
        end=max(finding.start, finding.end),
        due=finding.due,
        events=tuple(e.id for e in finding.events),
        message=finding.message,
    )


def coverage_flag(rule: Rule, case: CaseFacts, since: EventLike, what: str) -> Flag:
    label = rule.params.get("label", rule.title)
    message = (
        f"No {label} recorded in this chronology although {what} from {when(since.dates)}: "
        f"check the records are complete ({rule.status_label}: {rule.title.lower()})"
    )
    return make_flag(rule, Finding(
        kind="coverage",
        severity="attention",
        definite=True,
        start=since.dates.start,
        end=case.as_of,
        due=None,
        events=[since],
        message=message,
        tag="none",
    ))


def durations(params: Mapping[str, object], *names: str) -> list[Duration | None]:
    return [parse_duration(str(params[n])) if params.get(n) else None for n in names]


# --- Status periods ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    opened: EventLike
    closed: EventLike | None


def open_periods(case: CaseFacts, open_kinds: Sequence[str], close_kinds: Sequence[str], *, restart: bool) -> list[Period]:
    """Spans during which a status is open. A second opening either restarts the span
    (a new placement) or is ignored (the same episode), as *restart* says."""
    marks = [(e, True) for e in case.of(open_kinds)] + [(e, False) for e in case.of(close_kinds)]
    marks.sort(key=lambda m: (m[0].dates.start, m[0].dates.end, not m[1], m[0].id))
    periods: list[Period] = []
    current: EventLike | None = None
    for event, is_open in marks:
        if is_open:
            if current is not None:
                if not restart:
                    continue
                periods.append(Period(current, event))  # a new opening ends the last one
            current = event
        elif current is not None:
            periods.append(Period(current, event))
            current = None
    if current is not None:
        periods.append(Period(current, None))
    return periods


def status_periods(case: CaseFacts, open_kinds: Sequence[str]) -> list[Period]:
    """Periods of a status opened by *open_kinds* and closed by their paired kinds."""
    closes = tuple({c for k in open_kinds for c in STATUS_PAIRS.get(k, ())})
    return open_periods(case, open_kinds, closes, restart=False)


def open_during(periods: Sequence[Period], day: DateRange) -> tuple[bool, bool]:
    """Whether a status is open on *day*: (on every reading of the dates, on some reading)."""
    surely = maybe = False
    for period in periods:
        opened, closed = period.opened.dates, period.closed.dates if period.closed else None
        if opened.start <= day.end and (closed is None or closed.end >= day.start):
            maybe = True
            if opened.end <= day.start and (closed is None or closed.start >= day.end):
                surely = True
    return surely, maybe


class Marker:
    """A stand-in event for a date the engine measures from (records_from, as_of)."""

    __slots__ = ("id", "ref", "kind", "actor", "dates", "relative_to", "offset_days")

    def __init__(self, day: date, kind: str) -> None:
        self.id = 0
        self.ref = ""
        self.kind = kind
        self.actor = ""
        self.dates = DateRange.on(day)
        self.relative_to = ""
        self.offset_days = None
