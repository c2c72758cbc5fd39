"""The timeline as rows: events (as compact arrays) merged with flag rows, free of any UI.

A case may hold a million events, so nothing here keeps an object per event:

* :class:`RowModel` merges the ordered ids and start days
  (:func:`caseline.store.timeline.load_order`) with the flags: a flag becomes a *row* of its
  own (a gap after the event it starts from, a missed deadline or review at its due date...)
  or, for a worker change, a mark on the event row. Row numbers are mapped to events by
  bisecting a short list of flag-row positions, so the merge costs O(flags), not O(events).
* :class:`EventPages` fetches :class:`~caseline.model.Event` objects a page at a time by id.

Invariant: ``ids[i]`` and ``starts[i]`` describe the same event, and ``starts`` never decreases.
"""

from __future__ import annotations

import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

from caseline.model import Event, Flag
from caseline.store import get_events
from caseline.view.labels import worst_severity

__all__ = ["Row", "RowModel", "EventPages", "IdPositions", "id_positions", "flag_day", "arose_event", "INLINE_KINDS", "DUE_KINDS"]

#: Flag kinds shown as a mark on an event row rather than as a row of their own.
INLINE_KINDS = frozenset({"worker_change"})
#: Flag kinds placed at the date something was due ("phantom" rows for what did not happen).
DUE_KINDS = frozenset({"deadline", "review", "precondition", "coverage"})


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
        # A late answer whose due day (on the latest reading) falls after it sits at the answer.
        return min(flag.due, flag.end) if flag.end >= flag.start else flag.due
    return flag.start


def arose_event(flag: Flag, stability_threshold: int = 3) -> int | None:
    """The event a flag arose at, which its row follows; ``None`` for a flag placed by date.

    A gap arises at the event it runs from; a stability flag at the change that reached the
    threshold (its events are the allocation in post as the window opens, then each change:
    the third change within twelve months is ``events[3]``), not at the first or the last;
    other flags at the last event they rest on.
    """
    if flag.kind in DUE_KINDS or not flag.events:
        return None
    if flag.kind == "gap":
        return flag.events[0]
    if flag.kind == "worker_stability":
        return flag.events[min(len(flag.events) - 1, max(0, stability_threshold))]
    return flag.events[-1]


class RowModel:
    """Events (as arrays) merged with flag rows, addressed by row number.

    Args:
        ids: event ids in date order.
        starts: start-day ordinals, parallel to *ids*.
        flags: the flags to show.
        anchors: start-day ordinals of the events flags rest on (:func:`anchor_dates`),
            including events a filter hides: a flag row sits at the date it arose whether
            or not that event is shown. Missing anchors fall back to the flag's date.
        reach: running maximum of the events' last days (:func:`load_index`); lets
            :meth:`row_for_day` land on an event whose range contains the day.
        stability_threshold: workers within the window that make a stability flag.
        require_shown_event: drop flags none of whose events are among *ids* (an event
            filter is on: rows it hides must not come back as flags or marks).
        keep_eventless: with *require_shown_event*, still show flags resting on no event.
        positions: :func:`id_positions` of these *ids*, when built: an event's position is
            then one look-up rather than a search of its day.
    """

    def __init__(
        self,
        ids: Sequence[int],
        starts: Sequence[int],
        flags: Iterable[Flag] = (),
        anchors: Mapping[int, int] | None = None,
        reach: Sequence[int] | None = None,
        *,
        stability_threshold: int = 3,
        require_shown_event: bool = False,
        keep_eventless: bool = True,
        positions: IdPositions | None = None,
    ) -> None:
        if len(ids) != len(starts) or (reach is not None and len(reach) != len(ids)):
            raise ValueError("ids, starts and reach must be parallel")
        self.ids = ids
        self.starts = starts
        self.reach = reach
        self._positions = positions if positions is not None and positions.ids is ids else None
        anchors = anchors or {}
        self.anchors = anchors
        if require_shown_event:
            flags = [flag for flag in flags if (keep_eventless if not flag.events else
                     any(self.position_of(e, anchors.get(e)) is not None for e in flag.events))]
        # Each flag's sort key is worked out once (a long case has ~70,000 flags); the
        # analysis hands them over sorted, so the sort is a pass that finds them in order.
        chosen = [(flag.sort_key, flag) for flag in flags]
        chosen.sort(key=itemgetter(0))
        self.flags: list[Flag] = [flag for _, flag in chosen]
        by_event: dict[int, list[Flag]] = {}
        for flag in self.flags:
            for event_id in flag.events:
                found = by_event.get(event_id)
                if found is None:
                    by_event[event_id] = [flag]
                else:
                    found.append(flag)
        self.flags_by_event = by_event
        self._marks: dict[int, list[Flag]] = {}  # event position -> inline flags
        marks = self._marks
        inserts: list[tuple[int, int, tuple, Flag]] = []  # (event position, day, sort key, flag)
        position_of = self.position_of
        for key, flag in chosen:
            if flag.kind in INLINE_KINDS and flag.events:
                last = flag.events[-1]
                pos = position_of(last, anchors.get(last))
                if pos is not None:
                    found = marks.get(pos)
                    if found is None:
                        marks[pos] = [flag]
                    else:
                        found.append(flag)
                    continue
            pos, day = self._placement(flag, anchors, stability_threshold)
            inserts.append((pos, day, key, flag))
        inserts.sort(key=itemgetter(0, 1, 2))
        self._insert_positions = [insert[0] for insert in inserts]
        self._flag_rows = [insert[0] + k for k, insert in enumerate(inserts)]
        self._flag_at_row = [insert[3] for insert in inserts]
        self._flag_days = [insert[1] for insert in inserts]
        # Rows n/N stop at: flag rows and event rows carrying marks, with their severities.
        nav = [(row, flag.severity) for row, flag in zip(self._flag_rows, self._flag_at_row)]
        inserted = self._insert_positions
        nav.extend((pos + bisect_right(inserted, pos), found[0].severity if len(found) == 1 else worst_severity(found))
                   for pos, found in marks.items())  # (most marked events carry one flag)
        nav.sort()
        self._nav_rows = [row for row, _ in nav]
        self._nav_breach_rows = [row for row, severity in nav if severity == "breach"]

    # Placement -------------------------------------------------------------------------------

    def _placement(self, flag: Flag, anchors: Mapping[int, int], stability_threshold: int) -> tuple[int, int]:
        """The event position a flag row is inserted before, and the day the row stands for."""
        anchor = arose_event(flag, stability_threshold)
        if anchor is not None:
            day = anchors.get(anchor)
            pos = self.position_of(anchor, day)
            if pos is not None:
                return pos + 1, int(self.starts[pos])
            if day is not None:  # hidden by a filter: the same place by date
                return bisect_right(self.starts, day), day
        day = flag_day(flag).toordinal()
        return bisect_right(self.starts, day), day

    def position_of(self, event_id: int, day: int | None) -> int | None:
        """Index of *event_id* in the arrays, searching only among events of its start day."""
        if day is None:
            return None
        if self._positions is not None:
            return self._positions.get(event_id)
        lo, hi = bisect_left(self.starts, day), bisect_right(self.starts, day)
        if lo >= hi:
            return None
        return self._find(event_id, lo, hi)

    def _find(self, event_id: int, lo: int, hi: int) -> int | None:
        """Index of *event_id* among ``ids[lo:hi]`` (one day's events). A day's events run
        mostly in id order (those ending that day come first, by id), so a bisection usually
        lands on it at once; otherwise a C loop over the day's events."""
        ids = self.ids
        guess = bisect_left(ids, event_id, lo, hi)
        if guess < hi and ids[guess] == event_id:
            return guess
        try:
            return ids.index(event_id, lo, hi)
        except ValueError:
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
        """Where going to *day* lands: the first row whose range contains it, else the first after.

        An event row's range is its dates (without *reach*, its first day); a flag row stands
        for one day, where it arose or when something was due. Rows' first days never
        decrease down the timeline, so both answers are found by bisection. The last row
        when every row is earlier.
        """
        if len(self) == 0:
            return 0
        after = bisect_right(self.starts, day)  # events from here on start after *day*
        candidates = []
        if self.reach is not None:
            pos = bisect_left(self.reach, day)  # the first event whose range reaches *day*
            if pos < after:
                candidates.append(self.row_of_position(pos))
        else:
            pos = bisect_left(self.starts, day)
            if pos < after:
                candidates.append(self.row_of_position(pos))
        k = bisect_left(self._flag_days, day)
        if k < len(self._flag_days) and self._flag_days[k] == day:
            candidates.append(self._flag_rows[k])
        if not candidates:  # nothing contains the day: the first row after it
            if after < len(self.ids):
                candidates.append(self.row_of_position(after))
            if k < len(self._flag_days):
                candidates.append(self._flag_rows[k])
        return min(candidates) if candidates else len(self) - 1

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

    def flag_days(self) -> dict[str, int]:
        """Each shown flag's day on the timeline (where its row or mark sits), by key: the
        lanes mark flags on the same day, so a stability flag shows where it arose."""
        days = {flag.key: day for flag, day in zip(self._flag_at_row, self._flag_days)}
        for pos, marks in self._marks.items():
            for flag in marks:
                days[flag.key] = int(self.starts[pos])
        return days

    def rows_of_events(self, ids: Sequence[int], starts: Sequence[int]) -> list[int]:
        """Row numbers of events given by id and start day (search answers), in row order;
        events not in this model are left out. O(matches x log n), no map of every event."""
        if self._positions is not None:
            get = self._positions.get
            positions = sorted(p for p in map(get, ids) if p is not None)
            return self._rows_of_positions(positions)
        by_day: dict[int, list[int]] = {}
        for event_id, day in zip(ids, starts):
            by_day.setdefault(day, []).append(event_id)
        positions = []
        all_ids, all_starts = self.ids, self.starts
        for day, wanted in by_day.items():
            lo, hi = bisect_left(all_starts, day), bisect_right(all_starts, day)
            where: dict[int, int] | None = None
            for event_id in wanted:
                guess = bisect_left(all_ids, event_id, lo, hi)
                if guess < hi and all_ids[guess] == event_id:
                    positions.append(guess)
                    continue
                # Out of id order (events ending later come later in their day).
                if where is None and len(wanted) * 8 < hi - lo:  # a few: a C scan each
                    try:
                        positions.append(all_ids.index(event_id, lo, hi))
                    except ValueError:
                        pass
                    continue
                if where is None:  # many: one map of the day's events, not a scan each
                    where = dict(zip(all_ids[lo:hi], range(lo, hi)))
                pos = where.get(event_id)
                if pos is not None:
                    positions.append(pos)
        positions.sort()
        return self._rows_of_positions(positions)

    def _rows_of_positions(self, positions: list[int]) -> list[int]:
        """Row numbers of sorted event positions, in one walk along the flag rows' positions."""
        inserts = self._insert_positions
        rows, k, count = [], 0, len(inserts)
        for pos in positions:
            while k < count and inserts[k] <= pos:
                k += 1
            rows.append(pos + k)
        return rows

    @property
    def has_positions(self) -> bool:
        """Whether events are found by id in one look-up (:func:`id_positions` of these ids)."""
        return self._positions is not None

    def rows_of_ids(self, batches: Iterable[Sequence[int]], limit: int) -> tuple[list[int], bool]:
        """Rows of the ids in *batches* that are among this model's events (others, e.g.
        another case's, are passed over), reading batches until *limit* are found; with
        whether there were more. Needs :attr:`has_positions`."""
        if self._positions is None:
            raise ValueError("rows_of_ids needs the id-to-position table")
        get = self._positions.get
        found: list[int] = []
        for batch in batches:
            found.extend(p for p in map(get, batch) if p is not None)
            if len(found) > limit:
                break
        more = len(found) > limit
        found = sorted(found[:limit])
        return self._rows_of_positions(found), more

    def rows_of_flags_matching(self, text: str) -> list[int]:
        """Flag rows whose message contains *text* (case-insensitive), for search."""
        needle = text.strip().lower()
        if not needle:
            return []
        return [row for row, flag in zip(self._flag_rows, self._flag_at_row) if needle in flag.message.lower()]


class IdPositions:
    """Where each event sits in the ordered ids, by id: ``array('i')`` indexed by ``id - base``
    (4 bytes an id in the span, 40 MB for ten million), for ids dense enough (a case's own
    database); see :func:`id_positions`."""

    __slots__ = ("ids", "base", "table")

    def __init__(self, ids: array, base: int, table: array) -> None:
        self.ids, self.base, self.table = ids, base, table

    def get(self, event_id: int) -> int | None:
        k = event_id - self.base
        if 0 <= k < len(self.table):
            found = self.table[k]
            return found - 1 if found else None
        return None


def id_positions(ids: array, max_span_per_id: float = 2.0) -> IdPositions | None:
    """The id-to-position table of *ids* (build it off the UI thread: ~1 s for ten million),
    or ``None`` when the ids are too sparse for one (a case among many in a database)."""
    if not len(ids):
        return None
    base = min(ids)
    span = max(ids) - base + 1
    if span > max_span_per_id * len(ids) + 1024 or len(ids) >= 2**31 - 1:
        return None
    table = array("i", bytes(4 * span))
    for position, event_id in enumerate(ids, 1):
        table[event_id - base] = position
    return IdPositions(ids, base, table)


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
