"""``caseline flags`` as a listing, JSON and CSV: readable at 80 columns, written a flag at a
time, the same flags in every form."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseline.analysis import analyse
from caseline.export.flags import _flag_line_writer, flag_record, flags_csv, flags_json, flags_table
from caseline.model import Flag
from caseline.samples import build_sample_database
from caseline.store import open_database

KENT = "kent-21-001-933"


@pytest.fixture(scope="module")
def kent(tmp_path_factory):
    path = tmp_path_factory.mktemp("samples") / "s.db"
    build_sample_database(path)
    conn = open_database(path, read_only=True)
    yield analyse(conn, KENT)
    conn.close()


def test_at_80_columns_every_line_fits_and_each_flag_is_numbered(kent):
    out = io.StringIO()
    flags_table(kent, out, width=80)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    heads = [line for line in lines if line[:1].isdigit() and ". " in line[:6]]
    assert [int(line.split(".")[0]) for line in heads] == list(range(1, len(kent.flags) + 1))
    # Everything after a flag's first line is indented under it, so each block reads as one.
    summary = next(i for i, line in enumerate(lines) if line.startswith(f"{len(kent.flags)} flag(s): "))
    body = lines[2:summary]
    assert all(not line or line in heads or line.startswith("    ") for line in body)


def test_piped_each_sentence_stays_on_one_line_for_grep(kent):
    out = io.StringIO()  # not a terminal: no wrapping
    flags_table(kent, out)
    text = out.getvalue()
    for flag in kent.flags:
        assert f"    {flag.message}\n" in text


def test_a_flag_names_its_child_by_name(tmp_path):
    path = tmp_path / "s.db"
    build_sample_database(path)
    conn = open_database(path, read_only=True)
    analysis = analyse(conn, "careless-tom-and-nikki")
    conn.close()
    out = io.StringIO()
    flags_table(analysis, out)
    per_child = [f for f in analysis.flags if f.subject and "," not in f.subject]
    assert per_child
    name = analysis.people[per_child[0].subject].name
    assert f"· {name}\n" in out.getvalue()


def test_json_and_csv_hold_the_same_flags_as_the_listing(kent):
    as_json, as_csv = io.StringIO(), io.StringIO()
    flags_json(kent, as_json)
    flags_csv(kent, as_csv)
    keys = [f.key for f in kent.flags]
    assert [f["key"] for f in json.loads(as_json.getvalue())["flags"]] == keys
    assert [row["key"] for row in csv.DictReader(io.StringIO(as_csv.getvalue()))] == keys


def test_csv_cells_that_repeat_are_still_made_formula_safe(kent):
    """Repeated cells are made safe once and reused: a formula-like value stays neutral in
    every row it appears in."""
    from dataclasses import replace

    hostile = replace(kent, flags=tuple(f._replace(rule="=HYPERLINK(1)", subject="+1") for f in kent.flags))
    out = io.StringIO()
    flags_csv(hostile, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {row["rule"] for row in rows} == {"'=HYPERLINK(1)"}
    assert {row["subject"] for row in rows} == {"'+1"}


# --- flags --all: the caseload audit ---


def _run(*args):
    from click.testing import CliRunner

    from caseline.cli import cli

    return CliRunner().invoke(cli, list(map(str, args)))


@pytest.fixture(scope="module")
def samples_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("caseload") / "s.db"
    build_sample_database(path)
    return path


def _single(db, case_id):
    conn = open_database(db, read_only=True)
    try:
        return [f.key for f in analyse(conn, case_id).flags]
    finally:
        conn.close()


def test_every_case_is_one_csv_table_with_its_case_column(samples_db):
    result = _run("flags", samples_db, "--all", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert result.output.count("case,as_of,key") == 1
    from caseline.store import list_cases

    conn = open_database(samples_db, read_only=True)
    case_ids = [case.id for case in list_cases(conn)]
    conn.close()
    for case_id in case_ids:
        assert [r["key"] for r in rows if r["case"] == case_id] == _single(samples_db, case_id)


def test_every_case_as_json_holds_what_each_case_alone_would(samples_db):
    result = _run("flags", samples_db, "--all", "--format", "json")
    assert result.exit_code == 0, result.output
    alone = json.loads(_run("flags", samples_db, "--case", KENT, "--format", "json").output)
    cases = json.loads(result.output)["cases"]
    assert [c for c in cases if c["case"] == KENT] == [alone]
    assert len(cases) == 5


def test_the_listing_ends_with_the_caseload_totals(samples_db):
    result = _run("flags", samples_db, "--all")
    assert result.exit_code == 0
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("5 case(s): ")
    assert result.output.count("Flags for ") == 5


def test_case_and_all_are_one_or_the_other(samples_db):
    for args in ((), ("--all", "--case", KENT)):
        result = _run("flags", samples_db, *args)
        assert result.exit_code == 2
        assert "give either --case ID or --all" in result.output


def test_a_case_the_engine_cannot_date_is_named_and_skipped(samples_db, monkeypatch):
    import caseline.analysis
    from caseline.dates import DateError

    real = caseline.analysis.analyse

    def failing(conn, case_id, *args, **kwargs):
        if case_id == KENT:
            raise DateError("10 working days from 1750-01-01 is outside the supported calendar")
        return real(conn, case_id, *args, **kwargs)

    monkeypatch.setattr(caseline.analysis, "analyse", failing)
    result = _run("flags", samples_db, "--all", "--format", "csv")
    assert result.exit_code == 1
    assert f"case '{KENT}' skipped: 10 working days" in result.output
    assert "1 of 5 case(s) skipped" in result.output
    assert "careless-albert," in result.output  # the others are still written


_TEXT = st.text(st.characters(codec="utf-8"), max_size=30)  # quotes, control characters, any script
_DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))


@settings(max_examples=300, deadline=None)
@given(key=_TEXT, kind=st.sampled_from(["gap", "deadline", "worker_change", "weird\u00e9"]), rule=_TEXT,
       severity=st.sampled_from(["breach", "attention", "info"]), certainty=st.sampled_from(["definite", "possible"]),
       start=_DAYS, end=_DAYS, due=st.none() | _DAYS,
       events=st.lists(st.integers(-2**40, 2**40) | st.booleans(), max_size=4).map(tuple), message=_TEXT,
       subject=_TEXT, status=st.sampled_from(["statutory", "ombudsman_expectation", "made_up_status", ""]),
       citation=_TEXT)
def test_a_json_flag_line_is_what_the_standard_encoder_writes(key, kind, rule, severity, certainty, start, end, due,
                                                               events, message, subject, status, citation):
    """Each flag's line is written without a dictionary or the general encoder; it must be
    the very text ``json.dumps`` gives for the flag's record, whatever the text holds."""
    flag = Flag(key, kind, rule, severity, certainty, start, end, due, events, message, subject, status, citation)
    line = _flag_line_writer()
    assert line(flag) == json.dumps(flag_record(flag), ensure_ascii=True)
    assert line(flag) == json.dumps(flag_record(flag), ensure_ascii=True)  # and again, from what it keeps


_CSV_TEXT = st.text(st.sampled_from('ab ,"\n\r=+-@\t\x1b\u202e\u00e9'), max_size=8) | _TEXT  # what a cell must quote


@settings(max_examples=300, deadline=None)
@given(key=_CSV_TEXT, kind=_CSV_TEXT, rule=_CSV_TEXT, severity=st.sampled_from(["breach", "attention", "info"]),
       certainty=_CSV_TEXT, start=_DAYS, end=_DAYS, due=st.none() | _DAYS,
       events=st.lists(st.integers(-2**40, 2**40) | st.booleans(), max_size=4).map(tuple), message=_CSV_TEXT,
       subject=_CSV_TEXT, status=_CSV_TEXT, citation=_CSV_TEXT, case_id=_CSV_TEXT)
def test_a_csv_flag_row_is_what_the_csv_writer_writes(key, kind, rule, severity, certainty, start, end, due, events,
                                                       message, subject, status, citation, case_id):
    """Each flag's CSV row is put together from cells made once; it must be the very text
    ``csv.writer`` gives for the formula-safe row, whatever the text holds."""
    from caseline.export.flags import _csv_row_writer, csv_row_plainly

    flag = Flag(key, kind, rule, severity, certainty, start, end, due, events, message, subject, status, citation)
    row = _csv_row_writer(case_id, "2021-09-15")
    assert row(flag) == csv_row_plainly(flag, case_id, "2021-09-15")
    assert row(flag) == csv_row_plainly(flag, case_id, "2021-09-15")  # and again, from what it keeps


@pytest.mark.parametrize("count", [0, 1, 999, 1000, 1001, 2500])
def test_json_written_a_thousand_lines_at_a_time_is_one_flag_a_line(kent, count):
    """However many flags, and wherever a thousand falls, the document is valid JSON with
    the flags in order and one flag to a line, separated by commas."""

    flags = [kent.flags[k % len(kent.flags)]._replace(key=f"k{k}") for k in range(count)]
    out = io.StringIO()
    flags_json(kent, out, flags)
    text = out.getvalue()
    assert [f["key"] for f in json.loads(text)["flags"]] == [f"k{k}" for k in range(count)]
    lines = text.splitlines()
    assert len(lines) == count + 2  # the head, the flags, the close
    assert all(line.endswith("},") for line in lines[1:count])  # each but the last flag, then its comma
    assert text.endswith("}\n]}\n" if count else ', "flags": [\n]}\n')
