"""Import: every row validated, all or nothing, one clear line per problem."""

import json

import sqlite3

import pytest

from caseline.importing import ImportFailed, import_files
from caseline.store import load_events, open_database
from conftest import CSV_HEADER, write


def _import(db, *files, **options):
    conn = open_database(db)
    try:
        return import_files(conn, files, **options)
    finally:
        conn.close()


def _count(db):
    conn = open_database(db, read_only=True)
    try:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()


def test_the_four_required_columns_are_enough(case_db, tmp_path):
    csv = write(tmp_path / "e.csv", "case_id,date_start,kind,summary\nc1,2021-09,cin_visit,Visit\n")
    result = _import(case_db, csv)
    assert result.events == 1
    conn = open_database(case_db, read_only=True)
    (event,) = load_events(conn, "c1")
    assert (event.dates.start.isoformat(), event.dates.end.isoformat()) == ("2021-09-01", "2021-09-30")
    conn.close()


def test_partial_dates_fill_ranges_and_keep_date_text(case_db, tmp_path):
    csv = write(
        tmp_path / "e.csv",
        "case_id,date_start,date_end,date_text,kind,summary\n"
        "c1,2020-06,2020-08,in the summer of 2020,referral,Asked for help\n"
        "c1,2021,,,other,Sometime\n",
    )
    _import(case_db, csv)
    conn = open_database(case_db, read_only=True)
    first, second = load_events(conn, "c1")
    conn.close()
    assert first.date_text == "in the summer of 2020"
    assert (first.dates.start.isoformat(), first.dates.end.isoformat()) == ("2020-06-01", "2020-08-31")
    assert (second.dates.start.isoformat(), second.dates.end.isoformat()) == ("2021-01-01", "2021-12-31")


def test_relative_dates_are_filled_from_their_anchor(case_db, tmp_path):
    csv = write(
        tmp_path / "e.csv",
        "ref,case_id,date_start,date_end,kind,summary,relative_to,offset_days\n"
        "S,c1,2022-02-01,2022-02-10,strategy_discussion,Second strategy discussion,,\n"
        "I,c1,,,icpc,Conference,S,14\n",
    )
    _import(case_db, csv)
    conn = open_database(case_db, read_only=True)
    icpc = [e for e in load_events(conn, "c1") if e.kind == "icpc"][0]
    conn.close()
    assert (icpc.dates.start.isoformat(), icpc.dates.end.isoformat()) == ("2022-02-15", "2022-02-24")
    assert icpc.relative_to == "S" and icpc.offset_days == 14


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("case_id,date_start,kind\nc1,2021-01-01,note\n", "e.csv:1: missing required column(s): summary"),
        (CSV_HEADER + "c1,15/09/2021,,note,,x\n", "e.csv:2: date_start: '15/09/2021' is not a date"),
        (CSV_HEADER + "c1,2021-09-15,2021-09-01,note,,x\n", "e.csv:2: date_end: date_end 2021-09-01 is before"),
        (CSV_HEADER + "c1,2021-09-15,,note,,\n", "e.csv:2: summary: is empty"),
        (CSV_HEADER + "zz,2021-09-15,,note,,x\n", "e.csv:2: case_id: no case 'zz'"),
        ("id,case_id,date_start,kind,summary\n1,c1,2021-01-01,note,a\n1,c1,2021-01-02,note,b\n",
         "e.csv:3: id: 1 appears twice"),
        ("case_id,date_start,kind,summary,colour\nc1,2021-01-01,note,a,red\n", "unknown column(s): colour"),
        ("", "e.csv: is empty"),
        (b"case_id,date_start,kind,summary\nc1,2021-01-01,note,caf\xe9\n", "e.csv:2: is not UTF-8"),
    ],
)
def test_bad_csv_names_file_line_and_field_and_imports_nothing(case_db, tmp_path, content, expected):
    good = write(tmp_path / "good.csv", CSV_HEADER + "c1,2021-09-15,,cin_visit,,fine\n")
    bad = write(tmp_path / "e.csv", content)
    with pytest.raises(ImportFailed) as caught:
        _import(case_db, good, bad)
    assert any(expected in line for line in caught.value.problems), caught.value.problems
    assert _count(case_db) == 0


def test_an_id_already_in_the_database_is_refused(case_db, tmp_path):
    csv = write(tmp_path / "e.csv", "id,case_id,date_start,kind,summary\n7,c1,2021-01-01,note,a\n")
    _import(case_db, csv)
    other = write(tmp_path / "f.csv", "id,case_id,date_start,kind,summary\n7,c1,2021-02-01,note,b\n")
    with pytest.raises(ImportFailed, match="event id 7 is already in the database"):
        _import(case_db, other)
    assert _count(case_db) == 1


def test_problems_are_capped_but_counted(case_db, tmp_path):
    rows = "".join(f"c1,bad-{n},,note,,x\n" for n in range(50))
    csv = write(tmp_path / "e.csv", CSV_HEADER + rows)
    with pytest.raises(ImportFailed) as caught:
        _import(case_db, csv)
    assert len(caught.value.problems) == 20
    assert caught.value.more == 30


def test_unknown_kinds_are_kept_and_reported(case_db, tmp_path):
    csv = write(tmp_path / "e.csv", CSV_HEADER + "c1,2021-09-15,,home_visit,,x\n")
    result = _import(case_db, csv)
    assert result.unknown_kinds == {"home_visit": 1}
    assert _count(case_db) == 1


def test_unknown_kinds_are_counted_as_stored_in_a_bulk_import(case_db, tmp_path):
    """A bulk import counts only the kinds outside the vocabulary: each row stored of one,
    under the kind as stored (stripped), and none for a known kind, however many rows."""
    rows = ("c1,2021-09-15,,cin_visit,,x\n" * 30 + "c1,2021-09-16,,home_visit,,x\n" * 3
            + "c1,2021-09-17,, home_visit ,,x\n" + "c1,2021-09-18,,phone_call,,x\n")
    result = _import(case_db, write(tmp_path / "e.csv", CSV_HEADER + rows))
    assert result.unknown_kinds == {"home_visit": 4, "phone_call": 1}
    assert _count(case_db) == 35


def test_json_case_with_people_and_events(db_path, tmp_path):
    data = {
        "case": {"id": "k1", "title": "Kent", "council": "Kent", "illustrative": False},
        "people": [{"id": "Y", "name": "Y", "role": "child", "born": "2005"}],
        "events": [{"date_start": "2020-11", "kind": "lac_start", "summary": "Accommodated under s20"}],
    }
    path = write(tmp_path / "case.json", json.dumps(data))
    result = _import(db_path, path)
    assert (result.events, result.people) == (1, 1)
    conn = open_database(db_path, read_only=True)
    assert conn.execute("SELECT title FROM cases WHERE id='k1'").fetchone()[0] == "Kent"
    conn.close()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([1, 2, 3], "must be a JSON object"),
        ({"case": {"id": "k"}, "events": {"a": 1}}, "events: must be a list"),
        ({"case": {"id": "k"}, "events": [{"kind": "note", "summary": "x"}]}, "events[0]: date_start: is missing"),
        ({"case": {"id": "k"}, "people": [{"id": "p", "role": "wizard"}]}, "people[0]: role: 'wizard'"),
        ({"case": {"id": ""}}, "case: id: is empty"),
    ],
)
def test_bad_json_is_refused(db_path, tmp_path, data, expected):
    path = write(tmp_path / "case.json", json.dumps(data))
    with pytest.raises(ImportFailed) as caught:
        _import(db_path, path)
    assert any(expected in line for line in caught.value.problems), caught.value.problems
    conn = open_database(db_path, read_only=True)
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    conn.close()


def test_not_json_at_all(db_path, tmp_path):
    path = write(tmp_path / "case.json", "{nope")
    with pytest.raises(ImportFailed, match=r"case.json:1: is not valid JSON"):
        _import(db_path, path)


# --- Re-imports -------------------------------------------------------------------------------


def test_importing_the_same_file_twice_adds_nothing_and_says_so(case_db, tmp_path):
    csv = write(tmp_path / "e.csv", CSV_HEADER + "c1,2021-09-15,,cin_visit,SW1,Visit\nc1,2021-10-01,,note,,Note\n")
    first = _import(case_db, csv)
    again = _import(case_db, csv)
    assert (first.events, first.present) == (2, 0)
    assert (again.events, again.present) == (0, 2)
    assert _count(case_db) == 2


def test_a_grown_extract_adds_only_its_new_rows(case_db, tmp_path):
    rows = "c1,2021-09-15,,cin_visit,SW1,Visit\n"
    _import(case_db, write(tmp_path / "a.csv", CSV_HEADER + rows))
    grown = write(tmp_path / "b.csv", CSV_HEADER + rows + "c1,2021-11-01,,cin_visit,SW1,Next visit\n")
    result = _import(case_db, grown)
    assert (result.events, result.present) == (1, 1)
    assert _count(case_db) == 2


def test_a_reimport_with_a_changed_row_is_refused_naming_the_row(case_db, tmp_path):
    rows = "c1,2021-09-15,,cin_visit,SW1,Visit\nc1,2021-10-01,,note,,Note\n"
    _import(case_db, write(tmp_path / "a.csv", CSV_HEADER + rows))
    changed = write(tmp_path / "b.csv", CSV_HEADER + "c1,2021-09-15,,cin_visit,SW1,Visit\nc1,2021-10-01,,note,,Note (corrected)\n")
    with pytest.raises(ImportFailed) as caught:
        _import(case_db, changed)
    assert any("b.csv:3: row: changes event id" in line for line in caught.value.problems), caught.value.problems
    assert _count(case_db) == 2


def test_a_changed_row_with_a_ref_is_refused_and_replace_replaces_the_case(case_db, tmp_path):
    header = "case_id,ref,date_start,kind,summary\n"
    _import(case_db, write(tmp_path / "a.csv", header + "c1,V1,2021-09-15,cin_visit,Visit\nc1,V2,2021-10-15,cin_visit,Visit\n"))
    changed = write(tmp_path / "b.csv", header + "c1,V1,2021-09-16,cin_visit,Visit\n")
    with pytest.raises(ImportFailed, match=r"b.csv:2: ref: 'V1' is already event id"):
        _import(case_db, changed)
    result = _import(case_db, changed, replace=True)
    assert result.events == 1
    conn = open_database(case_db, read_only=True)
    assert [tuple(r) for r in conn.execute("SELECT ref, date_start FROM events")] == [("V1", "2021-09-16")]
    conn.close()


def test_a_ref_names_one_event_of_its_case(case_db, tmp_path):
    header = "case_id,ref,date_start,kind,summary\n"
    twice = write(tmp_path / "a.csv", header + "c1,V1,2021-09-15,cin_visit,Visit\nc1,V1,2021-10-15,cin_visit,Other\n")
    with pytest.raises(ImportFailed, match="a.csv:3: ref: 'V1' is used twice"):
        _import(case_db, twice)
    conn = open_database(case_db)
    conn.execute("INSERT INTO events (case_id, ref, date_start, kind, summary) VALUES ('c1', 'R', '2021-01-01', 'note', 'x')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO events (case_id, ref, date_start, kind, summary) VALUES ('c1', 'R', '2021-01-02', 'note', 'y')")
    conn.close()


def test_bulk_rows_handed_over_in_batches_keep_their_lines_through_blanks_wrapped_cells_and_bad_rows(
        case_db, tmp_path, monkeypatch):
    """A bulk file goes to SQLite several rows at a time: a blank line, a cell wrapped over two
    lines, a row of the wrong width and a bad byte in later batches must each still be
    named at their own line, and nothing is imported."""
    import caseline.importing as importing

    monkeypatch.setattr(importing, "BATCH_ROWS", 3)
    lines = [CSV_HEADER.strip(),                    # 1
             "c1,2021-09-01,,note,,a",              # 2
             "",                                    # 3: blank, passed over
             'c1,2021-09-02,,note,,"two',           # 4
             'lines"',                              # 5
             "c1,2021-09-03,,note",                 # 6: too few fields
             "c1,2021-09-04,,note,,b",              # 7
             "c1,04/09/2021,,note,,c",              # 8: not a date
             "c1,2021-09-05,,note,,d",              # 9
             "c1,2021-09-06,,note,,e" + "x" * 200_000,  # 10: not valid CSV (a cell over csv's limit)
             "c1,2021-09-07,,note,,f"]              # 11
    csv = write(tmp_path / "e.csv", "\n".join(lines) + "\n")
    with pytest.raises(ImportFailed) as caught:
        _import(case_db, csv)
    problems = caught.value.problems
    assert any("e.csv:6:" in p and "has 4 fields, the header has 6" in p for p in problems), problems
    assert any("e.csv:8: date_start:" in p for p in problems), problems
    assert any("e.csv:10:" in p and "not valid CSV" in p for p in problems), problems
    assert _count(case_db) == 0


def test_bulk_rows_handed_over_in_batches_are_stored_in_file_order(case_db, tmp_path, monkeypatch):
    import caseline.importing as importing

    monkeypatch.setattr(importing, "BATCH_ROWS", 2)
    rows = "".join(f"c1,2021-09-{day:02d},,note,,row {day}\n" for day in range(1, 8))
    _import(case_db, write(tmp_path / "e.csv", CSV_HEADER + "\n" + rows))
    conn = open_database(case_db, read_only=True)
    stored = [row[0] for row in conn.execute("SELECT summary FROM events ORDER BY id")]
    conn.close()
    assert stored == [f"row {day}" for day in range(1, 8)]
