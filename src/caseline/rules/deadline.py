"""Deadline rules: after a trigger event, a required event within N (working) days.

One row per trigger, whatever happened: a breach or attention row when the limit was broken, an
information row when it was met ("ICPC 10 working days after the strategy discussion - within
15"), when it is still pending at the as-of date, or when its condition is not recorded.

Two-tier limits (complaints: 10 working days, 20 when extended) give attention past the inner
limit and a breach past the outer one, in one row whose sentence names both due dates.

What a trigger with no answer means is the rule's ``absence`` (see :mod:`caseline.rules.measure`):
``fault`` (complaints: the unanswered request is the failure), ``records`` (one coverage row
when the chronology never records the required kind) or ``conditional`` (due only once the
condition, e.g. an s47 enquiry substantiating concerns, is recorded).
"""

from __future__ import annotations

from caseline.dates import DateRange, Duration, add_duration, format_day
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
    plausible,
    plausible_day,
    records_end_flag,
    when,
)


def deadline_rule(rule: Rule, case: CaseFacts) -> list[Flag]:
    p = rule.params
    within, extended, lead = durations(p, "within", "extended", "lead")
    if within is None:
        return []
    triggers = case.of(p.get("trigger", []))
    if not triggers and p.get("trigger_fallback"):
        # e.g. the ICPC when no child protection plan start is recorded
        triggers = case.of(p["trigger_fallback"])
    if not triggers:
        return []
    required = list(p.get("required", []))
    responses = case.of(required)
    d = _Deadline(rule, case, within, extended)
    if p.get("anchor") == "enquiry":
        from caseline.rules.enquiry import enquiry_pairs

        pairs = enquiry_pairs(case, triggers, responses, list(p.get("condition", [])))
    elif p.get("anchor") == "last":
        pairs = [(t, r, True) for t, r in _pair_last(triggers, responses)]
    else:
        pairs = [(t, r, True) for t, r in _pair_each(triggers, responses, lead)]
    implied_by = list(p.get("omitted_if_after", []))
    absent = rule.absence == "records" and case.wholly_absent(required)
    flags: list[Flag] = []
    covered = False
    for trigger, response, condition_met in pairs:
        if response is not None and implied_by and _implied_earlier(case, trigger, response, implied_by):
            # An event that presupposes the required one came first (a review reviews the care
            # plan): the record omits it, so this answer is not the one the deadline wanted.
            response = None
            absent = absent or (rule.absence == "records" and not case.complete(required))
        if response is not None:
            flags.extend(d.answered(trigger, response))
            continue
        if rule.absence == "conditional" and not condition_met:
            flags.extend(d.condition(trigger))
            continue
        outer = add_duration(trigger.dates.end, extended or within)
        if absent and not case.absent_confirmed(required, trigger.dates.start, outer, starting_within=True):
            if case.as_of > outer:
                if not covered:
                    flags.append(coverage_flag(rule, case, trigger, f"there was a {d.trigger_label}"))
                    covered = True
                continue
        flags.extend(d.unanswered(trigger))
    return flags


def _implied_earlier(case: CaseFacts, trigger: EventLike, response: EventLike, kinds: list[str]) -> bool:
    for event in case.of(kinds):
        if event.dates.start > trigger.dates.end and event.dates.end < response.dates.start:
            return True
        if event.dates.start >= response.dates.start:
            break
    return False


def _pair_each(triggers, responses, lead: Duration | None = None):
    """Each trigger takes the first unused response that can follow it (complaint stages); with
    *lead*, a response up to that long before the trigger counts too (notice before a move).

    Triggers come in date order, so the first eligible response only moves forward: one
    pointer over the responses (ordered by their latest date) does the pairing in one pass.
    """
    by_end = sorted(responses, key=lambda r: (r.dates.end, r.dates.start, r.id))
    pairs = []
    index = 0
    for trigger in triggers:
        earliest = trigger.dates.start
        if lead is not None:
            earliest = add_duration(earliest, Duration(-lead.amount, lead.unit))
        while index < len(by_end) and by_end[index].dates.end < earliest:
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


class _Deadline:
    """The sentences and severities of one deadline rule."""

    def __init__(self, rule: Rule, case: CaseFacts, within: Duration, extended: Duration | None) -> None:
        self.rule = rule
        self.case = case
        self.within = within
        self.extended = extended
        p = rule.params
        label = str(p.get("label", rule.title))
        self.label = label[:1].upper() + label[1:]
        self.trigger_label = str(p.get("trigger_label", "the trigger"))

    def limits(self) -> str:
        figure = self.rule.figure_note
        if self.extended is not None:
            return f"{self.rule.status_label}: within {self.within}, {self.extended} at the most{figure}"
        return f"{self.rule.status_label}: within {self.within}{figure}"

    def due_dates(self, trigger: EventLike) -> str:
        """``10 working days: 21 Feb 2022; 20 working days: 7 Mar 2022``."""
        inner = when(due_range(trigger.dates, self.within))
        if self.extended is None:
            return f"due by {inner}"
        return f"{self.within}: {inner}; {self.extended}: {when(due_range(trigger.dates, self.extended))}"

    def _of(self, trigger: EventLike) -> str:
        labels = self.rule.params.get("trigger_labels", {})
        label = labels.get(trigger.kind, self.trigger_label) if isinstance(labels, dict) else self.trigger_label
        return f"the {label} of {when(trigger.dates)}"

    def _events(self, *events: EventLike) -> list[EventLike]:
        out: list[EventLike] = []
        for event in events:
            if isinstance(event, Anchor):
                out.extend(event.sources)
            elif not isinstance(event, Marker):
                out.append(event)
        return out

    # --- answered -------------------------------------------------------------------------

    def answered(self, trigger: EventLike, response: EventLike) -> list[Flag]:
        rule, within, extended = self.rule, self.within, self.extended
        span = event_span(trigger, response, within)
        base = (f"{self.label} {span.text()} after {self._of(trigger)} "
                f"({when(trigger.dates)} to {when(response.dates)})")
        events = self._events(trigger, response)
        start, end = trigger.dates.start, response.dates.end
        tag = f"{trigger.id}:{response.id}"
        due_in = add_duration(trigger.dates.end, within)
        if extended is not None:
            due_out = add_duration(trigger.dates.end, extended)
            definite_out, possible_out = breach(trigger, response, extended)
            definite_in, possible_in = breach(trigger, response, within)
            if possible_out and (definite_out or plausible(trigger, response, extended)):
                every = "on every reading" if definite_out else "on some readings"
                return [make_flag(rule, Finding(
                    "deadline", "breach", definite_out, start, end, due_out, events,
                    f"{base}: past {extended} (due by {format_day(due_out)}) {every} "
                    f"[{self.due_dates(trigger)}]; {self.limits()}",
                    tag + ":extended"))]
            if possible_in:
                finding = Finding(
                    "deadline", "attention", definite_in, start, end, due_in, events,
                    f"{base}: past {within} (due by {format_day(due_in)}) but within {extended} "
                    f"[{self.due_dates(trigger)}]; {self.limits()}", tag)
                if definite_in or plausible(trigger, response, within):
                    return [make_flag(rule, finding)]
                return [make_flag(rule, demoted(finding, _likely(span)))]
            return [self.met(trigger, response, span, f"within {within}")]
        definite, possible = breach(trigger, response, within)
        if not possible:
            return [self.met(trigger, response, span, f"within {within}")]
        finding = Finding("deadline", "breach", definite, start, end, due_in, events,
                          f"{base}: due by {format_day(due_in)}; {self.limits()}", tag)
        if definite or plausible(trigger, response, within):
            return [make_flag(rule, finding)]
        return [make_flag(rule, demoted(finding, _likely(span)))]

    def met(self, trigger: EventLike, response: EventLike, span, limit: str) -> Flag:
        message = (f"{self.label} {span.text()} after {self._of(trigger)} "
                   f"({when(response.dates)}) — {limit}; {self.rule.status_label}")
        return info_flag(self.rule, "met", trigger.dates.start, response.dates.end,
                         add_duration(trigger.dates.end, self.within), self._events(trigger, response),
                         message, f"{trigger.id}:{response.id}")

    # --- unanswered -----------------------------------------------------------------------

    def unanswered(self, trigger: EventLike) -> list[Flag]:
        rule, case, within, extended = self.rule, self.case, self.within, self.extended
        due_in = due_range(trigger.dates, within)
        due_out = due_range(trigger.dates, extended) if extended is not None else due_in
        as_of = case.as_of
        events = self._events(trigger)
        tag = f"{trigger.id}:missed"
        if as_of <= due_in.start:
            message = (f"{self.label} {self.due_dates(trigger)} after {self._of(trigger)} - "
                       f"not yet due as of {format_day(as_of)}; {self.limits()}")
            return [info_flag(rule, "pending", trigger.dates.start, max(trigger.dates.start, due_out.end),
                              due_out.end, events, message, f"{trigger.id}:pending")]
        confirmed = case.absent_confirmed(rule.params.get("required", []), trigger.dates.start, due_out.end,
                                          starting_within=True)
        until = case.records_until if rule.absence != "fault" and not case.complete(rule.params.get("required", [])) else None
        if until is not None and not confirmed and (due_out if extended is None else due_in).end > until:
            return [records_end_flag(rule, case, trigger, due_out.end, self._of(trigger))]
        if extended is not None and as_of <= due_out.start:
            severity, definite, limit, due = "attention", as_of > due_in.end, within, due_in
        else:
            severity, definite, limit, due = "breach", as_of > due_out.end, extended or within, due_out
        message = (f"{self.label}: {self.due_dates(trigger)} after {self._of(trigger)} — none recorded by "
                   f"{format_day(as_of)}; {self.limits()}")
        if confirmed:
            message += " (recorded as not having happened)"
        finding = Finding("deadline", severity, definite, trigger.dates.start, as_of, due.end,
                          [*events, *confirmed], message, tag)
        if definite or plausible_day(due, as_of, limit):
            return [make_flag(rule, finding)]
        return [make_flag(rule, demoted(finding, f"due {format_day(due.start + (due.end - due.start) / 2)}"))]

    def condition(self, trigger: EventLike) -> list[Flag]:
        """An information row: due only if its condition is recorded."""
        due = due_range(trigger.dates, self.within)
        condition = str(self.rule.params.get("condition_label", "its condition is recorded"))
        state = "would have been due" if self.case.as_of > due.end else "would be due"
        message = (f"{self.label} {state} by {when(due)} after {self._of(trigger)} if {condition}; "
                   f"none recorded; {self.limits()}")
        events = self._events(trigger)
        return [info_flag(self.rule, "condition", trigger.dates.start, max(trigger.dates.start, min(due.end, self.case.as_of)),
                          due.end, events, message, f"{trigger.id}:condition")]


def _likely(span) -> str:
    return f"~{round((span.low + span.high) / 2)} {span.unit.replace('_', ' ')}"


class Anchor:
    """A trigger made of several events whose one that counts is uncertain (strategy
    discussions before an ICPC when no s47 enquiry says which started it)."""

    __slots__ = ("id", "ref", "kind", "actor", "dates", "relative_to", "offset_days", "subject", "recorded",
                 "sources")

    def __init__(self, sources: list[EventLike], dates: DateRange | None = None) -> None:
        first = sources[0]
        self.id = first.id
        self.ref = ""
        self.kind = first.kind
        self.actor = ""
        self.dates = dates or DateRange(min(s.dates.start for s in sources), max(s.dates.end for s in sources))
        self.relative_to = ""
        self.offset_days = None
        self.subject = ""
        self.recorded = ""
        self.sources = sources
