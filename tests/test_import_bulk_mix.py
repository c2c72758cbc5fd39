"""A file whose rows take both paths (bulk rows of fresh cases, and row-by-row rows written
between their batches) is still checked whole: every bulk row gets its second look and every
problem its right line."""

from __future__ import annotations

import pytest

from caseline.importing import BATCH_ROWS, ImportFailed, import_files
from caseline.store import open_database


def _write_mixed(path, pairs: int, last_row: str):
    """Rows of case 'a' (bulk) alternating with rows of ' b' (a padded id: the row-by-row
    path, which writes its batches among a's), then *last_row*."""
    with path.open("w", encoding="utf-8") as out:
        out.write("case_id,date_start,kind,summary\n")
        for n in range(pairs):
            out.write(f"a,2021-01-{1 + n % 28:02d},note,A {n}\n")
            out.write(f" b,2021-02-{1 + n % 28:02d},note,B {n}\n")
        out.write(last_row + "\n")
    return path


def test_a_bad_bulk_row_after_row_by_row_batches_is_still_refused(tmp_path):
    pairs = 2 * BATCH_ROWS + 100
    csv = _write_mixed(tmp_path / "mixed.csv", pairs, "a,2021-13-45,note,Bad date")
    conn = open_database(tmp_path / "x.db", create=True)
    with pytest.raises(ImportFailed) as caught:
        import_files(conn, [csv], create_cases=True)
    assert caught.value.problems == [
        f"{csv}:{2 * pairs + 2}: date_start: '2021-13-45' is not a real date (month must be in 1..12)"]
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    conn.close()


def test_a_month_only_bulk_row_after_row_by_row_batches_is_read_as_the_month(tmp_path):
    pairs = 2 * BATCH_ROWS + 100
    csv = _write_mixed(tmp_path / "mixed.csv", pairs, "a,2021-09,note,Some time in September")
    conn = open_database(tmp_path / "x.db", create=True)
    result = import_files(conn, [csv], create_cases=True)
    assert result.events == 2 * pairs + 1
    row = conn.execute("SELECT date_start, date_end FROM events WHERE summary = 'Some time in September'").fetchone()
    assert tuple(row) == ("2021-09-01", "2021-09-30")
    counts = dict(conn.execute("SELECT case_id, count(*) FROM events GROUP BY case_id").fetchall())
    assert counts == {"a": pairs + 1, "b": pairs}
    conn.close()
