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
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from caseline.model import Event, Flag
from caseline.store import get_events
from caseline.view.labels import worst_severity

__all__ = ["Row", "RowModel", "EventPages", "flag_day", "INLINE_KINDS", "DUE_KINDS"]

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
            nav.append((self.row_of_position(pos), worst_severity(marks)))
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
