"""The schema: every table and column, and the ordered migrations that bring a file to it.

The schema is the public contract for developers who import with sqlite-utils; the README
documents it and ``caseline check`` compares databases against it. Each migration step runs
in one transaction together with its ``PRAGMA user_version``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

SCHEMA_VERSION = 5

TABLES = ("cases", "people", "events", "notes", "note_history", "stars", "policy", "guidance")

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
        "as_of": ("TEXT", False, None),
        "complete_for": ("TEXT", False, None),
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
        "updated": ("TEXT", False, None),
        "deleted": ("TEXT", False, None),
    },
    "note_history": {
        "id": ("INTEGER", True, None),
        "note_id": ("INTEGER", True, None),
        "changed": ("TEXT", True, None),
        "action": ("TEXT", True, None),
        "author": ("TEXT", False, ""),
        "tag": ("TEXT", True, "note"),
        "text": ("TEXT", True, ""),
    },
    "stars": {
        "id": ("INTEGER", True, None),
        "case_id": ("TEXT", True, None),
        "event_id": ("INTEGER", False, None),
        "flag_key": ("TEXT", False, None),
        "created": ("TEXT", True, None),
        "author": ("TEXT", False, ""),
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
    "note_history": "id",
    "stars": "id",
    "policy": ("rule_id", "council", "param"),
    "guidance": "id",
}

FOREIGN_KEYS: dict[str, list[tuple[str, str, str]]] = {
    "people": [("case_id", "cases", "id")],
    "events": [("case_id", "cases", "id")],
    "notes": [("case_id", "cases", "id"), ("event_id", "events", "id")],
    "note_history": [("note_id", "notes", "id")],
    "stars": [("case_id", "cases", "id")],
}



def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def existing_tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row[0] for row in rows}


def table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The columns *table* has (empty when there is no such table)."""
    return {row[1] for row in conn.execute(f"PRAGMA table_info([{table}])")}



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


def _migration_2(conn: sqlite3.Connection) -> None:
    """A ``ref`` names one event of its case: re-imports match rows by it."""
    conn.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS events_case_ref ON events (case_id, ref) "
        "WHERE ref IS NOT NULL AND ref != ''"
    )


#: Rules an older library shipped that are now part of others (judged once per change).
RETIRED_RULES = ("care_plan_change_review", "care_plan_change_iro")


def _migration_case_as_of_and_complete_for(conn: sqlite3.Connection) -> None:
    """``cases.as_of``: the date a case is judged at by default (e.g. the decision date).
    ``cases.complete_for``: event kinds (comma-separated) whose records the case declares
    complete, so that an absent one did not happen rather than went unrecorded.

    The ``guidance`` copy made by an older caseline (its rules have no ``absence``) is brought
    to the library as shipped now; a council's own figures live in ``policy`` and are kept."""
    _add_missing_columns(conn, "cases")
    if "guidance" not in existing_tables(conn):
        return
    from caseline.guidance import load_library

    marks = ",".join("?" * len(RETIRED_RULES))
    conn.execute(f"DELETE FROM guidance WHERE id IN ({marks})", RETIRED_RULES)
    for rule in load_library():
        row = conn.execute("SELECT params FROM guidance WHERE id = ?", (rule.id,)).fetchone()
        if row is not None and '"absence"' in str(row[0] or ""):
            continue
        conn.execute(
            "INSERT OR REPLACE INTO guidance (id, title, shape, status, confidence, summary, citation, params) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (rule.id, rule.title, rule.shape, rule.status, rule.confidence, rule.summary,
             json.dumps(rule.citation), json.dumps(rule.params)),
        )


def _migration_note_history_and_stars(conn: sqlite3.Connection) -> None:
    """Notes keep their history (edits and deletions are versions, a deleted note is only
    marked ``deleted``) and investigators star events and flags as key."""
    tables = existing_tables(conn)
    for name in ("notes", "note_history", "stars"):
        if name in tables:
            _add_missing_columns(conn, name)
        else:
            _create_table(conn, name)
    conn.execute("CREATE INDEX IF NOT EXISTS notes_case_flag ON notes (case_id, flag_key)")
    conn.execute("CREATE INDEX IF NOT EXISTS note_history_note ON note_history (note_id, id)")
    conn.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS stars_target ON stars "
        "(case_id, coalesce(event_id, -1), coalesce(flag_key, ''))"
    )


#: The FTS5 index over events: external content (the text stays in ``events`` only), so it
#: adds an index, not a copy. Triggers keep it in step with every write to ``events``,
#: including plain ``sqlite-utils insert`` into a caseline database.
FTS_TABLE = "events_fts"
FTS_COLUMNS = ("summary", "kind", "actor", "date_text", "detail", "ref")


def fts5_available(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite build has FTS5 (nearly all do; caseline falls back to LIKE)."""
    try:
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp._caseline_fts_probe USING fts5(x)")
        conn.execute("DROP TABLE temp._caseline_fts_probe")
        return True
    except sqlite3.OperationalError:
        return False


def _migration_events_full_text_search(conn: sqlite3.Connection) -> None:
    """Search by word over events' text (FTS5), kept in step with ``events`` by triggers."""
    if "events" not in existing_tables(conn) or not fts5_available(conn):
        return  # search uses LIKE; nothing else depends on the index
    cols = ", ".join(FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({cols}, content='events', "
        f"content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    conn.execute(f"CREATE TRIGGER IF NOT EXISTS events_fts_insert AFTER INSERT ON events BEGIN "
                 f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new}); END")
    conn.execute(f"CREATE TRIGGER IF NOT EXISTS events_fts_delete AFTER DELETE ON events BEGIN "
                 f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.id, {old}); END")
    conn.execute(f"CREATE TRIGGER IF NOT EXISTS events_fts_update AFTER UPDATE ON events BEGIN "
                 f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
                 f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new}); END")
    conn.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


#: Ordered steps; step N brings a file from version N-1 to N.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migration_1,
    _migration_2,
    _migration_case_as_of_and_complete_for,
    _migration_note_history_and_stars,
    _migration_events_full_text_search,
]


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
