"""Every output names its as-of; cases carry as_of and complete_for; check warns about
child-level events with no subject in a case with several children."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date

from click.testing import CliRunner

from caseline.analysis import analyse, resolve_as_of
from caseline.cli import cli
from caseline.model import CaseInfo
from caseline.samples import build_sample_database
from caseline.store import open_database
from conftest import write

LEICS = "leicestershire-21-018-990"


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in (result.output + (result.stderr or "")), result.output
    return result


def test_table_and_csv_state_the_as_of(tmp_path):
    path = tmp_path / "s.db"
    build_sample_database(path)
    table = run("flags", path, "--case", LEICS)
    assert table.exit_code == 0
    first = table.output.splitlines()[0]
    assert "as of 6 Sep 2022 (the case's as-of date)" in first
    assert "information; as of 6 Sep 2022" in table.output
    rows = list(csv.DictReader(io.StringIO(run("flags", path, "--case", LEICS, "--format", "csv").output)))
    assert rows and {row["as_of"] for row in rows} == {"2022-09-06"}
    assert {"status", "citation", "subject"} <= set(rows[0])
    given = list(csv.DictReader(io.StringIO(run("flags", path, "--case", LEICS, "--format", "csv",
                                                "--as-of", "2021-12-31").output)))
    assert {row["as_of"] for row in given} == {"2021-12-31"}


def test_as_of_defaults_case_then_today_for_live_then_chronology_for_illustrative():
    base = dict(id="c", title="c", council="", summary="", source="", records_from=None, teaching={})
    live = CaseInfo(illustrative=False, **base)
    teaching = CaseInfo(illustrative=True, **base)
    decided = CaseInfo(illustrative=False, as_of=date(2022, 9, 6), **base)
    end, today = date(2021, 3, 1), date(2026, 12, 1)
    assert resolve_as_of(decided, None, end, today) == (date(2022, 9, 6), "case")
    assert resolve_as_of(decided, date(2021, 1, 1), end, today) == (date(2021, 1, 1), "given")
    assert resolve_as_of(live, None, end, today) == (today, "today")
    assert resolve_as_of(teaching, None, end, today) == (end, "chronology")


def test_a_case_file_declares_as_of_and_complete_records(tmp_path):
    path = tmp_path / "c.db"
    case = {"case": {"id": "x", "title": "X", "as_of": "2021-06-01", "complete_for": ["cin_visit"]},
            "people": [{"id": "A", "name": "A", "role": "child"}],
            "events": [{"date_start": "2021-01-04", "kind": "cin_plan_start", "summary": "plan"}]}
    source = write(tmp_path / "x.json", json.dumps(case))
    assert run("init", path).exit_code == 0
    assert run("import", path, source).exit_code == 0
    conn = open_database(path, read_only=True)
    analysis = analyse(conn, "x")
    conn.close()
    assert (analysis.as_of, analysis.as_of_source) == (date(2021, 6, 1), "case")
    assert analysis.case.complete_for == ("cin_visit",)
    (gap,) = [f for f in analysis.flags if f.severity == "breach"]
    # Records declared complete: no visit at all is a gap from the plan's start, due 15 Feb.
    assert (gap.kind, gap.due, gap.subject) == ("gap", date(2021, 2, 15), "A")
    bad = write(tmp_path / "bad.json", json.dumps({"case": {"id": "y", "title": "Y", "complete_for": "cin_vist"}}))
    refused = run("import", path, bad)
    assert refused.exit_code != 0 and "complete_for" in refused.stderr and "cin_vist" in refused.stderr


def test_an_older_database_gains_the_new_case_columns(tmp_path):
    path = tmp_path / "old.db"
    build_sample_database(path)
    raw = sqlite3.connect(path)
    raw.execute("ALTER TABLE cases DROP COLUMN as_of")
    raw.execute("ALTER TABLE cases DROP COLUMN complete_for")
    raw.execute("PRAGMA user_version = 2")
    raw.commit()
    raw.close()
    conn = open_database(path)
    conn.close()
    raw = sqlite3.connect(path)
    columns = {row[1] for row in raw.execute("PRAGMA table_info(cases)")}
    raw.close()
    assert {"as_of", "complete_for"} <= columns


def test_check_warns_about_child_level_events_with_no_subject(tmp_path):
    path = tmp_path / "s.db"
    build_sample_database(path)
    result = run("check", path)
    assert result.exit_code == 0
    assert "careless-tom-and-nikki" in result.output and "name no subject" in result.output
    assert "kent-21-001-933': " not in result.output  # one child: nothing to say


def test_an_older_databases_guidance_copy_is_brought_to_the_current_library(tmp_path):
    import json as _json

    from caseline.store import library_for

    path = tmp_path / "old.db"
    build_sample_database(path)
    raw = sqlite3.connect(path)
    old_icpc = {"label": "ICPC", "trigger": ["strategy_discussion"], "required": ["icpc"],
                "within": "15 working_days", "anchor": "last", "optional": True}
    raw.execute("UPDATE guidance SET params = ?, status = 'statutory_guidance' WHERE id = 'icpc_timescale'",
                (_json.dumps(old_icpc),))
    raw.execute("INSERT INTO guidance (id, title, shape, status, confidence, summary, citation, params) VALUES "
                "('care_plan_change_iro', 'old', 'precondition', 'ombudsman_expectation', 'high', '', '{}', ?)",
                (_json.dumps({"target": ["care_plan_change"], "required": ["iro_consultation"], "window": "3 months"}),))
    raw.execute("UPDATE guidance SET params = json_set(params, '$.every', '5 weeks') WHERE id = 'cin_visits'")
    raw.execute("PRAGMA user_version = 2")
    raw.commit()
    raw.close()
    conn = open_database(path)
    rules = library_for(conn)
    conn.close()
    assert rules["icpc_timescale"].params["anchor"] == "enquiry"
    assert "care_plan_change_iro" not in rules
    # A copy made by this caseline (its params have absence) is kept as it is, edits and all.
    assert rules["cin_visits"].params["every"] == "5 weeks"


def test_not_kinds_import_and_check_as_known(tmp_path):
    path = tmp_path / "n.db"
    source = write(tmp_path / "e.csv", "case_id,date_start,kind,summary\nnk,2021-01-04,cin_plan_start,plan\n"
                                       "nk,2021-02-01,not:cin_visit,no visit\nnk,2021-02-02,not:tea,x\n")
    assert run("init", path).exit_code == 0
    imported = run("import", path, source, "--create-cases")
    assert imported.exit_code == 0
    assert "not:cin_visit" not in (imported.output + (imported.stderr or ""))
    assert "not:tea" in (imported.output + (imported.stderr or ""))
    checked = run("check", path)
    assert "'not:tea'" in checked.output and "'not:cin_visit'" not in checked.output
