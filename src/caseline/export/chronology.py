"""A case's chronology as a document, in the Ombudsman's manner, for every export format.

:func:`build_chronology` turns one :class:`~caseline.analysis.CaseAnalysis` (and the case's
events, notes and stars) into a :class:`Chronology`: plain data that the writers
(:mod:`~caseline.export.markdown`, :mod:`~caseline.export.html`, :mod:`~caseline.export.docx`,
:mod:`~caseline.export.csv_chronology`) lay out, each in its own format. What it promises:

* Numbered paragraphs, one per event, in date order; each date as the source wrote it
  (``date_text``), or the stored range shown with its precision when the source gave none.
* Each flag beside the events it concerns (after the paragraph of the last of them), with its
  arithmetic (the flag's sentence), its severity and certainty, the rule's status and
  citation, and the paragraphs it rests on. A flag resting on no shown event goes after the
  last paragraph on or before its date.
* Notes and findings apart, grouped by tag, each saying what it is about; a note whose flag
  is not raised at this as-of is kept, marked so.
* At the top: the as-of date and a summary of the flags by severity and certainty.
* ``as_of`` keeps only what had happened by then; ``starred_only`` keeps starred events and
  flags (and the events a starred flag rests on).

Nothing here formats text for a medium: the writers clean and escape for where it goes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date

from caseline.analysis import CaseAnalysis
from caseline.dates import format_day, format_range
from caseline.guidance import Rule
from caseline.model import NOTE_TAGS, SEVERITIES, CaseInfo, Event, Flag, Note
from caseline.view.rows import flag_day

__all__ = [
    "ExportOptions",
    "FlagEntry",
    "Paragraph",
    "NoteEntry",
    "Chronology",
    "build_chronology",
    "assemble_chronology",
    "written_date",
    "event_sentence",
    "TAG_HEADINGS",
]

TAG_HEADINGS = {
    "finding": "Findings",
    "fault": "Fault",
    "injustice": "Injustice",
    "remedy": "Remedy",
    "query": "Queries",
    "no-fault": "No fault",
    "note": "Notes",
}
SEVERITY_PLURAL = {"breach": "breaches", "attention": "needing attention", "info": "for information"}
SEVERITY_SINGULAR = {"breach": "breach", "attention": "needing attention", "info": "for information"}


@dataclass(frozen=True)
class ExportOptions:
    """What goes into an export."""

    as_of: date | None = None
    flags: bool = True
    notes: bool = True
    starred_only: bool = False


@dataclass
class FlagEntry:
    """One flag as the export shows it."""

    flag: Flag
    rule: Rule | None
    paragraphs: tuple[int, ...]
    starred: bool = False
    number: int = 0  # its place in the flags table (F1, F2…)

    @property
    def status(self) -> str:
        return self.rule.status_label if self.rule is not None else "rule not in the library"

    @property
    def citation(self) -> str:
        return self.rule.citation_text if self.rule is not None else ""

    @property
    def rule_title(self) -> str:
        return self.rule.title if self.rule is not None else self.flag.rule

    @property
    def severity_text(self) -> str:
        word = {"breach": "Breach", "attention": "Needs attention", "info": "For information"}
        return f"{word.get(self.flag.severity, self.flag.severity)} ({self.flag.certainty})"

    @property
    def span_text(self) -> str:
        f = self.flag
        span = format_day(f.start) if f.start == f.end else f"{format_day(f.start)} – {format_day(f.end)}"
        return span + (f"; due by {format_day(f.due)}" if f.due is not None else "")

    @property
    def rests_on(self) -> str:
        if not self.paragraphs:
            return ""
        numbers = [str(p) for p in self.paragraphs]
        if len(numbers) == 1:
            return f"paragraph {numbers[0]}"
        return "paragraphs " + ", ".join(numbers[:-1]) + " and " + numbers[-1]


@dataclass
class Paragraph:
    """One numbered paragraph: an event, and the flags placed beside it."""

    number: int
    event: Event
    date_text: str
    actor: str
    starred: bool = False
    flags: list[FlagEntry] = field(default_factory=list)
    note_numbers: list[int] = field(default_factory=list)

    @property
    def notes_reference(self) -> str:
        """`` — see note N1`` / `` — see notes N1, N2`` (empty without notes), for every writer."""
        if not self.note_numbers:
            return ""
        label = "note" if len(self.note_numbers) == 1 else "notes"
        return f" — see {label} " + ", ".join(f"N{n}" for n in self.note_numbers)


@dataclass
class NoteEntry:
    """A note under the findings heading: its number, what it is about, the note."""

    number: int
    note: Note
    about: str


@dataclass
class Chronology:
    """The whole document."""

    case: CaseInfo
    as_of: date | None
    options: ExportOptions
    paragraphs: list[Paragraph]
    leading_flags: list[FlagEntry]  # flags dated before the first paragraph
    flags: list[FlagEntry]  # every flag shown, in date order (the flags table)
    notes: list[NoteEntry]
    lanes: object | None = None  # caseline.view.lanes.Lanes, for the HTML picture

    @property
    def as_of_text(self) -> str:
        return format_day(self.as_of) if self.as_of else "no events"

    def severity_counts(self) -> dict[str, dict[str, int]]:
        counts = {s: {"definite": 0, "possible": 0} for s in SEVERITIES}
        for entry in self.flags:
            counts.setdefault(entry.flag.severity, {"definite": 0, "possible": 0})
            counts[entry.flag.severity][entry.flag.certainty] = counts[entry.flag.severity].get(entry.flag.certainty, 0) + 1
        return counts

    def severity_summary(self) -> list[str]:
        """``["2 breaches (1 definite, 1 possible)", ...]`` for the top of the document."""
        lines = []
        for severity, by in self.severity_counts().items():
            total = sum(by.values())
            detail = ", ".join(f"{n} {c}" for c, n in by.items() if n)
            words = SEVERITY_SINGULAR if total == 1 else SEVERITY_PLURAL
            lines.append(f"{total} {words.get(severity, severity)}" + (f" ({detail})" if total else ""))
        return lines

    def notes_by_tag(self) -> list[tuple[str, list[NoteEntry]]]:
        groups: dict[str, list[NoteEntry]] = {}
        for entry in self.notes:
            groups.setdefault(entry.note.tag, []).append(entry)
        order = {tag: i for i, tag in enumerate(NOTE_TAGS)}
        return sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))

    @property
    def title(self) -> str:
        return f"Chronology: {self.case.title}"


def event_sentence(event: Event) -> str:
    """The event's summary and detail as running text (a full stop between them)."""
    summary = " ".join((event.summary or "").split())
    detail = " ".join((event.detail or "").split())
    if summary and summary[-1] not in ".!?":
        summary += "."
    return f"{summary} {detail}".strip() if detail else summary


def written_date(event: Event) -> str:
    """The date as the source wrote it, else the stored range with its precision."""
    text = (event.date_text or "").strip()
    return text if text else format_range(event.dates)


class ExportError(Exception):
    """An export that cannot be written; the message is one sentence for the user."""


#: The longest chronology a report is made of: one paragraph an event, every event held while
#: it is laid out (a whole extract's ten million would not fit in a laptop's memory, and no
#: one reads a report of a hundred thousand paragraphs). The starred rows of any case export.
EXPORT_MAX_EVENTS = 100_000


def build_chronology(conn: sqlite3.Connection, case_id: str, options: ExportOptions = ExportOptions(),
                     analysis: CaseAnalysis | None = None) -> Chronology:
    """Read the case (through :func:`~caseline.analysis.analyse`) and lay out its chronology.

    Raises:
        ExportError: the case has more than :data:`EXPORT_MAX_EVENTS` events and not only the
            starred rows are asked for (checked before anything is read).
    """
    from caseline.analysis import analyse
    from caseline.store import get_events, has_more_events_than, load_events
    from caseline.store.notes import list_notes, list_stars, starred_targets
    from caseline.store.timeline import load_lane_bars, load_lane_rows, load_lane_visits
    from caseline.view.lanes import BAR_KINDS, LANE_KINDS, VISIT_KINDS, build_lanes

    long_case = has_more_events_than(conn, case_id, EXPORT_MAX_EVENTS)
    if long_case and not options.starred_only:
        raise ExportError(
            f"case {case_id!r} has more than {EXPORT_MAX_EVENTS:,} events, too many for a chronology: export "
            f"its starred rows only (--starred; in the explorer, 'Starred events and flags only'), or its flags "
            f"with 'caseline flags --format csv' (nothing was written)")
    analysis = analysis or analyse(conn, case_id, options.as_of)
    notes = list_notes(conn, case_id)
    star_events, star_flags = starred_targets(list_stars(conn, case_id))
    if long_case:  # the starred rows only: their events, and those their starred flags rest on
        wanted = set(star_events) | {i for f in analysis.flags if f.key in star_flags for i in f.events}
        events = list(get_events(conn, sorted(wanted)).values())
    else:
        events = load_events(conn, case_id)
    chronology = assemble_chronology(analysis, events, notes, star_events, star_flags, options)
    visits = None
    if long_case:  # its lanes as the explorer reads them: a row a day, not one an event
        rows = load_lane_bars(conn, case_id, BAR_KINDS)
        visits = load_lane_visits(conn, case_id, VISIT_KINDS)
    else:
        rows = load_lane_rows(conn, case_id, LANE_KINDS)
    if options.as_of is not None:
        cut = options.as_of.toordinal()
        rows = [r for r in rows if r[4] <= cut]
        if visits is not None:
            visits = {subject: [day for day in days if day <= cut] for subject, days in visits.items()}
    if chronology.paragraphs:
        first = chronology.paragraphs[0].event.dates.start.toordinal()
        last = max(p.event.dates.end.toordinal() for p in chronology.paragraphs)
        chronology.lanes = build_lanes(rows, [e.flag for e in chronology.flags], analysis.people, first, last,
                                       visits=visits)
    return chronology


def assemble_chronology(
    analysis: CaseAnalysis,
    events: list[Event],
    notes: list[Note],
    star_events: set[int] = frozenset(),  # type: ignore[assignment]
    star_flags: set[str] = frozenset(),  # type: ignore[assignment]
    options: ExportOptions = ExportOptions(),
) -> Chronology:
    """Lay out a chronology from data already read (tests and :func:`build_chronology`)."""
    names = analysis.people_names
    if options.as_of is not None:
        events = [e for e in events if e.dates.start <= options.as_of]
    flags = list(analysis.flags) if options.flags else []
    if options.starred_only:
        flags = [f for f in flags if f.key in star_flags]
        keep = set(star_events) | {i for f in flags for i in f.events}
        events = [e for e in events if e.id in keep]
    events = sorted(events, key=lambda e: (e.dates.start, e.dates.end, e.id))
    paragraphs = [
        Paragraph(i + 1, e, written_date(e), names.get(e.actor, e.actor), starred=e.id in star_events)
        for i, e in enumerate(events)
    ]
    number_of = {p.event.id: p.number for p in paragraphs}
    entries: list[FlagEntry] = []
    leading: list[FlagEntry] = []
    for flag in sorted(flags, key=lambda f: f.sort_key):
        shown = tuple(sorted({number_of[i] for i in flag.events if i in number_of}))
        entry = FlagEntry(flag, analysis.rule(flag.rule), shown, starred=flag.key in star_flags)
        entries.append(entry)
        if shown:
            paragraphs[shown[-1] - 1].flags.append(entry)
            continue
        day = flag_day(flag)
        before = [p for p in paragraphs if p.event.dates.start <= day]
        (before[-1].flags if before else leading).append(entry)
    for k, entry in enumerate(entries, start=1):
        entry.number = k
    note_entries: list[NoteEntry] = []
    if options.notes:
        flag_by_key = {e.flag.key: e for e in entries}
        kept = [n for n in notes if not n.deleted]
        kept.sort(key=lambda n: (NOTE_TAGS.index(n.tag) if n.tag in NOTE_TAGS else len(NOTE_TAGS), n.created, n.id))
        for note in kept:
            if note.event_id is not None:
                if note.event_id not in number_of:
                    continue  # its event is outside this export (as-of or starred only)
                number = number_of[note.event_id]
                about = f"paragraph {number} ({paragraphs[number - 1].date_text})"
            elif note.flag_key:
                entry = flag_by_key.get(note.flag_key)
                raised = next((f for f in analysis.flags if f.key == note.flag_key), None)
                if entry is not None:
                    about = f"flag F{entry.number}: {entry.flag.message}"
                elif raised is not None:
                    if options.starred_only:
                        continue  # raised, only left out of this export
                    about = f"the flag: {raised.message}"
                else:
                    when = format_day(analysis.as_of) if analysis.as_of else "this date"
                    about = f"a flag not raised as of {when} (key {note.flag_key})"
            else:
                about = "the case as a whole"
            entry_number = len(note_entries) + 1
            note_entries.append(NoteEntry(entry_number, note, about))
            if note.event_id is not None:
                paragraphs[number_of[note.event_id] - 1].note_numbers.append(entry_number)
            elif note.flag_key and note.flag_key in flag_by_key:
                target = flag_by_key[note.flag_key]
                if target.paragraphs:
                    paragraphs[target.paragraphs[-1] - 1].note_numbers.append(entry_number)
    return Chronology(analysis.case, analysis.as_of, options, paragraphs, leading, entries, note_entries)
