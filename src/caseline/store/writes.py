"""Every write caseline makes: cases, people, staged events, policy.

Callers own the transaction (:class:`~caseline.store.database.Transaction`): an import
stages all its rows, compares them with what the database holds, and inserts them in one
transaction, so a failure anywhere leaves the file as it was.

Re-imports are matched here, by SQLite:

* a staged row identical to an event of its case (every column but ``id``) is *already
  present* and skipped;
* a staged row whose ``ref`` names an event of its case with other content is a *conflict*;
* in a case where some staged rows are already present (a re-import), a staged row without
  a ``ref`` that matches an existing event's date, kind and subject but not its content is a
  *conflict* (a changed row), while one that matches nothing is new.

With ``replace`` a case's events are replaced whole instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from caseline.store.schema import FTS_COLUMNS, FTS_TABLE, SCHEMA

#: The event columns an import writes, in the order of the tuples it stages.
EVENT_WRITE_COLUMNS: tuple[str, ...] = tuple(SCHEMA["events"])
_CONTENT = tuple(c for c in EVENT_WRITE_COLUMNS if c not in ("id",))
_COLUMNS_SQL = ", ".join(EVENT_WRITE_COLUMNS)
CASE_COLUMNS: tuple[str, ...] = tuple(SCHEMA["cases"])
PERSON_COLUMNS = ("case_id", "id", "name", "role", "born")


def _same_content(a: str, b: str) -> str:
    """SQL: rows *a* and *b* hold the same event (``=`` on the indexed columns, so SQLite can
    use ``events_case_date``; ``IS`` elsewhere, where NULL must equal NULL)."""
    exact = ("case_id", "date_start")
    return " AND ".join(f"{a}.{c} = {b}.{c}" if c in exact else f"{a}.{c} IS {b}.{c}" for c in _CONTENT)


def case_exists(conn: sqlite3.Connection, case_id: str) -> bool:
    return conn.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is not None


def known_case_ids(conn: sqlite3.Connection) -> set[str]:
    return {str(row[0]) for row in conn.execute("SELECT id FROM cases")}


def stored_case_row(conn: sqlite3.Connection, case_id: str) -> tuple | None:
    row = conn.execute(f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE id = ?", (case_id,)).fetchone()
    return tuple(row) if row is not None else None


def stored_people_rows(conn: sqlite3.Connection, case_id: str) -> list[tuple]:
    rows = conn.execute(f"SELECT {', '.join(PERSON_COLUMNS)} FROM people WHERE case_id = ? ORDER BY id", (case_id,))
    return [tuple(row) for row in rows]


def insert_case(conn: sqlite3.Connection, row: Sequence, *, replace: bool = False) -> None:
    """Insert (or, with *replace*, update) a ``cases`` row given in :data:`CASE_COLUMNS` order."""
    marks = ", ".join("?" * len(CASE_COLUMNS))
    if replace and case_exists(conn, row[0]):
        sets = ", ".join(f"{col} = ?" for col in CASE_COLUMNS[1:])
        conn.execute(f"UPDATE cases SET {sets} WHERE id = ?", (*row[1:], row[0]))
        return
    conn.execute(f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) VALUES ({marks})", tuple(row))


def insert_case_stub(conn: sqlite3.Connection, case_id: str) -> None:
    """A case named only by its events (``--create-cases``): its id is its title."""
    conn.execute("INSERT OR IGNORE INTO cases (id, title) VALUES (?, ?)", (case_id, case_id))


def replace_people(conn: sqlite3.Connection, case_id: str, rows: Iterable[Sequence]) -> int:
    conn.execute("DELETE FROM people WHERE case_id = ?", (case_id,))
    return insert_people(conn, rows)


def insert_people(conn: sqlite3.Connection, rows: Iterable[Sequence]) -> int:
    rows = [tuple(r) for r in rows]
    conn.executemany(f"INSERT INTO people ({', '.join(PERSON_COLUMNS)}) VALUES (?, ?, ?, ?, ?)", rows)
    return len(rows)


def set_policy(conn: sqlite3.Connection, rule_id: str, council: str, param: str, value_json: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO policy (rule_id, council, param, value) VALUES (?, ?, ?, ?)",
        (rule_id, council, param, value_json),
    )


# --- Staged events ------------------------------------------------------------------------------


@dataclass
class StagedOutcome:
    """What comparing the staged rows with the database found.

    Attributes:
        present: staged rows already in the database (skipped).
        conflicts: ``(where, field, what)`` for rows that clash with stored events.
    """

    present: int = 0
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)


class EventStage:
    """Where the import's validated rows go before they become events.

    Rows of a case that held no events when the import began go straight into ``events``
    (a first import pays for no comparison); the rest wait in a TEMP table until
    :meth:`compare` has matched them with what the case holds.

    Args:
        conn: the connection, inside the import's transaction.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.direct = 0  # rows inserted straight into events
        self._case_had_events: dict[str, bool] = {}
        # Events stored before the import began (later ones are this import's own).
        self.old_max_id = int(conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])
        conn.execute("DROP TABLE IF EXISTS temp.staged_events")
        columns = ", ".join(f"{name}" for name in EVENT_WRITE_COLUMNS)
        conn.execute(
            f"CREATE TEMP TABLE staged_events (seq INTEGER PRIMARY KEY, line TEXT, present INTEGER DEFAULT 0, "
            f"{columns})"
        )
        conn.execute("CREATE INDEX temp.staged_ref ON staged_events (case_id, ref)")
        self.rows = 0

    def had_events(self, case_id: str) -> bool:
        """Whether the case held events when this import began."""
        return self._had_events(case_id)

    def _had_events(self, case_id: str) -> bool:
        found = self._case_had_events.get(case_id)
        if found is None:
            found = self.conn.execute("SELECT 1 FROM events WHERE case_id = ? LIMIT 1", (case_id,)).fetchone() is not None
            self._case_had_events[case_id] = found
        return found

    def add(self, rows: Sequence[tuple[str, tuple]]) -> list[tuple[str, str, str]]:
        """Take ``(where, values)`` pairs, values in :data:`EVENT_WRITE_COLUMNS` order.

        Returns:
            ``(where, field, what)`` for rows the database refused (a ``ref`` given twice).
        """
        direct = [(where, values) for where, values in rows if values[0] is None and not self._had_events(values[1])]
        staged = [(where, *values) for where, values in rows if values[0] is not None or self._had_events(values[1])]
        refused: list[tuple[str, str, str]] = []
        if direct:
            marks = ", ".join("?" * len(EVENT_WRITE_COLUMNS))
            insert = f"INSERT INTO events ({_COLUMNS_SQL}) VALUES ({marks})"
            self.conn.execute("SAVEPOINT direct_batch")
            try:
                self.conn.executemany(insert, [values for _, values in direct])
                self.direct += len(direct)
            except sqlite3.IntegrityError:
                # Only a ref given twice can clash here: find the rows, one at a time.
                self.conn.execute("ROLLBACK TO direct_batch")
                for where, values in direct:
                    try:
                        self.conn.execute(insert, values)
                        self.direct += 1
                    except sqlite3.IntegrityError:
                        refused.append((where, "ref", f"{values[2]!r} is used twice in this import for case {values[1]!r}"))
            self.conn.execute("RELEASE direct_batch")
        if staged:
            marks = ", ".join("?" * (len(EVENT_WRITE_COLUMNS) + 1))
            self.conn.executemany(f"INSERT INTO staged_events (line, {_COLUMNS_SQL}) VALUES ({marks})", staged)
        self.rows += len(rows)
        return refused

    def ref_dates(self, case_id: str, ref: str) -> tuple[str, str | None] | None:
        """``(date_start, date_end)`` of the event *ref* names in its case: stored, inserted by
        this import, or staged."""
        for table in ("events", "staged_events"):
            row = self.conn.execute(
                # "ref != ''" lets SQLite use the partial index events_case_ref.
                f"SELECT date_start, date_end FROM {table} WHERE case_id = ? AND ref = ? AND ref != '' LIMIT 1",
                (case_id, ref),
            ).fetchone()
            if row is not None:
                return str(row[0]), row[1]
        return None

    def case_ids(self) -> list[str]:
        return [str(r[0]) for r in self.conn.execute("SELECT DISTINCT case_id FROM staged_events ORDER BY case_id")]

    def compare(self, limit: int = 50) -> StagedOutcome:
        """Mark staged rows already present; list the conflicts (see the module docstring)."""
        self.conn.execute("CREATE INDEX IF NOT EXISTS temp.staged_case_date ON staged_events (case_id, date_start, date_end)")
        same = _same_content("e", "s")
        old = self.old_max_id
        self.conn.execute(
            f"UPDATE staged_events AS s SET present = 1 WHERE EXISTS (SELECT 1 FROM events AS e WHERE {same} AND e.id <= {old} "
            f"AND (s.id IS NULL OR s.id = e.id))"
        )
        outcome = StagedOutcome(self.conn.execute("SELECT count(*) FROM staged_events WHERE present").fetchone()[0])
        for column in ("id", "ref"):
            key = "id" if column == "id" else "case_id, ref"
            for line, value in self.conn.execute(
                f"SELECT s.line, s.{column} FROM staged_events AS s WHERE coalesce(s.{column}, '') != '' AND EXISTS "
                f"(SELECT 1 FROM staged_events AS t WHERE t.seq < s.seq AND "
                + (" AND ".join(f"t.{c} = s.{c}" for c in key.split(", "))) +
                f") ORDER BY s.seq LIMIT {int(limit)}"
            ):
                shown = value if column == "id" else repr(value)
                outcome.conflicts.append((line, column, f"{shown} appears twice in the import"))
        for line, ref, event_id in self.conn.execute(
            "SELECT s.line, s.ref, e.id FROM staged_events AS s JOIN events AS e "
            f"ON e.case_id = s.case_id AND e.ref = s.ref AND e.id <= {old} WHERE NOT s.present AND coalesce(s.ref, '') != '' "
            f"ORDER BY s.seq LIMIT {int(limit)}"
        ):
            outcome.conflicts.append(
                (line, "ref", f"{ref!r} is already event id {event_id} of this case, with other content "
                              f"(use --replace to replace the case's events)")
            )
        for line, event_id in self.conn.execute(
            "SELECT s.line, s.id FROM staged_events AS s JOIN events AS e ON e.id = s.id "
            f"WHERE NOT s.present ORDER BY s.seq LIMIT {int(limit)}"
        ):
            outcome.conflicts.append((line, "id", f"event id {event_id} is already in the database"))
        # A re-import (some rows already present) whose other rows match a stored event by date,
        # kind and subject but not in content: changed rows, not new ones.
        identity = "e.case_id = s.case_id AND e.date_start = s.date_start AND " + " AND ".join(
            f"e.{c} IS s.{c}" for c in ("date_end", "kind", "subject"))
        for line, event_id in self.conn.execute(
            f"SELECT s.line, min(e.id) FROM staged_events AS s JOIN events AS e ON e.id <= {old} AND " + identity +
            " WHERE NOT s.present AND coalesce(s.ref, '') = '' "
            "AND s.case_id IN (SELECT case_id FROM staged_events WHERE present) "
            f"AND NOT EXISTS (SELECT 1 FROM staged_events AS p WHERE p.present AND {_same_content('p', 'e')}) "
            f"GROUP BY s.seq ORDER BY s.seq LIMIT {int(limit)}"
        ):
            outcome.conflicts.append(
                (line, "row", f"changes event id {event_id}, imported before (same date, kind and subject); "
                              f"use --replace to replace the case's events")
            )
        return outcome

    def replace_cases(self) -> None:
        """Delete every event of the staged cases, so the staged rows replace them."""
        for case_id in self.case_ids():
            self.conn.execute("DELETE FROM events WHERE case_id = ?", (case_id,))

    def commit(self, *, skip_present: bool = True) -> int:
        """Insert the staged rows (less those already present) into ``events``; return how many
        events this import added in all."""
        where = "WHERE NOT present" if skip_present else ""
        cursor = self.conn.execute(
            f"INSERT INTO events ({_COLUMNS_SQL}) SELECT {_COLUMNS_SQL} FROM staged_events {where} ORDER BY seq"
        )
        self.conn.execute("DROP TABLE IF EXISTS temp.staged_events")
        return self.direct + max(cursor.rowcount, 0)


# --- The search index during a bulk import ----------------------------------------------------

#: The triggers that keep ``events_fts`` in step with ``events`` (schema 5).
FTS_TRIGGERS = ("events_fts_insert", "events_fts_delete", "events_fts_update")


class SearchIndexPause:
    """Lets a big import skip the per-row work of the search index and index its rows once.

    Triggers keep ``events_fts`` in step with every write to ``events``; for a big import they
    cost several times the insert itself. :meth:`pause` drops them *inside the import's
    transaction* (noting their SQL as stored and the highest event id); :meth:`resume` indexes
    every event above that id in one statement (a whole ``rebuild`` when the table held nothing
    before) and creates the triggers again from their stored SQL. Both are part of the one
    transaction: a rollback, or a process killed at any point, leaves the triggers and the
    index as they were, and other connections never see the triggers gone.

    The caller promises that while paused it only *inserts* events (and updates the rows it
    inserted): a delete or an update of an older event must wait for :meth:`resume`.

    Args:
        conn: the connection, inside the import's transaction.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.paused = False
        self._triggers: list[str] = []
        self._above = 0
        self._was_empty = False

    def pause(self) -> None:
        """Stop the index's triggers until :meth:`resume` (a no-op when already paused, or
        when the database has no search index)."""
        if self.paused:
            return
        conn = self.conn
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)).fetchone() is None:
            return
        marks = ", ".join("?" * len(FTS_TRIGGERS))
        found = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events' AND name IN ({marks}) "
            "ORDER BY name", FTS_TRIGGERS).fetchall()
        if len(found) != len(FTS_TRIGGERS):
            return  # not the index caseline keeps: leave it to whatever keeps it
        self._above = int(conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])
        self._was_empty = conn.execute("SELECT 1 FROM events LIMIT 1").fetchone() is None
        for name, _sql in found:
            conn.execute(f"DROP TRIGGER [{name}]")
        self._triggers = [str(sql) for _, sql in found]
        self.paused = True

    def resume(self) -> None:
        """Index the events written while paused and bring the triggers back."""
        if not self.paused:
            return
        conn = self.conn
        if self._was_empty:
            # Nothing was indexed before: one rebuild reads the table once.
            conn.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        else:
            cols = ", ".join(FTS_COLUMNS)
            conn.execute(f"INSERT INTO {FTS_TABLE}(rowid, {cols}) SELECT id, {cols} FROM events WHERE id > ? ORDER BY id",
                         (self._above,))
        for sql in self._triggers:
            conn.execute(sql)
        self._triggers = []
        self.paused = False


# --- Bulk rows ----------------------------------------------------------------------------------

#: How a bulk row's text becomes a stored value: empty optional fields as NULL, and
#: ``date_end`` defaulting to ``date_start``. Nothing more is done at insert (trimming every
#: cell there costs more than the insert itself): the row check then *looks* at rows.
_BULK_VALUE = {name: "nullif(?{n}, '')" for name in ("ref", "date_end", "recorded", "relative_to", "offset_days")}
#: Every character ``str.strip`` removes (the row check strips with it), for SQLite's trim:
#: a cell starting with a no-break space must get the row check too.
_WHITESPACE = "'" + "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()) + "'"

#: A bulk row that needs no second look: every required field present, exact ISO days in
#: order, nothing dated from another event. Anything else goes to the full row check.
_PLAIN_ROW = (
    "case_id != '' AND kind != '' AND summary != '' AND length(date_start) = 10 AND date(date_start) IS date_start "
    "AND length(date_end) = 10 AND date(date_end) IS date_end AND date_end >= date_start "
    "AND relative_to IS NULL AND offset_days IS NULL AND (recorded IS NULL OR date(recorded) IS recorded)"
)


class BulkEvents:
    """Rows of a CSV file written straight into ``events`` by SQLite, then checked there.

    Only rows of cases that held no events when the import began come here (nothing to
    compare them with), and only from files without an ``id`` column. Each file's rows get
    consecutive ids; :meth:`suspects` lists the rows that need the full row check.

    Args:
        conn: the connection, inside the import's transaction.
        columns: the file's header (event column names).
    """

    def __init__(self, conn: sqlite3.Connection, columns: Sequence[str]) -> None:
        self.conn = conn
        self.columns = list(columns)
        given = set(columns)
        names = list(columns) + [c for c in ("date_end",) if c not in given]
        values = []
        for n, name in enumerate(columns, start=1):
            values.append(_BULK_VALUE.get(name, "?{n}").format(n=n))
        if "date_end" not in given:
            values.append("NULL")
        at = {name: i for i, name in enumerate(names)}
        # date_end falls back to date_start when the file leaves it empty.
        values[at["date_end"]] = f"coalesce({values[at['date_end']]}, {values[at['date_start']]})"
        self._insert = f"INSERT INTO events ({', '.join(names)}) VALUES ({', '.join(values)})"
        # A cell with whitespace around it needs the full check too (which strips it).
        trimmed = " AND ".join(f"coalesce({name} = trim({name}, {_WHITESPACE}), 1)" for name in columns)
        self._plain = f"{_PLAIN_ROW} AND {trimmed}"
        self.first_id = self._next_id()
        #: The id of the first row the last :meth:`add` wrote (the rest follow it).
        self.batch_first_id = self.first_id
        self.count = 0
        # [first, last] id runs of this file's rows that were not seen to be plain (rows that
        # take the row-by-row path in the same file may be written between two batches).
        self._ranges: list[list[int]] = []

    def _next_id(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM events").fetchone()[0])

    def add(self, rows: Sequence[Sequence[str]], *, plain: bool = False) -> list[int]:
        """Write *rows* (in header order); return the indexes (within *rows*) refused for a
        ``ref`` given twice. The rows written get consecutive ids from :attr:`batch_first_id`:
        a refused row takes none.

        Args:
            plain: the caller has seen that every row passes :data:`_PLAIN_ROW` and has no
                whitespace around a cell (``caseline.importing.plain_rows``), so
                :meth:`suspects` need not read these rows back.
        """
        start = self.batch_first_id = self._next_id()
        self.conn.execute("SAVEPOINT bulk_batch")
        refused: list[int] = []
        try:
            self.conn.executemany(self._insert, rows)
        except sqlite3.IntegrityError:
            # Only a ref given twice can clash here: find the rows, one at a time.
            self.conn.execute("ROLLBACK TO bulk_batch")
            for index, row in enumerate(rows):
                try:
                    self.conn.execute(self._insert, row)
                except sqlite3.IntegrityError:
                    refused.append(index)
        self.conn.execute("RELEASE bulk_batch")
        written = len(rows) - len(refused)
        if written and not plain:
            if self._ranges and self._ranges[-1][1] == start - 1:
                self._ranges[-1][1] += written
            else:
                self._ranges.append([start, start + written - 1])
        self.count += written
        return refused

    def suspects(self, page: int = 5000) -> Iterator[tuple[int, dict[str, object]]]:
        """``(id, {column: value})`` of this file's rows that need the full row check.

        Read a page at a time (the caller may :meth:`settle` rows in between, so no query is
        left open over rows being changed): a file of ten million month-only dates is never
        held whole."""
        select = (f"SELECT id, {', '.join(EVENT_WRITE_COLUMNS[1:])} FROM events WHERE id > ? AND id <= ? "
                  f"AND NOT ({self._plain}) ORDER BY id LIMIT {int(page)}")
        for first, last in self._ranges:
            after = first - 1
            while rows := self.conn.execute(select, (after, last)).fetchall():
                for row in rows:
                    yield int(row[0]), dict(zip(EVENT_WRITE_COLUMNS[1:], row[1:]))
                after = int(rows[-1][0])

    def anchor(self, case_id: str, ref: str, before_id: int) -> tuple[str, str | None] | None:
        """The dates of the event *ref* names, if it comes before *before_id* (or was stored)."""
        row = self.conn.execute(
            # "ref != ''" lets SQLite use the partial index events_case_ref rather than walk the case.
            "SELECT date_start, date_end FROM events WHERE case_id = ? AND ref = ? AND ref != '' AND id < ?",
            (case_id, ref, before_id)
        ).fetchone()
        return (str(row[0]), row[1]) if row is not None else None

    def settle(self, event_id: int, values: Mapping[str, object]) -> None:
        """Store the full row check's reading of a suspect row (dates from its anchor...)."""
        sets = ", ".join(f"{name} = ?" for name in values)
        self.conn.execute(f"UPDATE events SET {sets} WHERE id = ?", (*values.values(), event_id))
