"""A big import indexes its rows for search once instead of row by row, and stays all or nothing.

The search index (``events_fts``) is kept in step by triggers. A big import pauses them inside
its transaction and indexes its rows in one statement; these tests check that search then finds
the rows, that small imports and replaced cases still go through the triggers, that the
triggers are back afterwards for every other writer, and that a failed or killed import leaves
events, the index and the triggers exactly as they were.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from caseline.importing import BATCH_ROWS, ImportFailed, import_files
from caseline.store import open_database
from caseline.store.timeline import search_matches

HEADER = "case_id,ref,date_start,kind,actor,summary\n"


def _write(path, case_id: str, rows: int, *, word: str = "visit", bad_at: int | None = None):
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for n in range(rows):
            day = "2021-13-01" if n == bad_at else f"20{10 + n // 10_000:02d}-{1 + n % 12:02d}-{1 + n % 27:02d}"
            summary = f"Synthetic {word} number{n}"
            out.write(f"{case_id},R{n},{day},note,SW{n % 5},{summary}\n")
    return path


def _triggers(conn) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events' ORDER BY name")]


def _index_in_step(conn) -> bool:
    """FTS5's own check of the index against the events table (rank 1: against the content)."""
    try:
        conn.execute("INSERT INTO events_fts(events_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError:
        return False
    return True


def _index_state(conn) -> tuple:
    """Everything the index stores, and the events, to compare before and after."""
    return (
        tuple(conn.execute("SELECT count(*), coalesce(sum(length(summary)), 0) FROM events").fetchone()),
        tuple(conn.execute("SELECT count(*), coalesce(sum(length(block)), 0), coalesce(max(hex(block)), '') "
                           "FROM events_fts_data").fetchone()),
        tuple(_triggers(conn)),
    )


def _matches(conn, case_id: str, text: str) -> list[int]:
    return list(search_matches(conn, case_id, text, limit=10_000_000)[0])


def _statements(conn) -> list[str]:
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    return seen


def test_the_check_used_here_notices_an_index_out_of_step(db_path):
    conn = open_database(db_path)
    conn.execute("INSERT INTO cases (id, title) VALUES ('c', 'C')")
    assert _index_in_step(conn)
    conn.execute("DROP TRIGGER events_fts_insert")
    conn.execute("INSERT INTO events (case_id, date_start, date_end, kind, summary) "
                 "VALUES ('c', '2021-01-01', '2021-01-01', 'note', 'Unindexed words')")
    assert not _index_in_step(conn)
    conn.close()


def test_a_bulk_import_is_searchable_and_leaves_the_triggers_in_place(tmp_path, db_path):
    rows = 2 * BATCH_ROWS + 7
    csv = _write(tmp_path / "big.csv", "big", rows)
    conn = open_database(db_path)
    seen = _statements(conn)
    result = import_files(conn, [csv], create_cases=True)
    conn.set_trace_callback(None)
    assert result.events == rows
    assert any(s.startswith("DROP TRIGGER") for s in seen), "the big import did not pause the triggers"
    assert _triggers(conn) == ["events_fts_delete", "events_fts_insert", "events_fts_update"]
    assert _index_in_step(conn)
    assert len(_matches(conn, "big", "synthetic visit")) == rows
    first, last = conn.execute("SELECT min(id), max(id) FROM events").fetchone()
    assert _matches(conn, "big", "number0") == [first]
    assert _matches(conn, "big", f"number{rows - 1}") == [last]
    # Later ordinary writes (a sqlite-utils user, a correction) are indexed by the triggers again.
    conn.execute("UPDATE events SET summary = 'Strategy discussion' WHERE id = ?", (first,))
    conn.execute("INSERT INTO events (case_id, date_start, date_end, kind, summary) "
                 "VALUES ('big', '2030-01-01', '2030-01-01', 'note', 'Strategy meeting')")
    assert len(_matches(conn, "big", "strategy")) == 2
    assert _matches(conn, "big", "number0") == []
    assert _index_in_step(conn)
    conn.close()


def test_a_small_import_goes_through_the_triggers(tmp_path, db_path):
    csv = _write(tmp_path / "small.csv", "small", 40, word="meeting")
    conn = open_database(db_path)
    seen = _statements(conn)
    assert import_files(conn, [csv], create_cases=True).events == 40
    conn.set_trace_callback(None)
    assert not any("TRIGGER" in s for s in seen)
    assert len(_matches(conn, "small", "meeting")) == 40
    assert _index_in_step(conn)
    conn.close()


def test_a_bulk_import_beside_indexed_events_indexes_only_its_own(tmp_path, db_path):
    """An incremental index: the events already there stay found once, the new ones are added."""
    conn = open_database(db_path)
    import_files(conn, [_write(tmp_path / "old.csv", "old", 30, word="review")], create_cases=True)
    before = _matches(conn, "old", "review")
    big = _write(tmp_path / "big.csv", "big", BATCH_ROWS + 3, word="review")
    # The same import also adds rows to the case that already had events (the staged path).
    extra = tmp_path / "extra.csv"
    extra.write_text(HEADER + "old,X1,2030-01-01,note,SW,Late review added\n", encoding="utf-8")
    result = import_files(conn, [big, extra], create_cases=True)
    assert result.events == BATCH_ROWS + 4
    assert _index_in_step(conn)
    assert _matches(conn, "old", "review")[:-1] == before and len(_matches(conn, "old", "review")) == 31
    assert len(_matches(conn, "big", "review")) == BATCH_ROWS + 3
    conn.close()


def test_replacing_a_case_after_a_bulk_import_drops_the_old_rows_from_the_index(tmp_path, db_path):
    conn = open_database(db_path)
    import_files(conn, [_write(tmp_path / "a.csv", "a", BATCH_ROWS + 1, word="visit")], create_cases=True)
    # Another big fresh case in the same import as the replacement: the triggers are paused for
    # it and must be back before the replaced case's old rows are deleted.
    fresh = _write(tmp_path / "b.csv", "b", BATCH_ROWS + 1, word="visit")
    replacement = _write(tmp_path / "a2.csv", "a", 10, word="conference")
    import_files(conn, [fresh, replacement], replace=True, create_cases=True)
    assert _index_in_step(conn)
    assert _matches(conn, "a", "visit") == []
    assert len(_matches(conn, "a", "conference")) == 10
    assert len(_matches(conn, "b", "visit")) == BATCH_ROWS + 1
    conn.close()


def test_a_failed_bulk_import_leaves_events_and_index_unchanged(tmp_path, db_path):
    conn = open_database(db_path)
    import_files(conn, [_write(tmp_path / "old.csv", "old", 25)], create_cases=True)
    before = _index_state(conn)
    # The bad date comes after two full batches: by then the triggers were paused.
    bad = _write(tmp_path / "bad.csv", "big", 2 * BATCH_ROWS + 50, bad_at=2 * BATCH_ROWS + 20)
    seen = _statements(conn)
    with pytest.raises(ImportFailed) as caught:
        import_files(conn, [bad], create_cases=True)
    conn.set_trace_callback(None)
    assert any(s.startswith("DROP TRIGGER") for s in seen)
    assert any(f"bad.csv:{2 * BATCH_ROWS + 22}: date_start" in p for p in caught.value.problems), caught.value.problems
    assert _index_state(conn) == before
    assert _index_in_step(conn)
    assert _matches(conn, "old", "visit") and conn.execute("SELECT count(*) FROM cases WHERE id = 'big'").fetchone()[0] == 0
    conn.close()


#: Imports in a child process that kills itself (SIGKILL) at a chosen point: while rows are
#: still being read, just before the index is rebuilt, or just before COMMIT.
_KILLED_IMPORT = """
import os, signal, sys
from caseline.importing import import_files
from caseline.store import open_database

db, csv, point = sys.argv[1:]
conn = open_database(db)

def die(*_):
    os.kill(os.getpid(), signal.SIGKILL)

def on_statement(sql):
    if (point == "rebuild" and "'rebuild'" in sql) or (point == "commit" and sql.strip().upper() == "COMMIT"):
        die()

def progress(done, rows):
    if point == "rows" and rows >= 3 * 5000:
        die()

conn.set_trace_callback(on_statement)
import_files(conn, [csv], create_cases=True, progress=progress)
print("finished")
"""


@pytest.mark.parametrize("point", ["rows", "rebuild", "commit"])
def test_an_import_killed_at_any_point_leaves_the_database_as_it_was(tmp_path, point):
    db = tmp_path / "cases.db"
    conn = open_database(db, create=True)
    import_files(conn, [_write(tmp_path / "old.csv", "old", 25)], create_cases=True)
    before = _index_state(conn)
    conn.close()
    # Long enough that progress (told every 5,000 rows) comes while rows are still being read.
    csv = _write(tmp_path / "big.csv", "big", max(4 * BATCH_ROWS, 20_000))
    if point == "rebuild":
        # The rebuild path is taken when the table was empty: use an empty database.
        db.unlink()
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"cases.db{suffix}").unlink(missing_ok=True)
        open_database(db, create=True).close()
        conn = open_database(db)
        before = _index_state(conn)
        conn.close()
    child = subprocess.run([sys.executable, "-c", _KILLED_IMPORT, str(db), str(csv), point],
                           capture_output=True, text=True)
    assert child.returncode == -signal.SIGKILL, (child.returncode, child.stdout, child.stderr)
    assert "finished" not in child.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _index_state(conn) == before
    assert _index_in_step(conn)
    assert conn.execute("SELECT count(*) FROM cases WHERE id = 'big'").fetchone()[0] == 0
    conn.close()
    assert os.path.exists(db)


def test_the_progress_display_is_told_when_the_import_indexes_for_search(tmp_path, db_path):
    conn = open_database(db_path)
    said: list[str] = []
    import_files(conn, [_write(tmp_path / "small.csv", "small", 40)], create_cases=True, stage=said.append)
    assert said == ["checking"]
    said.clear()
    big, small = _write(tmp_path / "big.csv", "big", BATCH_ROWS + 1), _write(tmp_path / "s2.csv", "s2", 3)
    import_files(conn, [big, small], create_cases=True, stage=said.append)
    assert said == ["checking", "importing", "checking", "indexing for search"]
    conn.close()
