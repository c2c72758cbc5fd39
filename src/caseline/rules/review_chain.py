"""Review chains: the first review within X, the second within Y of it, then every Z."""

from __future__ import annotations


from caseline.dates import add_duration, format_day
from caseline.guidance import Rule
from caseline.model import Flag
from caseline.rules.measure import (
    CaseFacts,
    EventLike,
    Finding,
    Marker,
    breach,
    coverage_flag,
    due_range,
    durations,
    event_span,
    make_flag,
    open_periods,
    when,
)


def review_chain_rule(rule: Rule, case: CaseFacts) -> list[Flag]:
    p = rule.params
    first, second, then = durations(p, "first", "second", "then")
    if first is None or then is None:
        return []
    periods = open_periods(case, p.get("open", []), p.get("close", []), restart=False)
    if not periods:
        return []
    reviews = case.of(p.get("required", []))
    label = str(p.get("label", rule.title))
    status = str(p.get("status_label", "the status"))
    if not reviews:
        opened = periods[0].opened
        if case.as_of > add_duration(opened.dates.end, first):
            return [coverage_flag(rule, case, opened, f"{status} began")]
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
                anchor, limit = Marker(case.records_from, "records_from"), then
            else:
                anchor, ordinal = earlier[-1], len(earlier) + 1
                limit = second if (ordinal == 2 and second) else then
            inside = [r for r in inside if r.dates.end >= case.records_from]
        for review in inside:
            definite, possible = breach(anchor, review, limit)
            if possible:
                span = event_span(anchor, review, limit)
                what = _ordinal_text(ordinal, label)
                message = (
                    f"{what} held {span.text()} after {_since(anchor, status)} "
                    f"({when(review.dates)}); {rule.status_label}: within {limit}"
                )
                flags.append(make_flag(rule, Finding(
                    kind="review",
                    severity="breach",
                    definite=definite,
                    start=anchor.dates.start,
                    end=review.dates.end,
                    due=add_duration(anchor.dates.end, limit),
                    events=[e for e in (anchor, review) if not isinstance(e, Marker)],
                    message=message,
                    tag=f"{anchor.id}:{review.id}",
                )))
            anchor = review
            ordinal += 1
            limit = second if (ordinal == 2 and second) else then
        due = due_range(anchor.dates, limit)
        stop = closed.dates.start if closed is not None else case.as_of
        if stop > due.start:
            definite = stop > due.end
            what = _ordinal_text(ordinal, label)
            ends = f"; the {status} ended {when(closed.dates)}" if closed is not None else ""
            message = (
                f"{what} due by {when(due)} ({limit} after {_since(anchor, status)}): "
                f"none recorded by {format_day(case.as_of if closed is None else closed.dates.start)}{ends}; "
                f"{rule.status_label}: within {limit}"
            )
            flags.append(make_flag(rule, Finding(
                kind="review",
                severity="breach",
                definite=definite,
                start=due.start,
                end=stop,
                due=due.end,
                events=[e for e in (anchor,) if not isinstance(e, Marker)],
                message=message,
                tag=f"{anchor.id}:missed",
            )))
    return flags


def _ordinal_text(n: int, label: str) -> str:
    names = {1: "First", 2: "Second", 3: "Third"}
    return f"{names.get(n, f'{n}th')} {label}" if n <= 3 else f"{label[:1].upper()}{label[1:]} (no. {n})"


def _since(anchor: EventLike, status: str) -> str:
    if isinstance(anchor, Marker):
        return "the start of the record"
    return f"the {anchor.kind.replace('_', ' ')} of {when(anchor.dates)}"
