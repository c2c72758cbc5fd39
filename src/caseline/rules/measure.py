"""The measuring core every rule shape shares: case facts, ranges of readings, flag records.

Every date is a range (earliest, latest), so every measurement is a range too: a finding is
*definite* when even the most favourable reading breaks the rule and *possible* when only
some readings do.

Conventions:
* "within N of X" means on or before ``add_duration(X, N)``; a gap breaks an interval rule
  when the next event falls after that day.
* Absence is decided per rule (``absence`` in the library): ``fault`` (a recorded request with
  no answer is itself the failure), ``records`` (a kind the chronology never mentions gets one
  ``coverage`` flag, unless the case declares its records complete for that kind or records
  that it did not happen with a ``not:<kind>`` event) or ``conditional`` (due only once its
  condition is recorded; otherwise an information row says what would make it due).
* ``records_from``: the chronology is complete only from that day; gaps that end before it are
  not flagged and the clock for one that spans it starts there.
* A *possible* breach (only some readings of imprecise dates breach) stays a breach only when
  its likeliest reading (the middle of each range) goes past :data:`PLAUSIBLE_SHARE` of the
  limit (all of it: the likeliest reading must break the limit); otherwise it is information.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from caseline.dates import DateRange, Duration, add_duration, format_day, format_range, parse_duration
from caseline.guidance import Rule
from caseline.kinds import NOT_PREFIX, STATUS_PAIRS
from caseline.model import Flag

#: A possible breach whose likeliest reading is under this share of the limit is information.
PLAUSIBLE_SHARE = 1.0


class EventLike(Protocol):
    id: int
    ref: str
    kind: str
    actor: str
    dates: DateRange
    relative_to: str
    offset_days: int | None
    subject: str
    recorded: str


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
    """What every rule needs: events by kind, sorted, plus the case-wide settings.

    One ``CaseFacts`` holds what one child's rules see (*child*; events with no subject
    concern every child) or, for case-level rules, the whole case.
    """

    def __init__(
        self,
        events: Iterable[EventLike],
        as_of: date,
        records_from: date | None,
        people: Mapping[str, str],
        *,
        child: str = "",
        complete_for: Iterable[str] = (),
        born: DateRange | None = None,
        presorted: bool = False,
        records_until: date | None = None,
        case_kinds: frozenset[str] | None = None,
        streams: Mapping[str, Callable[[], Iterable[EventLike]]] | None = None,
        keep: Callable[[EventLike], bool] | None = None,
        others: frozenset[str] = frozenset(),
        spacing: Spacing | None = None,
    ) -> None:
        self.as_of = as_of
        self.records_from = records_from
        #: The chronology's last day when it is judged at a later as-of (a decision date):
        #: after it, a record-kind event not recorded is a records question, not a breach.
        self.records_until = records_until if records_until is not None and records_until < as_of else None
        self.people = people
        self.child = child
        self.complete_for = frozenset(complete_for)
        self.born = born
        ordered = events if presorted else sorted(events, key=event_order)
        #: The events with a ``recorded`` date (the late-recording rule's): not every event,
        #: which a long case would hold twice over.
        self.recorded_events: list[EventLike] = []
        self.by_kind: dict[str, list[EventLike]] = {}
        #: ``not:<kind>`` events: spans in which the kind is recorded as not having happened.
        self.not_happened: dict[str, list[EventLike]] = {}
        #: Kinds the whole case records (any child): a kind one child lacks but a sibling has
        #: is recorded in this chronology, so its absence for that child counts.
        self.case_kinds = case_kinds
        #: Kinds read afresh from their source at each pass, never held (a long case's
        #: visits); *keep* picks this child's among them.
        self.streams = dict(streams or {})
        self.keep = keep
        #: The subjects whose events are not these facts' (the case's other children): what
        #: *keep* leaves out, for a source that filters for itself.
        self.others = others
        #: Where the streamed kinds' :func:`spaced_pairs` can be had without walking them.
        self.spacing = spacing
        by_kind = self.by_kind
        for event in ordered:  # one pass: long cases hold a million events
            if event.dates.start > as_of:
                break  # sorted by start: the rest began after as-of too
            if event.recorded:
                self.recorded_events.append(event)
            by_kind.setdefault(event.kind, []).append(event)
        for kind in [k for k in by_kind if k.startswith(NOT_PREFIX)]:
            self.not_happened[kind[len(NOT_PREFIX):]] = by_kind.pop(kind)

    def absent_confirmed(self, kinds: Iterable[str], start: date, end: date, *,
                         starting_within: bool = False) -> list[EventLike]:
        """The ``not:<kind>`` events saying none of *kinds* happened in [start, end]
        (overlapping it; with *starting_within*, beginning inside it: after a trigger)."""
        found = []
        for kind in kinds:
            for event in self.not_happened.get(kind, ()):
                if event.dates.start <= end and event.dates.end >= start \
                        and (not starting_within or event.dates.start >= start):
                    found.append(event)
        return found

    def complete(self, kinds: Iterable[str]) -> bool:
        """Whether the case declares its records complete for any of *kinds*."""
        return any(kind in self.complete_for for kind in kinds) or "all" in self.complete_for

    def wholly_absent(self, kinds: Iterable[str]) -> bool:
        """No event of *kinds* at all, and nothing saying the records of them are complete."""
        kinds = list(kinds)
        if self.case_kinds is not None:
            return not any(k in self.case_kinds for k in kinds) and not self.complete(kinds)
        return not any(self.of([k]) for k in kinds) and not self.complete(kinds)

    def of(self, kinds: Iterable[str]) -> Sequence[EventLike] | StreamedEvents:
        """The events of *kinds* in event order: a list, or for streamed kinds an iterable
        read afresh at each pass (true when there is at least one)."""
        kinds = list(kinds)
        if any(k in self.streams for k in kinds):
            held = [k for k in kinds if k not in self.streams]
            sources = [self.streams[k] for k in kinds if k in self.streams]
            if held:
                sources.append(lambda: self.of(held))
            return StreamedEvents(sources, self.as_of, self.keep)
        if len(kinds) == 1:
            return self.by_kind.get(kinds[0], [])
        found = [e for k in kinds for e in self.by_kind.get(k, [])]
        found.sort(key=event_order)
        return found

    def name(self, person: str) -> str:
        return self.people.get(person, person) or "unknown"


class StreamOutOfOrder(Exception):
    """A streamed source was not in event order (partial dates): read the case whole."""


class StreamedEvents:
    """Events read from their sources at each pass, in event order, up to *as_of* and
    through *keep*: what the engine needs of a long case's visits without holding them.

    Sources must come in :func:`event_order`; each pass checks it as it goes and raises
    :class:`StreamOutOfOrder` at the first event out of place.
    """

    __slots__ = ("sources", "as_of", "keep")

    def __init__(self, sources: Sequence[Callable[[], Iterable[EventLike]]], as_of: date,
                 keep: Callable[[EventLike], bool] | None) -> None:
        self.sources, self.as_of, self.keep = sources, as_of, keep

    def _checked(self, source: Callable[[], Iterable[EventLike]]) -> Iterator[EventLike]:
        as_of, keep = self.as_of, self.keep
        last = None
        for event in source():
            dates = event.dates
            if dates.start > as_of:
                return  # in order: the rest began later still
            here = (dates.start, dates.end, event.id)
            if last is not None and here < last:
                raise StreamOutOfOrder(event.id)
            last = here
            if keep is None or keep(event):
                yield event

    def __iter__(self) -> Iterator[EventLike]:
        if len(self.sources) == 1:
            return self._checked(self.sources[0])
        return heapq.merge(*(self._checked(source) for source in self.sources), key=event_order)

    def __bool__(self) -> bool:
        return next(iter(self), None) is not None


class Spacing(Protocol):
    """What a store offers in place of walking streamed events one by one: the pairs
    :func:`spaced_pairs` would give for the streamed *kinds* that overlap [*since*, *until*]
    (the subjects in *others* left out), or ``None`` when it cannot say (dates that are not
    plain days): the caller then walks them."""

    def __call__(self, kinds: Sequence[str], since: date, until: date, more_than_days: int,
                 others: frozenset[str]) -> Iterable[tuple[EventLike | None, EventLike | None]] | None: ...


def spaced_pairs(events: Iterable[EventLike], more_than_days: int) -> Iterator[tuple[EventLike | None, EventLike | None]]:
    """What an interval rule needs of a run of events in event order: ``(None, first)``,
    then each consecutive ``(earlier, later)`` where *later* is dated relative to another
    event or ends more than *more_than_days* after *earlier* starts, then ``(last, None)``.

    Every other pair is closer than any limit of at least that many days, so a rule whose
    limits add no fewer days (:func:`~caseline.dates.fewest_days`) need look at no other.
    """
    previous = None
    for event in events:
        if previous is None:
            yield None, event
        elif event.relative_to or (event.dates.end - previous.dates.start).days > more_than_days:
            yield previous, event
        previous = event
    if previous is not None:
        yield previous, None


def event_order(e: EventLike) -> tuple:
    """First day, last day, then the order the source recorded them in (the id): the same
    order the timeline shows, so same-day events stand as the chronology lists them."""
    return (e.dates.start, e.dates.end, e.id, e.kind)


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


def _middle(r: DateRange) -> date:
    return r.start + timedelta(days=(r.end - r.start).days // 2)


def plausible(earlier: EventLike, later: EventLike, limit: Duration) -> bool:
    """Whether the likeliest reading (the middle of each range) goes past
    :data:`PLAUSIBLE_SHARE` of *limit*: if not, a possible breach is information."""
    first = _middle(earlier.dates)
    if is_anchored(earlier, later):
        last = first + timedelta(days=later.offset_days or 0)
    else:
        last = max(_middle(later.dates), first)
    allowed = (add_duration(first, limit) - first).days
    return (last - first).days > allowed * PLAUSIBLE_SHARE


def plausible_day(due: DateRange, day: date, limit: Duration) -> bool:
    """For a deadline not met by *day*: whether the likeliest due day (the middle of *due*)
    is near enough *day* to count (see :func:`plausible`)."""
    middle = _middle(due)
    allowed = max(1, (add_duration(due.start, limit) - due.start).days)
    return (day - middle).days > -allowed * (1 - PLAUSIBLE_SHARE)


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


def limit_text(rule: Rule, limit: Duration | str, prefix: str = "every") -> str:
    """``statutory duty: every 6 weeks``; a figure that is a caseline default says so."""
    return f"{rule.status_label}: {prefix} {limit}{rule.figure_note}"


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


def sort_key(flag: Flag) -> tuple:
    return flag.sort_key


def merge_two(first: Iterable[Flag], second: Iterable[Flag]) -> Iterator[Flag]:
    """``heapq.merge(first, second, key=sort_key)``, ties to *first*, for two streams of
    which one may be sparse (a long case's own flags against its hundreds of thousands of
    worker changes): a flag is compared by its first day alone while that settles it, so
    most never have their sort key made."""
    first, second = iter(first), iter(second)
    head = next(first, None)
    if head is None:
        yield from second
        return
    head_start, head_key = head.start, head.sort_key
    for flag in second:
        start = flag.start
        while head_start < start or (head_start == start and head_key <= flag.sort_key):
            yield head
            head = next(first, None)
            if head is None:
                yield flag
                yield from second
                return
            head_start, head_key = head.start, head.sort_key
        yield flag
    yield head
    yield from first


def in_sort_order(flags: Iterable[Flag]) -> Iterator[Flag]:
    """*flags*, which come by first day, in :attr:`~caseline.model.Flag.sort_key` order:
    each day's are sorted as that day ends, so a rule's flags are never all held at once.

    Raises:
        ValueError: a flag starts before one already given (the order was not by first day).
    """
    day: list[Flag] = []
    for flag in flags:
        if day and flag.start != day[0].start:
            if flag.start < day[0].start:
                raise ValueError(f"{flag.key} starts before {day[0].key}: flags must come by first day")
            day.sort(key=sort_key)
            yield from day
            day = []
        day.append(flag)
    day.sort(key=sort_key)
    yield from day


def make_flag(rule: Rule, finding: Finding) -> Flag:
    return flag_of(rule, finding.kind, finding.severity, finding.definite, finding.start, finding.end,
                   finding.due, tuple([e.id for e in finding.events]), finding.message, finding.tag)


def flag_of(rule: Rule, kind: str, severity: str, definite: bool, start: date, end: date, due: date | None,
            event_ids: tuple[int, ...], message: str, tag: str) -> Flag:
    """The flag of *rule* for a finding given field by field (what :func:`make_flag` does
    with a :class:`Finding`, without making one: a rule that makes hundreds of thousands)."""
    return Flag(f"{rule.id}:{kind}:{tag}", kind, rule.id, severity, "definite" if definite else "possible",
                start, end if end > start else start, due, event_ids, message, "", rule.status, rule.citation_text)


def demoted(finding: Finding, likeliest: str) -> Finding:
    """A possible breach whose likeliest reading keeps to the limit, as information."""
    from dataclasses import replace

    return replace(finding, severity="info",
                   message=f"{finding.message} (most likely {likeliest}: a breach only on the least "
                           f"favourable reading of the dates, so shown as information)")


def coverage_flag(rule: Rule, case: CaseFacts, since: EventLike, what: str) -> Flag:
    label = rule.params.get("label", rule.title)
    message = (
        f"No {label} recorded in this chronology although {what} from {when(since.dates)}: "
        f"check the records are complete, or declare them complete for the case "
        f"({rule.status_label}: {rule.title[:1].lower()}{rule.title[1:]})"
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


def records_end_flag(rule: Rule, case: CaseFacts, since: EventLike, due: date, what: str) -> Flag:
    """Attention: the next required event fell due after the chronology ends."""
    assert case.records_until is not None
    message = (f"No {rule.params.get('label', rule.title)} recorded after {what}; it was due by "
               f"{format_day(due)}, after the chronology ends ({format_day(case.records_until)}): check the "
               f"records for what happened next ({rule.status_label})")
    return make_flag(rule, Finding("coverage", "attention", True, since.dates.start, case.as_of, due,
                                   [e for e in (since,) if not isinstance(e, Marker)], message,
                                   f"{since.id}:records_end"))


def info_flag(rule: Rule, kind: str, start: date, end: date, due: date | None,
              events: Sequence[EventLike], message: str, tag: str) -> Flag:
    """An information row: a check met, a deadline pending, a condition not recorded."""
    return make_flag(rule, Finding(kind=kind, severity="info", definite=True, start=start, end=end,
                                   due=due, events=[e for e in events if not isinstance(e, Marker)],
                                   message=message, tag=tag))


def durations(params: Mapping[str, object], *names: str) -> list[Duration | None]:
    return [parse_duration(str(params[n])) if params.get(n) else None for n in names]


# --- Status periods ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """A span a status is open, from *opened* to *closed* (``None``: still open).

    *uncertain*: a closing event dated before the opening on some reading and after it on
    another (a plan's end "some time in March" against its start on 3 March) was left out,
    so whether the span ran on past it depends on the reading: what it gives is possible.
    """

    opened: EventLike
    closed: EventLike | None
    uncertain: bool = False


def open_periods(case: CaseFacts, open_kinds: Sequence[str], close_kinds: Sequence[str], *, restart: bool) -> list[Period]:
    """Spans during which a status is open. A second opening either restarts the span
    (a new placement) or is ignored (the same episode), as *restart* says."""
    marks = [(e, True) for e in case.of(open_kinds)] + [(e, False) for e in case.of(close_kinds)]
    marks.sort(key=lambda m: (m[0].dates.start, m[0].dates.end, not m[1], m[0].id))
    periods: list[Period] = []
    current: EventLike | None = None
    doubt = False  # the current span's opening may come before a close it was sorted after
    loose: EventLike | None = None  # the last close met with nothing open
    for event, is_open in marks:
        if is_open:
            if current is not None:
                if not restart:
                    continue
                periods.append(Period(current, event, doubt))  # a new opening ends the last one
            current = event
            doubt = loose is not None and loose.dates.end >= event.dates.start
        elif current is not None:
            periods.append(Period(current, event, doubt))
            current, doubt = None, False
        else:
            loose = event
    if current is not None:
        periods.append(Period(current, None, doubt))
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

    __slots__ = ("id", "ref", "kind", "actor", "dates", "relative_to", "offset_days", "subject", "recorded")

    def __init__(self, day: date | DateRange, kind: str) -> None:
        self.id = 0
        self.ref = ""
        self.kind = kind
        self.actor = ""
        self.dates = day if isinstance(day, DateRange) else DateRange.on(day)
        self.relative_to = ""
        self.offset_days = None
        self.subject = ""
        self.recorded = ""
