"""Review chains: the first review within X, the second within Y of it, then every Z.

Each review held in time is an information row ("met"); a late one a breach; a review due
and not held a phantom row; the next review still to come at the as-of date a pending row.
A chain whose kind the chronology never records gets one coverage row instead, unless the
case declares its records complete for that kind (or records with ``not:<kind>`` that none
was held).
"""

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
    demoted,
    due_range,
    durations,
    event_span,
    info_flag,
    make_flag,
    open_periods,
    plausible,
    plausible_day,
    records_end_flag,
    when,
)


def review_chain_rule(rule: Rule, case: CaseFacts) -> list[Flag]:
    p = rule.params
    first, second, then = durations(p, "first", "second", "then")
    if first is None or then is None:
        return []
    periods = open_periods(case, p.get("open", []), p.get("close", []), restart=False)
    if not periods and p.get("open_fallback"):
        # e.g. counted from the ICPC when the plan's start is not recorded
        periods = open_periods(case, p["open_fallback"], p.get("close", []), restart=False)
    if not periods:
        return []
    required = list(p.get("required", []))
    reviews = case.of(required)
    label = str(p.get("label", rule.title))
    status = str(p.get("status_label", "the status"))
    if not reviews and case.wholly_absent(required) and not any(case.not_happened.get(k) for k in required):
        opened = periods[0].opened
        due = add_duration(opened.dates.end, first)
        if case.records_until is not None and due > case.records_until and case.as_of > due:
            return [records_end_flag(rule, case, opened, due, _since(opened, status))]
        if case.as_of > due:
            return [coverage_flag(rule, case, opened, f"{status} began")]
        return []
    flags: list[Flag] = []
    limit_words = f"{rule.status_label}: within {{}}{rule.figure_note}"
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
            span = event_span(anchor, review, limit)
            what = _ordinal_text(ordinal, label)
            events = [e for e in (anchor, review) if not isinstance(e, Marker)]
            due = add_duration(anchor.dates.end, limit)
            if possible:
                message = (
                    f"{what} held {span.text()} after {_since(anchor, status)} "
                    f"({when(review.dates)}; due by {format_day(due)}); {limit_words.format(limit)}"
                )
                finding = Finding("review", "breach", definite, anchor.dates.start, review.dates.end, due,
                                  events, message, f"{anchor.id}:{review.id}")
                if definite or plausible(anchor, review, limit):
                    flags.append(make_flag(rule, finding))
                else:
                    flags.append(make_flag(rule, demoted(finding, f"~{round((span.low + span.high) / 2)} "
                                                                  f"{span.unit.replace('_', ' ')}")))
            else:
                flags.append(info_flag(
                    rule, "met", anchor.dates.start, review.dates.end, due, events,
                    f"{what} held {span.text()} after {_since(anchor, status)} ({when(review.dates)}) — "
                    f"within {limit}; {rule.status_label}", f"{anchor.id}:{review.id}"))
            anchor = review
            ordinal += 1
            limit = second if (ordinal == 2 and second) else then
        due = due_range(anchor.dates, limit)
        stop = closed.dates.start if closed is not None else case.as_of
        what = _ordinal_text(ordinal, label)
        events = [e for e in (anchor,) if not isinstance(e, Marker)]
        until = case.records_until if rule.absence == "records" and not case.complete(required) else None
        if until is not None and stop > until and due.end > until \
                and not case.absent_confirmed(required, due.start, stop):
            if stop > due.start:
                flags.append(records_end_flag(rule, case, anchor, due.end, f"{_since(anchor, status)}"))
                continue
        if stop > due.start:
            definite = stop > due.end
            ends = f"; the {status} ended {when(closed.dates)}" if closed is not None else ""
            confirmed = case.absent_confirmed(required, due.start, stop)
            message = (
                f"{what} due by {when(due)} ({limit} after {_since(anchor, status)}): "
                f"none recorded by {format_day(stop)}{ends}; {limit_words.format(limit)}"
                + (" (recorded as not held)" if confirmed else "")
            )
            finding = Finding("review", "breach", definite, due.start, stop, due.end, [*events, *confirmed],
                              message, f"{anchor.id}:missed")
            if definite or plausible_day(due, stop, limit):
                flags.append(make_flag(rule, finding))
            else:
                flags.append(make_flag(rule, demoted(finding, f"due {format_day(due.end)}")))
        elif closed is None:
            flags.append(info_flag(
                rule, "pending", anchor.dates.start, due.end, due.end, events,
                f"{what} due by {when(due)} ({limit} after {_since(anchor, status)}) — not yet due as of "
                f"{format_day(case.as_of)}; {limit_words.format(limit)}", f"{anchor.id}:pending"))
    return flags


def _ordinal_text(n: int, label: str) -> str:
    names = {1: "First", 2: "Second", 3: "Third"}
    return f"{names.get(n, f'{n}th')} {label}" if n <= 3 else f"{label[:1].upper()}{label[1:]} (no. {n})"


def _since(anchor: EventLike, status: str) -> str:
    if isinstance(anchor, Marker):
        return "the start of the record"
    return f"the {anchor.kind.replace('_', ' ')} of {when(anchor.dates)}"
