"""Preconditions: before a change (a placement ended, a significant care plan change), another
event must have happened (a review, the IRO told, notice to the carers).

The required event must fall between the *decision* and the change it led to: a placement end
preceded by a recorded decision (``decision`` kinds, e.g. ``care_plan_change``, within
``window`` before it) is judged with that decision, once, as one change; a decision with no
change after it is judged on its own day (the review that considers a change is where it is
decided). A change with no recorded decision looks back ``window`` (a caseline default).

A review held before the decision did not consider it, so it does not count.
"""

from __future__ import annotations

from datetime import date

from caseline.dates import Duration, add_duration, format_day
from caseline.guidance import Rule
from caseline.model import Flag
from caseline.rules.measure import (
    CaseFacts,
    Finding,
    coverage_flag,
    durations,
    info_flag,
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
    target_kinds = list(p.get("target", []))
    decision_kinds = list(p.get("decision", []))
    targets = case.of(target_kinds)
    if not targets:
        return []
    required_kinds = list(p.get("required", []))
    required = case.of(required_kinds)
    when_open = list(p.get("when_open", []))
    label = str(p.get("label", rule.title))
    periods = status_periods(case, when_open) if when_open else []
    absent = rule.absence == "records" and case.wholly_absent(required_kinds)
    changes = [t for t in targets if t.kind not in decision_kinds]
    decisions = [t for t in targets if t.kind in decision_kinds] or (case.of(decision_kinds) if decision_kinds else [])
    # Each change takes the latest decision within the window before it; that decision is
    # then judged with the change, not on its own.
    chains = []
    used: set[int] = set()
    for change in changes:
        earliest = _before(change.dates.start, window)
        found = [d for d in decisions if d.dates.start >= earliest and d.dates.start <= change.dates.end
                 and d.id not in used]
        decision = found[-1] if found else None
        if decision is not None:
            used.add(decision.id)
        chains.append((decision, change))
    for decision in decisions:
        if decision.id not in used and decision.kind in target_kinds:
            chains.append((decision, decision))
    chains.sort(key=lambda c: ((c[0] or c[1]).dates.start, c[1].id))
    flags = []
    covered = False
    for decision, change in chains:
        surely_open, maybe_open = open_during(periods, change.dates) if when_open else (True, True)
        if not maybe_open:
            continue
        if decision is not None:
            lo_surely, lo_maybe = decision.dates.end, decision.dates.start
        else:
            lo_surely, lo_maybe = _before(change.dates.end, window), _before(change.dates.start, window)
        hi = change.dates.end
        surely = [r for r in required if r.dates.start >= lo_maybe and r.dates.end <= hi
                  and (r.dates.start >= lo_surely or decision is not None) and r is not change]
        maybe = [r for r in required if r.dates.end >= lo_maybe and r.dates.start <= hi and r is not change]
        what = _what(p, decision, change)
        events = list(dict.fromkeys(e for e in (decision, change) if e is not None))
        if surely:
            flags.append(info_flag(
                rule, "met", (decision or change).dates.start, change.dates.end, None, [*events, surely[0]],
                f"{what}: {label} recorded ({when(surely[0].dates)}); {rule.status_label}",
                f"{change.id}"))
            continue
        confirmed = case.absent_confirmed(required_kinds, lo_maybe, hi)
        if absent and not confirmed:
            if not covered:
                flags.append(coverage_flag(rule, case, change, f"the {p.get('target_label', 'change')} was recorded"))
                covered = True
            continue
        # Definite only if no reading has the required event in time nor the status closed.
        definite = (not maybe or bool(confirmed)) and surely_open
        span = (f"between the decision ({when(decision.dates)}) and the change ({when(change.dates)})"
                if decision is not None and decision is not change
                else ("when it was decided" if decision is not None else f"in the {window} before it"))
        message = (f"{what} with no {label} recorded {span}"
                   + (" (recorded as not having happened)" if confirmed else "")
                   + f"; {rule.status_label}: {rule.title[:1].lower()}{rule.title[1:]}")
        flags.append(make_flag(rule, Finding(
            kind="precondition",
            severity="breach",
            definite=definite,
            start=(decision or change).dates.start,
            end=change.dates.end,
            due=change.dates.start,
            events=[*events, *maybe, *confirmed],
            message=message,
            tag=f"{change.id}",
        )))
    return flags


def _what(p, decision, change) -> str:
    target_label = str(p.get("target_label", "the change"))
    decision_label = str(p.get("decision_label", "care plan changed"))
    if decision is not None and decision is not change:
        return f"{target_label[:1].upper()}{target_label[1:]} ({when(change.dates)}) after the decision of {format_day(decision.dates.start)}"
    if change.kind in p.get("decision", []):
        return f"{decision_label[:1].upper()}{decision_label[1:]} ({when(change.dates)})"
    return f"{target_label[:1].upper()}{target_label[1:]} ({when(change.dates)})"


def _before(day: date, window: Duration) -> date:
    """The first day of the *window* that ends on *day*."""
    return add_duration(day, Duration(-window.amount, window.unit))
