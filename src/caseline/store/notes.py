"""Notes, their history, and stars: the investigator's writing, kept safe.

What this module promises:

* Every write (add, edit, delete, restore, star) is one transaction of its own
  (``BEGIN IMMEDIATE`` … ``COMMIT``), so two processes adding notes at once lose nothing; a
  lock the busy timeout could not get is :class:`~caseline.store.database.BusyError`, and
  nothing was written.
* Nothing written is lost: every version of a note goes to ``note_history`` (``created``,
  ``edited``, ``deleted``, ``restored``); deleting only marks the note ``deleted``, and
  :func:`restore_note` brings it back.
* Reads work on any database a reading open accepts: a file without a ``notes`` table (a
  plain sqlite-utils import) has no notes; missing columns read as their defaults.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from caseline.model import Note, NoteVersion, Star
from caseline.store.database import StoreError, Transaction
from caseline.store.schema import existing_tables, table_columns

__all__ = [
    "add_note",
    "edit_note",
    "delete_note",
    "restore_note",
    "get_note",
    "event_by_ref",
    "list_notes",
    "note_history",
    "set_star",
    "list_stars",
]

_NOTE_COLUMNS = ("id", "case_id", "event_id", "flag_key", "created", "author", "tag", "text", "updated", "deleted")


def _note_select(conn: sqlite3.Connection) -> str | None:
    if "notes" not in existing_tables(conn):
        return None
    have = table_columns(conn, "notes")
    picked = ", ".join(col if col in have else f"NULL AS {col}" for col in _NOTE_COLUMNS)
    return f"SELECT {picked} FROM notes"


def _row_to_note(row) -> Note:
    return Note(
        id=int(row[0]),
        case_id=str(row[1]),
        event_id=None if row[2] is None or row[2] == "" else int(row[2]),
        flag_key=None if not row[3] else str(row[3]),
        created=str(row[4] or ""),
        author=str(row[5] or ""),
        tag=str(row[6] or "note"),
        text=str(row[7] or ""),
        updated=None if not row[8] else str(row[8]),
        deleted=None if not row[9] else str(row[9]),
    )


def get_note(conn: sqlite3.Connection, note_id: int) -> Note:
    """The note *note_id*, deleted or not.

    Raises:
        StoreError: when there is no such note.
    """
    select = _note_select(conn)
    row = conn.execute(f"{select} WHERE id = ?", (note_id,)).fetchone() if select else None
    if row is None:
        raise StoreError(f"no note {note_id} in this database")
    return _row_to_note(row)


def list_notes(conn: sqlite3.Connection, case_id: str, *, include_deleted: bool = False) -> list[Note]:
    """The case's notes in the order they were written (deleted ones only when asked)."""
    select = _note_select(conn)
    if select is None:
        return []
    where = "WHERE case_id = ?" + ("" if include_deleted else " AND coalesce(deleted, '') = ''")
    return [_row_to_note(row) for row in conn.execute(f"{select} {where} ORDER BY created, id", (case_id,))]


def note_history(conn: sqlite3.Connection, note_id: int) -> list[NoteVersion]:
    """Every version of a note, oldest first."""
    if "note_history" not in existing_tables(conn):
        return []
    rows = conn.execute(
        "SELECT note_id, changed, action, author, tag, text FROM note_history WHERE note_id = ? ORDER BY id",
        (note_id,),
    )
    return [NoteVersion(int(a), str(b), str(c), str(d or ""), str(e or "note"), str(f or "")) for a, b, c, d, e, f in rows]


def _record(conn: sqlite3.Connection, note_id: int, when: str, action: str, author: str, tag: str, text: str) -> None:
    conn.execute(
        "INSERT INTO note_history (note_id, changed, action, author, tag, text) VALUES (?, ?, ?, ?, ?, ?)",
        (note_id, when, action, author, tag, text),
    )


def _keep_original(conn: sqlite3.Connection, note: Note) -> None:
    """A note written before history existed (or by a plain insert) gets its first version
    recorded before it changes, so its original text is never lost."""
    if conn.execute("SELECT 1 FROM note_history WHERE note_id = ? LIMIT 1", (note.id,)).fetchone() is None:
        _record(conn, note.id, note.created, "created", note.author, note.tag, note.text)


def _check_target(conn: sqlite3.Connection, case_id: str, event_id: int | None) -> None:
    if conn.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is None:
        raise StoreError(f"no case {case_id!r} in this database")
    if event_id is not None:
        found = conn.execute("SELECT 1 FROM events WHERE id = ? AND case_id = ?", (event_id, case_id)).fetchone()
        if found is None:
            raise StoreError(f"no event {event_id} in case {case_id!r}")


def event_by_ref(conn: sqlite3.Connection, case_id: str, ref: str) -> int:
    """The id of the case's event whose ``ref`` is *ref* (``L04``).

    Raises:
        StoreError: when no event of the case has that ref.
    """
    # ``ref != ''`` lets SQLite use the partial index events_case_ref (not a walk of the case).
    row = conn.execute("SELECT id FROM events WHERE case_id = ? AND ref = ? AND ref != ''",
                       (case_id, ref)).fetchone()
    if row is None:
        raise StoreError(f"no event with ref {ref!r} in case {case_id!r}")
    return int(row[0])


def add_note(
    conn: sqlite3.Connection,
    case_id: str,
    *,
    text: str,
    tag: str,
    author: str,
    created: str,
    event_id: int | None = None,
    flag_key: str | None = None,
) -> Note:
    """Write a new note (on an event, a flag by its key, or the case when both are ``None``).

    Raises:
        BusyError: another process held the lock; nothing was written.
        StoreError: no such case or event.
    """
    with Transaction(conn):
        _check_target(conn, case_id, event_id)
        cursor = conn.execute(
            "INSERT INTO notes (case_id, event_id, flag_key, created, author, tag, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (case_id, event_id, flag_key or None, created, author, tag, text),
        )
        note_id = int(cursor.lastrowid)
        _record(conn, note_id, created, "created", author, tag, text)
    return get_note(conn, note_id)


def edit_note(
    conn: sqlite3.Connection, note_id: int, *, author: str, when: str, text: str | None = None, tag: str | None = None
) -> Note:
    """Change a note's text and/or tag; the earlier version stays in its history."""
    with Transaction(conn):
        note = get_note(conn, note_id)
        if note.deleted:
            raise StoreError(f"note {note_id} is deleted; restore it before editing")
        _keep_original(conn, note)
        new_text = note.text if text is None else text
        new_tag = note.tag if tag is None else tag
        conn.execute("UPDATE notes SET text = ?, tag = ?, updated = ? WHERE id = ?", (new_text, new_tag, when, note_id))
        _record(conn, note_id, when, "edited", author, new_tag, new_text)
    return get_note(conn, note_id)


def delete_note(conn: sqlite3.Connection, note_id: int, *, author: str, when: str) -> Note:
    """Mark a note deleted (it keeps its text and history and can be restored)."""
    with Transaction(conn):
        note = get_note(conn, note_id)
        if not note.deleted:
            _keep_original(conn, note)
            conn.execute("UPDATE notes SET deleted = ?, updated = ? WHERE id = ?", (when, when, note_id))
            _record(conn, note_id, when, "deleted", author, note.tag, note.text)
    return get_note(conn, note_id)


def restore_note(conn: sqlite3.Connection, note_id: int, *, author: str, when: str) -> Note:
    """Bring a deleted note back as it was."""
    with Transaction(conn):
        note = get_note(conn, note_id)
        if note.deleted:
            conn.execute("UPDATE notes SET deleted = NULL, updated = ? WHERE id = ?", (when, note_id))
            _record(conn, note_id, when, "restored", author, note.tag, note.text)
    return get_note(conn, note_id)


# --- Stars ----------------------------------------------------------------------------------------


def list_stars(conn: sqlite3.Connection, case_id: str) -> list[Star]:
    """The case's starred events and flags, oldest first."""
    if "stars" not in existing_tables(conn):
        return []
    rows = conn.execute(
        "SELECT case_id, event_id, flag_key, created, author FROM stars WHERE case_id = ? ORDER BY created, id",
        (case_id,),
    )
    return [Star(str(a), None if b is None else int(b), c or None, str(d), str(e or "")) for a, b, c, d, e in rows]


def set_star(
    conn: sqlite3.Connection,
    case_id: str,
    *,
    starred: bool,
    author: str,
    when: str,
    event_id: int | None = None,
    flag_key: str | None = None,
) -> bool:
    """Star (or unstar) an event or a flag; returns whether anything changed."""
    if event_id is None and not flag_key:
        raise StoreError("a star needs an event or a flag")
    with Transaction(conn):
        _check_target(conn, case_id, event_id)
        if starred:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO stars (case_id, event_id, flag_key, created, author) VALUES (?, ?, ?, ?, ?)",
                (case_id, event_id, flag_key or None, when, author),
            )
        else:
            cursor = conn.execute(
                "DELETE FROM stars WHERE case_id = ? AND coalesce(event_id, -1) = coalesce(?, -1) "
                "AND coalesce(flag_key, '') = coalesce(?, '')",
                (case_id, event_id, flag_key or None),
            )
        return cursor.rowcount > 0


def starred_targets(stars: Iterable[Star]) -> tuple[set[int], set[str]]:
    """``(event ids, flag keys)`` of *stars*."""
    stars = list(stars)
    events = {s.event_id for s in stars if s.event_id is not None}
    flags = {s.flag_key for s in stars if s.flag_key}
    return events, flags  # type: ignore[return-value]
