"""Interval rules: while a status is open, an event of a kind must recur at most every N.

Produces *gap* flags; the interval may change with time (private fostering: 6 weeks in year
one, 12 after).
"""

from __future__ import annotations

from datetime import date

from caseline.dates import Duration, add_duration, format_day, parse_duration
from caseline.guidance import Rule
from caseline.model import Flag
from caseline.rules.measure import (
    CaseFacts,
    EventLike,
    Finding,
    Marker,
    breach,
    coverage_flag,
    durations,
    event_span,
    limit_text,
    make_flag,
    open_periods,
    when,
)


def interval_rule(rule: Rule, case: CaseFacts) -> list[Flag]:
    p = rule.params
    required = list(p.get("required", []))
    every, first_within = durations(p, "every", "first_within")
    if every is None:
        return []
    phases = [(parse_duration(str(x["after"])), parse_duration(str(x["every"])), str(x.get("note", "")))
              for x in p.get("every_after", [])]
    restart = any(k == "placement_start" for k in p.get("open", []))
    periods = open_periods(case, p.get("open", []), p.get("close", []), restart=restart)
    if not periods:
        return []
    visits = case.of(required)
    label = str(p.get("label", rule.title))
    status = str(p.get("status_label", "the status"))
    if not visits:
        first = periods[0].opened
        due = add_duration(max(first.dates.end, case.records_from or first.dates.end), first_within or every)
        if case.as_of > due:
            return [coverage_flag(rule, case, first, f"{status} was open")]
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
            anchor = earlier[-1] if earlier else Marker(case.records_from, "records_from")
            limit = _limit_at(opened, anchor, every, phases)
            inside = [v for v in inside if v.dates.end >= case.records_from]
        for visit in inside:
            flags.extend(_gap(rule, case, anchor, visit, limit, label, status))
            anchor = visit
            limit = _limit_at(opened, visit, every, phases)
        if end_event is not None:
            closing = end_event
        else:
            closing = Marker(case.as_of, "as_of")
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


def _gap(rule: Rule, case: CaseFacts, earlier: EventLike, later: EventLike, limit: Duration,
         label: str, status: str, open_end: bool = False) -> list[Flag]:
    if later.dates.end <= (case.records_from or date.min):
        return []
    definite, possible = breach(earlier, later, limit)
    if not possible:
        return []
    due = add_duration(earlier.dates.end, limit)
    span = event_span(earlier, later, limit if limit.unit != "days" else Duration(1, "weeks"))
    since = "the start of the record" if earlier.kind == "records_from" else when(earlier.dates)
    if isinstance(later, Marker) and later.kind == "as_of":
        message = (
            f"No {label} for {span.text()} since {since} (as of {format_day(case.as_of)}); "
            f"{limit_text(rule, limit)}"
        )
        tag = f"{earlier.id}:open"
    elif later.kind not in rule.params.get("required", []):
        message = (
            f"No {label} for {span.text()} between {since} and the end of the {status} "
            f"({when(later.dates)}); {limit_text(rule, limit)}"
        )
        tag = f"{earlier.id}:{later.id}:end"
    else:
        message = (
            f"No {label} for {span.text()} from {since} to {when(later.dates)}; "
            f"{limit_text(rule, limit)}"
        )
        tag = f"{earlier.id}:{later.id}"
    events = [e for e in (earlier, later) if not isinstance(e, Marker)]
    return [make_flag(rule, Finding(
        kind="gap",
        severity="breach",
        definite=definite,
        start=earlier.dates.start,
        end=later.dates.end,
        due=due,
        events=events,
        message=message,
        tag=tag,
    ))]
