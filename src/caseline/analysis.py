"""Everything computed about one case at one as-of date, built by one function and shared.

:func:`analyse` is the one way from a database and a case to its flags: the CLI, the TUI's
picker and case screen, exports and (next) replay all call it. It reads the case, its people
and the rules in force (local policy applied) once, runs the engine over only the event
kinds some rule reads, and notes the start days of the events the flags rest on (where the
timeline places flag rows).

Results are cached per (database file, case, as-of, database change): the picker's count
and the case screen's flags are one computation. A change is seen from the file's and its
``-wal``'s size and modification time, so a write by any process invalidates the cache.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from caseline.guidance import Rule
from caseline.model import CaseInfo, Flag, Person

__all__ = ["CaseAnalysis", "analyse", "analyse_streamed", "assemble", "AnalysisProvider", "cache_key", "cached", "clear_cache", "remember"]


@dataclass(frozen=True)
class CaseAnalysis:
    """One case as known at one as-of date.

    Attributes:
        case: the case's metadata.
        people: person id to :class:`~caseline.model.Person`.
        rules: the rules in force for the case's council, local policy applied.
        as_of: the as-of date the flags were computed for (``None``: the case has no events).
        flags: every flag, in :attr:`Flag.sort_key` order: a tuple of records, or (from the
            analysis child) a :class:`~caseline.flag_table.FlagTable`, which gives records as
            it is read and answers counts from its columns.
        anchors: start-day ordinals of the events the flags rest on (empty when not asked for).
        as_of_source: where the as-of came from: ``given`` (asked for: ``--as-of``, replay),
            ``case`` (the case's own ``as_of``, e.g. the decision date), ``today`` (a live
            case) or ``chronology`` (an illustrative case with no as-of: its last event).
    """

    case: CaseInfo
    people: Mapping[str, Person]
    rules: Mapping[str, Rule]
    as_of: date | None
    flags: Sequence[Flag]
    anchors: Mapping[int, int] = field(default_factory=dict)
    as_of_source: str = "given"

    @property
    def as_of_text(self) -> str:
        """``as of 6 Sep 2022 (the case's as-of date)``: what every output says."""
        from caseline.dates import format_day

        if self.as_of is None:
            return "as of: no events"
        return f"as of {format_day(self.as_of)} ({AS_OF_SOURCES.get(self.as_of_source, self.as_of_source)})"

    @property
    def people_names(self) -> dict[str, str]:
        return {person.id: person.name for person in self.people.values()}

    def rule(self, rule_id: str) -> Rule | None:
        return self.rules.get(rule_id)

    def severity_counts(self) -> dict[str, int]:
        from caseline.flag_table import FlagTable

        if isinstance(self.flags, FlagTable):
            return self.flags.severity_counts()
        counts = {"breach": 0, "attention": 0, "info": 0}
        for flag in self.flags:
            counts[flag.severity] = counts.get(flag.severity, 0) + 1
        return counts


AS_OF_SOURCES = {
    "given": "as asked",
    "case": "the case's as-of date",
    "today": "today: a live case",
    "chronology": "its last event: an illustrative case",
}


def resolve_as_of(case: CaseInfo, given: date | None, chronology_end: date | None,
                  today: date | None = None) -> tuple[date | None, str]:
    """The as-of date a case is judged at, and where it came from: asked for, else the case's
    own (the decision date), else the last event for an illustrative case, else today."""
    if given is not None:
        return given, "given"
    if case.as_of is not None:
        return case.as_of, "case"
    if case.illustrative:
        return chronology_end, "chronology"
    return today or date.today(), "today"


#: Cases with more events than this stream their visits (see :func:`_analyse`).
STREAM_VISITS_OVER = 200_000

#: The explorer analyses cases with more events than this in a child process, alongside its
#: own reading (:mod:`caseline.analysis_child`); starting one costs ~0.2 s.
ANALYSE_APART_OVER = 200_000

#: A long case with more events than this has its worker-change rules worked out in a child
#: process beside the rest when its flags are written out (:mod:`caseline.analysis_apart`).
RULES_APART_OVER = 200_000

#: A long case with more events than this has its own scans done in a child process beside
#: the reading of its facts (:mod:`caseline.store.apart`); starting one costs ~0.05 s.
SCANS_APART_OVER = 200_000

AnalysisProvider = Callable[[sqlite3.Connection, str, "date | None"], CaseAnalysis]

_CACHE: OrderedDict[tuple, CaseAnalysis] = OrderedDict()
_CACHE_SIZE = 8
_LOCK = threading.Lock()


def _stamp(path: str) -> tuple:
    """What changes whenever any process writes the database."""
    parts = []
    for name in (path, f"{path}-wal"):
        try:
            info = os.stat(name)
            parts.append((info.st_size, info.st_mtime_ns))
        except OSError:
            parts.append(None)
    return tuple(parts)


_PAUSES = 0  # analyses under way that asked the cyclic collector to wait
_COLLECTOR_WAS_ON = True


@contextmanager
def collector_paused():
    """Hold Python's cyclic garbage collector while a case is analysed.

    Reading a long case makes a million small tuples, and every few thousand new objects the
    collector walks all of them again: a quarter of the engine's time at a million events.
    Nothing the engine makes forms a cycle, so nothing is left behind by waiting; the
    collector resumes when the last analysis under way ends (the TUI runs them in threads).
    """
    global _PAUSES, _COLLECTOR_WAS_ON
    with _LOCK:
        if _PAUSES == 0:
            _COLLECTOR_WAS_ON = gc.isenabled()
            gc.disable()
        _PAUSES += 1
    try:
        yield
    finally:
        with _LOCK:
            _PAUSES -= 1
            if _PAUSES == 0 and _COLLECTOR_WAS_ON:
                gc.enable()


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


def assemble(
    conn: sqlite3.Connection,
    case_id: str,
    *,
    flags: Iterable[Flag],
    rules: Mapping[str, Rule],
    as_of: date | None,
    case: CaseInfo | None = None,
    people: Mapping[str, Person] | None = None,
    with_anchors: bool = True,
    as_of_source: str = "given",
    facts: Iterable | None = None,
) -> CaseAnalysis:
    """A :class:`CaseAnalysis` from flags computed elsewhere (tests, benchmarks, :func:`analyse`).

    *facts*, when given, are the events the flags were computed from: the anchors are taken
    from their dates rather than read again (a hundred thousand lookups on a long case).
    """
    from caseline.store import get_case, list_people
    from caseline.store.timeline import anchor_dates

    case = case or get_case(conn, case_id, count_events=False)
    if people is None:
        people = {person.id: person for person in list_people(conn, case_id)}
    flags = tuple(flags)
    anchors: dict[int, int] = {}
    if with_anchors:
        wanted = {event_id for flag in flags for event_id in flag.events}
        if facts is not None and wanted:
            for fact in facts:
                if fact.id in wanted:
                    anchors[fact.id] = fact.dates.start.toordinal()
        missing = wanted.difference(anchors)
        if missing:
            anchors.update(anchor_dates(conn, missing))
    return CaseAnalysis(case, dict(people), dict(rules), as_of, flags, anchors, as_of_source)


def analyse(conn: sqlite3.Connection, case_id: str, as_of: date | None = None, *,
            with_anchors: bool = True, progress: Callable[[int, int], None] | None = None) -> CaseAnalysis:
    """The case *case_id* as known on *as_of* (default: :func:`resolve_as_of`).

    Only the event kinds some rule reads are loaded, so a case of a million notes and visits
    costs what its visits cost. *with_anchors* false skips reading the start days of the
    events flags rest on (only the timeline needs them; ``caseline flags`` does not).
    *progress* is called with ``(rules done, rules in all)`` as the engine goes (not at all
    when the answer is cached).

    Raises:
        caseline.store.StoreError: when there is no such case.
        caseline.dates.DateError: when a date the engine needs falls outside the calendar.
    """
    key = cache_key(conn, case_id, as_of, with_anchors)
    found = cached(key)
    if found is not None:
        return found
    with collector_paused():
        result = _analyse(conn, case_id, as_of, with_anchors, progress)
    remember(key, result)
    return result


def cache_key(conn: sqlite3.Connection, case_id: str, as_of: date | None, with_anchors: bool = True) -> tuple | None:
    """What an analysis is cached under: the database file as it stands now (its size and
    time, and its ``-wal``'s), the case and the question (``None``: an in-memory database)."""
    from caseline.store import database_file

    path = database_file(conn)
    return (path, case_id, as_of, with_anchors, _stamp(path)) if path else None


def cached(key: tuple | None) -> CaseAnalysis | None:
    """The analysis cached under *key* (:func:`cache_key`), if there is one."""
    if key is None:
        return None
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
        return found


def remember(key: tuple | None, result: CaseAnalysis) -> None:
    """Cache *result* under *key*, taken before it was computed (a write since misses it)."""
    if key is None:
        return
    with _LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def _rules_apart(rules: Mapping[str, Rule]) -> frozenset[str]:
    """The rules a long case can have worked out in a process of its own: the worker-change
    rules (case-wide, most of a whole extract's flags), when no other rule reads their kinds
    (the child reads those kinds alone, and the rest are not read twice)."""
    from caseline.rules.engine import required_kinds

    apart = frozenset(rule_id for rule_id, rule in rules.items() if rule.shape == "worker_change")
    here = [rule for rule_id, rule in rules.items() if rule_id not in apart]
    if not apart or required_kinds(rules[rule_id] for rule_id in apart) & required_kinds(here):
        return frozenset()
    return apart


def _here(facts, make: Callable[[list], Iterator[Flag]]) -> tuple[set[str], Iterator[Flag]]:
    """What a child of :mod:`caseline.analysis_apart` gives, worked out here: the subjects of
    *facts* and the flags *make* makes of them."""
    return {f.subject for f in facts}, make(facts)


def analyse_streamed(conn: sqlite3.Connection, case_id: str, as_of: date | None = None, *,
                     progress: Callable[[int, int], None] | None = None,
                     alongside: bool = True) -> tuple[CaseAnalysis, Iterator[Flag]]:
    """The case as :func:`analyse` sees it, but with no flags held: they come from the
    iterator, in order, made as it is read (``caseline flags`` writes each as it comes, so
    a whole extract's hundreds of thousands are never held together). Every rule has been
    worked out when this returns; read the iterator while *conn* is open and call it within
    :func:`collector_paused`. No anchors; not cached. *alongside* false makes a long case's
    own scans one after another rather than in a process beside the facts (for a process
    that shares the machine's cores with one already busy: the explorer's child).
    """
    return _analyse(conn, case_id, as_of, False, progress, lazy=True, alongside=alongside)


def _analyse(conn: sqlite3.Connection, case_id: str, as_of: date | None, with_anchors: bool,
             progress: Callable[[int, int], None] | None = None, lazy: bool = False, alongside: bool = True,
             only: frozenset[str] | None = None, on_subjects: Callable[[set[str]], None] | None = None):
    """The analysis (with *lazy*, the head and the flags' iterator). *only*: work out just
    these rules (a child of :mod:`caseline.analysis_apart`, which hears the subjects of the
    facts it read through *on_subjects*)."""
    from functools import partial

    from caseline.rules.engine import iter_flags, reads_recorded, required_kinds, streamable_kinds
    from caseline.rules.measure import StreamOutOfOrder, merge_two
    from caseline.store import (
        database_file,
        get_case,
        has_more_events_than,
        library_for,
        list_people,
        load_facts,
        stream_facts,
    )
    from caseline.store.apart import ScansApart, case_scans

    case = get_case(conn, case_id, count_events=False)
    rules = library_for(conn, case.council or None)
    people = {person.id: person for person in list_people(conn, case_id)}
    long_case = has_more_events_than(conn, case_id, STREAM_VISITS_OVER)
    path = database_file(conn) if long_case and alongside and only is None else None
    # A long case's worker-change rules, written out lazily, are worked out in a child
    # process beside the rest (analysis_apart): they read kinds no other rule reads. Its
    # own scans then run here, as the child has the other core.
    apart_ids = _rules_apart(rules) if path and lazy and progress is None and \
        (RULES_APART_OVER <= STREAM_VISITS_OVER or has_more_events_than(conn, case_id, RULES_APART_OVER)) else frozenset()
    keep = only if only is not None else frozenset(rules) - apart_ids
    engine_rules = {rule_id: rule for rule_id, rule in rules.items() if rule_id in keep}
    streamable = streamable_kinds(engine_rules.values())
    # Two scans of a long case that are SQLite's work alone (the chronology's last day; its
    # visits summed up by day, kind and subject) run beside the reading of the facts, in a
    # process of their own (in a thread they would take turns with it for Python's lock).
    # A live case is judged today and its records run to today: its last event is not needed.
    live = as_of is None and case.as_of is None and not case.illustrative
    visit_kinds = streamable if long_case and streamable else None
    scans = ScansApart(path, case_id, visit_kinds, with_end=not live) if path and not apart_ids and (
        SCANS_APART_OVER <= STREAM_VISITS_OVER or has_more_events_than(conn, case_id, SCANS_APART_OVER)) else None
    apart = None
    if apart_ids:
        from caseline.analysis_apart import RulesApart

        apart = RulesApart(path, case_id, as_of, apart_ids)
    recorded = reads_recorded(engine_rules.values())
    try:
        facts = load_facts(conn, case_id, required_kinds(engine_rules.values()) - (streamable if long_case else set()),
                           with_recorded=recorded) if long_case else None
        last, visit_days = scans.result(conn) if scans else case_scans(conn, case_id, visit_kinds, with_end=not live)
    except BaseException:
        if apart is not None:
            apart.stop()
        raise
    finally:
        if scans:
            scans.stop()
    streamed_subjects = visit_days.subjects_by_kind() if visit_days is not None else {}
    end, source = resolve_as_of(case, as_of, last)
    children = [pid for pid, person in people.items() if person.role == "child"]

    def flags_from(facts, streams, chosen=engine_rules):
        return iter_flags(facts, chosen, as_of=end, lazy=lazy, records_from=case.records_from,
                             people={pid: person.name for pid, person in people.items()},
                             children=children if long_case else children or None,
                             born={pid: people[pid].born for pid in children if pid in people},
                             complete_for=case.complete_for,
                             # A live case's records run to today; a case judged at a later date
                             # (a decision) stops where its chronology does.
                             records_until=None if source == "today" else last,
                             presorted=facts.in_event_order, streams=streams,
                             spacing=partial(visit_days.spaced, conn) if streams else None,
                             progress=progress)

    if end is None:
        if apart is not None:
            apart.stop()
        empty = assemble(conn, case_id, flags=[], rules=rules, as_of=end, case=case, people=people,
                         with_anchors=with_anchors, as_of_source=source)
        return (empty, iter(())) if lazy else empty
    # A long case's visits (most of its events) are not held: the interval rules ask the
    # visits' day summary for those far enough apart to matter (store.reads.VisitDays), or
    # walk them as they are read. Each costs a scan of its own, so shorter cases hold them.
    if facts is None:
        facts = load_facts(conn, case_id, required_kinds(engine_rules.values()), with_recorded=recorded)
    if on_subjects is not None:
        on_subjects({f.subject for f in facts})
    # Only kinds the case has are streamed (asking the store for the first of a kind it
    # lacks would scan the whole case each time), found with their subjects in one scan.
    streamed = set(streamed_subjects)
    try:
        if apart is not None:
            apart_rules = {rule_id: rules[rule_id] for rule_id in apart_ids}
            apart.if_it_fails(lambda: _here(load_facts(conn, case_id, required_kinds(apart_rules.values())),
                                            lambda held: flags_from(held, None, apart_rules)))
        if long_case and not children:
            # The engine's default children are the subjects it reads: those of the streamed
            # visits too, found by SQLite rather than by a pass of their own (none: none),
            # and those of the facts read apart.
            children = sorted(({f.subject for f in facts}.union(*streamed_subjects.values(),
                                                                 apart.subjects() if apart else ())) - {""})
        try:
            flags = flags_from(facts, {kind: partial(stream_facts, conn, case_id, [kind]) for kind in streamed})
        except StreamOutOfOrder:  # partial dates put the store's order out of date order: hold them
            facts = load_facts(conn, case_id, required_kinds(engine_rules.values()), with_recorded=recorded)
            flags = flags_from(facts, None)
        if apart is not None:
            apart.ready()  # its rules worked out too (or its error raised here), before a flag is read
            flags = merge_two(flags, apart.flags())
    except BaseException:
        if apart is not None:
            apart.stop()
        raise
    if lazy:
        return assemble(conn, case_id, flags=[], rules=rules, as_of=end, case=case, people=people,
                        with_anchors=False, as_of_source=source), flags
    return assemble(conn, case_id, flags=list(flags), rules=rules, as_of=end, case=case, people=people,
                    with_anchors=with_anchors, as_of_source=source, facts=facts)
