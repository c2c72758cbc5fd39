"""Late recording: an event written up long after it happened (``events.recorded`` against the
event's date), the "date recorded versus date of event" finding of many decisions.

One attention row per event recorded more than ``within`` after the last day it may have
happened on. No national figure exists; the limit is a caseline default a council can set.
"""

from __future__ import annotations

from caseline.dates import DateError, add_duration, format_day, parse_range, working_days_between
from caseline.guidance import Rule
from caseline.model import Flag
from caseline.rules.measure import CaseFacts, Finding, durations, limit_text, make_flag, when


def recording_rule(rule: Rule, case: CaseFacts) -> list[Flag]:
    (within,) = durations(rule.params, "within")
    if within is None:
        return []
    flags = []
    for event in case.recorded_events:
        text = event.recorded
        try:
            recorded = parse_range(text[:10] if len(text) > 10 else text).start  # a date-time: its day
        except DateError:
            continue
        due = add_duration(event.dates.end, within)
        if recorded <= due or recorded > case.as_of:
            continue
        late = working_days_between(event.dates.end, recorded) if within.unit == "working_days" \
            else (recorded - event.dates.end).days
        unit = "working days" if within.unit == "working_days" else "days"
        message = (f"{event.kind.replace('_', ' ').capitalize()} of {when(event.dates)} recorded on "
                   f"{format_day(recorded)}, {late} {unit} later (due by {format_day(due)}); "
                   f"{limit_text(rule, within, 'within')}")
        flags.append(make_flag(rule, Finding("late_record", "attention", True, event.dates.start, recorded,
                                             due, [event], message, f"{event.id}")))
    return flags
