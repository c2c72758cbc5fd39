"""The SQLite store: schema, migrations, opening files safely, and reading cases.

Invariants kept here:

* A file that is not SQLite, or that a newer caseline wrote, is refused before anything is
  written to it (not even WAL mode is switched on).
* New database files are created owner-only (0600); SQLite gives its -wal and -shm files
  the same mode.
* Each migration step runs in one transaction together with its ``PRAGMA user_version``.
* Read-only connections are opened with ``mode=ro`` so that nothing can be written by mistake.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from caseline.dates import DateError, DateRange, parse_range

SCHEMA_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_SECONDS = 10.0

TABLES = ("cases", "people", "events", "notes", "policy", "guidance")

#: Every column of every table, its SQLite type, whether it is required, and its default.
#: The README documents this; ``check`` compares databases against it.
SCHEMA: dict[str, dict[str, tuple[str, bool, object]]] = {
    "cases": {
        "id": ("TEXT", True, None),
        "title": ("TEXT", True, ""),
        "council": ("TEXT", False, ""),
        "summary": ("TEXT", False, ""),
        "source": ("TEXT", False, ""),
        "illustrative": ("INTEGER", True, 0),
        "records_from": ("TEXT", False, None),
        "teaching": ("TEXT", False, None),
    },
    "people": {
        "case_id": ("TEXT", True, None),
        "id": ("TEXT", True, None),
        "name": ("TEXT", True, ""),
        "role": ("TEXT", True, "other"),
        "born": ("TEXT", False, None),
    },
    "events": {
        "id": ("INTEGER", True, None),
        "case_id": ("TEXT", True, None),
        "ref": ("TEXT", False, None),
        "date_start": ("TEXT", True, None),
        "date_end": ("TEXT", False, None),
        "date_text": ("TEXT", False, ""),
        "kind": ("TEXT", True, None),
        "subject": ("TEXT", False, ""),
        "actor": ("TEXT", False, ""),
        "summary": ("TEXT", True, ""),
        "detail": ("TEXT", False, ""),
        "source": ("TEXT", False, ""),
        "recorded": ("TEXT", False, None),
        "relative_to": ("TEXT", False, None),
        "offset_days": ("INTEGER", False, None),
    },
    "notes": {
        "id": ("INTEGER", True, None),
        "case_id": ("TEXT", True, None),
        "event_id": ("INTEGER", False, None),
        "flag_key": ("TEXT", False, None),
        "created": ("TEXT", True, None),
        "author": ("TEXT", False, ""),
        "tag": ("TEXT", True, "note"),
        "text": ("TEXT", True, None),
    },
    "policy": {
        "rule_id": ("TEXT", True, None),
        "council": ("TEXT", True, ""),
        "param": ("TEXT", True, None),
        "value": ("TEXT", True, None),
    },
    "guidance": {
        "id": ("TEXT", True, None),
        "title": ("TEXT", True, ""),
        "shape": ("TEXT", True, None),
        "status": ("TEXT", True, ""),
        "confidence": ("TEXT", False, ""),
        "summary": ("TEXT", False, ""),
        "citation": ("TEXT", False, "{}"),
        "params": ("TEXT", True, "{}"),
    },
}

PRIMARY_KEYS: dict[str, str | tuple[str, ...]] = {
    "cases": "id",
    "people": ("case_id", "id"),
    "events": "id",
    "notes": "id",
    "policy": ("rule_id", "council", "param"),
    "guidance": "id",
}

FOREIGN_KEYS: dict[str, list[tuple[str, str, str]]] = {
    "people": [("case_id", "cases", "id")],
    "events": [("case_id", "cases", "id")],
    "notes": [("case_id", "cases", "id"), ("event_id", "events", "id")],
}


class StoreError(Exception):
    """A database that cannot be used as asked; the message is one sentence for the user."""


class NewerSchemaError(StoreError):
    """The file was written by a newer caseline."""


# --- Opening --------------------------------------------------------------------------------


def _is_sqlite_file(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    # An empty file is a valid, empty SQLite database.
    return head == SQLITE_MAGIC or head == b""


def _create_private_file(path: Path) -> None:
    """Create *path* empty with mode 0600 so SQLite (and its -wal/-shm) inherit it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if read_only:
        uri = path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
    # We manage transactions explicitly (BEGIN ... COMMIT) so DDL is covered too.
    conn.isolation_level = None
    conn.row_factory = sqlite3.Row
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def existing_tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row[0] for row in rows}


def open_database(
    path: str | os.PathLike[str],
    *,
    create: bool = False,
    read_only: bool = False,
    migrate: bool = True,
) -> sqlite3.Connection:
    """Open a caseline database, creating or migrating it as asked.

    Args:
        path: the database file.
        create: make the file (owner-only) when it does not exist.
        read_only: open so that nothing can be written.
        migrate: bring an older (or uninitialised) file up to :data:`SCHEMA_VERSION`.

    Raises:
        StoreError: missing file, not SQLite, newer schema, or SQLite refused it.
    """
    db_path = Path(path)
    if not db_path.exists():
        if not create:
            raise StoreError(f"{db_path}: no such file")
        if read_only:
            raise StoreError(f"{db_path}: no such file (read-only mode cannot create one)")
        if not db_path.parent.exists():
            raise StoreError(f"{db_path}: the folder {db_path.parent} does not exist")
        _create_private_file(db_path)
    elif db_path.is_dir():
        raise StoreError(f"{db_path}: is a folder, not a database file")
    elif not _is_sqlite_file(db_path):
        raise StoreError(f"{db_path}: is not a SQLite database; nothing was changed")
    try:
        conn = _connect(db_path, read_only=read_only)
        version = schema_version(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{db_path}: SQLite cannot read it ({exc}); nothing was changed") from None
    if version > SCHEMA_VERSION:
        conn.close()
        raise NewerSchemaError(
            f"{db_path}: was written by a newer caseline (schema {version}, this version knows "
            f"{SCHEMA_VERSION}); upgrade caseline to open it; nothing was changed"
        )
    try:
        if not read_only:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            if migrate and version < SCHEMA_VERSION:
                migrate_database(conn)
        else:
            conn.execute("PRAGMA query_only = ON")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{db_path}: could not be prepared ({exc})") from None
    return conn


# --- Migrations -----------------------------------------------------------------------------


def _create_table(conn: sqlite3.Connection, name: str) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    columns = {col: (int if kind == "INTEGER" else str) for col, (kind, _, _) in SCHEMA[name].items()}
    not_null = {col for col, (_, required, _) in SCHEMA[name].items() if required}
    defaults = {col: default for col, (_, _, default) in SCHEMA[name].items() if default is not None}
    db[name].create(
        columns,
        pk=PRIMARY_KEYS[name],
        foreign_keys=FOREIGN_KEYS.get(name, []),
        not_null=not_null,
        defaults=defaults,
    )


def _add_missing_columns(conn: sqlite3.Connection, name: str) -> None:
    """Bring a table made by plain ``sqlite-utils insert`` up to the documented columns."""
    have = {row[1] for row in conn.execute(f"PRAGMA table_info([{name}])")}
    for col, (kind, _, default) in SCHEMA[name].items():
        if col not in have:
            clause = f" DEFAULT {_sql_literal(default)}" if default is not None else ""
            conn.execute(f"ALTER TABLE [{name}] ADD COLUMN [{col}] {kind}{clause}")


def _sql_literal(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _migration_1(conn: sqlite3.Connection) -> None:
    """The first schema: every table, the timeline index, and the guidance library."""
    tables = existing_tables(conn)
    for name in TABLES:
        if name in tables:
            _add_missing_columns(conn, name)
        else:
            _create_table(conn, name)
    conn.execute(
        "CREATE INDEX IF NOT EXISTS events_case_date ON events (case_id, date_start, date_end, id)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS notes_case ON notes (case_id, event_id)")
    from caseline.guidance import load_library

    for rule in load_library():
        conn.execute(
            "INSERT OR IGNORE INTO guidance (id, title, shape, status, confidence, summary, citation, params) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rule.id,
                rule.title,
                rule.shape,
                rule.status,
                rule.confidence,
                rule.summary,
                json.dumps(rule.citation),
                json.dumps(rule.params),
            ),
        )


#: Ordered steps; step N brings a file from version N-1 to N.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migration_1]


def migrate_database(conn: sqlite3.Connection) -> int:
    """Run every migration the file still needs, each in its own transaction."""
    version = schema_version(conn)
    for target, step in enumerate(MIGRATIONS, start=1):
        if version >= target:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(conn)
            conn.execute(f"PRAGMA user_version = {target}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        version = target
    return version


@dataclass
class Transaction:
    """``with Transaction(conn):`` — BEGIN IMMEDIATE, then COMMIT or ROLLBACK."""

    conn: sqlite3.Connection

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


# --- Reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseInfo:
    id: str
    title: str
    council: str
    summary: str
    source: str
    illustrative: bool
    records_from: date | None
    teaching: dict
    event_count: int = 0


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    role: str
    born: DateRange | None


@dataclass(frozen=True, slots=True)
class Event:
    """One row of the chronology, as the rule engine and the UI see it."""

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


def event_dates(date_start: object, date_end: object) -> DateRange:
    """Read an event's range; the fast path is two full ISO dates."""
    start, end = _text(date_start), _text(date_end)
    if len(start) == 10 and (len(end) == 10 or not end):
        try:
            first = date.fromisoformat(start)
            last = date.fromisoformat(end) if end else first
            if last >= first:
                return DateRange(first, last)
        except ValueError:
            pass
    return parse_range(start, end or None)


def _offset(value: object) -> int | None:
    text = _text(value).strip()
    if not text:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def row_to_event(row: sqlite3.Row | tuple) -> Event:
    """Build an :class:`Event` from a row selected with :data:`EVENT_SELECT`."""
    return Event(
        id=int(row[0]),
        case_id=_text(row[1]),
        ref=_text(row[2]),
        dates=event_dates(row[3], row[4]),
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


EVENT_SELECT = (
    "SELECT id, case_id, ref, date_start, date_end, date_text, kind, subject, actor, summary, "
    "detail, source, recorded, relative_to, offset_days FROM events"
)
ORDER = "ORDER BY date_start, date_end, id"


def list_cases(conn: sqlite3.Connection) -> list[CaseInfo]:
    """Every case with its number of events, in id order."""
    counts = dict(conn.execute("SELECT case_id, count(*) FROM events GROUP BY case_id").fetchall())
    cases = [
        _case_from_row(row, counts.get(row["id"], 0))
        for row in conn.execute("SELECT * FROM cases ORDER BY id")
    ]
    return cases


def _case_from_row(row: sqlite3.Row, count: int) -> CaseInfo:
    keys = row.keys()
    teaching_raw = row["teaching"] if "teaching" in keys else None
    try:
        teaching = json.loads(teaching_raw) if teaching_raw else {}
    except ValueError:
        teaching = {}
    return CaseInfo(
        id=_text(row["id"]),
        title=_text(row["title"]) if "title" in keys else "",
        council=_text(row["council"]) if "council" in keys else "",
        summary=_text(row["summary"]) if "summary" in keys else "",
        source=_text(row["source"]) if "source" in keys else "",
        illustrative=bool(row["illustrative"]) if "illustrative" in keys and row["illustrative"] else False,
        records_from=_optional_date(row["records_from"]) if "records_from" in keys else None,
        teaching=teaching,
        event_count=count,
    )


def get_case(conn: sqlite3.Connection, case_id: str, *, count_events: bool = True) -> CaseInfo:
    """The case *case_id*; with ``count_events=False`` its ``event_count`` is 0 and no scan
    of the case's events is made (a tenth of a second at a million).

    Raises:
        StoreError: when there is no such case.
    """
    row = conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute("SELECT id FROM cases ORDER BY id LIMIT 20")]
        hint = f"; known cases: {', '.join(known)}" if known else "; the database holds no cases"
        raise StoreError(f"no case {case_id!r} in this database{hint}")
    count = 0
    if count_events:
        count = conn.execute("SELECT count(*) FROM events WHERE case_id = ?", (case_id,)).fetchone()[0]
    return _case_from_row(row, count)


def list_people(conn: sqlite3.Connection, case_id: str) -> list[Person]:
    people = []
    for row in conn.execute("SELECT id, name, role, born FROM people WHERE case_id = ? ORDER BY id", (case_id,)):
        born_text = _text(row["born"]).strip()
        try:
            born = parse_range(born_text) if born_text else None
        except DateError:
            born = None
        people.append(Person(_text(row["id"]), _text(row["name"]), _text(row["role"]), born))
    return people


def iter_events(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str] | None = None) -> Iterator[Event]:
    """The case's events in date order, optionally only some kinds."""
    if kinds is None:
        rows = conn.execute(f"{EVENT_SELECT} WHERE case_id = ? {ORDER}", (case_id,))
    else:
        wanted = sorted(set(kinds))
        marks = ",".join("?" * len(wanted))
        rows = conn.execute(f"{EVENT_SELECT} WHERE case_id = ? AND kind IN ({marks}) {ORDER}", (case_id, *wanted))
    for row in rows:
        yield row_to_event(row)


def load_events(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str] | None = None) -> list[Event]:
    return list(iter_events(conn, case_id, kinds))


def get_events(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Event]:
    """Fetch events by id (for the visible page of a long timeline)."""
    wanted = list(ids)
    found: dict[int, Event] = {}
    for chunk_start in range(0, len(wanted), 500):
        chunk = wanted[chunk_start : chunk_start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"{EVENT_SELECT} WHERE id IN ({marks})", chunk):
            event = row_to_event(row)
            found[event.id] = event
    return found


def timeline_index(conn: sqlite3.Connection, case_id: str):
    """The case's event ids in date order as a compact array (8 bytes an event)."""
    from array import array

    ids = array("q")
    cursor = conn.execute(f"SELECT id FROM events WHERE case_id = ? {ORDER}", (case_id,))
    while batch := cursor.fetchmany(65536):
        ids.extend(row[0] for row in batch)
    return ids


def chronology_end(conn: sqlite3.Connection, case_id: str) -> date | None:
    """The last day any event of the case may have happened on (the default as-of date)."""
    row = conn.execute(
        "SELECT max(coalesce(nullif(date_end, ''), date_start)) FROM events WHERE case_id = ?", (case_id,)
    ).fetchone()
    if not row or not row[0]:
        return None
    try:
        return parse_range(str(row[0])).end
    except DateError:
        return None


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


def load_facts(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str]) -> list[Fact]:
    """The case's events of *kinds*, as :class:`Fact` rows for the rule engine."""
    wanted = sorted(set(kinds))
    marks = ",".join("?" * len(wanted))
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: sqlite3.Row costs more than the read itself here
    cursor.execute(
        "SELECT id, coalesce(ref, ''), coalesce(kind, ''), coalesce(actor, ''), date_start, date_end, "
        "coalesce(relative_to, ''), offset_days FROM events "
        # In index order: the engine's own sort is then a linear pass over sorted runs.
        f"WHERE case_id = ? AND kind IN ({marks}) {ORDER}",
        (case_id, *wanted),
    )
    facts = []
    ranges: dict[tuple, DateRange] = {}  # events on the same days share one (immutable) range
    while batch := cursor.fetchmany(10000):
        for event_id, ref, kind, actor, start, end, relative_to, offset in batch:
            dates = ranges.get((start, end))
            if dates is None:
                dates = ranges[(start, end)] = event_dates(start, end)
            facts.append(Fact(event_id, ref, kind, actor, dates, relative_to,
                              None if offset is None or offset == "" else _offset(offset)))
    return facts
