"""Interval rules: while a status is open, an event of a kind must recur at most every N.

Produces *gap* flags, and one information row for the next event still pending at the as-of
date. The interval may change with time (private fostering: 6 weeks in year one, 12 after)
and a later phase may depend on a recorded attribute: a looked-after child's placement
intended to last until 18 (``placement_long_term``) may be visited every 3 months after its
first year; any other placement stays at 6 weeks; when the intention is not recorded the
6-week limit applies but a gap that only it breaks is shown as *possible*.

Care-leaver rules open only for a child eligible by age (see :mod:`caseline.rules.eligibility`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from caseline.dates import Duration, add_duration, fewest_days, format_day, parse_duration
from caseline.guidance import Rule
from caseline.model import Flag
from caseline.rules.measure import (
    CaseFacts,
    EventLike,
    Finding,
    Marker,
    Period,
    breach,
    coverage_flag,
    demoted,
    durations,
    event_span,
    info_flag,
    limit_text,
    make_flag,
    open_periods,
    plausible,
    records_end_flag,
    spaced_pairs,
    when,
)


class _Phase:
    __slots__ = ("after", "every", "when_kinds", "unless_kinds", "otherwise", "note")

    def __init__(self, data: dict) -> None:
        self.after = parse_duration(str(data["after"]))
        self.every = parse_duration(str(data["every"]))
        self.when_kinds = list(data.get("when", []))
        self.unless_kinds = list(data.get("unless", []))
        self.otherwise = parse_duration(str(data["otherwise"])) if data.get("otherwise") else None
        self.note = str(data.get("note", ""))


def interval_rule(rule: Rule, case: CaseFacts) -> list[Flag]:
    p = rule.params
    required = list(p.get("required", []))
    every, first_within = durations(p, "every", "first_within")
    if every is None:
        return []
    phases = [_Phase(x) for x in p.get("every_after", [])]
    restart = any(k == "placement_start" for k in p.get("open", []))
    periods = open_periods(case, p.get("open", []), p.get("close", []), restart=restart)
    if not periods and p.get("open_fallback"):
        # e.g. becoming looked after, when no placement is recorded
        periods = open_periods(case, p["open_fallback"], p.get("close", []), restart=restart)
    if not periods:
        return []
    flags: list[Flag] = []
    uncertain: set[int] = set()
    if p.get("eligibility"):
        from caseline.rules.eligibility import eligible_periods

        periods, uncertain, notes = eligible_periods(rule, case, periods, str(p["eligibility"]))
        flags.extend(notes)
        if not periods:
            return flags
    visits = case.of(required)
    label = str(p.get("label", rule.title))
    status = str(p.get("status_label", "the status"))
    if not visits and case.wholly_absent(required) and not any(case.not_happened.get(k) for k in required):
        first = periods[0].opened
        due = add_duration(max(first.dates.end, case.records_from or first.dates.end), first_within or every)
        if case.as_of > due:
            return [*flags, coverage_flag(rule, case, first, f"{status} was open")]
        return flags
    g = _Gaps(rule, case, label, status, required, every, phases)
    for period in periods:
        found = g.period(period)
        if id(period) in uncertain or period.uncertain:
            found = [_possible(f) for f in found]
        flags.extend(found)
    return flags


def _possible(flag: Flag) -> Flag:
    if flag.severity == "breach":
        return flag._replace(certainty="possible",
                             message=flag.message + " (if the child was eligible: the date of birth leaves it open)")
    return flag


class _Gaps:
    def __init__(self, rule, case, label, status, required, every, phases) -> None:
        self.rule, self.case, self.label, self.status = rule, case, label, status
        self.required, self.every, self.phases = required, every, phases
        (self.first_within,) = durations(rule.params, "first_within")
        # No limit after a visit adds fewer days than this: closer pairs never break one.
        limits = [every, *(ph.every for ph in phases), *(ph.otherwise for ph in phases if ph.otherwise)]
        self.more_than_days = min(fewest_days(limit) for limit in limits)

    def period(self, period: Period) -> list[Flag]:
        case = self.case
        opened, end_event = period.opened, period.closed
        attributes = self._attributes(opened, end_event)
        anchor: EventLike = opened
        limits = (self.first_within or self.every,) * 2
        records_from = None
        if case.records_from and opened.dates.end < case.records_from:
            # Visits before the record starts are unknown: measure from its first day (or the
            # last visit recorded before it).
            records_from = case.records_from
            earlier = None
            for visit in self._inside(opened, end_event):
                if visit.dates.start >= records_from:
                    break  # every later visit ends on or after the record's start too
                if visit.dates.end < records_from:
                    earlier = visit
            anchor = earlier if earlier is not None else Marker(records_from, "records_from")
            limits = self._limits_at(opened, anchor, attributes)
        flags: list[Flag] = []
        # Each visit is measured from the one before it (the first from the anchor). Most
        # come well within the limit: only the pairs far enough apart to break one are
        # looked at (the same first test :func:`breach` makes, settled here).
        for earlier, visit in self._spaced(opened, end_event, records_from):
            if visit is None:  # the last visit: the next is measured from it
                anchor, limits = earlier, self._limits_at(opened, earlier, attributes)
                break
            start, limit = (anchor, limits) if earlier is None else (earlier, self._limits_at(opened, earlier, attributes))
            if visit.relative_to or visit.dates.end > add_duration(start.dates.start, limit[0]):
                flags.extend(self._gap(start, visit, limit))
        until = case.records_until if self.rule.absence == "records" and not case.complete(self.required) else None
        due = add_duration(anchor.dates.end, limits[0])
        if end_event is None and until is not None and due < case.as_of:
            if due >= until:
                since = "the start of the record" if isinstance(anchor, Marker) else when(anchor.dates)
                flags.append(records_end_flag(self.rule, case, anchor, due, since))
                return flags
            closing = Marker(until, "as_of")
        else:
            closing = end_event if end_event is not None else Marker(case.as_of, "as_of")
        found = self._gap(anchor, closing, limits, open_end=end_event is None)
        flags.extend(found)
        if end_event is None and not found:
            due = add_duration(anchor.dates.end, limits[0])
            if due >= case.as_of:
                message = (f"Next {self.label} due by {format_day(due)} ({limits[0]} after "
                           f"{'the start of the record' if isinstance(anchor, Marker) else when(anchor.dates)}) — "
                           f"not yet due as of {format_day(case.as_of)}; {limit_text(self.rule, limits[0])}")
                flags.append(info_flag(self.rule, "pending", anchor.dates.start, due, due, [anchor],
                                       message, f"{anchor.id}:pending"))
        return flags

    def _spaced(self, opened: EventLike, closed: EventLike | None,
                records_from: date | None) -> Iterable[tuple[EventLike | None, EventLike | None]]:
        """:func:`spaced_pairs` of the visits in the period (those ending before
        *records_from* left out), from the store when it can answer, else by walking them."""
        case = self.case
        since = opened.dates.start if records_from is None else max(opened.dates.start, records_from)
        streamed = [k for k in self.required if k in case.streams]
        if case.spacing is not None and streamed \
                and not any(case.by_kind.get(k) for k in self.required if k not in case.streams):
            until = case.as_of if closed is None else min(case.as_of, closed.dates.end)
            found = case.spacing(streamed, since, until, self.more_than_days, case.others)
            if found is not None:
                return found
        visits: Iterable[EventLike] = self._inside(opened, closed)
        if records_from is not None:
            visits = (v for v in visits if v.dates.end >= records_from)
        return spaced_pairs(visits, self.more_than_days)

    def _inside(self, opened: EventLike, closed: EventLike | None) -> Iterator[EventLike]:
        """The required events overlapping the period, in date order."""
        first, stop = opened.dates.start, closed.dates.end if closed is not None else None
        for visit in self.case.of(self.required):
            if stop is not None and visit.dates.start > stop:
                break  # in date order: the rest start later still
            if visit.dates.end >= first:
                yield visit

    def _attributes(self, opened: EventLike, closed: EventLike | None) -> dict[str, list[EventLike]]:
        kinds = {k for ph in self.phases for k in (*ph.when_kinds, *ph.unless_kinds)}
        found: dict[str, list[EventLike]] = {}
        for kind in kinds:
            found[kind] = [e for e in self.case.of([kind]) if e.dates.end >= opened.dates.start
                           and (closed is None or e.dates.start <= closed.dates.end)]
        return found

    def _limits_at(self, opened: EventLike, anchor: EventLike, attributes) -> tuple[Duration, Duration]:
        """(strict, lenient) interval for the next event after *anchor*: a later phase applies
        once the next event would fall due inside it. They differ only while a condition the
        phase depends on is not recorded either way."""
        strict = lenient = self.every
        for phase in self.phases:
            if add_duration(anchor.dates.end, strict) <= add_duration(opened.dates.end, phase.after):
                continue
            if not phase.when_kinds:
                strict = lenient = phase.every
                continue
            def known(kinds):
                return any(e.dates.start <= add_duration(anchor.dates.end, phase.every)
                           for k in kinds for e in attributes.get(k, ()))
            if known(phase.when_kinds):
                strict = lenient = phase.every
            elif known(phase.unless_kinds):
                strict = lenient = phase.otherwise or strict
            else:
                strict, lenient = phase.otherwise or strict, phase.every
        return strict, lenient

    def _limit_words(self, limits: tuple[Duration, Duration]) -> str:
        strict, lenient = limits
        if strict == lenient:
            return limit_text(self.rule, strict)
        note = next((ph.note for ph in self.phases if ph.when_kinds), "")
        return (f"{limit_text(self.rule, strict)} ({lenient} {note}; the placement's intention is "
                f"not recorded)")

    def _gap(self, earlier: EventLike, later: EventLike, limits: tuple[Duration, Duration],
             open_end: bool = False) -> list[Flag]:
        rule, case = self.rule, self.case
        if later.dates.end <= (case.records_from or date.min):
            return []
        strict, lenient = limits
        definite, possible = breach(earlier, later, strict)
        if not possible:
            return []
        if lenient != strict:
            definite = breach(earlier, later, lenient)[0]
        due = add_duration(earlier.dates.end, strict)
        span = event_span(earlier, later, strict if strict.unit != "days" else Duration(1, "weeks"))
        since = "the start of the record" if earlier.kind == "records_from" else when(earlier.dates)
        words = self._limit_words(limits)
        if isinstance(later, Marker) and later.kind == "as_of":
            upto = (f"to the end of the chronology, {format_day(later.dates.start)}" if case.records_until
                    else f"as of {format_day(case.as_of)}")
            message = (f"No {self.label} for {span.text()} since {since} ({upto}; "
                       f"due by {format_day(due)}); {words}")
            tag = f"{earlier.id}:open"
        elif later.kind not in self.required:
            message = (f"No {self.label} for {span.text()} between {since} and the end of the {self.status} "
                       f"({when(later.dates)}; due by {format_day(due)}); {words}")
            tag = f"{earlier.id}:{later.id}:end"
        else:
            message = (f"No {self.label} for {span.text()} from {since} to {when(later.dates)} "
                       f"(due by {format_day(due)}); {words}")
            tag = f"{earlier.id}:{later.id}"
        events = [e for e in (earlier, later) if not isinstance(e, Marker)]
        finding = Finding("gap", "breach", definite, earlier.dates.start, later.dates.end, due, events,
                          message, tag)
        if definite or lenient != strict or plausible(earlier, later, strict):
            return [make_flag(rule, finding)]
        return [make_flag(rule, demoted(finding, f"~{round((span.low + span.high) / 2)} {span.unit.replace('_', ' ')}"))]
