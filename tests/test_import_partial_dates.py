"""Rows the bulk path cannot pass at a glance (month-only dates, relative dates) get the full
row check a page at a time: a file made only of them imports in memory that does not grow."""

from __future__ import annotations

import pytest

from caseline.store import open_database
from conftest import peak_import_bytes


def _write_months(path, rows: int):
    with path.open("w", encoding="utf-8") as out:
        out.write("case_id,ref,date_start,kind,summary,relative_to,offset_days\n")
        for n in range(rows):
            if n % 4 == 3:
                out.write(f"m,R{n},,note,Follow-up {n},R{n - 1},2\n")
            else:
                out.write(f"m,R{n},20{10 + n % 20:02d}-{1 + n % 12:02d},note,Month only {n},,\n")
    return path


def _peak(tmp_path, rows: int) -> int:
    csv = _write_months(tmp_path / f"m{rows}.csv", rows)
    peak = peak_import_bytes(csv, tmp_path / f"m{rows}.db", rows)
    conn = open_database(tmp_path / f"m{rows}.db")
    try:
        row = conn.execute("SELECT date_start, date_end FROM events WHERE ref = 'R1'").fetchone()
        assert tuple(row) == ("2011-02-01", "2011-02-28")
        # R3 is two days after R2 (2012-03, the whole month): 2012-03-03 to 2012-04-02.
        assert tuple(conn.execute("SELECT date_start, date_end FROM events WHERE ref = 'R3'").fetchone()) == (
            "2012-03-03", "2012-04-02")
        assert conn.execute("SELECT count(*) FROM events WHERE length(date_start) != 10").fetchone()[0] == 0
    finally:
        conn.close()
    return peak


@pytest.mark.slow
def test_a_file_of_partial_and_relative_dates_imports_in_flat_memory(tmp_path):
    small = _peak(tmp_path, 20_000)
    large = _peak(tmp_path, 40_000)
    print(f"peak {small / 1e6:.1f} MB at 20k rows, {large / 1e6:.1f} MB at 40k")
    assert large < small * 1.25, f"peak grew from {small / 1e6:.1f} MB to {large / 1e6:.1f} MB"
