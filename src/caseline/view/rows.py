"""The timeline as rows: events (as compact arrays) merged with flag rows, free of any UI.

A case may hold a million events, so nothing here keeps an object per event:

* :class:`RowModel` merges the ordered ids and start days
  (:func:`caseline.store.timeline.load_order`) with the flags (a
  :class:`~caseline.flag_table.FlagTable`): a flag becomes a *row* of its own (a gap after
  the event it starts from, a missed deadline or review at its due date...) or, for a worker
  change, a mark on the event row. Row numbers are mapped to events by bisecting a short list
  of flag-row positions, so the merge costs O(flags), not O(events); marks are two arrays.
* :class:`EventPages` fetches :class:`~caseline.model.Event` objects a page at a time by id.

Invariant: ``ids[i]`` and ``starts[i]`` describe the same event, and ``starts`` never decreases.
"""

from __future__ import annotations

import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from caseline.flag_table import FlagTable
from caseline.model import Event, Flag
from caseline.store import get_events

__all__ = ["Row", "RowModel", "EventPages", "IdPositions", "IndexDays", "id_positions", "flag_day", "arose_event", "INLINE_KINDS", "DUE_KINDS"]

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
    return date.fromordinal(_placed_day(flag.kind, flag.start.toordinal(), flag.end.toordinal(),
                                        flag.due.toordinal() if flag.due is not None else 0))


def _placed_day(kind: str, start: int, end: int, due: int) -> int:
    """:func:`flag_day` in day ordinals (*due* 0: none)."""
    if kind in DUE_KINDS and due:
        # A late answer whose due day (on the latest reading) falls after it sits at the answer.
        return min(due, end) if end >= start else due
    return start


def arose_event(flag: Flag, stability_threshold: int = 3) -> int | None:
    """The event a flag arose at, which its row follows; ``None`` for a flag placed by date.

    A gap arises at the event it runs from; a stability flag at the change that reached the
    threshold (its events are the allocation in post as the window opens, then each change:
    the third change within twelve months is ``events[3]``), not at the first or the last;
    other flags at the last event they rest on.
    """
    return _arose(flag.kind, flag.events, stability_threshold)


def _arose(kind: str, events: Sequence[int], stability_threshold: int) -> int | None:
    if kind in DUE_KINDS or not events:
        return None
    if kind == "gap":
        return events[0]
    if kind == "worker_stability":
        return events[min(len(events) - 1, max(0, stability_threshold))]
    return events[-1]


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
        # Columns, not records: a long case's hundreds of thousands of flags are placed by
        # their days, codes and event ids, and a record is made only for a row being shown.
        table = FlagTable.from_flags(flags)  # (in sort order, as the engine makes them)
        position_of = self.position_of
        if self._positions is not None and isinstance(anchors, IndexDays) and anchors.positions is self._positions:
            find = self._positions.get  # the anchors are this index's: one look-up, not two
        else:
            def find(event_id: int) -> int | None:
                return position_of(event_id, anchors.get(event_id))
        if require_shown_event:
            shown = _membership(ids)
            table = table.select(i for i in range(len(table)) if (  # (no list of every index)
                any(map(shown, table.events_of(i))) if table.last_event(i) is not None else keep_eventless))
        self.flags = table
        kind_codes, kind_values = table.codes("kind")
        inline = {code for code, kind in enumerate(kind_values) if kind in INLINE_KINDS}
        mark_positions, mark_flags, placed = array("i"), array("i"), array("i")
        for index, last in enumerate(table.iter_last_events()):
            if last is not None and kind_codes[index] in inline:
                pos = find(last)
                if pos is not None:
                    mark_positions.append(pos)
                    mark_flags.append(index)
                    continue
            placed.append(index)
        if any(mark_positions[k] > mark_positions[k + 1] for k in range(len(mark_positions) - 1)):
            order = sorted(range(len(mark_positions)), key=mark_positions.__getitem__)  # stable: flag order kept
            mark_positions = array("i", (mark_positions[k] for k in order))
            mark_flags = array("i", (mark_flags[k] for k in order))
        self._mark_positions, self._mark_flags = mark_positions, mark_flags  # event position -> inline flags
        # Flag rows: (event position, day, flag index); indexes follow sort order, so the
        # sort keeps it among rows at the same place. Arrays: a whole extract has 200,000.
        starts_, ends_, dues_ = table.days("starts"), table.days("ends"), table.days("dues")
        at, days, shown = array("i"), array("i"), placed
        for index in placed:
            kind = kind_values[kind_codes[index]]
            pos, day = self._placement(_arose(kind, table.events_of(index), stability_threshold), anchors, find,
                                       _placed_day(kind, starts_[index], ends_[index], dues_[index]))
            at.append(pos)
            days.append(day)
        # By place, then day, then flag order: mostly so already (the flags come by date).
        if any((at[k], days[k]) > (at[k + 1], days[k + 1]) for k in range(len(at) - 1)):
            # Sorted as one int each (place, day, then k for flag order), not a tuple each.
            k_bits, day_bits = max(1, len(at).bit_length()), 23  # (the calendar's last day is < 2**22)
            order = sorted((((at[k] << day_bits) | days[k]) << k_bits) | k for k in range(len(at)))
            mask = (1 << k_bits) - 1
            at, days, shown = (array("i", (column[v & mask] for v in order)) for column in (at, days, shown))
        self._insert_positions = at
        self._flag_rows = array("i", (pos + k for k, pos in enumerate(at)))
        self._flag_at_row = shown  # indexes into self.flags
        self._flag_days = days
        self._nav_rows, self._nav_breach_rows = self._navigation()

    def _navigation(self) -> tuple[array, array]:
        """The rows n/N stop at (flag rows, and event rows carrying marks), and those of them
        that are breaches: two sorted runs merged into arrays, with no tuple a mark."""
        codes, values = self.flags.codes("severity")
        breach = {code for code, value in enumerate(values) if value == "breach"}
        flag_rows, flag_at_row = self._flag_rows, self._flag_at_row
        rows, breach_rows = array("i"), array("i")
        positions, flags, inserted = self._mark_positions, self._mark_flags, self._insert_positions
        k, count, f, flag_count = 0, len(positions), 0, len(flag_rows)
        while k < count or f < flag_count:
            if k < count:
                pos = positions[k]
                mark_row, worst = pos + bisect_right(inserted, pos), codes[flags[k]] in breach
                k += 1
                while k < count and positions[k] == pos:  # each marked event once, at its worst
                    worst = worst or codes[flags[k]] in breach
                    k += 1
            else:
                mark_row = None
            while f < flag_count and (mark_row is None or flag_rows[f] < mark_row):
                rows.append(flag_rows[f])
                if codes[flag_at_row[f]] in breach:
                    breach_rows.append(flag_rows[f])
                f += 1
            if mark_row is not None:
                rows.append(mark_row)
                if worst:
                    breach_rows.append(mark_row)
        return rows, breach_rows

    # Placement -------------------------------------------------------------------------------

    def _placement(self, anchor: int | None, anchors: Mapping[int, int], find: Callable[[int], int | None],
                   day: int) -> tuple[int, int]:
        """The event position a flag row is inserted before, and the day the row stands for:
        after the event it arose at (*anchor*), else at *day*."""
        if anchor is not None:
            pos = find(anchor)
            if pos is not None:
                return pos + 1, int(self.starts[pos])
            found = anchors.get(anchor)
            if found is not None:  # hidden by a filter: the same place by date
                return bisect_right(self.starts, found), found
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
        return self._flag_rows.tolist()

    def row_of_position(self, pos: int) -> int:
        """The row number of the event at array position *pos*."""
        return pos + bisect_right(self._insert_positions, pos)

    def row(self, index: int) -> Row:
        """Describe row *index* (0 <= index < len(self))."""
        if not 0 <= index < len(self):
            raise IndexError(index)
        k = bisect_left(self._flag_rows, index)
        if k < len(self._flag_rows) and self._flag_rows[k] == index:
            return Row(index, None, None, self.flags[self._flag_at_row[k]], (), self._flag_days[k])
        pos = index - k
        return Row(index, int(self.ids[pos]), pos, None, self._marks_at(pos), int(self.starts[pos]))

    def _marks_at(self, pos: int) -> tuple[Flag, ...]:
        positions = self._mark_positions
        lo = bisect_left(positions, pos)
        if lo == len(positions) or positions[lo] != pos:
            return ()
        hi = bisect_right(positions, pos, lo)
        return tuple(self.flags[i] for i in self._mark_flags[lo:hi])

    def flags_of_event(self, event_id: int) -> list[Flag]:
        """The flags shown that rest on *event_id*, in order."""
        return [self.flags[i] for i in self.flags.resting_on(event_id)]

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
        try:
            index = self.flags.index(flag)
        except ValueError:
            return None
        for row, shown in zip(self._flag_rows, self._flag_at_row):
            if shown == index:
                return row
        try:
            return self.row_of_position(self._mark_positions[self._mark_flags.index(index)])
        except ValueError:
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
        """Each shown flag's day on the timeline (where its row or mark sits), by key (for
        tests and small cases; the lanes take :meth:`flag_marks`)."""
        flags = self.flags
        days = {flags.key(index): day for index, day in zip(self._flag_at_row, self._flag_days)}
        for pos, index in zip(self._mark_positions, self._mark_flags):
            days[flags.key(index)] = int(self.starts[pos])
        return days

    def flag_marks(self, skip_kinds: Collection[str] = ()) -> set[tuple[int, str]]:
        """The (day, severity) the lanes mark: each shown flag (but those of *skip_kinds*) at
        the day its row or mark sits (so a stability flag shows where it arose), once per day
        and severity."""
        codes, values = self.flags.codes("severity")
        kind_codes, kinds = self.flags.codes("kind")
        skipped = {code for code, kind in enumerate(kinds) if kind in skip_kinds}
        marks = {(day, values[codes[index]]) for index, day in zip(self._flag_at_row, self._flag_days)
                 if kind_codes[index] not in skipped}
        starts = self.starts
        marks.update({(int(starts[pos]), values[codes[index]])
                      for pos, index in zip(self._mark_positions, self._mark_flags)
                      if kind_codes[index] not in skipped})
        return marks

    def flag_row_indexes(self) -> array:
        """Indexes into :attr:`flags` of the flags shown as rows of their own (not marks on
        events), in row order."""
        return self._flag_at_row

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
        matching = set(self.flags.matching(needle, self._flag_at_row))
        return [row for row, index in zip(self._flag_rows, self._flag_at_row) if index in matching]


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


def _membership(ids: Sequence[int]) -> Callable[[int], bool]:
    """Whether an id is among *ids*: a byte per id of their span when that is small enough
    (a filtered whole extract: ten million bytes against a set of several hundred thousand
    ints), else a set."""
    if not len(ids):
        return lambda event_id: False
    base = min(ids)
    span = max(ids) - base + 1
    if span > 16 * len(ids) + (1 << 20) or span > (1 << 28):
        return set(ids).__contains__
    shown = bytearray(span)
    for event_id in ids:
        shown[event_id - base] = 1

    def contains(event_id: int) -> bool:
        k = event_id - base
        return 0 <= k < span and shown[k] == 1

    return contains


class IndexDays(Mapping[int, int]):
    """Events' start days by id, looked up in the whole index in memory (the explorer's
    anchors for a long case's flags: a look-up, where a dict would copy a million)."""

    __slots__ = ("positions", "starts")

    def __init__(self, positions: IdPositions, starts: Sequence[int]) -> None:
        self.positions, self.starts = positions, starts

    def get(self, event_id: int, default: int | None = None) -> int | None:  # type: ignore[override]
        at = self.positions.get(event_id)
        return default if at is None else self.starts[at]

    def __getitem__(self, event_id: int) -> int:
        found = self.get(event_id)
        if found is None:
            raise KeyError(event_id)
        return found

    def __iter__(self):
        return iter(self.positions.ids)

    def __len__(self) -> int:
        return len(self.positions.ids)


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
