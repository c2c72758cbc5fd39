"""A council's whole extract: many cases in one file import correctly, in memory that does not
grow with the number of cases.

The file is written the harder way round for the importer: every case's rows interleaved by
date, so each batch holds rows of every case. Refs repeat across cases (``R0`` is in each) but
must be unique within one.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from caseline.check import check_database
from caseline.importing import ImportFailed, import_files
from caseline.store import open_database
from caseline.store.timeline import search_matches
from conftest import peak_import_bytes, traced_peak


def _write_extract(path, cases: int, per_case: int, *, repeat_ref: tuple[int, int] | None = None):
    """*cases* cases of *per_case* events, in date order (case after case within a day).

    Args:
        repeat_ref: ``(case, event)`` whose ref repeats that case's ``R0``.
    """
    first = date(2010, 1, 4)
    with path.open("w", encoding="utf-8") as out:
        out.write("case_id,ref,date_start,kind,actor,summary\n")
        for n in range(per_case):
            day = (first + timedelta(days=7 * n)).isoformat()
            kind = "cin_visit" if n % 3 else "note"
            for k in range(cases):
                ref = "R0" if repeat_ref == (k, n) else f"R{n}"
                out.write(f"K{k:04d},{ref},{day},{kind},SW{k % 9},Weekly contact {n} for family {k}\n")
    return path


def test_many_interleaved_cases_import_whole_with_refs_unique_per_case(tmp_path):
    cases, per_case = 300, 50
    csv = _write_extract(tmp_path / "extract.csv", cases, per_case)
    conn = open_database(tmp_path / "x.db", create=True)
    result = import_files(conn, [csv], create_cases=True)
    assert result.events == cases * per_case
    assert len(result.cases_created) == cases
    counts = conn.execute("SELECT case_id, count(*), count(DISTINCT ref), min(date_start), max(date_start) "
                          "FROM events GROUP BY case_id ORDER BY case_id").fetchall()
    assert [tuple(r) for r in counts] == [
        (f"K{k:04d}", per_case, per_case, "2010-01-04", (date(2010, 1, 4) + timedelta(days=7 * (per_case - 1))).isoformat())
        for k in range(cases)]
    # Each case's rows keep their file order (ids ascend with the date within a case), and
    # each event's ref and summary belong to the same row.
    wrong = conn.execute(
        "SELECT count(*) FROM events WHERE summary != 'Weekly contact ' || substr(ref, 2) || ' for family ' "
        "|| CAST(substr(case_id, 2) AS INTEGER)").fetchone()[0]
    assert wrong == 0
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == cases
    assert len(search_matches(conn, "K0123", "weekly contact")[0]) == per_case
    assert list(search_matches(conn, "K0123", "family 123")[0]) == [
        r[0] for r in conn.execute("SELECT id FROM events WHERE case_id = 'K0123' ORDER BY id")]
    report = check_database(conn)
    assert report.ok and report.cases == cases and report.events_checked == cases * per_case, report.problems
    conn.close()


def test_a_ref_repeated_within_one_of_many_cases_is_refused_by_line(tmp_path):
    cases, per_case = 300, 50
    csv = _write_extract(tmp_path / "extract.csv", cases, per_case, repeat_ref=(217, 40))
    conn = open_database(tmp_path / "x.db", create=True)
    with pytest.raises(ImportFailed) as caught:
        import_files(conn, [csv], create_cases=True)
    line = 2 + 40 * cases + 217
    assert [p for p in caught.value.problems if "used twice" in p] == [
        f"{csv}:{line}: ref: 'R0' is used twice in this import for case 'K0217'"]
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    conn.close()


def _peak_import_bytes(tmp_path, cases: int, per_case: int) -> int:
    csv = _write_extract(tmp_path / f"extract{cases}.csv", cases, per_case)
    return peak_import_bytes(csv, tmp_path / f"db{cases}.db", cases * per_case)


@pytest.mark.slow
def test_import_memory_does_not_grow_when_the_cases_double(tmp_path):
    small = _peak_import_bytes(tmp_path, 400, 40)
    large = _peak_import_bytes(tmp_path, 800, 40)
    print(f"peak {small / 1e6:.1f} MB for 400 cases, {large / 1e6:.1f} MB for 800")
    assert large < 16 * 1024 * 1024, f"peak {large / 1e6:.1f} MB for 800 cases"
    assert large < small * 1.25, f"peak grew from {small / 1e6:.1f} MB to {large / 1e6:.1f} MB"


@pytest.mark.slow
def test_check_memory_does_not_grow_when_the_cases_double(tmp_path):
    peaks = []
    for cases in (800, 1600):
        csv = _write_extract(tmp_path / f"extract{cases}.csv", cases, 40)
        conn = open_database(tmp_path / f"db{cases}.db", create=True)
        import_files(conn, [csv], create_cases=True)
        try:
            peak, report = traced_peak(lambda: check_database(conn))
            peaks.append(peak)
        finally:
            conn.close()
        assert report.ok and report.events_checked == cases * 40
    print(f"check peak {peaks[0] / 1e6:.1f} MB for 800 cases, {peaks[1] / 1e6:.1f} MB for 1,600")
    assert peaks[1] < 16 * 1024 * 1024
    assert peaks[1] < peaks[0] * 1.25, f"check peak grew from {peaks[0] / 1e6:.1f} MB to {peaks[1] / 1e6:.1f} MB"


def test_the_import_command_counts_thousands_of_new_cases_rather_than_listing_them(tmp_path):
    from click.testing import CliRunner

    from caseline.cli import cli

    csv = _write_extract(tmp_path / "extract.csv", 1200, 2)
    db = tmp_path / "x.db"
    result = CliRunner().invoke(cli, ["import", str(db), str(csv), "--create-cases"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{db}: imported 2400 event(s), created 1,200 cases (K0000, K0001, K0002 ... K1199)"


def test_a_cell_with_unicode_whitespace_around_it_is_stripped_on_the_bulk_path_too(tmp_path):
    """The row check strips with str.strip (a no-break space, an ideographic space); a fresh
    case's rows take the bulk path, and a cell like that must not slip past it unstripped."""
    from caseline.importing import import_files
    from caseline.store import open_database

    csv = tmp_path / "ws.csv"
    csv.write_text("case_id,date_start,kind,actor,summary\n"
                   "c1,2021-03-01,cin_visit,W1,\u00a0Visit one\n"
                   "c1,2021-03-02,cin_visit,W1\u3000,Visit two\u2003\n"
                   "c1,2021-03-03,note,W1,Plain\n", encoding="utf-8")
    conn = open_database(tmp_path / "ws.db", create=True)
    import_files(conn, [csv], create_cases=True)
    rows = conn.execute("SELECT actor, summary FROM events ORDER BY date_start").fetchall()
    conn.close()
    assert [tuple(r) for r in rows] == [("W1", "Visit one"), ("W1", "Visit two"), ("W1", "Plain")]
