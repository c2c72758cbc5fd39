"""Deadline rules: after a trigger event, a required event within N (working) days.

Two-tier limits (complaints: 10 working days, 20 when extended) give attention past the
inner limit and a breach past the outer one.
"""

from __future__ import annotations


from caseline.dates import add_duration, format_day
from caseline.guidance import Rule
from caseline.model import Flag
from caseline.rules.measure import (
    CaseFacts,
    EventLike,
    Finding,
    breach,
    coverage_flag,
    due_range,
    durations,
    event_span,
    make_flag,
    when,
)


def deadline_rule(rule: Rule, case: CaseFacts) -> list[Flag]:
    p = rule.params
    within, extended = durations(p, "within", "extended")
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
            return [coverage_flag(rule, case, triggers[0], f"there was a {trigger_label}")]
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
    span = event_span(trigger, response, within)
    base = (f"{label[:1].upper()}{label[1:]} {span.text()} after the {trigger_label}: "
            f"{when(trigger.dates)} to {when(response.dates)}")
    events = [trigger, response]
    start, end = trigger.dates.start, response.dates.end
    tag = f"{trigger.id}:{response.id}"
    due = add_duration(trigger.dates.end, within)
    if extended is not None:
        definite_out, possible_out = breach(trigger, response, extended)
        definite_in, possible_in = breach(trigger, response, within)
        flags = []
        if possible_out:
            flags.append(make_flag(rule, Finding(
                kind="deadline",
                severity="breach",
                definite=definite_out,
                start=start,
                end=end,
                due=add_duration(trigger.dates.end, extended),
                events=events,
                message=f"{base}; {rule.status_label}: within {within}, {extended} at the most",
                tag=tag + ":extended",
            )))
        if possible_in and not definite_out:
            flags.append(make_flag(rule, Finding(
                kind="deadline",
                severity="attention",
                definite=definite_in,
                start=start,
                end=end,
                due=due,
                events=events,
                message=f"{base}; {rule.status_label}: within {within} ({extended} when extended)",
                tag=tag,
            )))
        return flags
    definite, possible = breach(trigger, response, within)
    if not possible:
        return []
    return [make_flag(rule, Finding(
        kind="deadline",
        severity="breach",
        definite=definite,
        start=start,
        end=end,
        due=due,
        events=events,
        message=f"{base}; {rule.status_label}: within {within}",
        tag=tag,
    ))]


def _missed(rule, case, trigger, within, extended, label, trigger_label) -> list[Flag]:
    outer = extended or within
    due = due_range(trigger.dates, outer)
    passed = outer  # the limit as-of has gone past: its day is the flag's due date
    if case.as_of <= due.start:
        if extended is None:
            return []
        due_inner = due_range(trigger.dates, within)
        if case.as_of <= due_inner.start:
            return []
        severity, definite, passed = "attention", case.as_of > due_inner.end, within
    else:
        severity, definite = "breach", case.as_of > due.end
    optional = bool(rule.params.get("optional"))
    if optional:
        severity = "attention"
    when_due = when(due_range(trigger.dates, within))
    message = (
        f"{label.capitalize() if label[:1].islower() else label} due by {when_due} after the "
        f"{trigger_label} of {when(trigger.dates)}: none recorded by {format_day(case.as_of)}; "
        f"{rule.status_label}: within {within}"
        + (f" ({extended} when extended)" if extended else "")
        + (" (needed only if the process went on)" if optional else "")
    )
    return [make_flag(rule, Finding(
        kind="deadline",
        severity=severity,
        definite=definite,
        start=trigger.dates.start,
        end=case.as_of,
        due=add_duration(trigger.dates.end, passed),
        events=[trigger],
        message=message,
        tag=f"{trigger.id}:missed",
    ))]
