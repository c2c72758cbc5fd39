"""Reading cases, people, events and the rule engine's facts.

Every read works on a database filled by plain ``sqlite-utils insert`` as well as on one
caseline made: a missing ``cases`` table means the cases are the distinct
``events.case_id`` values, and a reading open shows a plain ``events`` table with every
documented column (:func:`caseline.store.database.open_database`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from caseline.dates import DateError, DateRange, parse_range
from caseline.model import CaseInfo, Event, Fact, Person
from caseline.store.database import StoreError
from caseline.store.schema import SCHEMA, existing_tables, table_columns

#: The order of a chronology; the ``events_case_date`` index serves it.
ORDER = "ORDER BY date_start, date_end, id"

_EVENT_COLUMNS = tuple(SCHEMA["events"])


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _optional_date(value: object) -> date | None:
    text = _text(value).strip()
    if not text:
        return None
    try:
        return parse_range(text).start
    except DateError:
        return None


def _offset(value: object) -> int | None:
    text = _text(value).strip()
    if not text:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def _rows(cursor: sqlite3.Cursor, size: int = 10000) -> Iterator[tuple]:
    """A cursor's rows, fetched a batch at a time (``fetchall`` would hold them all at once)."""
    while batch := cursor.fetchmany(size):
        yield from batch


def chunked(values: Sequence, size: int = 500) -> Iterator[Sequence]:
    """*values* in slices of at most *size*: SQLite caps the parameters of one statement."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


#: Every event column, in the order :func:`_row_to_event` reads them.
EVENT_SELECT = f"SELECT {', '.join(_EVENT_COLUMNS)} FROM events"


def _row_to_event(row: sqlite3.Row | tuple) -> Event:
    return Event(
        id=int(row[0]),
        case_id=_text(row[1]),
        ref=_text(row[2]),
        dates=parse_range(row[3], row[4]),
        date_text=_text(row[5]),
        kind=_text(row[6]),
        subject=_text(row[7]),
        actor=_text(row[8]),
        summary=_text(row[9]),
        detail=_text(row[10]),
        source=_text(row[11]),
        recorded=_text(row[12]),
        relative_to=_text(row[13]),
        offset_days=_offset(row[14]),
    )


# --- Cases and people ---------------------------------------------------------------------------


def has_events_table(conn: sqlite3.Connection) -> bool:
    return "events" in existing_tables(conn)


def _case_from_row(row: dict[str, Any], count: int) -> CaseInfo:
    teaching_raw = row.get("teaching")
    try:
        teaching = json.loads(teaching_raw) if teaching_raw else {}
    except ValueError:
        teaching = {}
    return CaseInfo(
        id=_text(row["id"]),
        title=_text(row.get("title")) or _text(row["id"]),
        council=_text(row.get("council")),
        summary=_text(row.get("summary")),
        source=_text(row.get("source")),
        illustrative=bool(row.get("illustrative") or False),
        records_from=_optional_date(row.get("records_from")),
        teaching=teaching if isinstance(teaching, dict) else {},
        event_count=count,
        as_of=_optional_date(row.get("as_of")),
        complete_for=parse_kind_list(row.get("complete_for")),
    )


def parse_kind_list(value: object) -> tuple[str, ...]:
    """``complete_for`` as stored: comma- or space-separated kinds, or a JSON list."""
    text = _text(value).strip()
    if not text:
        return ()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = []
        return tuple(str(item).strip() for item in items if str(item).strip())
    return tuple(part for part in text.replace(",", " ").split() if part)


def _case_row(conn: sqlite3.Connection, case_id: str) -> dict[str, Any] | None:
    """The case's row in the cases table, or ``{"id": case_id}`` for a case only the events
    name (an events table is a valid case source); ``None``: no such case."""
    rows = _table_case_rows(conn, case_id)
    if rows:
        return rows[0]
    if has_events_table(conn) and "case_id" in table_columns(conn, "events") and \
            conn.execute("SELECT 1 FROM events WHERE case_id = ? LIMIT 1", (case_id,)).fetchone():
        return {"id": case_id}
    return None


def _has_cases_table(conn: sqlite3.Connection) -> bool:
    return "cases" in existing_tables(conn) and "id" in table_columns(conn, "cases")


def _table_case_rows(conn: sqlite3.Connection, case_id: str | None = None) -> list[dict[str, Any]]:
    """The cases table's rows (of *case_id*, or all) in id order; none without the table."""
    if not _has_cases_table(conn):
        return []
    where, params = ("WHERE id = ?", (case_id,)) if case_id is not None else ("", ())
    return [dict(row) for row in conn.execute(f"SELECT * FROM cases {where} ORDER BY id", params)]


def list_cases(conn: sqlite3.Connection) -> list[CaseInfo]:
    """Every case with its number of events, in id order."""
    counts = event_counts(conn)
    rows = _table_case_rows(conn)
    # Events may name cases the cases table lacks (a plain import): those are cases too.
    known = {row["id"] for row in rows}
    extra = [{"id": name} for name in counts if name not in (None, "") and name not in known]
    if extra:
        rows = sorted(rows + extra, key=lambda row: str(row["id"]))
    return [_case_from_row(row, counts.get(row["id"], 0)) for row in rows]


def event_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Each case id the events name, with its number of events (one scan of every event)."""
    if not has_events_table(conn):
        return {}
    return dict(conn.execute("SELECT case_id, count(*) FROM events GROUP BY case_id").fetchall())


def most_events_a_case_can_have(conn: sqlite3.Connection) -> int:
    """An upper bound of any case's :func:`event_counts` found without a scan: the largest
    event id (ids are SQLite's row ids, counted up from 1)."""
    if not has_events_table(conn):
        return 0
    return max(0, int(conn.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0]))


def tabled_cases(conn: sqlite3.Connection) -> list[CaseInfo]:
    """The cases table's cases in id order, each ``event_count`` 0 (no event is read: the
    counts, and cases only the events name, are :func:`event_counts`' to find)."""
    return [_case_from_row(row, 0) for row in _table_case_rows(conn)]


def has_cases(conn: sqlite3.Connection) -> bool:
    """Whether the database holds any case (in the cases table, or named by an event): a
    look at the first row, not :func:`list_cases`'s count of every event."""
    if _has_cases_table(conn) and conn.execute("SELECT 1 FROM cases LIMIT 1").fetchone():
        return True
    return has_events_table(conn) and "case_id" in table_columns(conn, "events") and bool(
        conn.execute("SELECT 1 FROM events WHERE coalesce(case_id, '') != '' LIMIT 1").fetchone())


def case_ids(conn: sqlite3.Connection, limit: int = 20) -> list[str]:
    return [case.id for case in list_cases(conn)[:limit]]


def has_more_events_than(conn: sqlite3.Connection, case_id: str, count: int) -> bool:
    """Whether the case has more than *count* events (counting stops there: cheap on any case)."""
    row = conn.execute("SELECT count(*) FROM (SELECT 1 FROM events WHERE case_id = ? LIMIT ?)",
                       (case_id, count + 1)).fetchone()
    return int(row[0]) > count


def get_case(conn: sqlite3.Connection, case_id: str, *, count_events: bool = True) -> CaseInfo:
    """The case *case_id*; with ``count_events=False`` its ``event_count`` is 0 and no scan
    of the case's events is made (a tenth of a second at a million).

    Raises:
        StoreError: when there is no such case.
    """
    row = _case_row(conn, case_id)
    if row is None:
        known = case_ids(conn)
        hint = f"; known cases: {', '.join(known)}" if known else "; the database holds no cases"
        raise StoreError(f"no case {case_id!r} in this database{hint}")
    count = 0
    if count_events and has_events_table(conn):
        count = conn.execute("SELECT count(*) FROM events WHERE case_id = ?", (case_id,)).fetchone()[0]
    return _case_from_row(row, count)


def list_people(conn: sqlite3.Connection, case_id: str) -> list[Person]:
    if "people" not in existing_tables(conn):
        return []
    have = table_columns(conn, "people")
    picked = ", ".join(col if col in have else f"NULL AS {col}" for col in ("id", "name", "role", "born"))
    people = []
    for row in conn.execute(f"SELECT {picked} FROM people WHERE case_id = ? ORDER BY id", (case_id,)):
        born_text = _text(row[3]).strip()
        try:
            born = parse_range(born_text) if born_text else None
        except DateError:
            born = None
        people.append(Person(_text(row[0]), _text(row[1]) or _text(row[0]), _text(row[2]) or "other", born))
    return people


# --- Events -------------------------------------------------------------------------------------


def iter_events(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str] | None = None) -> Iterator[Event]:
    """The case's events in date order, optionally only some kinds."""
    select = EVENT_SELECT
    if kinds is None:
        rows = conn.execute(f"{select} WHERE case_id = ? {ORDER}", (case_id,))
    else:
        wanted = sorted(set(kinds))
        marks = ",".join("?" * len(wanted))
        rows = conn.execute(f"{select} WHERE case_id = ? AND kind IN ({marks}) {ORDER}", (case_id, *wanted))
    for row in rows:
        yield _row_to_event(row)


def load_events(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str] | None = None) -> list[Event]:
    return list(iter_events(conn, case_id, kinds))


def get_events(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Event]:
    """Fetch events by id (for the visible page of a long timeline)."""
    found: dict[int, Event] = {}
    for chunk in chunked(list(ids)):
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"{EVENT_SELECT} WHERE id IN ({marks})", list(chunk)):
            event = _row_to_event(row)
            found[event.id] = event
    return found


def chronology_end(conn: sqlite3.Connection, case_id: str) -> date | None:
    """The last day any event of the case may have happened on."""
    row = conn.execute(
        "SELECT max(coalesce(nullif(date_end, ''), date_start)) FROM events WHERE case_id = ?", (case_id,)
    ).fetchone()
    if not row or not row[0]:
        return None
    try:
        return parse_range(row[0]).end
    except DateError:
        return None


def distinct_values(conn: sqlite3.Connection, case_id: str, column: str, kinds: Iterable[str] | None = None,
                    limit: int | None = None) -> list[str]:
    """The distinct non-empty values of an events column in a case (the filter's choices),
    among events of *kinds* when given, sorted; when *limit* is given, the first that many
    met as SQLite reads the case (in date order, through caseline's index), so the scan
    stops there.

    SQLite is not asked to order them: with ``ORDER BY`` it read all ten million events of a
    whole extract in 12 s and 480 MB of temporary memory, against 2.4 s and nothing held."""
    if column not in ("kind", "actor", "subject"):
        return []
    wanted = sorted(set(kinds)) if kinds is not None else None
    of_kinds = f" AND kind IN ({','.join('?' * len(wanted))})" if wanted is not None else ""
    rows = conn.execute(
        f"SELECT DISTINCT {column} FROM events WHERE case_id = ? AND coalesce({column}, '') != ''{of_kinds}"
        + (" LIMIT ?" if limit is not None else ""),
        (case_id, *(wanted or ()), *((limit,) if limit is not None else ())),
    )
    return sorted(str(row[0]) for row in rows)


class FactRows(list):
    """Facts as :func:`load_facts` read them; *in_event_order* says they already stand in the
    engine's order (:func:`caseline.rules.measure.event_order`), so it need not sort them."""

    in_event_order: bool = False


#: What a :class:`Fact` is read from (in :class:`_FactReader`'s order).
_FACT_COLUMNS = ("id, coalesce(ref, ''), coalesce(kind, ''), coalesce(actor, ''), date_start, date_end, "
                 "coalesce(relative_to, ''), offset_days, coalesce(subject, ''), coalesce(recorded, '')")


def facts_query(case_id: str, kinds: Iterable[str], *, with_recorded: bool = False,
                with_not: bool = True) -> tuple[str, tuple]:
    """The statement :func:`load_facts` reads with, and its parameters (benchmarks time the
    same statement read raw, to compare like with like)."""
    wanted = sorted(set(kinds))
    marks = ",".join("?" * len(wanted))
    # ``not:<kind>`` rows record that something did not happen; rows with ``recorded`` set
    # feed the late-recording rule.
    extra = (" OR kind LIKE 'not:%'" if with_not else "") + (" OR coalesce(recorded, '') != ''" if with_recorded else "")
    return (
        f"SELECT {_FACT_COLUMNS} FROM events "
        # In index order, which is the engine's (first day, last day, id) while every date is a
        # full ISO day and no day is written two ways (an empty and an equal date_end).
        f"WHERE case_id = ? AND (kind IN ({marks}){extra}) {ORDER}",
        (case_id, *wanted),
    )


class _FactReader:
    """Rows of :func:`facts_query` as :class:`Fact` tuples, one pass. Equal strings (kinds,
    actors, subjects) and equal day ranges are shared rather than held once per row.

    *ordered* stays true while the rows so far stand in the engine's order: every date a
    full ISO day and no day written two ways (an empty and an equal ``date_end`` sort as two
    runs in text order).
    """

    def __init__(self) -> None:
        self.ordered = True

    def facts(self, cursor: sqlite3.Cursor) -> Iterator[Fact]:
        ranges: dict[tuple, DateRange] = {}
        spelled: dict[DateRange, DateRange] = {}  # the one range object for each distinct range
        first_spelling: dict[DateRange, tuple] = {}
        shared: dict[str, str] = {}
        share = shared.setdefault
        new_fact = tuple.__new__
        while batch := cursor.fetchmany(10000):
            for event_id, ref, kind, actor, start, end, relative_to, offset, subject, recorded in batch:
                dates = ranges.get((start, end))
                if dates is None:
                    parsed = parse_range(start, end)
                    dates = ranges[(start, end)] = spelled.setdefault(parsed, parsed)
                    self.ordered = self.ordered and len(str(start)) == 10 and (not end or len(str(end)) == 10) \
                        and first_spelling.setdefault(dates, (start, end)) == (start, end)
                yield new_fact(Fact, (
                    event_id, ref, share(kind, kind), share(actor, actor), dates,
                    relative_to and share(relative_to, relative_to),
                    None if offset is None or offset == "" else _offset(offset),
                    share(subject, subject) if subject.__class__ is str else str(subject),
                    recorded and share(str(recorded), str(recorded))))


def _fact_cursor(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str], with_recorded: bool,
                 with_not: bool = True) -> sqlite3.Cursor:
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: sqlite3.Row costs more than the read itself here
    cursor.execute(*facts_query(case_id, kinds, with_recorded=with_recorded, with_not=with_not))
    return cursor


def load_facts(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str], *,
               with_recorded: bool = False) -> FactRows:
    """The case's events of *kinds* (plus every ``not:<kind>`` row, and with
    *with_recorded* every row whose ``recorded`` date is set), as :class:`Fact` rows.

    One pass, a few operations a row: a long case holds millions.
    """
    reader = _FactReader()
    facts = FactRows(reader.facts(_fact_cursor(conn, case_id, kinds, with_recorded)))
    facts.in_event_order = reader.ordered
    return facts


def stream_facts(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str]) -> Iterator[Fact]:
    """The case's events of *kinds* (only those) as :class:`Fact` rows, read as they are used and never held together: the engine walks a long case's visits this way.

    In the store's order, which is the engine's for full ISO days; the engine checks it as
    it goes and reads the case whole when it is not.
    """
    return _FactReader().facts(_fact_cursor(conn, case_id, kinds, False, with_not=False))


#: A full ISO day as a day number (SQLite's Julian day, whole), else NULL: a partial date
#: ('2021-09'), a time, or an impossible day ('2021-02-30', which SQLite reads as 2 March;
#: only a modifier makes it write the day it read).
_DAY_NUMBER = "CASE WHEN length({0}) = 10 AND date({0}, '+0 days') = {0} THEN CAST(julianday({0}) AS INTEGER) END"
_LAST_DAY = "coalesce(nullif(date_end, ''), date_start)"
#: Days an event runs past its first (0 for one day; NULL when its end is not a plain day).
_EXTRA_DAYS = (f"CASE WHEN date_end IS NULL OR date_end = '' OR date_end = date_start THEN 0 "
               f"ELSE {_DAY_NUMBER.format('date_end')} - {_DAY_NUMBER.format('date_start')} END")


def _plain_day(text: object) -> int | None:
    """The day number of a full ISO day, else ``None`` (a partial date, a time, 30 Feb)."""
    if text.__class__ is not str or len(text) != 10:
        return None
    try:
        return date.fromisoformat(text).toordinal()
    except ValueError:
        return None


class VisitDays:
    """A case's events of some kinds summed up by SQLite in one scan: for each first day,
    last day, kind and subject, the lowest and highest id and whether any is dated relative
    to another event. A few thousand rows stand for a million visits.

    From it come the kinds' subjects (:meth:`subjects_by_kind`) and, for any period, the
    pairs of consecutive visits far enough apart to matter (:meth:`spaced`), without a scan
    of their own: the explorer and ``caseline flags`` read it beside the facts.
    """

    def __init__(self, conn: sqlite3.Connection, case_id: str, kinds: Iterable[str]) -> None:
        self._settle(case_id, self._read(conn, case_id, kinds))

    @classmethod
    def of_groups(cls, case_id: str, groups: list[tuple]) -> VisitDays:
        """The summary from its :attr:`groups`, as another process read them."""
        made = cls.__new__(cls)
        made._settle(case_id, groups)
        return made

    def _settle(self, case_id: str, groups: list[tuple]) -> None:
        self.case_id = case_id
        #: ``(first day, last day, kind, subject, lowest id, highest id, any relative)``,
        #: days as written, in first-day order.
        self.groups = groups
        # Days written as anything but text cannot be ordered as SQLite orders them: such a
        # case's visits are walked.
        self.readable = all(g[0].__class__ is str and (g[1] is None or g[1].__class__ is str) for g in groups)

    @staticmethod
    def _read(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str]) -> list[tuple]:
        wanted = sorted(set(kinds))
        of_kinds = f"case_id = ? AND kind IN ({','.join('?' * len(wanted))})"
        relative = "max(relative_to IS NOT NULL AND relative_to != '')"
        cursor = conn.cursor()
        cursor.row_factory = None
        # Grouped in the index's order, so SQLite sorts nothing (a sort of ten million rows
        # would be held in memory: reading opens keep temporary data there). A day's events
        # of more than one kind or subject are asked for again, that day alone.
        cursor.execute(
            "SELECT date_start, date_end, min(kind), max(kind), min(coalesce(subject, '')), "
            f"max(coalesce(subject, '')), min(id), max(id), {relative} FROM events "
            f"WHERE {of_kinds} GROUP BY date_start, date_end ORDER BY date_start, date_end",
            (case_id, *wanted))
        groups: list[tuple] = []
        shared: dict = {}  # one object for each day, kind and subject however often it comes
        share = shared.setdefault
        for start, end, kind, last_kind, subject, last_subject, low_id, top_id, any_relative in _rows(cursor):
            start, end = share(start, start), share(end, end)
            if kind == last_kind and subject == last_subject:
                groups.append((start, end, share(kind, kind), share(subject, subject), low_id, top_id, any_relative))
                continue
            mixed = conn.cursor()
            mixed.row_factory = None
            mixed.execute(
                f"SELECT kind, coalesce(subject, ''), min(id), max(id), {relative} FROM events "
                f"WHERE {of_kinds} AND date_start = ? AND date_end IS ? GROUP BY kind, coalesce(subject, '')",
                (case_id, *wanted, start, end))
            groups.extend((start, end, share(kind, kind), share(subject, subject), low, top, any_relative)
                          for kind, subject, low, top, any_relative in mixed.fetchall())
        return groups

    def subjects_by_kind(self) -> dict[str, set[str]]:
        """For each kind the case has events of, their subjects (``""``: none)."""
        found: dict[str, set[str]] = {}
        for group in self.groups:
            found.setdefault(str(group[2]), set()).add(str(group[3]))
        return found

    def spaced(self, conn: sqlite3.Connection, kinds: Sequence[str], since: date, until: date,
               more_than_days: int, others: frozenset[str] = frozenset()) -> list[tuple[Fact | None, Fact | None]] | None:
        """:func:`caseline.rules.measure.spaced_pairs` of the events of *kinds* that start by
        *until* and end on or after *since* (those of the subjects in *others* left out), as
        :class:`Fact` rows read from *conn*, or ``None`` when a date among them is not a full
        ISO day.

        A day's first event (in the engine's order: last day, then id) is measured from the
        day before's last; the rest of the day's events are measured from that day, so only
        a day with an event that runs past the limit, or one dated relative to another, is
        read event by event.
        """
        if not self.readable:
            return None
        wanted, before, after = set(kinds), f"{until.isoformat()}~", since.isoformat()
        # Which events of a day come into it: the statement a day read in full uses. ('~'
        # sorts after a time written after the day, and a short date after any day that may
        # end it: such rows come in, and are refused.)
        excluded = sorted(others)
        where = (f"case_id = ? AND kind IN ({','.join('?' * len(wanted))}) AND date_start <= ? "
                 f"AND ({_LAST_DAY} >= ? OR length({_LAST_DAY}) < 10)"
                 + (f" AND coalesce(subject, '') NOT IN ({','.join('?' * len(excluded))})" if excluded else ""))
        params = (self.case_id, *sorted(wanted), before, after, *excluded)
        pairs: list[tuple[int | None, int | None]] = []
        last_id = last_start = None
        ends: dict[str | None, int | None] = {}
        day_text, day = None, []

        def close_day() -> bool:
            """Measure the day gathered in *day*; false when a date in it is not a plain day."""
            nonlocal last_id, last_start
            start = _plain_day(day_text)
            if start is None:
                return False
            measured = []
            for end_text, low_id, top_id, relative in day:
                if end_text is None or end_text == "" or end_text == day_text:
                    extra = 0
                else:
                    if end_text not in ends:
                        ends[end_text] = _plain_day(end_text)
                    last_day = ends[end_text]
                    if last_day is None or last_day < start:
                        return False
                    extra = last_day - start
                measured.append((extra, low_id, top_id, relative))
            if any(relative for *_, relative in measured) or max(m[0] for m in measured) > more_than_days:
                cursor = conn.cursor()
                cursor.row_factory = None
                cursor.execute(f"SELECT {_EXTRA_DAYS}, id, coalesce(relative_to, '') != '' FROM events "
                               f"WHERE {where} AND date_start = ?", (*params, day_text))
                for extra, event_id, is_relative in sorted(cursor.fetchall()):
                    if last_id is None:
                        pairs.append((None, event_id))
                    elif is_relative or start + extra - last_start > more_than_days:
                        pairs.append((last_id, event_id))
                    last_id, last_start = event_id, start
                return True
            first_extra, first_id = min((extra, low_id) for extra, low_id, _, _ in measured)
            if last_id is None:
                pairs.append((None, first_id))
            elif start + first_extra - last_start > more_than_days:
                pairs.append((last_id, first_id))
            last_id, last_start = max((extra, top_id) for extra, _, top_id, _ in measured)[1], start
            return True

        for start_text, end_text, kind, subject, low_id, top_id, relative in self.groups:
            if start_text > before:
                break  # in first-day order: the rest start later still
            if kind not in wanted or subject in others:
                continue
            last = end_text or start_text
            if last < after and len(last) >= 10:
                continue  # over before the period
            if start_text != day_text:
                if day and not close_day():
                    return None
                day_text, day = start_text, []
            day.append((end_text, low_id, top_id, relative))
        if day and not close_day():
            return None
        if last_id is None:
            return []
        pairs.append((last_id, None))
        facts = _facts_by_id(conn, {i for pair in pairs for i in pair if i is not None})
        return [(facts.get(earlier), facts.get(later)) for earlier, later in pairs]


def spaced_visits(conn: sqlite3.Connection, case_id: str, kinds: Sequence[str], since: date, until: date,
                  more_than_days: int, others: frozenset[str] = frozenset()) -> list[tuple[Fact | None, Fact | None]] | None:
    """:meth:`VisitDays.spaced` for one question (a scan of its own)."""
    return VisitDays(conn, case_id, kinds).spaced(conn, kinds, since, until, more_than_days, others)


def _facts_by_id(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Fact]:
    found: dict[int, Fact] = {}
    for chunk in chunked(sorted(ids)):
        cursor = conn.cursor()
        cursor.row_factory = None
        cursor.execute(f"SELECT {_FACT_COLUMNS} FROM events WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        found.update((fact.id, fact) for fact in _FactReader().facts(cursor))
    return found


# --- Guidance and policy ----------------------------------------------------------------------


def stored_rules(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The guidance table's rows as mappings (``citation`` and ``params`` decoded)."""
    return _decoded_rules(_guidance_rows(conn))


def _guidance_rows(conn: sqlite3.Connection) -> tuple[tuple, ...]:
    """The guidance table's rows as stored (none when it has no such table)."""
    if "guidance" not in existing_tables(conn):
        return ()
    return tuple(conn.execute("SELECT id, title, shape, status, confidence, summary, citation, params FROM guidance"))


def _decoded_rules(rows: Iterable[tuple]) -> list[dict[str, Any]]:
    found = []
    for row in rows:
        try:
            found.append({
                "id": row[0], "title": row[1], "shape": row[2], "status": row[3], "confidence": row[4],
                "summary": row[5], "citation": json.loads(row[6] or "{}"), "params": json.loads(row[7] or "{}"),
            })
        except ValueError:
            continue
    return found


def policy_rows(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """``(rule_id, council, param, value)`` overrides, all-councils rows first."""
    if "policy" not in existing_tables(conn):
        return []
    rows = conn.execute("SELECT rule_id, council, param, value FROM policy ORDER BY council, rule_id, param")
    return [(str(a), str(b or ""), str(c), str(d)) for a, b, c, d in rows]


#: Rules in force by what they were made from (the guidance and policy rows as stored, and
#: the council), the last few: a caseload's cases share them, and making them again for each
#: took a third of ``caseline flags --all`` (1.4 ms a case).
_LIBRARIES: dict[tuple, dict] = {}
_LIBRARIES_HELD = 8
_LIBRARIES_LOCK = threading.Lock()  # the explorer's workers ask at once


def library_for(conn: sqlite3.Connection | None, council: str | None = None):
    """The rules in force for a database (and a council): the package library, then the
    database's copy, then its policy (:func:`caseline.guidance.rules_in_force`). The rows are
    read each time; the rules are made again only when they differ."""
    from caseline.guidance import rules_in_force

    if conn is None:
        return rules_in_force((), ())
    guidance, policy = _guidance_rows(conn), tuple(policy_rows(conn))
    key = (guidance, policy, council)
    with _LIBRARIES_LOCK:
        found = _LIBRARIES.get(key)
    if found is None:
        found = rules_in_force(_decoded_rules(guidance), policy, council)
        with _LIBRARIES_LOCK:
            if len(_LIBRARIES) >= _LIBRARIES_HELD:
                _LIBRARIES.pop(next(iter(_LIBRARIES)))
            _LIBRARIES[key] = found
    return dict(found)  # the rules are immutable; the mapping is the caller's
