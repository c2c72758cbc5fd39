"""Preconditions: before an event of one kind, another must have happened (a review, an IRO
consultation, notice to carers)."""

from __future__ import annotations

from datetime import date

from caseline.dates import Duration, add_duration
from caseline.guidance import Rule
from caseline.model import Flag
from caseline.rules.measure import (
    CaseFacts,
    Finding,
    durations,
    make_flag,
    open_during,
    status_periods,
    when,
)


def precondition_rule(rule: Rule, case: CaseFacts) -> list[Flag]:
    p = rule.params
    (window,) = durations(p, "window")
    if window is None:
        return []
    targets = case.of(p.get("target", []))
    required = case.of(p.get("required", []))
    when_open = list(p.get("when_open", []))
    label = str(p.get("label", rule.title))
    target_label = str(p.get("target_label", "the event"))
    periods = status_periods(case, when_open) if when_open else []
    flags = []
    for target in targets:
        surely_open, maybe_open = open_during(periods, target.dates) if when_open else (True, True)
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
            f"{target_label[:1].upper()}{target_label[1:]} ({when(target.dates)}) with no {label} recorded "
            f"in the {window} before it; {rule.status_label}: {rule.title.lower()}"
        )
        flags.append(make_flag(rule, Finding(
            kind="precondition",
            severity="breach",
            definite=definite,
            start=target.dates.start,
            end=target.dates.end,
            due=target.dates.start,
            events=[target, *maybe],
            message=message,
            tag=f"{target.id}",
        )))
    return flags


def _before(day: date, window: Duration) -> date:
    """The first day of the *window* that ends on *day*."""
    return add_duration(day, Duration(-window.amount, window.unit))
