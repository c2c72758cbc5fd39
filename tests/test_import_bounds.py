"""Imports stream: memory does not grow with the file, and whole-file checks still hold.

Budgets are measured with tracemalloc (Python allocations), not timed: the peak for a file
must stay under a fixed budget and must not grow when the file doubles.
"""

from __future__ import annotations

import pytest

from caseline.importing import BATCH_ROWS, ImportFailed, import_files
from caseline.store import open_database
from conftest import peak_import_bytes


def _write_rows(path, rows: int, *, duplicate_ref_at: int | None = None):
    with path.open("w", encoding="utf-8") as out:
        out.write("case_id,ref,date_start,kind,actor,summary,relative_to,offset_days\n")
        for n in range(rows):
            ref = "R0" if n == duplicate_ref_at else f"R{n}"
            day = f"20{10 + n // 200_000:02d}-{1 + (n // 16_000) % 12:02d}-{1 + (n // 600) % 27:02d}"
            if n % 50 == 49:  # dated from an event many batches back
                out.write(f"c1,{ref},,cin_visit,SW{n % 7},Visit {n},R{n - 40},3\n")
            else:
                out.write(f"c1,{ref},{day},note,SW{n % 7},Synthetic event {n},,\n")
    return path


def _peak_import_bytes(tmp_path, rows: int) -> int:
    return peak_import_bytes(_write_rows(tmp_path / f"rows{rows}.csv", rows), tmp_path / f"db{rows}.db", rows)


@pytest.mark.slow
def test_import_memory_does_not_grow_with_the_file(tmp_path):
    small = _peak_import_bytes(tmp_path, 40_000)
    large = _peak_import_bytes(tmp_path, 80_000)
    assert large < 16 * 1024 * 1024, f"peak {large / 1e6:.1f} MB for 80k rows"
    print(f"peak {small / 1e6:.1f} MB at 40k rows, {large / 1e6:.1f} MB at 80k")
    assert large < small * 1.25, f"peak grew from {small / 1e6:.1f} MB to {large / 1e6:.1f} MB"


def test_a_ref_repeated_batches_apart_is_still_caught_by_line(tmp_path):
    rows = BATCH_ROWS + 500
    csv = _write_rows(tmp_path / "dup.csv", rows, duplicate_ref_at=BATCH_ROWS + 100)
    conn = open_database(tmp_path / "x.db", create=True)
    try:
        with pytest.raises(ImportFailed) as caught:
            import_files(conn, [csv], create_cases=True)
        assert any(f"dup.csv:{BATCH_ROWS + 102}: ref: 'R0' is used twice" in line for line in caught.value.problems), \
            caught.value.problems
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    finally:
        conn.close()


def test_relative_dates_resolve_against_rows_of_earlier_batches(tmp_path):
    rows = BATCH_ROWS * 2  # the last row (a multiple of 50 rows) is dated from one 40 rows back
    csv = _write_rows(tmp_path / "rel.csv", rows)
    conn = open_database(tmp_path / "x.db", create=True)
    try:
        import_files(conn, [csv], create_cases=True)
        row = conn.execute("SELECT date_start FROM events WHERE ref = ?", (f"R{rows - 1}",)).fetchone()
        anchor = conn.execute("SELECT date_start FROM events WHERE ref = ?", (f"R{rows - 41}",)).fetchone()
        from datetime import date, timedelta

        assert date.fromisoformat(row[0]) == date.fromisoformat(anchor[0]) + timedelta(days=3)
    finally:
        conn.close()
