"""Flags held as columns: a long case's hundreds of thousands in a few bytes each.

A :class:`~caseline.model.Flag` record with its key, message and event ids is about 600 bytes;
the 683,000 flags of a ten-million-event case would take 400 MB that way before the timeline
merged them. A :class:`FlagTable` keeps the same flags as arrays (days, small codes for the
repeated strings, the event ids end to end) and their keys and messages compressed a block
at a time, about 80 bytes a flag, and makes a record only when one is asked for.

It is a ``Sequence[Flag]``: iterating or indexing gives records, so any reader of flags reads a
table. Readers of a long case's flags (the timeline's merge, the lanes, counts and filters) use
the columns instead and never make the records at all.

Invariant: a table's flags stand in :attr:`Flag.sort_key` order (what the engine makes), so
views of it (:meth:`FlagTable.where`, :meth:`FlagTable.select`) are in that order too.
"""

from __future__ import annotations

import struct
import threading
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date
from typing import overload

from caseline.model import Flag

__all__ = ["FlagTable", "FlagTableBuilder"]

#: The string fields kept as codes into a list of their distinct values.
CODED = ("kind", "rule", "severity", "certainty", "subject", "status", "citation")
#: Flags whose keys and messages are compressed together (small enough to open for one flag).
BLOCK = 512
_COUNT = struct.Struct("<I")  # how many texts a run holds
#: Blocks kept open (the rows on screen touch a few; a walk in order, one a kind).
_OPEN_BLOCKS = 32


class _Run:
    """Texts end to end, as UTF-8 (one bytes, and where each ends): what a block of keys or
    messages is, stored compressed."""

    __slots__ = ("data", "ends")

    def __init__(self, data: bytes, ends: array) -> None:
        self.data, self.ends = data, ends

    @staticmethod
    def pack(texts: list[str]) -> bytes:
        encoded = [text.encode() for text in texts]
        ends, at = array("I"), 0
        for text in encoded:
            at += len(text)
            ends.append(at)
        return zlib.compress(_COUNT.pack(len(ends)) + ends.tobytes() + b"".join(encoded), 1)

    @classmethod
    def unpack(cls, blob: bytes) -> _Run:
        raw = zlib.decompress(blob)
        count = _COUNT.unpack_from(raw)[0]
        ends = array("I")
        ends.frombytes(raw[_COUNT.size:_COUNT.size + 4 * count])
        return cls(raw[_COUNT.size + 4 * count:], ends)

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, at: int) -> str:
        return self.data[self.ends[at - 1] if at else 0:self.ends[at]].decode()

    def __iter__(self) -> Iterator[str]:
        data, start = self.data, 0
        for end in self.ends:
            yield data[start:end].decode()
            start = end

    def holding(self, needle: str) -> set[int]:
        """Which texts contain *needle* (lower case), ignoring case. Plain ASCII (nearly
        always) is lowered and searched as bytes, the whole run at once; else text by text."""
        if not (needle.isascii() and self.data.isascii()):
            return {at for at, text in enumerate(self) if needle in text.lower()}
        lowered, wanted = self.data.lower(), needle.encode()
        found, ends, at = set(), self.ends, lowered.find(wanted)
        while at >= 0:
            first = bisect_right(ends, at)  # the text the match begins in
            if at + len(wanted) <= ends[first]:  # (not running on into the next)
                found.add(first)
            at = lowered.find(wanted, at + 1)
        return found


class _Columns:
    """The arrays a table and its views share; they only grow, as parts arrive."""

    __slots__ = ("starts", "ends", "dues", "codes", "values", "event_ends", "events", "key_blocks",
                 "message_blocks", "text_at", "block_members", "_open", "_open_lock", "_value_code")

    def __init__(self) -> None:
        self.starts, self.ends, self.dues = array("i"), array("i"), array("i")  # day ordinals; due 0: none
        self.codes = {name: array("H") for name in CODED}
        self.values: dict[str, list[str]] = {name: [] for name in CODED}
        self._value_code: dict[str, dict[str, int]] = {name: {} for name in CODED}
        self.event_ends = array("I")  # flag i's events are events[event_ends[i-1]:event_ends[i]]
        self.events = array("q")
        # The keys, and apart the messages (search opens only those), of up to BLOCK flags
        # each, as compressed runs (:class:`_Run`).
        self.key_blocks: list[bytes] = []
        self.message_blocks: list[bytes] = []
        # Each block holds flags of one kind (a search of the flag rows opens none of the
        # worker changes' blocks): flag p's text is entry text_at[p] % BLOCK of block
        # text_at[p] // BLOCK, whose flags are block_members[block].
        self.text_at = array("I")
        self.block_members: list[array] = []
        self._open: OrderedDict[tuple[bool, int], _Run] = OrderedDict()
        self._open_lock = threading.Lock()  # the screen draws rows while a search reads

    def __len__(self) -> int:
        return len(self.starts)

    def code(self, name: str, value: str) -> int:
        found = self._value_code[name].get(value)
        if found is None:
            found = self._value_code[name][value] = len(self.values[name])
            self.values[name].append(value)
        return found

    def add(self, flags: Sequence[Flag]) -> None:
        """Append *flags* (in sort order) as columns, closing their text into blocks."""
        starts, ends, dues, events, event_ends = self.starts, self.ends, self.dues, self.events, self.event_ends
        for flag in flags:
            starts.append(flag.start.toordinal())
            ends.append(flag.end.toordinal())
            dues.append(flag.due.toordinal() if flag.due is not None else 0)
            events.extend(flag.events)
            event_ends.append(len(events))
        for name in CODED:
            code, column = self.code, self.codes[name]
            # The values repeat (a few rules, three severities): one look-up per distinct one.
            seen: dict[str, int] = {}
            for flag in flags:
                value = getattr(flag, name)
                found = seen.get(value)
                if found is None:
                    found = seen[value] = code(name, value)
                column.append(found)
        first = len(self.starts) - len(flags)
        by_kind: dict[str, list[int]] = {}
        for at, flag in enumerate(flags):
            by_kind.setdefault(flag.kind, []).append(at)
        text_at = array("I", bytes(4 * len(flags)))
        for group in by_kind.values():
            for start in range(0, len(group), BLOCK):
                chunk = group[start:start + BLOCK]
                block = len(self.key_blocks)
                for offset, at in enumerate(chunk):
                    text_at[at] = block * BLOCK + offset
                self.block_members.append(array("i", (first + at for at in chunk)))
                self.key_blocks.append(_Run.pack([flags[at].key for at in chunk]))
                self.message_blocks.append(_Run.pack([flags[at].message for at in chunk]))
        self.text_at.extend(text_at)

    def extend(self, other: _Columns) -> None:
        """Append another builder's columns, its codes translated into these."""
        base, event_base = len(self), len(self.events)
        self.starts.extend(other.starts)
        self.ends.extend(other.ends)
        self.dues.extend(other.dues)
        self.events.extend(other.events)
        self.event_ends.extend(array("I", (end + event_base for end in other.event_ends))
                               if event_base else other.event_ends)
        for name in CODED:
            theirs = other.values[name]
            mapping = [self.code(name, value) for value in theirs]
            if mapping == list(range(len(theirs))):  # the same vocabulary so far: copied as is
                self.codes[name].extend(other.codes[name])
            else:
                self.codes[name].extend(array("H", (mapping[c] for c in other.codes[name])))
        shift = len(self.key_blocks) * BLOCK
        self.text_at.extend(array("I", (at + shift for at in other.text_at)) if shift else other.text_at)
        self.block_members.extend(array("i", (p + base for p in members)) if base else members
                                  for members in other.block_members)
        self.key_blocks.extend(other.key_blocks)
        self.message_blocks.extend(other.message_blocks)

    def text(self, physical: int) -> tuple[str, str]:
        """The key and message of flag *physical*."""
        block, at = divmod(self.text_at[physical], BLOCK)
        return self.run(block)[at], self.run(block, messages=True)[at]

    def run(self, block: int, messages: bool = False) -> _Run:
        """The keys (or the messages) of *block*, opened (the last few are kept open)."""
        key = (messages, block)
        with self._open_lock:
            found = self._open.get(key)
            if found is not None:
                self._open.move_to_end(key)
                return found
        found = _Run.unpack((self.message_blocks if messages else self.key_blocks)[block])
        with self._open_lock:
            self._open[key] = found
            while len(self._open) > 2 * _OPEN_BLOCKS:
                self._open.popitem(last=False)
        return found

    def record(self, physical: int, days: dict[int, date], text: tuple[str, str] | None = None) -> Flag:
        """Flag *physical* as a record (*days* shares date objects between records; *text*,
        its key and message when the caller has its block open)."""
        key, message = text or self.text(physical)
        values, codes = self.values, self.codes
        start, end, due = self.starts[physical], self.ends[physical], self.dues[physical]
        start_day = days.get(start) or days.setdefault(start, date.fromordinal(start))
        end_day = days.get(end) or days.setdefault(end, date.fromordinal(end))
        due_day = (days.get(due) or days.setdefault(due, date.fromordinal(due))) if due else None
        ends = self.event_ends
        return Flag(key, values["kind"][codes["kind"][physical]], values["rule"][codes["rule"][physical]],
                    values["severity"][codes["severity"][physical]],
                    values["certainty"][codes["certainty"][physical]],
                    start_day, end_day, due_day,
                    tuple(self.events[ends[physical - 1] if physical else 0:ends[physical]]),
                    message, values["subject"][codes["subject"][physical]],
                    values["status"][codes["status"][physical]], values["citation"][codes["citation"][physical]])

    def records(self, physicals: Iterable[int], days: dict[int, date]) -> Iterator[Flag]:
        """The records of *physicals*, each run of one block's flags opening it once."""
        last, keys, messages = -1, None, None
        text_at, record, run = self.text_at, self.record, self.run
        for physical in physicals:
            block, at = divmod(text_at[physical], BLOCK)
            if block != last:
                last, keys, messages = block, run(block), run(block, messages=True)
            yield record(physical, days, (keys[at], messages[at]))

    def keys(self, physicals: Iterable[int]) -> Iterator[str]:
        last, keys = -1, None
        text_at, run = self.text_at, self.run
        for physical in physicals:
            block, at = divmod(text_at[physical], BLOCK)
            if block != last:
                last, keys = block, run(block)
            yield keys[at]

    def __getstate__(self):
        return (self.starts, self.ends, self.dues, self.codes, self.values, self.event_ends, self.events,
                self.key_blocks, self.message_blocks, self.text_at, self.block_members)

    def __setstate__(self, state) -> None:
        (self.starts, self.ends, self.dues, self.codes, self.values, self.event_ends, self.events,
         self.key_blocks, self.message_blocks, self.text_at, self.block_members) = state
        self._value_code = {name: {v: c for c, v in enumerate(vals)} for name, vals in self.values.items()}
        self._open = OrderedDict()
        self._open_lock = threading.Lock()


class FlagTable(Sequence[Flag]):
    """Flags in :attr:`Flag.sort_key` order, as columns (see the module's note).

    Indexes are the table's own (0 to ``len - 1``); a view (:meth:`where`, :meth:`select`)
    shares its parent's columns and keeps only which of them it shows.
    """

    __slots__ = ("_columns", "_rows", "_days")

    def __init__(self, columns: _Columns | None = None, rows: array | None = None) -> None:
        self._columns = columns if columns is not None else _Columns()
        self._rows = rows  # physical indexes shown, in order (None: all of them)
        self._days: dict[int, date] = {}

    @classmethod
    def from_flags(cls, flags: Iterable[Flag]) -> FlagTable:
        """A table of *flags* (sorted here when they are not in sort order already)."""
        if isinstance(flags, FlagTable):
            return flags
        chosen = list(flags)
        keys = [flag.sort_key for flag in chosen]
        if any(keys[i] > keys[i + 1] for i in range(len(keys) - 1)):
            order = sorted(range(len(chosen)), key=keys.__getitem__)
            chosen = [chosen[i] for i in order]
        columns = _Columns()
        columns.add(chosen)
        return cls(columns)

    # Sequence --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._columns) if self._rows is None else len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Flag: ...
    @overload
    def __getitem__(self, index: slice) -> FlagTable: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.select(range(len(self))[index])
        return self._columns.record(self.physical(index), self._days)

    def __iter__(self) -> Iterator[Flag]:
        return self._columns.records(self._physical_rows(), self._days)

    def __repr__(self) -> str:
        return f"<FlagTable of {len(self):,} flags>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def index(self, flag: Flag, start: int = 0, stop: int | None = None) -> int:  # type: ignore[override]
        """Where *flag* (by key) stands in this table: found among the flags of its first day."""
        columns, day = self._columns, flag.start.toordinal()
        lo, hi = bisect_left(columns.starts, day), bisect_right(columns.starts, day)
        for physical in range(lo, hi):
            if columns.text(physical)[0] != flag.key:
                continue
            if self._rows is None:
                at = physical
            else:
                at = bisect_left(self._rows, physical)
                if at >= len(self._rows) or self._rows[at] != physical:
                    continue  # (not in this view)
            if start <= at and (stop is None or at < stop):
                return at
        raise ValueError(f"{flag.key} is not in the table")

    def physical(self, index: int) -> int:
        """Where flag *index* of this table sits in the shared columns."""
        rows = self._rows
        count = len(self._columns.starts) if rows is None else len(rows)  # (called per flag: no __len__)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(index)
        return index if rows is None else rows[index]

    def _physical_rows(self) -> Iterable[int]:
        return range(len(self._columns)) if self._rows is None else self._rows

    # Columns ---------------------------------------------------------------------------------

    def days(self, which: str = "starts") -> array:
        """Each flag's first day (``starts``), last day (``ends``) or due day (``dues``, 0:
        none), as day ordinals."""
        column = getattr(self._columns, which)
        return column if self._rows is None else array("i", (column[p] for p in self._rows))

    def events_of(self, index: int) -> array:
        """The ids of the events flag *index* rests on."""
        physical = self.physical(index)
        ends = self._columns.event_ends
        return self._columns.events[ends[physical - 1] if physical else 0:ends[physical]]

    def codes(self, name: str) -> tuple[Sequence[int], list[str]]:
        """Field *name*'s code for each flag, and the values the codes stand for."""
        columns = self._columns
        codes = columns.codes[name]
        return (codes if self._rows is None else array("H", (codes[p] for p in self._rows))), columns.values[name]

    def iter_last_events(self) -> Iterator[int | None]:
        """The last event each flag rests on (``None``: it rests on none)."""
        ends, events = self._columns.event_ends, self._columns.events
        for p in self._physical_rows():
            end = ends[p]
            yield events[end - 1] if end != (ends[p - 1] if p else 0) else None

    def resting_on(self, event_id: int) -> list[int]:
        """The indexes of the flags that rest on event *event_id*, in order (a scan of the
        event ids in C, a few milliseconds for a million)."""
        columns, found, at = self._columns, [], 0
        events, ends = columns.events, columns.event_ends
        while True:
            try:
                at = events.index(event_id, at)
            except ValueError:
                break
            physical = bisect_right(ends, at)
            if self._rows is None:
                found.append(physical)
            else:
                k = bisect_left(self._rows, physical)
                if k < len(self._rows) and self._rows[k] == physical:
                    found.append(k)
            at += 1
        return sorted(set(found))

    def start_days_of_keys(self, wanted: Collection[str]) -> dict[str, int]:
        """The first day of each flag whose key is among *wanted*, by key."""
        if not wanted:
            return {}
        starts = self._columns.starts
        return {key: starts[p] for p, key in zip(self._physical_rows(), self.keys()) if key in wanted}

    def last_event(self, index: int) -> int | None:
        physical = self.physical(index)
        ends = self._columns.event_ends
        if ends[physical] == (ends[physical - 1] if physical else 0):
            return None
        return self._columns.events[ends[physical] - 1]

    def key(self, index: int) -> str:
        return self._columns.text(self.physical(index))[0]

    def message(self, index: int) -> str:
        return self._columns.text(self.physical(index))[1]

    def keys(self) -> Iterator[str]:
        """Every flag's key, in order."""
        return self._columns.keys(self._physical_rows())

    def matching(self, needle: str, indexes: Iterable[int]) -> list[int]:
        """Those of *indexes* whose message contains *needle* (already lower case), ignoring
        case, in order: only the blocks holding their messages are opened, and each is
        searched whole."""
        columns, rows, found = self._columns, self._rows, []
        order = sorted(indexes)
        physicals = order if rows is None else [rows[i] for i in order]  # (in the same order)
        text_at = columns.text_at
        for block in sorted({text_at[p] // BLOCK for p in physicals}):
            members = columns.block_members[block]
            for at in columns.run(block, messages=True).holding(needle):  # (most blocks: none)
                physical = members[at]
                k = bisect_left(physicals, physical)
                if k < len(physicals) and physicals[k] == physical:
                    found.append(order[k])
        return sorted(found)

    def index_of_key(self, key: str) -> int | None:
        return next((i for i, found in enumerate(self.keys()) if found == key), None)

    def keys_among(self, wanted: Collection[str]) -> set[str]:
        """Which of *wanted* are keys of flags in this table."""
        if not wanted:
            return set()
        return {key for key in self.keys() if key in wanted}

    def event_ids(self) -> set[int]:
        """The ids of every event the flags rest on."""
        columns = self._columns
        if self._rows is None:
            return set(columns.events)
        ends, events = columns.event_ends, columns.events
        return {e for p in self._rows for e in events[ends[p - 1] if p else 0:ends[p]]}

    def severity_counts(self) -> dict[str, int]:
        counts = {"breach": 0, "attention": 0, "info": 0}
        columns = self._columns
        codes = columns.codes["severity"] if self._rows is None else [columns.codes["severity"][p] for p in self._rows]
        for code, value in enumerate(columns.values["severity"]):
            counts[value] = counts.get(value, 0) + codes.count(code)
        return counts

    def count_of(self, name: str, value: str) -> int:
        """How many flags have *value* in field *name* (``count_of("kind", "met")``)."""
        columns = self._columns
        code = columns._value_code[name].get(value)
        if code is None:
            return 0
        codes = columns.codes[name]
        return codes.count(code) if self._rows is None else sum(1 for p in self._rows if codes[p] == code)

    def distinct(self, name: str) -> set[str]:
        columns = self._columns
        codes = columns.codes[name]
        used = set(codes) if self._rows is None else {codes[p] for p in self._rows}
        return {columns.values[name][c] for c in used}

    def add_part(self, part: _Columns) -> None:
        """Append a part from :meth:`FlagTableBuilder.part` (the next flags in sort order)."""
        if self._rows is not None:
            raise ValueError("parts are added to a whole table, not a view")
        self._columns.extend(part)

    # Views -----------------------------------------------------------------------------------

    def select(self, indexes: Iterable[int]) -> FlagTable:
        """The flags at *indexes* (increasing) of this table, as a view."""
        return FlagTable(self._columns, array("i", (self.physical(i) for i in indexes)))

    def where(self, *, kinds: Collection[str] | None = None, not_kinds: Collection[str] = (),
              severities: Collection[str] | None = None, rules: Collection[str] | None = None,
              test: Callable[[Flag], bool] | None = None) -> FlagTable:
        """A view of the flags of these kinds (not of *not_kinds*), severities and rules
        (``None``: any), that pass *test* when given (a record is made for that)."""
        columns = self._columns
        chosen = []
        for name, allowed, keep in (("kind", kinds, True), ("kind", not_kinds or None, False),
                                    ("severity", severities, True), ("rule", rules, True)):
            if allowed is not None:
                values = columns.values[name]
                codes = {c for c, v in enumerate(values) if (v in allowed) == keep}
                if len(codes) < len(values):
                    chosen.append((columns.codes[name], codes))
        if not chosen and test is None:
            return self
        rows = self._physical_rows()
        for column, codes in chosen:
            rows = [p for p in rows if column[p] in codes]
        if test is not None:
            rows = list(rows)
            rows = [p for p, flag in zip(rows, columns.records(rows, self._days)) if test(flag)]
        return FlagTable(columns, array("i", rows))


class FlagTableBuilder:
    """Builds a table a part at a time: the analysis child sends each part as it is made
    (:meth:`part`), and the explorer adds it to its table (:meth:`FlagTable.add_part`)."""

    def __init__(self) -> None:
        self._columns = _Columns()

    def part(self, flags: Sequence[Flag]) -> _Columns:
        """*flags* (the next in sort order) as columns to send; their codes continue this
        builder's, so the receiver's vocabulary grows the same way."""
        part = _Columns()
        # The same vocabulary as every part before: the receiver copies the codes as they are.
        part.values = {name: list(values) for name, values in self._columns.values.items()}
        part._value_code = {name: dict(codes) for name, codes in self._columns._value_code.items()}
        part.add(flags)
        self._columns.values, self._columns._value_code = part.values, part._value_code
        return part


