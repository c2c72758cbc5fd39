"""The rule engine: a case's events, the guidance library and an as-of date in; flags out.

Pure and deterministic: events are sorted here, so input order never matters; nothing reads
the clock or the database. Each rule *shape* lives in a module of its own over the shared
measuring core (:mod:`caseline.rules.measure`); a shape gives its flags as a list (sorted
here) or as an iterator already in :attr:`~caseline.model.Flag.sort_key` order, made as it
is read (the worker changes of a whole extract).

One child at a time: a rule with ``scope = "child"`` is worked out for each child of the case
(people with role ``child``) over that child's events and the events with no subject (which
concern every child). A finding identical for several children is one flag naming them all;
flags of a case with several children name their child. Rules with ``scope = "case"``
(complaints, worker changes) are worked out once.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date

from caseline.dates import DateRange
from caseline.guidance import Rule
from caseline.kinds import STATUS_PAIRS
from caseline.model import Flag
from caseline.rules.deadline import deadline_rule
from caseline.rules.interval import interval_rule
from caseline.rules.measure import CaseFacts, EventLike, Spacing, StreamedEvents, event_order, sort_key
from caseline.rules.precondition import precondition_rule
from caseline.rules.recording import recording_rule
from caseline.rules.review_chain import review_chain_rule
from caseline.rules.worker_change import worker_change_rule

SHAPE_RULES = {
    "interval": interval_rule,
    "deadline": deadline_rule,
    "review_chain": review_chain_rule,
    "worker_change": worker_change_rule,
    "precondition": precondition_rule,
    "recording": recording_rule,
}

_KIND_PARAMS = ("open", "close", "required", "trigger", "target", "worker", "informed", "when_open",
                "decision", "condition", "omitted_if_after", "trigger_fallback", "open_fallback")


def required_kinds(rules: Iterable[Rule], *, but_visits: bool = False) -> set[str]:
    """Every event kind some rule reads: the rest need not be loaded to compute flags
    (*but_visits*: leaving out what interval rules read as their required events)."""
    kinds: set[str] = set()
    for rule in rules:
        kinds.update(_kinds_of(rule, but_visits))
    return kinds


#: Each rule's kinds, by the rule's identity (the rule is held too, so that identity is not
#: another's): the library's rules are the same objects case after case, and working their
#: kinds out again took a sixth of ``caseline flags --all``.
_RULE_KINDS: dict[tuple[int, bool], tuple[Rule, frozenset[str]]] = {}


def _kinds_of(rule: Rule, but_visits: bool) -> frozenset[str]:
    held = _RULE_KINDS.get((id(rule), but_visits))
    if held is not None and held[0] is rule:
        return held[1]
    kinds: set[str] = set()
    for key in _KIND_PARAMS:
        if but_visits and key == "required" and rule.shape == "interval":
            continue
        kinds.update(rule.params.get(key, []))
    for opened in rule.params.get("when_open", []):
        kinds.update(STATUS_PAIRS.get(opened, ()))
    for phase in rule.params.get("every_after", []):
        kinds.update(phase.get("when", []))
        kinds.update(phase.get("unless", []))
    if rule.params.get("anchor") == "enquiry":
        kinds.update(("s47_enquiry", "s47_substantiated"))
    if rule.params.get("eligibility"):
        kinds.update(("lac_start", "lac_end"))
    if len(_RULE_KINDS) > 4096:  # libraries come and go (tests, policies): start again
        _RULE_KINDS.clear()
    found = _RULE_KINDS[(id(rule), but_visits)] = (rule, frozenset(kinds))
    return found[1]


def streamable_kinds(rules: Iterable[Rule]) -> set[str]:
    """Kinds only interval rules read, and only as the events that must recur (visits): the
    rule walks them once in date order, so they can be streamed rather than held."""
    rules = list(rules)
    visits = {k for rule in rules if rule.shape == "interval" for k in rule.params.get("required", [])}
    return visits - required_kinds(rules, but_visits=True)


def reads_recorded(rules: Iterable[Rule]) -> bool:
    """Whether some rule reads ``events.recorded`` (every kind's)."""
    return any(rule.shape == "recording" for rule in rules)


def iter_flags(
    events: Iterable[EventLike],
    rules: Mapping[str, Rule] | Iterable[Rule],
    *,
    as_of: date | None = None,
    records_from: date | None = None,
    people: Mapping[str, str] | None = None,
    children: Sequence[str] | None = None,
    born: Mapping[str, DateRange | None] | None = None,
    complete_for: Iterable[str] = (),
    records_until: date | None = None,
    presorted: bool = False,
    streams: Mapping[str, Callable[[], Iterable[EventLike]]] | None = None,
    spacing: Spacing | None = None,
    progress: Callable[[int, int], None] | None = None,
    lazy: bool = False,
) -> Iterator[Flag]:
    """Every flag the events raise under *rules*, as known on *as_of*, in sort order.

    Every rule is worked out before this returns, but with *lazy* a rule that makes its
    flags as they are read (worker changes) makes them only as the answer is read: written
    out one by one, a case's hundreds of thousands of flags are never held together.

    Args:
        events: the case's events, in any order.
        rules: the guidance library in force (id -> Rule, or Rules).
        as_of: only events that had begun by this day are known; deadlines are missed only
            once it has passed. Default: the last day of the chronology.
        records_from: the chronology is complete only from this day.
        people: person id -> display name, for messages.
        children: the case's children (person ids); default: the distinct subjects of the
            events, if any.
        born: child id -> date of birth (a range when approximate).
        complete_for: event kinds whose records the case declares complete.
        records_until: the chronology's last day, when it is judged at a later as-of (a
            decision date): a record-kind event due after it is a records question.
        presorted: *events* already stand in :func:`~caseline.rules.measure.event_order`
            (as the store reads them), so the sort is skipped.
        streams: kind -> a function giving that kind's events in event order, read afresh
            at each pass instead of held (only :func:`streamable_kinds`; their events must
            not also be in *events*, except those a recording rule reads). Raises
            :class:`~caseline.rules.measure.StreamOutOfOrder` when a source is not in order.
        spacing: the streamed kinds' :func:`~caseline.rules.measure.spaced_pairs` from their
            source (a store answers with one lean scan, without a fact a visit).
        progress: called with ``(rules done, rules in all)`` as the rules finish.

    Returns:
        Flags by start date, then severity, then key (:attr:`Flag.sort_key`).
    """
    events = (events if isinstance(events, list) else list(events)) if presorted else sorted(events, key=event_order)
    streams = dict(streams or {})
    if as_of is None and streams:  # the chronology's last day over the streamed kinds too
        as_of = max([e.dates.end for e in events] + [e.dates.end for k in streams for e in streams[k]], default=None)
    elif as_of is None and events:
        as_of = max(e.dates.end for e in events)
    if as_of is None:
        return iter(())
    every_stream = streams
    streams = {k: source for k, source in streams.items() if StreamedEvents([source], as_of, None)}
    if not events and not streams:
        return iter(())
    rule_list = list(rules.values()) if isinstance(rules, Mapping) else list(rules)
    names = dict(people or {})
    if children is None:  # the subjects of what is read, streamed kinds included (one pass)
        children = sorted(({e.subject for e in events}
                           | {e.subject for source in every_stream.values() for e in source()}) - {""})
    children = list(dict.fromkeys(children))
    born = born or {}
    complete = tuple(complete_for)
    whole = CaseFacts(events, as_of, records_from, names, complete_for=complete, presorted=True,
                      records_until=records_until, streams=streams, spacing=spacing,
                      child=children[0] if len(children) == 1 else "",
                      born=born.get(children[0]) if len(children) == 1 else None)
    # Each rule's flags in sort order, merged: the order of one sort of them all, since
    # every key is the rule's own and ties keep the rules' order.
    found_by_rule: list[Iterable[Flag]] = []
    child_rules = []
    for done, rule in enumerate(sorted(rule_list, key=lambda r: r.id), start=1):
        shape = SHAPE_RULES.get(rule.shape)
        if shape is None:
            continue
        if rule.scope == "child" and len(children) > 1:
            child_rules.append((rule, shape))
        else:
            found = shape(rule, whole)
            if len(children) == 1 and rule.scope == "child":
                found = [f._replace(subject=children[0]) for f in found]
            if isinstance(found, list):
                found.sort(key=sort_key)
            elif not lazy:  # an iterator in sort order, worked out now
                found = list(found)
            found_by_rule.append(found)
        if progress is not None:  # rules for each child are counted once the children are done
            progress(done - len(child_rules), len(rule_list))
    if child_rules:
        found_by_rule.append(sorted(_per_child(events, child_rules, children, as_of, records_from, names, born,
                                               complete, records_until, streams, spacing), key=sort_key))
    if progress is not None:
        progress(len(rule_list), len(rule_list))
    return heapq.merge(*found_by_rule, key=sort_key)


def compute_flags(events: Iterable[EventLike], rules: Mapping[str, Rule] | Iterable[Rule], **options) -> list[Flag]:
    """Every flag the events raise under *rules*, as known on *as_of*, as a list sorted by
    start date, then severity, then key (options as :func:`iter_flags`)."""
    return list(iter_flags(events, rules, **options))


def _per_child(events, child_rules, children, as_of, records_from, names, born, complete,
               records_until, streams, spacing) -> list[Flag]:
    """Child-level rules for each child; identical findings merged into one flag."""
    known = set(children)
    # (*streams* hold only kinds with an event by as-of: compute_flags dropped the rest.)
    case_kinds = frozenset(e.kind for e in events if e.dates.start <= as_of) | frozenset(streams)
    found: dict[tuple, tuple[Flag, list[str]]] = {}
    for child in children:
        def mine_only(e, child=child):
            return (getattr(e, "subject", "") or "") not in known or e.subject == child

        mine = [e for e in events if mine_only(e)]
        facts = CaseFacts(mine, as_of, records_from, names, child=child, born=born.get(child),
                          complete_for=complete, presorted=True, records_until=records_until,
                          case_kinds=case_kinds, streams=streams, keep=mine_only,
                          others=frozenset(known - {child}), spacing=spacing)
        for rule, shape in child_rules:
            for flag in shape(rule, facts):
                key = (flag.key, flag.severity, flag.certainty, flag.start, flag.end, flag.due, flag.events,
                       flag.message)
                if key in found:
                    found[key][1].append(child)
                else:
                    found[key] = (flag, [child])
    merged = []
    for flag, who in found.values():
        shown = " and ".join(names.get(c, c) for c in who) if len(who) < 3 else \
            ", ".join(names.get(c, c) for c in who[:-1]) + f" and {names.get(who[-1], who[-1])}"
        key = flag.key if len(who) == len(children) else f"{flag.key}@{'+'.join(who)}"
        merged.append(flag._replace(key=key, subject=",".join(who), message=f"{shown}: {flag.message}"))
    return merged
