"""The rule engine: a case's events, the guidance library and an as-of date in; flags out.

Pure and deterministic: events are sorted here, so input order never matters; nothing reads
the clock or the database. Each rule *shape* lives in a module of its own over the shared
measuring core (:mod:`caseline.rules.measure`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from caseline.guidance import Rule
from caseline.kinds import STATUS_PAIRS
from caseline.model import Flag
from caseline.rules.deadline import deadline_rule
from caseline.rules.interval import interval_rule
from caseline.rules.measure import CaseFacts, EventLike
from caseline.rules.precondition import precondition_rule
from caseline.rules.review_chain import review_chain_rule
from caseline.rules.worker_change import worker_change_rule

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
    case = CaseFacts(events, as_of, records_from, people or {})
    flags: list[Flag] = []
    for rule in sorted(rule_list, key=lambda r: r.id):
        shape = SHAPE_RULES.get(rule.shape)
        if shape is not None:
            flags.extend(shape(rule, case))
    flags.sort(key=lambda f: f.sort_key)
    return flags
