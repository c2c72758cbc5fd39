"""The rule engine: a case's events, the guidance library and an as-of date in; flags out.

Pure and deterministic: events are sorted here, so input order never matters; nothing reads
the clock or the database. Every date is a range (earliest, latest), so every measurement is
a range too: a flag is *definite* when even the most favourable reading breaks the rule and
*possible* when only some readings do.

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

from caseline.dates import DateRange, Duration, add_duration, format_day, format_range, parse_duration
from caseline.guidance import Rule
from caseline.kinds import STATUS_PAIRS
from caseline.rules.flags import Flag


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


class _Case:
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
        self.by_ref: dict[str, EventLike] = {}
        for event in ordered:  # one pass: long cases hold a million events
            if event.dates.start > as_of:
                break  # sorted by start: the rest began after as-of too
            self.events.append(event)
            self.by_kind.setdefault(event.kind, []).append(event)
            if event.ref:
                self.by_ref[event.ref] = event

    def of(self, kinds: Iterable[str]) -> list[EventLike]:
        kinds = list(kinds)
        if len(kinds) == 1:
            return self.by_kind.get(kinds[0], [])
        found = [e for k in kinds for e in self.by_kind.get(k, [])]
        found.sort(key=lambda e: (e.dates.start, e.dates.end, e.kind, e.id))
        return found

    def has_any(self, kinds: Iterable[str]) -> bool:
        return any(self.by_kind.get(k) for k in kinds)

    def name(self, person: str) -> str:
        return self.people.get(person, person) or "unknown"


# --- Measuring --------------------------------------------------------------------------------


def _is_anchored(earlier: EventLike, later: EventLike) -> bool:
    return bool(later.relative_to) and later.relative_to == earlier.ref and later.offset_days is not None


def _anchored_breaches(earlier: EventLike, later: EventLike, limit: Duration) -> tuple[bool, bool]:
    """(definite, possible) for an interval dated from the earlier event."""
    offset = timedelta(days=later.offset_days or 0)
    outcomes = set()
    day = earlier.dates.start
    while day <= earlier.dates.end:
        outcomes.add(day + offset > add_duration(day, limit))
        day += timedelta(days=1)
    return (outcomes == {True}, True in outcomes)


def _breach(earlier: EventLike, later: EventLike, limit: Duration) -> tuple[bool, bool]:
    """Whether the time from *earlier* to *later* breaks *limit*: (definitely, possibly).

    The longest reading runs from the first day *earlier* may have been to the last day
    *later* may have been; the shortest from the last possible day of *earlier* to the first
    of *later* (never before it). Checked longest first: most intervals keep to the limit.
    """
    if _is_anchored(earlier, later):
        return _anchored_breaches(earlier, later, limit)
    if later.dates.end <= add_duration(earlier.dates.start, limit):
        return False, False
    shortest_to = max(later.dates.start, earlier.dates.end)
    return shortest_to > add_duration(earlier.dates.end, limit), True


def _span(earlier: DateRange, later: DateRange, unit: Duration) -> Span:
    low = unit.measure(earlier.end, max(later.start, earlier.end))
    high = unit.measure(earlier.start, later.end)
    return Span(low, high, unit.unit)


def _event_span(earlier: EventLike, later: EventLike, unit: Duration) -> Span:
    if _is_anchored(earlier, later):
        offset = timedelta(days=later.offset_days or 0)
        values = [unit.measure(earlier.dates.start, earlier.dates.start + offset),
                  unit.measure(earlier.dates.end, earlier.dates.end + offset)]
        return Span(min(values), max(values), unit.unit)
    return _span(earlier.dates, later.dates, unit)


def _due_range(anchor: DateRange, limit: Duration) -> DateRange:
    return DateRange(add_duration(anchor.start, limit), add_duration(anchor.end, limit))


def _when(r: DateRange) -> str:
    return format_range(r)


def _limit_text(rule: Rule, limit: Duration, prefix: str = "every") -> str:
    return f"{rule.status_label}: {prefix} {limit}"


def _flag(rule: Rule, kind: str, severity: str, definite: bool, start: date, end: date,
          due: date | None, events: Sequence[EventLike], message: str, tag: str) -> Flag:
    ids = tuple(e.id for e in events)
    key = f"{rule.id}:{kind}:{tag}"
    return Flag(
        key=key,
        kind=kind,
        rule=rule.id,
        severity=severity,
        certainty="definite" if definite else "possible",
        start=start,
        end=max(start, end),
        due=due,
        events=ids,
        message=message,
    )


def _coverage(rule: Rule, case: _Case, since: EventLike, what: str) -> Flag:
    label = rule.params.get("label", rule.title)
    message = (
        f"No {label} recorded in this chronology although {what} from {_when(since.dates)}: "
        f"check the records are complete ({rule.status_label}: {rule.title.lower()})"
    )
    return _flag(rule, "coverage", "attention", True, since.dates.start, case.as_of, None, [since], message, "none")


def _durations(params: Mapping[str, object], *names: str) -> list[Duration | None]:
    return [parse_duration(str(params[n])) if params.get(n) else None for n in names]


# --- Status periods ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Period:
    opened: EventLike
    closed: EventLike | None


def _periods(case: _Case, open_kinds: Sequence[str], close_kinds: Sequence[str], *, restart: bool) -> list[_Period]:
    """Spans during which a status is open. A second opening either restarts the span
    (a new placement) or is ignored (the same episode), as *restart* says."""
    marks = [(e, True) for e in case.of(open_kinds)] + [(e, False) for e in case.of(close_kinds)]
    marks.sort(key=lambda m: (m[0].dates.start, m[0].dates.end, not m[1], m[0].id))
    periods: list[_Period] = []
    current: EventLike | None = None
    for event, is_open in marks:
        if is_open:
            if current is not None:
                if not restart:
                    continue
                periods.append(_Period(current, event))  # a new opening ends the last one
            current = event
        elif current is not None:
            periods.append(_Period(current, event))
            current = None
    if current is not None:
        periods.append(_Period(current, None))
    return periods


def _status_periods(case: _Case, open_kinds: Sequence[str]) -> list[_Period]:
    """Periods of a status opened by *open_kinds* and closed by their paired kinds."""
    closes = tuple({c for k in open_kinds for c in STATUS_PAIRS.get(k, ())})
    return _periods(case, open_kinds, closes, restart=False)


def _open_during(periods: Sequence[_Period], day: DateRange) -> tuple[bool, bool]:
    """Whether a status is open on *day*: (on every reading of the dates, on some reading)."""
    surely = maybe = False
    for period in periods:
        opened, closed = period.opened.dates, period.closed.dates if period.closed else None
        if opened.start <= day.end and (closed is None or closed.end >= day.start):
            maybe = True
            if opened.end <= day.start and (closed is None or closed.start >= day.end):
                surely = True
    return surely, maybe


class _Synthetic:
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


# --- Interval rules ---------------------------------------------------------------------------


def interval_rule(rule: Rule, case: _Case) -> list[Flag]:
    p = rule.params
    required = list(p.get("required", []))
    every, first_within = _durations(p, "every", "first_within")
    if every is None:
        return []
    phases = [(parse_duration(str(x["after"])), parse_duration(str(x["every"])), str(x.get("note", "")))
              for x in p.get("every_after", [])]
    restart = any(k == "placement_start" for k in p.get("open", []))
    periods = _periods(case, p.get("open", []), p.get("close", []), restart=restart)
    if not periods:
        return []
    visits = case.of(required)
    label = str(p.get("label", rule.title))
    status = str(p.get("status_label", "the status"))
    if not visits:
        first = periods[0].opened
        due = add_duration(max(first.dates.end, case.records_from or first.dates.end), first_within or every)
        if case.as_of > due:
            return [_coverage(rule, case, first, f"{status} was open")]
        return []

    flags: list[Flag] = []
    for period in periods:
        opened = period.opened
        end_event = period.closed
        inside = [v for v in visits if v.dates.end >= opened.dates.start
                  and (end_event is None or v.dates.start <= end_event.dates.end)]
        anchor: EventLike = opened
        limit = first_within or every
        if case.records_from and opened.dates.end < case.records_from:
            # Visits before the record starts are unknown: measure from its first day.
            earlier = [v for v in inside if v.dates.end < case.records_from]
            anchor = earlier[-1] if earlier else _Synthetic(case.records_from, "records_from")
            limit = _limit_at(opened, anchor, every, phases)
            inside = [v for v in inside if v.dates.end >= case.records_from]
        for visit in inside:
            flags.extend(_gap(rule, case, anchor, visit, limit, label, status))
            anchor = visit
            limit = _limit_at(opened, visit, every, phases)
        if end_event is not None:
            closing = end_event
        else:
            closing = _Synthetic(case.as_of, "as_of")
        flags.extend(_gap(rule, case, anchor, closing, limit, label, status, open_end=end_event is None))
    return flags


def _limit_at(opened: EventLike, anchor: EventLike, every: Duration, phases) -> Duration:
    """The interval in force for the next event after *anchor*: a later phase applies once
    the next event would fall due inside it (private fostering: 12 weeks after year one)."""
    limit = every
    for after, later_every, _ in phases:
        if add_duration(anchor.dates.end, limit) > add_duration(opened.dates.end, after):
            limit = later_every
    return limit


def _gap(rule: Rule, case: _Case, earlier: EventLike, later: EventLike, limit: Duration,
         label: str, status: str, open_end: bool = False) -> list[Flag]:
    if later.dates.end <= (case.records_from or date.min):
        return []
    definite, possible = _breach(earlier, later, limit)
    if not possible:
        return []
    due = add_duration(earlier.dates.end, limit)
    span = _event_span(earlier, later, limit if limit.unit != "days" else Duration(1, "weeks"))
    since = "the start of the record" if earlier.kind == "records_from" else _when(earlier.dates)
    if isinstance(later, _Synthetic) and later.kind == "as_of":
        message = (
            f"No {label} for {span.text()} since {since} (as of {format_day(case.as_of)}); "
            f"{_limit_text(rule, limit)}"
        )
        tag = f"{earlier.id}:open"
    elif later.kind not in rule.params.get("required", []):
        message = (
            f"No {label} for {span.text()} between {since} and the end of the {status} "
            f"({_when(later.dates)}); {_limit_text(rule, limit)}"
        )
        tag = f"{earlier.id}:{later.id}:end"
    else:
        message = (
            f"No {label} for {span.text()} from {since} to {_when(later.dates)}; "
            f"{_limit_text(rule, limit)}"
        )
        tag = f"{earlier.id}:{later.id}"
    events = [e for e in (earlier, later) if not isinstance(e, _Synthetic)]
    return [_flag(rule, "gap", "breach", definite, earlier.dates.start, later.dates.end, due, events, message, tag)]


# --- Deadlines --------------------------------------------------------------------------------


def deadline_rule(rule: Rule, case: _Case) -> list[Flag]:
    p = rule.params
    within, extended = _durations(p, "within", "extended")
    if within is None:
        return []
    triggers = case.of(p.get("trigger", []))
    if not triggers:
        return []
    responses = case.of(p.get("required", []))
    label = str(p.get("label", rule.title))
    trigger_label = str(p.get("trigger_label", "the trigger"))
    if not responses:
        due = add_duration(triggers[0].dates.end, within)
        if case.as_of > due:
            return [_coverage(rule, case, triggers[0], f"there was a {trigger_label}")]
        return []
    pairs = _pair_each(triggers, responses) if p.get("anchor", "each") == "each" else _pair_last(triggers, responses)
    flags: list[Flag] = []
    for trigger, response in pairs:
        if response is None:
            flags.extend(_missed(rule, case, trigger, within, extended, label, trigger_label))
        else:
            flags.extend(_late(rule, trigger, response, within, extended, label, trigger_label))
    return flags


def _pair_each(triggers, responses):
    """Each trigger takes the first unused response that can follow it (complaint stages).

    Triggers come in date order, so the first eligible response only moves forward: one
    pointer over the responses (ordered by their latest date) does the pairing in one pass.
    """
    by_end = sorted(responses, key=lambda r: (r.dates.end, r.dates.start, r.id))
    pairs = []
    index = 0
    for trigger in triggers:
        while index < len(by_end) and by_end[index].dates.end < trigger.dates.start:
            index += 1
        if index < len(by_end):
            pairs.append((trigger, by_end[index]))
            index += 1
        else:
            pairs.append((trigger, None))
    return pairs


def _pair_last(triggers, responses):
    """Each response answers the last trigger before it; earlier ones are superseded."""
    pairs = []
    pending: EventLike | None = None
    responses = list(responses)
    index = 0
    for trigger in triggers:
        while index < len(responses) and responses[index].dates.end < trigger.dates.start:
            if pending is not None:
                pairs.append((pending, responses[index]))
                pending = None
            index += 1
        pending = trigger
    if pending is not None:
        rest = [r for r in responses[index:] if r.dates.end >= pending.dates.start]
        pairs.append((pending, rest[0] if rest else None))
    return pairs


def _late(rule, trigger, response, within, extended, label, trigger_label) -> list[Flag]:
    span = _event_span(trigger, response, within)
    base = (f"{label[:1].upper()}{label[1:]} {span.text()} after the {trigger_label}: "
            f"{_when(trigger.dates)} to {_when(response.dates)}")
    events = [trigger, response]
    start, end = trigger.dates.start, response.dates.end
    tag = f"{trigger.id}:{response.id}"
    due = add_duration(trigger.dates.end, within)
    if extended is not None:
        definite_out, possible_out = _breach(trigger, response, extended)
        definite_in, possible_in = _breach(trigger, response, within)
        flags = []
        if possible_out:
            flags.append(_flag(rule, "deadline", "breach", definite_out, start, end,
                               add_duration(trigger.dates.end, extended), events,
                               f"{base}; {rule.status_label}: within {within}, {extended} at the most", tag + ":extended"))
        if possible_in and not definite_out:
            flags.append(_flag(rule, "deadline", "attention", definite_in, start, end, due, events,
                               f"{base}; {rule.status_label}: within {within} ({extended} when extended)", tag))
        return flags
    definite, possible = _breach(trigger, response, within)
    if not possible:
        return []
    return [_flag(rule, "deadline", "breach", definite, start, end, due, events,
                  f"{base}; {rule.status_label}: within {within}", tag)]


def _missed(rule, case, trigger, within, extended, label, trigger_label) -> list[Flag]:
    outer = extended or within
    due = _due_range(trigger.dates, outer)
    passed = outer  # the limit as-of has gone past: its day is the flag's due date
    if case.as_of <= due.start:
        if extended is None:
            return []
        due_inner = _due_range(trigger.dates, within)
        if case.as_of <= due_inner.start:
            return []
        severity, definite, passed = "attention", case.as_of > due_inner.end, within
    else:
        severity, definite = "breach", case.as_of > due.end
    optional = bool(rule.params.get("optional"))
    if optional:
        severity = "attention"
    when_due = _when(_due_range(trigger.dates, within))
    message = (
        f"{label.capitalize() if label[:1].islower() else label} due by {when_due} after the "
        f"{trigger_label} of {_when(trigger.dates)}: none recorded by {format_day(case.as_of)}; "
        f"{rule.status_label}: within {within}"
        + (f" ({extended} when extended)" if extended else "")
        + (" (needed only if the process went on)" if optional else "")
    )
    return [_flag(rule, "deadline", severity, definite, trigger.dates.start, case.as_of,
                  add_duration(trigger.dates.end, passed), [trigger], message, f"{trigger.id}:missed")]


# --- Review chains ----------------------------------------------------------------------------


def review_chain_rule(rule: Rule, case: _Case) -> list[Flag]:
    p = rule.params
    first, second, then = _durations(p, "first", "second", "then")
    if first is None or then is None:
        return []
    periods = _periods(case, p.get("open", []), p.get("close", []), restart=False)
    if not periods:
        return []
    reviews = case.of(p.get("required", []))
    label = str(p.get("label", rule.title))
    status = str(p.get("status_label", "the status"))
    if not reviews:
        opened = periods[0].opened
        if case.as_of > add_duration(opened.dates.end, first):
            return [_coverage(rule, case, opened, f"{status} began")]
        return []
    flags: list[Flag] = []
    for period in periods:
        opened, closed = period.opened, period.closed
        inside = [r for r in reviews if r.dates.end >= opened.dates.start
                  and (closed is None or r.dates.start <= closed.dates.end)]
        anchor: EventLike = opened
        limit = first
        ordinal = 1
        if case.records_from and opened.dates.end < case.records_from:
            earlier = [r for r in inside if r.dates.end < case.records_from]
            if not earlier:
                anchor, limit = _Synthetic(case.records_from, "records_from"), then
            else:
                anchor, ordinal = earlier[-1], len(earlier) + 1
                limit = second if (ordinal == 2 and second) else then
            inside = [r for r in inside if r.dates.end >= case.records_from]
        for review in inside:
            definite, possible = _breach(anchor, review, limit)
            if possible:
                span = _event_span(anchor, review, limit)
                what = _ordinal_text(ordinal, label)
                message = (
                    f"{what} held {span.text()} after {_since(anchor, status)} "
                    f"({_when(review.dates)}); {rule.status_label}: within {limit}"
                )
                flags.append(_flag(rule, "review", "breach", definite, anchor.dates.start, review.dates.end,
                                   add_duration(anchor.dates.end, limit),
                                   [e for e in (anchor, review) if not isinstance(e, _Synthetic)],
                                   message, f"{anchor.id}:{review.id}"))
            anchor = review
            ordinal += 1
            limit = second if (ordinal == 2 and second) else then
        due = _due_range(anchor.dates, limit)
        stop = closed.dates.start if closed is not None else case.as_of
        if stop > due.start:
            definite = stop > due.end
            what = _ordinal_text(ordinal, label)
            ends = f"; the {status} ended {_when(closed.dates)}" if closed is not None else ""
            message = (
                f"{what} due by {_when(due)} ({limit} after {_since(anchor, status)}): "
                f"none recorded by {format_day(case.as_of if closed is None else closed.dates.start)}{ends}; "
                f"{rule.status_label}: within {limit}"
            )
            flags.append(_flag(rule, "review", "breach", definite, due.start, stop, due.end,
                               [e for e in (anchor,) if not isinstance(e, _Synthetic)], message,
                               f"{anchor.id}:missed"))
    return flags


def _ordinal_text(n: int, label: str) -> str:
    names = {1: "First", 2: "Second", 3: "Third"}
    return f"{names.get(n, f'{n}th')} {label}" if n <= 3 else f"{label[:1].upper()}{label[1:]} (no. {n})"


def _since(anchor: EventLike, status: str) -> str:
    if isinstance(anchor, _Synthetic):
        return "the start of the record"
    return f"the {anchor.kind.replace('_', ' ')} of {_when(anchor.dates)}"


# --- Worker changes ---------------------------------------------------------------------------


def _changes(case: _Case, kinds: Sequence[str]) -> list[tuple[EventLike | None, EventLike]]:
    """(previous allocation, new allocation) for each change of allocated worker."""
    allocations = case.of(kinds)
    changes = []
    previous: EventLike | None = None
    for allocation in allocations:
        if previous is not None and allocation.actor != previous.actor:
            changes.append((previous, allocation))
        previous = allocation
    return changes


def worker_change_rule(rule: Rule, case: _Case) -> list[Flag]:
    p = rule.params
    kinds = p.get("worker", ["worker_allocated"])
    if p.get("variant") == "stability":
        return _stability(rule, case, kinds)
    flags = []
    changes = _changes(case, kinds)
    for previous, new in changes:
        message = (
            f"Allocated worker changed from {case.name(previous.actor)} to {case.name(new.actor)} "
            f"({_when(new.dates)})"
        )
        flags.append(_flag(rule, "worker_change", "info", True, new.dates.start, new.dates.end, None,
                           [previous, new], message, f"{new.id}"))
    flags.extend(_family_told(rule, case, changes))
    return flags


def _family_told(rule: Rule, case: _Case, changes) -> list[Flag]:
    (within,) = _durations(rule.params, "within")
    if within is None or not changes:
        return []
    informed = case.of(rule.params.get("informed", ["family_informed"]))
    if not informed:
        first = changes[0][1]
        if case.as_of > add_duration(first.dates.end, within):
            return [_coverage(rule, case, first, "the allocated worker changed")]
        return []
    flags = []
    by_actor = any(i.actor for i in informed)
    told_by = _first_after_index(informed, by_actor)
    for index, (_, new) in enumerate(changes):
        next_change = changes[index + 1][1] if index + 1 < len(changes) else None
        told = told_by(new)
        if told is not None and not (by_actor and told.actor == new.actor) and next_change is not None \
                and told.dates.start > next_change.dates.end:
            told = None  # told of someone else, after the next change
        who = case.name(new.actor)
        if told is not None:
            definite, possible = _breach(new, told, within)
            if possible:
                span = _event_span(new, told, within)
                message = (
                    f"Family told of the new worker ({who}) {span.text()} after the change "
                    f"({_when(new.dates)} to {_when(told.dates)}); {rule.status_label}: within {within}"
                )
                flags.append(_flag(rule, "family_not_told", "attention", definite, new.dates.start,
                                   told.dates.end, add_duration(new.dates.end, within), [new, told], message,
                                   f"{new.id}:{told.id}"))
            continue
        due = _due_range(new.dates, within)
        stop = case.as_of
        if stop > due.start:
            message = (
                f"No record that the family was told of the new worker ({who}, {_when(new.dates)}) "
                f"by {format_day(stop)}; {rule.status_label}: within {within}"
            )
            flags.append(_flag(rule, "family_not_told", "attention", stop > due.end, new.dates.start, stop,
                               due.end, [new], message, f"{new.id}:none"))
    return flags


def _first_after_index(informed: list[EventLike], by_actor: bool):
    """A lookup: the first informed event that may follow a change, preferring one whose
    actor is the new worker. Bisection keeps it fast on long chronologies."""
    from bisect import bisect_left

    def table(events):
        ordered = sorted(events, key=lambda e: (e.dates.end, e.dates.start, e.id))
        return [e.dates.end for e in ordered], ordered

    # An event naming a worker tells of that worker only; one naming nobody may tell of any.
    anyone = table([e for e in informed if not e.actor])
    per_actor: dict[str, tuple[list[date], list[EventLike]]] = {}
    if by_actor:
        grouped: dict[str, list[EventLike]] = {}
        for event in informed:
            if event.actor:
                grouped.setdefault(event.actor, []).append(event)
        per_actor = {actor: table(events) for actor, events in grouped.items()}

    def first(ends_events, day: date) -> EventLike | None:
        ends, events = ends_events
        i = bisect_left(ends, day)
        return events[i] if i < len(events) else None

    def lookup(change: EventLike) -> EventLike | None:
        if change.actor in per_actor:
            found = first(per_actor[change.actor], change.dates.start)
            if found is not None:
                return found
        return first(anyone, change.dates.start)

    return lookup


def _stability(rule: Rule, case: _Case, kinds: Sequence[str]) -> list[Flag]:
    """Distinct allocated workers within any *window*, the worker in post as it opens included.

    Two sliding windows over the allocations (definite and possible readings of the dates)
    keep this linear however long the case is.
    """
    threshold = int(rule.params.get("threshold", 3))
    (window,) = _durations(rule.params, "window")
    if window is None:
        return []
    allocations = case.of(kinds)
    flags: list[Flag] = []
    cluster: tuple[int, int, bool] | None = None  # (first index, last index, definite)
    # When each allocation leaves the window, on its latest and on its earliest reading.
    leaves_latest = [add_duration(a.dates.end, window) for a in allocations]
    leaves_earliest = [add_duration(a.dates.start, window) for a in allocations]
    possible = _SlidingWorkers(allocations)
    definite = _SlidingWorkers(allocations)
    for i, latest in enumerate(allocations):
        # Possible: the earlier allocation's latest date may fall within the window.
        first_possible = possible.advance(i, lambda k: leaves_latest[k] <= latest.dates.start)
        definite.advance(i, lambda k: leaves_earliest[k] <= latest.dates.end)
        if possible.distinct() >= threshold:
            is_definite = definite.distinct() >= threshold
            if cluster is not None and first_possible <= cluster[1]:
                cluster = (cluster[0], i, cluster[2] or is_definite)
            else:
                if cluster is not None:
                    flags.append(_stability_flag(rule, case, allocations, cluster, threshold, window))
                cluster = (first_possible, i, is_definite)
    if cluster is not None:
        flags.append(_stability_flag(rule, case, allocations, cluster, threshold, window))
    return flags


class _SlidingWorkers:
    """Actors of allocations[low..high], plus the one in post before *low* (it still counts)."""

    def __init__(self, allocations: list[EventLike]) -> None:
        self.allocations = allocations
        self.low = 0
        self.counts: dict[str, int] = {}

    def advance(self, high: int, outside) -> int:
        """Take allocation *high* in, drop those whose index is *outside* the window; return
        the first index that counts (the worker in post when the window opened)."""
        actor = self.allocations[high].actor
        self.counts[actor] = self.counts.get(actor, 0) + 1
        while self.low < high and outside(self.low):
            gone = self.allocations[self.low].actor
            self.counts[gone] -= 1
            if not self.counts[gone]:
                del self.counts[gone]
            self.low += 1
        return max(0, self.low - 1)

    def distinct(self) -> int:
        before = self.allocations[self.low - 1].actor if self.low > 0 else None
        return len(self.counts) + (1 if before is not None and before not in self.counts else 0)


def _stability_flag(rule, case, allocations, cluster, threshold, window) -> Flag:
    first, last, definite = cluster
    chosen = allocations[first : last + 1]
    names = list(dict.fromkeys(case.name(allocation.actor) for allocation in chosen))
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    message = (
        f"{len(names)} allocated workers between {_when(chosen[0].dates)} and {_when(chosen[-1].dates)} "
        f"({shown}); {rule.status_label}: {threshold} or more within {window} marks instability"
    )
    return _flag(rule, "worker_stability", "attention", definite, chosen[0].dates.start, chosen[-1].dates.end,
                 None, chosen, message, f"{chosen[0].id}:{chosen[-1].id}")


# --- Preconditions ----------------------------------------------------------------------------


def precondition_rule(rule: Rule, case: _Case) -> list[Flag]:
    p = rule.params
    (window,) = _durations(p, "window")
    if window is None:
        return []
    targets = case.of(p.get("target", []))
    required = case.of(p.get("required", []))
    when_open = list(p.get("when_open", []))
    label = str(p.get("label", rule.title))
    target_label = str(p.get("target_label", "the event"))
    periods = _status_periods(case, when_open) if when_open else []
    flags = []
    for target in targets:
        surely_open, maybe_open = _open_during(periods, target.dates) if when_open else (True, True)
        if not maybe_open:
            continue
        earliest = _before(target.dates.start, window)
        latest_window_start = _before(target.dates.end, window)
        surely = [r for r in required if r.dates.start >= latest_window_start and r.dates.end <= target.dates.start
                  and r is not target]
        maybe = [r for r in required if r.dates.end >= earliest and r.dates.start <= target.dates.end
                 and r is not target]
        if surely:
            continue
        # Definite only if no reading has the required event in time nor the status closed.
        definite = not maybe and surely_open
        message = (
            f"{target_label[:1].upper()}{target_label[1:]} ({_when(target.dates)}) with no {label} recorded "
            f"in the {window} before it; {rule.status_label}: {rule.title.lower()}"
        )
        flags.append(_flag(rule, "precondition", "breach", definite, target.dates.start, target.dates.end,
                           target.dates.start, [target, *maybe], message, f"{target.id}"))
    return flags


def _before(day: date, window: Duration) -> date:
    """The first day of the *window* that ends on *day*."""
    return add_duration(day, Duration(-window.amount, window.unit))


# --- Entry point ------------------------------------------------------------------------------

SHAPE_RULES = {
    "interval": interval_rule,
    "deadline": deadline_rule,
    "review_chain": review_chain_rule,
    "worker_change": worker_change_rule,
    "precondition": precondition_rule,
}


def required_kinds(rules: Iterable[Rule]) -> set[str]:
    """Every event kind some rule reads: the rest need not be loaded to compute flags."""
    kinds: set[str] = set()
    for rule in rules:
        for key in ("open", "close", "required", "trigger", "target", "worker", "informed", "when_open"):
            kinds.update(rule.params.get(key, []))
        for opened in rule.params.get("when_open", []):
            kinds.update(STATUS_PAIRS.get(opened, ()))
    return kinds


def compute_flags(
    events: Iterable[EventLike],
    rules: Mapping[str, Rule] | Iterable[Rule],
    *,
    as_of: date | None = None,
    records_from: date | None = None,
    people: Mapping[str, str] | None = None,
) -> list[Flag]:
    """Every flag the events raise under *rules*, as known on *as_of*.

    Args:
        events: the case's events, in any order.
        rules: the guidance library in force (id -> Rule, or Rules).
        as_of: only events that had begun by this day are known; deadlines are missed only
            once it has passed. Default: the last day of the chronology.
        records_from: the chronology is complete only from this day.
        people: person id -> display name, for messages.

    Returns:
        Flags sorted by start date, then severity, then key.
    """
    events = list(events)
    if not events:
        return []
    if as_of is None:
        as_of = max(e.dates.end for e in events)
    rule_list = list(rules.values()) if isinstance(rules, Mapping) else list(rules)
    case = _Case(events, as_of, records_from, people or {})
    flags: list[Flag] = []
    for rule in sorted(rule_list, key=lambda r: r.id):
        shape = SHAPE_RULES.get(rule.shape)
        if shape is not None:
            flags.extend(shape(rule, case))
    flags.sort(key=lambda f: f.sort_key)
    return flags
