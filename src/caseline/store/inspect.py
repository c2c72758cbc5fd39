"""Reading a database's tables as they are, for ``caseline check``.

Unlike :mod:`~caseline.store.reads`, nothing here assumes the documented columns: a database
filled by plain ``sqlite-utils insert`` may lack any of them, and ``check`` must say which.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from caseline.store.schema import table_columns

#: The event columns ``check`` reads when present (NULL otherwise).
CHECKED_EVENT_COLUMNS = ("id", "case_id", "date_start", "date_end", "kind", "summary", "ref",
                         "relative_to", "offset_days", "recorded")


def raw_event_rows(conn: sqlite3.Connection, batch: int = 10000) -> Iterator[dict[str, object]]:
    """Every events row as ``{column: value}`` for :data:`CHECKED_EVENT_COLUMNS` (``id`` falls
    back to the rowid)."""
    have = table_columns(conn, "events")
    picked = []
    for name in CHECKED_EVENT_COLUMNS:
        if name in have:
            picked.append(f"[{name}]")
        elif name == "id":
            picked.append("rowid")
        else:
            picked.append("NULL")
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(f"SELECT {', '.join(picked)} FROM events")
    while rows := cursor.fetchmany(batch):
        for row in rows:
            yield dict(zip(CHECKED_EVENT_COLUMNS, row))


def raw_case_ids(conn: sqlite3.Connection) -> set[str]:
    return {str(row[0]) for row in conn.execute("SELECT id FROM cases")}


def raw_people_roles(conn: sqlite3.Connection) -> Iterator[tuple[object, object, object]]:
    yield from conn.execute("SELECT case_id, id, role FROM people")


def duplicate_refs(conn: sqlite3.Connection, limit: int) -> list[tuple[object, object, object, object]]:
    """``(event id, case_id, ref, first id)`` for each event whose ``ref`` an earlier event of its
    case already uses (SQLite groups them: nothing is held per event)."""
    have = table_columns(conn, "events")
    if "ref" not in have:
        return []
    key = "id" if "id" in have else "rowid"
    rows = conn.execute(
        # "f.ref != ''" (implied) lets SQLite use the partial index events_case_ref where there is
        # one, instead of walking every event of the case for every event.
        f"SELECT e.{key}, e.case_id, e.ref, (SELECT min(f.{key}) FROM events AS f WHERE f.case_id = e.case_id "
        f"AND f.ref = e.ref AND f.ref != '') AS first FROM events AS e WHERE coalesce(e.ref, '') != '' AND e.{key} != "
        f"(SELECT min(f.{key}) FROM events AS f WHERE f.case_id = e.case_id AND f.ref = e.ref AND f.ref != '') "
        f"ORDER BY e.{key} LIMIT ?",
        (limit,),
    )
    return [tuple(row) for row in rows]


def dangling_relatives(conn: sqlite3.Connection, limit: int) -> list[tuple[object, object, object]]:
    """``(event id, case_id, relative_to)`` for events dated from a ``ref`` their case lacks."""
    have = table_columns(conn, "events")
    if "relative_to" not in have or "ref" not in have:
        return []
    key = "id" if "id" in have else "rowid"
    rows = conn.execute(
        f"SELECT e.{key}, e.case_id, e.relative_to FROM events AS e WHERE coalesce(e.relative_to, '') != '' "
        f"AND NOT EXISTS (SELECT 1 FROM events AS f WHERE f.case_id = e.case_id AND f.ref = e.relative_to "
        f"AND f.ref != '') "
        f"ORDER BY e.{key} LIMIT ?",
        (limit,),
    )
    return [tuple(row) for row in rows]


def count_events(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def events_without_subject(conn: sqlite3.Connection, kinds: set[str]) -> list[tuple[str, int, int]]:
    """``(case_id, children, events)`` for each case with two or more children (people with
    role ``child``) whose events of *kinds* include some with no ``subject``."""
    if "subject" not in table_columns(conn, "events") or not {"role", "case_id"} <= table_columns(conn, "people"):
        return []
    wanted = sorted(kinds)
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(
        "SELECT c.case_id, c.children, count(e.rowid) FROM "
        "(SELECT case_id, count(*) AS children FROM people WHERE role = 'child' GROUP BY case_id HAVING count(*) >= 2) c "
        f"JOIN events e ON e.case_id = c.case_id AND coalesce(e.subject, '') = '' AND e.kind IN ({marks}) "
        "GROUP BY c.case_id ORDER BY c.case_id",
        wanted,
    )
    return [(str(a), int(b), int(n)) for a, b, n in rows]
