"""The command line as people use it: exit codes, one-sentence errors, no tracebacks."""

import json
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from caseline.cli import cli
from conftest import CSV_HEADER, file_mode, write


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in (result.output + (result.stderr or "")), result.output
    return result


def test_init_creates_an_owner_only_file(tmp_path):
    path = tmp_path / "new.db"
    result = run("init", path)
    assert result.exit_code == 0
    assert "created" in result.output
    assert file_mode(path) == 0o600


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p.write_bytes(b"PK\x03\x04 not a database"), "is not a SQLite database"),
        (lambda p: _newer(p), "newer caseline"),
    ],
)
def test_init_refuses_foreign_files_untouched(tmp_path, setup, message):
    path = tmp_path / "x.db"
    setup(path)
    before = path.read_bytes()
    result = run("init", path)
    assert result.exit_code == 2
    assert message in result.stderr
    assert path.read_bytes() == before


def _newer(path):
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()


def test_import_then_check(case_db, tmp_path):
    csv = write(tmp_path / "e.csv", CSV_HEADER + "c1,2021-09-15,,cin_visit,,Visit\n")
    result = run("import", case_db, csv)
    assert result.exit_code == 0 and "imported 1 event" in result.output
    result = run("check", case_db)
    assert result.exit_code == 0 and ": ok" in result.output


def test_import_problems_go_to_stderr_with_exit_1(case_db, tmp_path):
    csv = write(tmp_path / "e.csv", CSV_HEADER + "c1,2021-13-01,,note,,x\n")
    result = run("import", case_db, csv)
    assert result.exit_code == 1
    assert "e.csv:2: date_start:" in result.stderr
    assert "nothing was imported" in result.stderr


def test_import_of_a_missing_file(case_db, tmp_path):
    result = run("import", case_db, tmp_path / "nope.csv")
    assert result.exit_code != 0
    assert "nope.csv: no such file" in result.stderr


def test_import_unknown_case_option(case_db, tmp_path):
    csv = write(tmp_path / "e.csv", "date_start,kind,summary,case_id\n2021-01-01,note,x,\n")
    result = run("import", case_db, csv, "--case", "nope")
    assert result.exit_code == 1
    assert "--case: no case 'nope'" in result.stderr


def test_check_finds_problems_in_a_plain_sqlite_utils_database(tmp_path):
    path = tmp_path / "plain.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE events (case_id TEXT, date_start TEXT, kind TEXT, summary TEXT)")
    conn.execute("INSERT INTO events VALUES ('c', 'soon', 'visit', 'x')")
    conn.commit()
    conn.close()
    result = run("check", path)
    assert result.exit_code == 1
    assert "table cases: missing" in result.output
    assert "date_start: 'soon' is not a date" in result.output
    assert "kind 'visit'" in result.output


def test_check_exit_2_for_unusable_files(tmp_path):
    result = run("check", tmp_path / "missing.db")
    assert result.exit_code == 2
    path = write(tmp_path / "x.db", "hello")
    assert run("check", path).exit_code == 2


def test_samples_list_and_build(tmp_path):
    listed = run("samples", "list")
    assert listed.exit_code == 0
    assert "leicestershire-21-018-990" in listed.output
    path = tmp_path / "s.db"
    built = run("samples", "build", path)
    assert built.exit_code == 0
    assert file_mode(path) == 0o600
    assert run("check", path).exit_code == 0


def test_flags_json_and_unknown_case(tmp_path):
    path = tmp_path / "s.db"
    run("samples", "build", path)
    result = run("flags", path, "--case", "leicestershire-21-018-990", "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert (document["case"], document["as_of"], document["as_of_source"]) == (
        "leicestershire-21-018-990", "2022-09-06", "case")
    assert "as of 6 Sep 2022" in document["as_of_text"]
    flags = document["flags"]
    assert {"key", "kind", "rule", "severity", "certainty", "start", "end", "due", "events", "message",
            "status", "status_label", "citation", "subject"} <= set(flags[0])
    cin = [f for f in flags if f["rule"] == "cin_visits" and f["severity"] == "breach"]
    assert cin[0]["status"] == "caseline_default" and "caseline default" in cin[0]["citation"]
    assert cin[0]["subject"] == "F,G"
    later = json.loads(run("flags", path, "--case", "leicestershire-21-018-990", "--format", "json",
                           "--as-of", "2022-01-01").output)
    assert (later["as_of"], later["as_of_source"]) == ("2022-01-01", "given")
    missing = run("flags", path, "--case", "nope")
    assert missing.exit_code == 1 and "no case 'nope'" in missing.stderr
    bad_date = run("flags", path, "--case", "leicestershire-21-018-990", "--as-of", "yesterday")
    assert bad_date.exit_code == 1 and "--as-of" in bad_date.stderr


def test_policy_set_validates_rule_parameter_and_type(db_path):
    assert run("policy", "set", db_path, "cin_visits", "every=4 weeks").exit_code == 0
    listed = run("policy", "list", db_path)
    assert "cin_visits.every" in listed.output and "4 weeks" in listed.output
    wrong_type = run("policy", "set", db_path, "cin_visits", "every=often")
    assert wrong_type.exit_code == 1 and "not a duration" in wrong_type.stderr
    no_rule = run("policy", "set", db_path, "tea_breaks", "every=1 days")
    assert no_rule.exit_code == 1 and "no rule 'tea_breaks'" in no_rule.stderr
    no_param = run("policy", "set", db_path, "cin_visits", "colour=red")
    assert no_param.exit_code == 1 and "no parameter 'colour'" in no_param.stderr


def test_guidance_lists_every_rule_with_citation():
    result = run("guidance", "--format", "json")
    rules = json.loads(result.output)
    assert {r["id"] for r in rules} >= {"cin_visits", "lac_reviews", "complaint_stage1", "worker_stability"}
    assert all(r["citation"].get("instrument") for r in rules)


def test_every_command_has_help():
    for command in cli.commands.values():
        subcommands = getattr(command, "commands", {})
        for args in ([command.name], *([command.name, sub] for sub in subcommands)):
            result = run(*args, "--help")
            assert result.exit_code == 0, args
            assert "Usage:" in result.output


def test_the_cli_does_not_import_textual_until_it_opens_the_ui():
    code = "import sys, caseline.cli; sys.exit(1 if 'textual' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_python_dash_m_works():
    result = subprocess.run([sys.executable, "-m", "caseline", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "caseline" in result.stdout
    assert "Usage" in result.stdout


def test_check_names_repeated_refs_and_dangling_relative_dates_in_a_plain_database(tmp_path):
    path = tmp_path / "plain.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE cases (id TEXT)")
    conn.execute("INSERT INTO cases VALUES ('c')")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, case_id TEXT, ref TEXT, date_start TEXT, kind TEXT, "
                 "summary TEXT, relative_to TEXT, offset_days INTEGER)")
    conn.executemany("INSERT INTO events VALUES (?, 'c', ?, '2021-01-01', 'note', 'x', ?, ?)",
                     [(1, "A", None, None), (2, "A", None, None), (3, "B", "Z", 3), (4, "C", "A", 2)])
    conn.commit()
    conn.close()
    result = run("check", path)
    assert result.exit_code == 1
    assert "events id 2: ref: 'A' is also used by events id 1 in case 'c'" in result.output
    assert "events id 3: relative_to: no event with ref 'Z' in case 'c'" in result.output
    assert "events id 4" not in result.output


def test_flags_reads_no_count_of_the_case(tmp_path, monkeypatch):
    """`caseline flags` counts none of the case's events (a whole extract's count is a scan of
    millions of rows, seconds when the file is cold): the engine reads what it needs."""
    import caseline.store as store

    path = tmp_path / "s.db"
    run("samples", "build", path)
    statements: list[str] = []
    real_open = store.open_database

    def traced(*args, **kwargs):
        conn = real_open(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(store, "open_database", traced)
    result = run("flags", path, "--case", "leicestershire-21-018-990", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output)["flags"]
    counts = [s for s in statements if "count(" in s.lower() and "limit" not in s.lower()]
    assert statements and not counts, counts


def test_open_on_a_database_without_cases_says_so(tmp_path):
    path = tmp_path / "empty.db"
    assert run("init", path).exit_code == 0
    result = run("open", path)
    assert result.exit_code != 0
    assert "holds no cases; import some with 'caseline import" in result.output


def test_has_cases_looks_at_the_cases_table_and_the_events(tmp_path):
    from caseline.store import has_cases, open_database

    path = tmp_path / "c.db"
    run("init", path)
    conn = open_database(path)
    assert not has_cases(conn)
    conn.execute("INSERT INTO cases (id, title) VALUES ('c1', 'One')")
    assert has_cases(conn)
    conn.close()
    plain = sqlite3.connect(tmp_path / "plain.db")  # a plain sqlite-utils import: events alone
    plain.execute("CREATE TABLE events (case_id TEXT, date_start TEXT, kind TEXT)")
    plain.execute("INSERT INTO events VALUES ('', '2021-01-01', 'note')")
    assert not has_cases(plain)  # an event naming no case names none
    plain.execute("INSERT INTO events VALUES ('x', '2021-01-01', 'note')")
    assert has_cases(plain)
    plain.close()
