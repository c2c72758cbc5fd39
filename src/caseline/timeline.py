"""The timeline as rows: what the TUI (and anything else) scrolls through, free of any UI.

A case may hold a million events, so nothing here keeps an object per event:

* :func:`load_order` reads the case's event ids and start dates in date order with one query
  into two parallel ``array`` objects (8 + 8 bytes an event).
* :class:`RowModel` merges those with the flags: a flag becomes a *row* of its own (a gap after
  the event it starts from, a missed deadline or review at its due date...) or, for a worker
  change, a mark on the event row. Row numbers are mapped to events by bisecting a short list
  of flag-row positions, so the merge costs O(flags), not O(events).
* :class:`EventPages` fetches :class:`~caseline.store.Event` objects a page at a time by id.
* :func:`build_lanes` and the ``project_*`` functions give the compact picture of the whole case
  across time (workers, plans, visits, flags) as plain data for the lanes strip.

Invariant: ``ids[i]`` and ``starts[i]`` describe the same event, and ``starts`` never decreases
(the query orders by ``date_start``, and a partial date such as ``2021-09`` both sorts and maps
to the first day it covers).
"""

from __future__ import annotations

import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from caseline.dates import DateError, DateRange, parse_date_field
from caseline.rules.flags import SEVERITY_RANK, Flag
from caseline.store import Event, Person, get_events

__all__ = [
    "EventFilter",
    "Row",
    "RowModel",
    "EventPages",
    "load_order",
    "anchor_dates",
    "search_positions",
    "age_text",
    "severity_symbol",
    "Bar",
    "Lane",
    "Lanes",
    "build_lanes",
    "ZOOM_LEVELS",
    "zoom_span",
    "column_of",
    "date_of_column",
    "project_bars",
    "project_counts",
]

#: Flag kinds shown as a mark on an event row rather than as a row of their own.
INLINE_KINDS = frozenset({"worker_change"})
#: Flag kinds placed at the date something was due ("phantom" rows for what did not happen).
DUE_KINDS = frozenset({"deadline", "review", "precondition", "coverage"})

SYMBOLS = {"breach": "✖", "attention": "▲", "info": "●"}

VISIT_KINDS = ("cin_visit", "cp_visit", "lac_visit", "private_fostering_visit", "pa_visit")
STATUS_LANES: tuple[tuple[str, str, str], ...] = (
    ("CIN", "cin_plan_start", "cin_plan_end"),
    ("CP", "cp_plan_start", "cp_plan_end"),
    ("LAC", "lac_start", "lac_end"),
    ("PF", "private_fostering_start", "private_fostering_end"),
)
COMPLAINT_STAGES: tuple[tuple[str, str, str], ...] = (
    ("1", "complaint_stage1", "complaint_stage1_response"),
    ("2", "complaint_stage2", "complaint_stage2_response"),
    ("3", "complaint_stage3", "complaint_stage3_response"),
)


def severity_symbol(severity: str, certainty: str = "definite") -> str:
    """One character for a severity that survives monochrome; ``?`` follows a possible flag."""
    symbol = SYMBOLS.get(severity, "•")
    return symbol + ("?" if certainty == "possible" else " ")


# --- Dates as ordinals ----------------------------------------------------------------------


def _ordinal(text: object, cache: dict[str, int]) -> int:
    """Day ordinal of the first day an ISO field covers (cached: dates repeat a lot)."""
    key = "" if text is None else str(text)
    found = cache.get(key)
    if found is not None:
        return found
    try:
        value = date.fromisoformat(key).toordinal() if len(key) == 10 else parse_date_field(key).start.toordinal()
    except (ValueError, DateError):
        value = 1  # unreadable dates sort first; ``caseline check`` reports them
    cache[key] = value
    return value


# --- Which events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    """Which rows to show. Empty sets mean "all".

    Attributes:
        kinds: event kinds to keep.
        actors: actors (person ids or free text) to keep.
        severities: keep only flags of these severities and the events they rest on.
    """

    kinds: frozenset[str] = frozenset()
    actors: frozenset[str] = frozenset()
    severities: frozenset[str] = frozenset()

    @property
    def active(self) -> bool:
        return bool(self.kinds or self.actors or self.severities)

    def describe(self) -> str:
        """A short plain description for a status line, e.g. ``kind=cin_visit severity=breach``."""
        parts = []
        for name, values in (("kind", self.kinds), ("actor", self.actors), ("severity", self.severities)):
            if values:
                parts.append(f"{name}={','.join(sorted(values))}")
        return " ".join(parts)

    def keeps_flag(self, flag: Flag) -> bool:
        return not self.severities or flag.severity in self.severities

    def where(self, case_id: str, flag_event_ids: Iterable[int] | None = None) -> tuple[str, list]:
        """SQL ``WHERE`` clause and parameters selecting the events this filter keeps."""
        clauses, params = ["case_id = ?"], [case_id]
        for column, values in (("kind", self.kinds), ("actor", self.actors)):
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(sorted(values))
        if self.severities:
            wanted = sorted(set(flag_event_ids or ()))
            # SQLite's default limit on parameters is 32766; a severity filter keeps few events.
            clauses.append(f"id IN ({','.join('?' * len(wanted))})" if wanted else "0")
            params.extend(wanted)
        return " AND ".join(clauses), params


ORDER = "ORDER BY date_start, date_end, id"


#: The start day as a day ordinal, computed by SQLite (partial dates padded to their first day).
#: 1721424.5 is the Julian day of 0001-01-01 minus one, so this equals ``date.toordinal()``.
_START_ORDINAL = (
    "coalesce(CAST(julianday(CASE length(date_start) WHEN 7 THEN date_start || '-01' "
    "WHEN 4 THEN date_start || '-01-01' ELSE date_start END) - 1721424.5 AS INTEGER), 1)"
)


def load_order(
    conn: sqlite3.Connection,
    case_id: str,
    event_filter: EventFilter | None = None,
    flag_event_ids: Iterable[int] | None = None,
    limit: int | None = None,
) -> tuple[array, array]:
    """The case's event ids and start-day ordinals in date order, with one query.

    Args:
        limit: only the first rows (the first screen of a long case, painted while the
            rest is read in the background).

    Returns:
        ``(ids, starts)``: ``array('q')`` of ids and ``array('l')`` of ordinals.
    """
    where, params = (event_filter or EventFilter()).where(case_id, flag_event_ids)
    ids, starts = array("q"), array("l")
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a third faster than sqlite3.Row over 1M rows
    cap = f" LIMIT {int(limit)}" if limit else ""
    cursor.execute(f"SELECT id, {_START_ORDINAL} FROM events WHERE {where} {ORDER}{cap}", params)
    while batch := cursor.fetchmany(65536):
        ids.extend([row[0] for row in batch])
        starts.extend([row[1] for row in batch])
    return ids, starts


def anchor_dates(conn: sqlite3.Connection, event_ids: Iterable[int]) -> dict[int, int]:
    """Start-day ordinals of some events (those flags rest on), for placing flag rows."""
    wanted = sorted(set(event_ids))
    found: dict[int, int] = {}
    cache: dict[str, int] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        rows = conn.execute(f"SELECT id, date_start FROM events WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        for event_id, start in rows:
            found[int(event_id)] = _ordinal(start, cache)
    return found


_SEARCH_COLUMNS = ("summary", "kind", "actor", "date_text", "detail", "ref")


def search_positions(
    conn: sqlite3.Connection,
    case_id: str,
    text: str,
    event_filter: EventFilter | None = None,
    flag_event_ids: Iterable[int] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> array:
    """Positions (indexes into :func:`load_order`'s arrays) of events whose text contains *text*.

    The same ``WHERE`` and ``ORDER BY`` as :func:`load_order` number the rows
    (``row_number()``), so SQLite returns only the matches' positions: no id-to-position map
    and no Python loop over a million rows. Matching is case-insensitive for ASCII (``LIKE``).

    Args:
        should_stop: polled between batches; a search the user has replaced stops early.
    """
    found = array("q")
    needle = text.strip()
    if not needle:
        return found
    where, params = (event_filter or EventFilter()).where(case_id, flag_event_ids)
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    match = " OR ".join(f"{col} LIKE ? ESCAPE '\\'" for col in _SEARCH_COLUMNS)
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(
        f"SELECT pos FROM (SELECT row_number() OVER ({ORDER}) - 1 AS pos, {', '.join(_SEARCH_COLUMNS)} "
        f"FROM events WHERE {where}) WHERE {match}",
        params + [like] * len(_SEARCH_COLUMNS),
    )
    while batch := cursor.fetchmany(65536):
        found.extend([row[0] for row in batch])
        if should_stop is not None and should_stop():
            break
    return found


# --- Rows -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """What one row of the timeline shows.

    Attributes:
        index: the row number.
        event_id: the event's id, or ``None`` for a flag row.
        position: the event's index in the ordered arrays, or ``None`` for a flag row.
        flag: the flag a flag row shows.
        marks: flags shown as marks on an event row (worker changes).
        day: the row's day ordinal (an event's first day; where a flag row was placed).
    """

    index: int
    event_id: int | None
    position: int | None
    flag: Flag | None
    marks: tuple[Flag, ...]
    day: int

    @property
    def is_flag(self) -> bool:
        return self.flag is not None


def flag_day(flag: Flag) -> date:
    """The day a flag row is placed at: when something was due, or where its span starts."""
    if flag.kind in DUE_KINDS and flag.due is not None:
        return flag.due
    return flag.start


class RowModel:
    """Events (as arrays) merged with flag rows, addressed by row number.

    Args:
        ids: event ids in date order.
        starts: start-day ordinals, parallel to *ids*.
        flags: the flags to show.
        anchors: start-day ordinals of the events flags rest on (:func:`anchor_dates`); lets
            a gap row go right after the event it starts from. Missing anchors fall back to
            the flag's date.
    """

    def __init__(
        self,
        ids: Sequence[int],
        starts: Sequence[int],
        flags: Iterable[Flag] = (),
        anchors: Mapping[int, int] | None = None,
    ) -> None:
        if len(ids) != len(starts):
            raise ValueError("ids and starts must be parallel")
        self.ids = ids
        self.starts = starts
        self.flags: list[Flag] = sorted(flags, key=lambda f: f.sort_key)
        anchors = anchors or {}
        self.flags_by_event: dict[int, list[Flag]] = {}
        for flag in self.flags:
            for event_id in flag.events:
                self.flags_by_event.setdefault(event_id, []).append(flag)
        self._marks: dict[int, list[Flag]] = {}  # event position -> inline flags
        inserts: list[tuple[int, int, tuple, Flag]] = []  # (event position, day, sort key, flag)
        for flag in self.flags:
            if flag.kind in INLINE_KINDS and flag.events:
                pos = self.position_of(flag.events[-1], anchors.get(flag.events[-1]))
                if pos is not None:
                    self._marks.setdefault(pos, []).append(flag)
                    continue
            pos = self._placement(flag, anchors)
            day = flag_day(flag).toordinal()
            inserts.append((pos, day, flag.sort_key, flag))
        inserts.sort(key=lambda item: (item[0], item[1], item[2]))
        self._insert_positions = [pos for pos, _, _, _ in inserts]
        self._flag_rows = [pos + k for k, (pos, _, _, _) in enumerate(inserts)]
        self._flag_at_row = [flag for _, _, _, flag in inserts]
        self._flag_days = [day for _, day, _, _ in inserts]
        # Rows n/N stop at: flag rows and event rows carrying marks, with their severities.
        nav = [(row, flag.severity) for row, flag in zip(self._flag_rows, self._flag_at_row)]
        for pos, marks in self._marks.items():
            best = min(marks, key=lambda f: SEVERITY_RANK.get(f.severity, 9))
            nav.append((self.row_of_position(pos), best.severity))
        nav.sort()
        self._nav_rows = [row for row, _ in nav]
        self._nav_breach_rows = [row for row, severity in nav if severity == "breach"]

    # Placement -------------------------------------------------------------------------------

    def _placement(self, flag: Flag, anchors: Mapping[int, int]) -> int:
        """The event position a flag row is inserted before."""
        if flag.kind not in DUE_KINDS and flag.events:
            # A gap goes after the event it starts from; others after their last event.
            anchor = flag.events[0] if flag.kind == "gap" else flag.events[-1]
            pos = self.position_of(anchor, anchors.get(anchor))
            if pos is not None:
                return pos + 1
        return bisect_right(self.starts, flag_day(flag).toordinal())

    def position_of(self, event_id: int, day: int | None) -> int | None:
        """Index of *event_id* in the arrays, searching only among events of its start day."""
        if day is None:
            return None
        lo, hi = bisect_left(self.starts, day), bisect_right(self.starts, day)
        for pos in range(lo, hi):
            if self.ids[pos] == event_id:
                return pos
        return None

    # Addressing ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ids) + len(self._flag_rows)

    @property
    def event_count(self) -> int:
        return len(self.ids)

    @property
    def flag_rows(self) -> list[int]:
        return list(self._flag_rows)

    def row_of_position(self, pos: int) -> int:
        """The row number of the event at array position *pos*."""
        return pos + bisect_right(self._insert_positions, pos)

    def row(self, index: int) -> Row:
        """Describe row *index* (0 <= index < len(self))."""
        if not 0 <= index < len(self):
            raise IndexError(index)
        k = bisect_left(self._flag_rows, index)
        if k < len(self._flag_rows) and self._flag_rows[k] == index:
            return Row(index, None, None, self._flag_at_row[k], (), self._flag_days[k])
        pos = index - k
        marks = tuple(self._marks.get(pos, ()))
        return Row(index, int(self.ids[pos]), pos, None, marks, int(self.starts[pos]))

    def day_of_row(self, index: int) -> int:
        return self.row(index).day

    def row_for_day(self, day: int) -> int:
        """The first row on or after *day* (the last row when every row is earlier)."""
        if len(self) == 0:
            return 0
        pos = bisect_left(self.starts, day)
        row = self.row_of_position(pos) if pos < len(self.ids) else len(self)
        # Flag rows just before that event may fall on or after *day* too.
        while row > 0:
            k = bisect_left(self._flag_rows, row - 1)
            if k < len(self._flag_rows) and self._flag_rows[k] == row - 1 and self._flag_days[k] >= day:
                row -= 1
            else:
                break
        return min(row, len(self) - 1)

    def row_for_event(self, event_id: int, day: int | None) -> int | None:
        pos = self.position_of(event_id, day)
        return None if pos is None else self.row_of_position(pos)

    def row_for_flag(self, flag: Flag) -> int | None:
        for row, shown in zip(self._flag_rows, self._flag_at_row):
            if shown.key == flag.key:
                return row
        for pos, marks in self._marks.items():
            if any(mark.key == flag.key for mark in marks):
                return self.row_of_position(pos)
        return None

    def next_flag_row(self, after: int, breaches_only: bool = False) -> int | None:
        rows = self._nav_breach_rows if breaches_only else self._nav_rows
        k = bisect_right(rows, after)
        return rows[k] if k < len(rows) else None

    def previous_flag_row(self, before: int, breaches_only: bool = False) -> int | None:
        rows = self._nav_breach_rows if breaches_only else self._nav_rows
        k = bisect_left(rows, before)
        return rows[k - 1] if k > 0 else None

    def rows_of_flags_matching(self, text: str) -> list[int]:
        """Flag rows whose message contains *text* (case-insensitive), for search."""
        needle = text.strip().lower()
        if not needle:
            return []
        return [row for row, flag in zip(self._flag_rows, self._flag_at_row) if needle in flag.message.lower()]


class EventPages:
    """Events fetched by id a page at a time, keeping the most recently used pages.

    Args:
        conn: the open database.
        ids: the ordered ids (:func:`load_order`).
        page_size: events per query: about a tall screen, so the first paint reads no more.
        max_pages: pages kept in memory.
    """

    def __init__(self, conn: sqlite3.Connection, ids: Sequence[int], page_size: int = 64, max_pages: int = 256):
        self.conn = conn
        self.ids = ids
        self.page_size = page_size
        self.max_pages = max_pages
        self._pages: OrderedDict[int, dict[int, Event]] = OrderedDict()
        self.fetches = 0  # how many queries ran (benchmarks and tests read it)

    def event_at(self, position: int) -> Event | None:
        """The event at *position*, fetching its page when needed."""
        page = position // self.page_size
        events = self._pages.get(page)
        if events is None:
            chunk = self.ids[page * self.page_size : (page + 1) * self.page_size]
            events = get_events(self.conn, list(chunk))
            self.fetches += 1
            self._pages[page] = events
            if len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return events.get(int(self.ids[position]))


# --- Ages -----------------------------------------------------------------------------------


def _years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_text(born: DateRange, at: DateRange) -> str:
    """A child's age at an event, honest about imprecision: ``9y``, ``9-10y``, ``7m``.

    Returns ``""`` when the event is before the child was born.
    """
    if at.end < born.start:
        return ""
    youngest = _years_between(born.end, at.start) if at.start >= born.end else 0
    oldest = _years_between(born.start, at.end)
    if oldest < 1:
        months = (at.end.year - born.start.year) * 12 + at.end.month - born.start.month
        return f"{max(months, 0)}m"
    return f"{youngest}y" if youngest == oldest else f"{youngest}-{oldest}y"


def child_for_event(event: Event, children: Mapping[str, Person]) -> Person | None:
    """The child an event is about: its subject, or the only child with a known birth date."""
    if event.subject and event.subject in children:
        return children[event.subject]
    born = [person for person in children.values() if person.born is not None]
    return born[0] if len(born) == 1 else None


# --- Lanes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    """A span on a lane: ``start``/``end`` day ordinals (inclusive), a label, a colour slot."""

    start: int
    end: int
    label: str
    slot: int = 0
    event_id: int | None = None


@dataclass
class Lane:
    """One row of the lanes strip.

    Attributes:
        name: the label at the left ("Worker", "CIN", "Visits F"...).
        kind: ``bars``, ``ticks`` or ``marks``.
        bars: spans, for ``bars`` lanes.
        ticks: sorted day ordinals, for ``ticks`` lanes (may be long: projected by bisect).
        marks: ``(day, severity)`` pairs for ``marks`` lanes, sorted.
    """

    name: str
    kind: str
    bars: list[Bar] = field(default_factory=list)
    ticks: array = field(default_factory=lambda: array("l"))
    marks: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Lanes:
    """Everything the lanes strip draws, and the case's span of days."""

    first: int
    last: int
    lanes: list[Lane]


_LANE_KINDS = (
    ("worker_allocated",)
    + tuple(kind for _, start, end in STATUS_LANES for kind in (start, end))
    + tuple(kind for _, start, end in COMPLAINT_STAGES for kind in (start, end))
    + ("ombudsman_complaint",)
    + VISIT_KINDS
)


def load_lane_rows(conn: sqlite3.Connection, case_id: str) -> list[tuple]:
    """``(id, kind, subject, actor, start_ordinal, end_ordinal)`` for the kinds lanes draw."""
    marks = ",".join("?" * len(_LANE_KINDS))
    cache: dict[str, int] = {}
    rows = []
    cursor = conn.execute(
        f"SELECT id, kind, subject, actor, date_start, date_end FROM events "
        f"WHERE case_id = ? AND kind IN ({marks}) {ORDER}",
        (case_id, *_LANE_KINDS),
    )
    while batch := cursor.fetchmany(65536):
        for event_id, kind, subject, actor, start, end in batch:
            first = _ordinal(start, cache)
            last = _last_ordinal(end, cache) if end else _last_ordinal(start, cache)
            rows.append((int(event_id), kind, subject or "", actor or "", first, max(first, last)))
    return rows


def _last_ordinal(text: object, cache: dict[str, int]) -> int:
    key = "end:" + str(text)
    found = cache.get(key)
    if found is None:
        try:
            found = parse_date_field(str(text)).end.toordinal()
        except DateError:
            found = 1
        cache[key] = found
    return found


def _status_bars(rows: Sequence[tuple], start_kind: str, end_kind: str, last: int, label: str) -> list[Bar]:
    bars: list[Bar] = []
    opened: tuple | None = None
    for row in rows:
        if row[1] == start_kind and opened is None:
            opened = row
        elif row[1] == end_kind and opened is not None:
            bars.append(Bar(opened[4], max(opened[4], row[4]), label, 0, opened[0]))
            opened = None
    if opened is not None:
        bars.append(Bar(opened[4], max(opened[4], last), label, 0, opened[0]))
    return bars


def build_lanes(
    rows: Sequence[tuple],
    flags: Iterable[Flag],
    people: Mapping[str, Person] | None = None,
    first: int | None = None,
    last: int | None = None,
    max_lanes: int = 8,
) -> Lanes:
    """Build the lanes from :func:`load_lane_rows` output and the flags.

    Args:
        rows: lane events in date order.
        flags: flags to mark.
        people: names for worker labels (by person id).
        first: the case's first day (ordinal); defaults to the first lane event.
        last: the case's last day; open plans and the last worker run until then.
        max_lanes: lanes that fit; per-child lanes are used only when they fit.
    """
    people = people or {}
    flag_list = sorted(flags, key=lambda f: f.sort_key)
    days = [r[4] for r in rows] + [f.start.toordinal() for f in flag_list]
    first = first if first is not None else (min(days) if days else date.today().toordinal())
    last = last if last is not None else (max([r[5] for r in rows] + [f.end.toordinal() for f in flag_list] + [first]))

    lanes: list[Lane] = []
    workers = [r for r in rows if r[1] == "worker_allocated"]
    if workers:
        lane = Lane("Worker", "bars")
        slots: dict[str, int] = {}
        for i, row in enumerate(workers):
            end = workers[i + 1][4] - 1 if i + 1 < len(workers) else last
            who = row[3] or "?"
            slot = slots.setdefault(who, len(slots))
            name = people[who].name if who in people else who
            lane.bars.append(Bar(row[4], max(row[4], end), name, slot, row[0]))
        lanes.append(lane)

    subjects = sorted({r[2] for r in rows if r[2]})

    def status_and_visits(selected: Sequence[tuple], suffix: str) -> list[Lane]:
        found: list[Lane] = []
        for name, start_kind, end_kind in STATUS_LANES:
            bars = _status_bars(selected, start_kind, end_kind, last, name)
            if bars:
                found.append(Lane(f"{name}{suffix}", "bars", bars=bars))
        complaint = Lane(f"Complaint{suffix}", "bars")
        for stage, start_kind, end_kind in COMPLAINT_STAGES:
            for bar in _status_bars(selected, start_kind, end_kind, last, f"stage {stage}"):
                complaint.bars.append(Bar(bar.start, bar.end, bar.label, int(stage), bar.event_id))
        if complaint.bars:
            complaint.bars.sort(key=lambda b: b.start)
            found.append(complaint)
        ticks = array("l", sorted(r[4] for r in selected if r[1] in VISIT_KINDS))
        if ticks:
            found.append(Lane(f"Visits{suffix}", "ticks", ticks=ticks))
        return found

    flag_lane = Lane("Flags", "marks", marks=[(f.start.toordinal(), f.severity) for f in flag_list])
    combined = status_and_visits(rows, "")
    if len(subjects) > 1:
        per_child: list[Lane] = []
        for subject in subjects:
            # Events with no subject concern every child.
            per_child.extend(status_and_visits([r for r in rows if r[2] in ("", subject)], f" {subject}"))
        if len(lanes) + len(per_child) + 1 <= max_lanes:
            combined = per_child
    lanes.extend(combined)
    lanes.append(flag_lane)
    return Lanes(first, max(first, last), lanes[:max_lanes])


ZOOM_LEVELS: tuple[tuple[str, int | None], ...] = (
    ("whole case", None),
    ("year", 366),
    ("quarter", 92),
    ("month", 31),
)


def zoom_span(level: int, first: int, last: int, cursor: int) -> tuple[int, int]:
    """The days the lanes show at zoom *level* (an index into :data:`ZOOM_LEVELS`).

    Whole case shows ``first..last``; other levels a window of that length around *cursor*,
    kept inside the case where the case is longer than the window.
    """
    _, length = ZOOM_LEVELS[max(0, min(level, len(ZOOM_LEVELS) - 1))]
    if length is None or last - first + 1 <= length:
        return first, max(last, first + 1)
    start = cursor - length // 2
    start = max(first, min(start, last - length + 1))
    return start, start + length - 1


def column_of(day: int, start: int, end: int, width: int) -> int | None:
    """The column (0..width-1) showing *day*, or ``None`` when outside ``start..end``."""
    if width <= 0 or day < start or day > end:
        return None
    span = end - start + 1
    return min(width - 1, (day - start) * width // span)


def date_of_column(column: int, start: int, end: int, width: int) -> int:
    """The first day a column shows (the inverse of :func:`column_of`)."""
    span = end - start + 1
    column = max(0, min(column, width - 1))
    return start + -(-column * span // width)


def project_bars(bars: Sequence[Bar], start: int, end: int, width: int) -> list[int]:
    """For each column, the index of the bar covering it (the later bar wins), else ``-1``."""
    cells = [-1] * width
    for i, bar in enumerate(bars):
        if bar.end < start or bar.start > end:
            continue
        a = column_of(max(bar.start, start), start, end, width)
        b = column_of(min(bar.end, end), start, end, width)
        if a is None or b is None:
            continue
        for col in range(a, b + 1):
            cells[col] = i
    return cells


def project_counts(days: Sequence[int], start: int, end: int, width: int) -> list[int]:
    """How many of the sorted *days* fall in each column (O(width log n), fine for 1M ticks)."""
    counts = []
    lo = bisect_left(days, start)
    for col in range(width):
        next_day = date_of_column(col + 1, start, end, width) if col + 1 < width else end + 1
        hi = bisect_left(days, next_day, lo)
        counts.append(hi - lo)
        lo = hi
    return counts


def day_label(day: int) -> str:
    """``Sep 2021`` for an ordinal (lane axis labels)."""
    d = date.fromordinal(day)
    return d.strftime("%b %Y")

