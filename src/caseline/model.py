"""The records every floor shares: a case, a person, an event, a fact, a flag, a note, a filter.

Plain, immutable data with no behaviour beyond small derived properties. Nothing here reads
the database, the clock or the terminal; the store builds these from rows, the rule engine
builds flags, and the view and the front ends only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from caseline.dates import DateRange

__all__ = [
    "CaseInfo",
    "Person",
    "Event",
    "Fact",
    "Flag",
    "Note",
    "NoteVersion",
    "Star",
    "NOTE_TAGS",
    "EventFilter",
    "FLAG_KINDS",
    "SEVERITIES",
    "CERTAINTIES",
    "SEVERITY_RANK",
]


@dataclass(frozen=True, slots=True)
class CaseInfo:
    """A case's metadata (the ``cases`` row, or what is derived for an events-only database).

    Attributes:
        event_count: the number of events, when the caller asked for it (else 0).
    """

    id: str
    title: str
    council: str
    summary: str
    source: str
    illustrative: bool
    records_from: date | None
    teaching: dict
    event_count: int = 0
    #: The case's own as-of date (e.g. the decision date); ``None`` for a live case.
    as_of: date | None = None
    #: Event kinds whose records the case declares complete: an absent one did not happen.
    complete_for: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    role: str
    born: DateRange | None


@dataclass(frozen=True, slots=True)
class Event:
    """One row of the chronology, as the UI and exports see it."""

    id: int
    case_id: str
    ref: str
    dates: DateRange
    date_text: str
    kind: str
    subject: str
    actor: str
    summary: str
    detail: str
    source: str
    recorded: str
    relative_to: str
    offset_days: int | None


class Fact(NamedTuple):
    """The part of an event the rule engine reads: a tenth of the memory of an :class:`Event`.

    A named tuple, not a frozen dataclass: a long case builds a million of these, and a
    tuple is made several times faster.
    """

    id: int
    ref: str
    kind: str
    actor: str
    dates: DateRange
    relative_to: str
    offset_days: int | None
    subject: str = ""
    recorded: str = ""


FLAG_KINDS = (
    "gap",
    "deadline",
    "review",
    "worker_change",
    "worker_stability",
    "family_not_told",
    "precondition",
    "coverage",
    "met",
    "pending",
    "condition",
    "late_record",
)
SEVERITIES = ("breach", "attention", "info")
CERTAINTIES = ("definite", "possible")
SEVERITY_RANK = {"breach": 0, "attention": 1, "info": 2}


class Flag(NamedTuple):
    """One thing the data shows against a rule. It highlights; it never judges fault.

    A named tuple, like :class:`Fact`: a whole extract's worker changes make 68,000 flags at
    a million events, each made by the engine and again where a child's are received, and a
    frozen dataclass took six times as long to make (2.2 µs a flag against 0.36 µs).

    Attributes:
        key: stable identifier (rule, kind and the events or dates it rests on), used to
            attach notes and to compare runs.
        kind: one of :data:`FLAG_KINDS`.
        rule: the guidance library id.
        severity: ``breach``, ``attention`` or ``info``.
        certainty: ``definite`` when every reading of imprecise dates gives this result,
            ``possible`` when only some do.
        start: first day of the span the flag covers.
        end: last day of that span.
        due: the date a required event was due by, where that applies.
        events: ids of the events the flag rests on.
        message: one sentence showing the arithmetic and the limit.
        subject: the child (or children, comma-separated) the flag concerns; empty for a
            case-level rule or a case with no child named.
        status: the honest standing of the requirement (``statutory``,
            ``statutory_guidance``, ``national_measure``, ``ombudsman_expectation``,
            ``council_policy``, ``caseline_default``).
        citation: where the requirement comes from.
    """

    key: str
    kind: str
    rule: str
    severity: str
    certainty: str
    start: date
    end: date
    due: date | None
    events: tuple[int, ...]
    message: str
    subject: str = ""
    status: str = ""
    citation: str = ""

    @property
    def sort_key(self) -> tuple:
        return (self.start, self.end, SEVERITY_RANK.get(self.severity, 9), self.key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "rule": self.rule,
            "severity": self.severity,
            "certainty": self.certainty,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "due": self.due.isoformat() if self.due else None,
            "events": list(self.events),
            "message": self.message,
            "subject": self.subject,
            "status": self.status,
            "citation": self.citation,
        }


#: The tags a note may carry: an investigator's findings in the Ombudsman's terms, a query,
#: or a plain note.
NOTE_TAGS = ("finding", "fault", "injustice", "remedy", "query", "no-fault", "note")


@dataclass(frozen=True, slots=True)
class Note:
    """An investigator's note or finding, on an event, a flag (by its stable key) or the case.

    Attributes:
        created: when it was first written (ISO timestamp, UTC).
        updated: when it was last edited, deleted or restored (``None``: never).
        deleted: when it was deleted (``None``: it is live); deleted notes keep their text
            and can be restored.
    """

    id: int
    case_id: str
    event_id: int | None
    flag_key: str | None
    created: str
    author: str
    tag: str
    text: str
    updated: str | None = None
    deleted: str | None = None

    @property
    def target(self) -> str:
        """``event``, ``flag`` or ``case``: what the note is about."""
        if self.event_id is not None:
            return "event"
        if self.flag_key:
            return "flag"
        return "case"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "case_id": self.case_id, "event_id": self.event_id, "flag_key": self.flag_key,
            "created": self.created, "updated": self.updated, "deleted": self.deleted,
            "author": self.author, "tag": self.tag, "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class NoteVersion:
    """One version of a note: what it said after an action (``created``, ``edited``,
    ``deleted``, ``restored``), who did it and when."""

    note_id: int
    changed: str
    action: str
    author: str
    tag: str
    text: str


@dataclass(frozen=True, slots=True)
class Star:
    """An event or a flag (by its stable key) an investigator marked as key."""

    case_id: str
    event_id: int | None
    flag_key: str | None
    created: str
    author: str


@dataclass(frozen=True)
class EventFilter:
    """Which rows to show. Empty sets mean "all"; within a set, any value matches.

    Two sides: the *event* side (kinds, actors, children) chooses events, and a flag shows
    only when an event it rests on is shown; the *flag* side (severities, rules, note tags)
    chooses flags, and then only the events those flags rest on show.

    Attributes:
        kinds: event kinds to keep.
        actors: actors (person ids or free text) to keep.
        severities: keep only flags of these severities and the events they rest on.
        subjects: children (person ids) to keep; an event with no subject concerns every child.
        rules: keep only flags of these rules (guidance ids) and the events they rest on.
        tags: keep only rows carrying a note with one of these tags.
    """

    kinds: frozenset[str] = field(default_factory=frozenset)
    actors: frozenset[str] = field(default_factory=frozenset)
    severities: frozenset[str] = field(default_factory=frozenset)
    subjects: frozenset[str] = field(default_factory=frozenset)
    rules: frozenset[str] = field(default_factory=frozenset)
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def active(self) -> bool:
        return self.events_active or self.flags_active

    @property
    def events_active(self) -> bool:
        """Whether the event side (kind, actor, child) chooses events."""
        return bool(self.kinds or self.actors or self.subjects)

    @property
    def flags_active(self) -> bool:
        """Whether the flag side (severity, rule, tag) chooses flags and, through them, events."""
        return bool(self.severities or self.rules or self.tags)

    def describe(self, names: dict[str, str] | None = None) -> str:
        """A short plain description for a status line, e.g. ``kind=cin_visit severity=breach``.

        Args:
            names: display names for person ids (children and actors).
        """
        names = names or {}
        parts = []
        for name, values in (("kind", self.kinds), ("actor", self.actors), ("child", self.subjects),
                             ("severity", self.severities), ("rule", self.rules), ("tag", self.tags)):
            if values:
                shown = sorted(names.get(v, v) for v in values) if name in ("actor", "child") else sorted(values)
                parts.append(f"{name}={','.join(shown)}")
        return " ".join(parts)

    def keeps_flag(self, flag: Flag) -> bool:
        """The flag side's choice (the event side is applied where the events are known)."""
        if self.severities and flag.severity not in self.severities:
            return False
        if self.rules and flag.rule not in self.rules:
            return False
        # A flag about some children (``subject``, comma-separated) shows when one of them is
        # chosen; a flag about the whole case always does.
        about = {s for s in (getattr(flag, "subject", "") or "").split(",") if s}
        if self.subjects and about and not about & self.subjects:
            return False
        return True
