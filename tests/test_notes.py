"""Notes and stars: history that keeps everything, two writers at once, a locked database,
notes that follow their flag, and the ``caseline notes`` commands."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from caseline.analysis import analyse, clear_cache
from caseline.cli import cli
from caseline.notes import pending_notes, place_notes
from caseline.samples import build_sample_database
from caseline.store import BusyError, StoreError, open_database
from caseline.store.notes import (
    add_note,
    delete_note,
    edit_note,
    list_notes,
    list_stars,
    note_history,
    restore_note,
    set_star,
)

from conftest import file_mode

LEICS = "leicestershire-21-018-990"
T0, T1, T2, T3 = ("2026-12-01T10:00:00Z", "2026-12-01T10:05:00Z", "2026-12-01T10:10:00Z", "2026-12-01T10:15:00Z")


def run(*args: object, env: dict | None = None, input: str | None = None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, input=input)


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    path = tmp_path / "samples.db"
    build_sample_database(path)
    return path


def gap_key(path: Path) -> str:
    """The stable key of the Ombudsman's CIN gap, as the engine raises it."""
    from caseline.analysis import analyse

    conn = open_database(path, read_only=True)
    try:
        flags = analyse(conn, LEICS).flags
    finally:
        conn.close()
    return next(f.key for f in flags if f.rule == "cin_visits" and f.kind == "gap" and f.severity == "breach")


def event_id(conn, ref: str) -> int:
    return int(conn.execute("SELECT id FROM events WHERE case_id = ? AND ref = ?", (LEICS, ref)).fetchone()[0])


def test_edits_and_deletions_keep_every_version_and_a_deleted_note_comes_back(sample_db):
    conn = open_database(sample_db)
    visit = event_id(conn, "L04")
    note = add_note(conn, LEICS, text="Last visit before the gap", tag="finding", author="ana", created=T0,
                    event_id=visit)
    edit_note(conn, note.id, author="ben", when=T1, text="Last recorded visit before the 11-week gap", tag="fault")
    delete_note(conn, note.id, author="ana", when=T2)
    assert list_notes(conn, LEICS) == []
    deleted = list_notes(conn, LEICS, include_deleted=True)
    assert [n.deleted for n in deleted] == [T2]
    assert deleted[0].text == "Last recorded visit before the 11-week gap"  # deleting keeps the text
    with pytest.raises(StoreError, match="restore it before editing"):
        edit_note(conn, note.id, author="ana", when=T2, text="lost?")
    restored = restore_note(conn, note.id, author="ana", when=T3)
    assert restored.deleted is None and restored.tag == "fault" and restored.event_id == visit
    history = note_history(conn, note.id)
    assert [(v.action, v.author, v.tag, v.text) for v in history] == [
        ("created", "ana", "finding", "Last visit before the gap"),
        ("edited", "ben", "fault", "Last recorded visit before the 11-week gap"),
        ("deleted", "ana", "fault", "Last recorded visit before the 11-week gap"),
        ("restored", "ana", "fault", "Last recorded visit before the 11-week gap"),
    ]
    conn.close()


def test_a_note_must_name_an_event_of_its_own_case(sample_db):
    conn = open_database(sample_db)
    kent_event = conn.execute("SELECT id FROM events WHERE case_id = 'kent-21-001-933' LIMIT 1").fetchone()[0]
    with pytest.raises(StoreError, match="no event"):
        add_note(conn, LEICS, text="x", tag="note", author="a", created=T0, event_id=kent_event)
    assert list_notes(conn, LEICS, include_deleted=True) == []
    conn.close()


def test_stars_toggle_and_are_listed(sample_db):
    conn = open_database(sample_db)
    visit = event_id(conn, "L04")
    assert set_star(conn, LEICS, starred=True, author="a", when=T0, event_id=visit)
    assert not set_star(conn, LEICS, starred=True, author="a", when=T1, event_id=visit)  # already starred
    assert set_star(conn, LEICS, starred=True, author="a", when=T1, flag_key="cin_visits:gap:x")
    assert {(s.event_id, s.flag_key) for s in list_stars(conn, LEICS)} == {(visit, None), (None, "cin_visits:gap:x")}
    assert set_star(conn, LEICS, starred=False, author="a", when=T2, event_id=visit)
    assert [(s.event_id, s.flag_key) for s in list_stars(conn, LEICS)] == [(None, "cin_visits:gap:x")]
    conn.close()


def test_a_flag_note_follows_its_flag_and_is_shown_when_the_flag_is_gone(sample_db):
    conn = open_database(sample_db)
    full = analyse(conn, LEICS)
    gap = next(f for f in full.flags if f.rule == "cin_visits" and f.certainty == "definite")
    note = add_note(conn, LEICS, text="Fault: no visit for 11 weeks", tag="fault", author="a", created=T0,
                    flag_key=gap.key)
    # A recomputation with a changed local policy (8 weeks, still breached) finds the same flag.
    from caseline.store import Transaction
    from caseline.store.writes import set_policy

    with Transaction(conn):
        set_policy(conn, "cin_visits", "", "every", json.dumps("8 weeks"))
    clear_cache()
    again = analyse(conn, LEICS)
    assert gap.key in {f.key for f in again.flags}
    assert place_notes(list_notes(conn, LEICS), again.flags).for_flag(gap.key) == [note]
    # As of before the second visit the gap is still open: another flag; the note is shown apart.
    early = analyse(conn, LEICS, as_of=full.as_of.replace(year=2021, month=11, day=1))
    placed = place_notes(list_notes(conn, LEICS), early.flags)
    assert placed.for_flag(gap.key) == [] and placed.unplaced == [note]
    assert placed.all() == [note]
    conn.close()


WRITER = r"""
import sys
from caseline.store import open_database
from caseline.store.notes import add_note
conn = open_database(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
for i in range(500):
    add_note(conn, sys.argv[2], text=f"{sys.argv[3]} {i}", tag="note", author=sys.argv[3],
             created=f"2026-12-01T10:{i // 60:02d}:{i % 60:02d}Z")
conn.close()
print("done", flush=True)
"""


def test_two_processes_adding_500_notes_each_lose_nothing(sample_db):
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(sample_db), LEICS, who], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
        for who in ("one", "two")
    ]
    for proc in writers:
        assert proc.stdout.readline().strip() == "ready"
    for proc in writers:  # both start writing at once
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in writers:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip() == "done"
    conn = open_database(sample_db, read_only=True)
    notes = list_notes(conn, LEICS)
    assert len(notes) == 1000
    for who in ("one", "two"):
        assert sorted(int(n.text.split()[1]) for n in notes if n.author == who) == list(range(500))
    assert len({n.id for n in notes}) == 1000
    conn.close()


def test_a_locked_database_refuses_in_one_sentence_and_keeps_the_note(sample_db):
    holder = sqlite3.connect(sample_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        result = run("notes", "add", sample_db, "--case", LEICS, "--tag", "finding", "The gap is a fault",
                     env={"CASELINE_BUSY_TIMEOUT": "0.2"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2
    message = result.output.strip()
    assert message.count("\n") == 0 and "another program is writing" in message and "notes retry" in message
    kept = pending_notes(sample_db)
    assert len(kept) == 1 and kept[0][1]["text"] == "The gap is a fault" and kept[0][1]["tag"] == "finding"
    assert file_mode(kept[0][0]) == 0o600
    conn = open_database(sample_db, read_only=True)
    assert list_notes(conn, LEICS) == []
    conn.close()
    retry = run("notes", "retry", sample_db)
    assert retry.exit_code == 0, retry.output
    assert "1 kept note(s) saved" in retry.output
    assert pending_notes(sample_db) == []
    conn = open_database(sample_db, read_only=True)
    assert [(n.tag, n.text) for n in list_notes(conn, LEICS)] == [("finding", "The gap is a fault")]
    conn.close()


def test_the_store_raises_busy_when_the_lock_cannot_be_had(sample_db, monkeypatch):
    monkeypatch.setenv("CASELINE_BUSY_TIMEOUT", "0.1")
    conn = open_database(sample_db)
    holder = sqlite3.connect(sample_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(BusyError):
            add_note(conn, LEICS, text="x", tag="note", author="a", created=T0)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert list_notes(conn, LEICS, include_deleted=True) == []
    conn.close()


def test_notes_commands_add_list_edit_delete_restore(sample_db):
    conn = open_database(sample_db, read_only=True)
    visit = event_id(conn, "L04")
    conn.close()
    env = {"CASELINE_AUTHOR": "Investigator A"}
    added = run("notes", "add", sample_db, "--case", LEICS, "--event", visit, "--tag", "finding",
                "Last visit before the gap", env=env)
    assert added.exit_code == 0, added.output
    assert "note 1 saved (finding, by Investigator A)" in added.output
    assert run("notes", "add", sample_db, "--case", LEICS, "--author", "B", "--tag", "query", "-",
               input="=HYPERLINK(\"http://x\")\n").exit_code == 0
    listed = run("notes", sample_db, "--case", LEICS, "--format", "json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["about"], r["tag"], r["author"]) for r in rows] == [
        (f"event {visit}", "finding", "Investigator A"), ("case", "query", "B")]
    csv_out = run("notes", sample_db, "--case", LEICS, "--format", "csv").output
    assert "'=HYPERLINK" in csv_out  # formula-safe
    assert run("notes", "edit", sample_db, 1, "--text", "Edited text", env=env).exit_code == 0
    assert run("notes", "delete", sample_db, 1, env=env).exit_code == 0
    table = run("notes", sample_db, "--case", LEICS).output
    assert "Edited text" not in table and "1 note(s)" in table
    assert "Edited text" in run("notes", sample_db, "--case", LEICS, "--deleted").output
    assert run("notes", "restore", sample_db, 1).exit_code == 0
    history = run("notes", "history", sample_db, 1).output.splitlines()
    assert [line.split()[1] for line in history] == ["created", "edited", "deleted", "restored"]
    assert run("notes", sample_db, "--case", LEICS, "--tag", "finding", "--format", "json").output.count('"id"') == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (("--tag", "guilty", "x"), "--tag: tag 'guilty' is not one of finding"),
        (("--event", "999999", "x"), "no event 999999 in case"),
        (("   ",), "the note is empty"),
        (("--event", "1", "--flag", "k", "x"), "give --event or --flag, not both"),
    ],
)
def test_bad_note_requests_get_one_sentence(sample_db, args, message):
    result = run("notes", "add", sample_db, "--case", LEICS, *args)
    assert result.exit_code == 1
    assert message in result.output and result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_star_command(sample_db):
    key = gap_key(sample_db)
    result = run("notes", "star", sample_db, "--case", LEICS, "--flag", key)
    assert result.exit_code == 0 and "starred" in result.output
    again = run("notes", "star", sample_db, "--case", LEICS, "--flag", key)
    assert "(it already was)" in again.output
    conn = open_database(sample_db, read_only=True)
    assert [s.flag_key for s in list_stars(conn, LEICS)] == [key]
    conn.close()


def test_author_comes_from_the_environment(monkeypatch):
    from caseline.notes import default_author

    monkeypatch.setenv("CASELINE_AUTHOR", "  Ms Investigator ")
    assert default_author() == "Ms Investigator"
    monkeypatch.delenv("CASELINE_AUTHOR")
    assert default_author() == (os.environ.get("USER") or default_author())


def test_a_note_on_a_flag_that_is_not_raised_is_kept_with_a_warning(sample_db):
    result = CliRunner().invoke(cli, ["notes", "add", str(sample_db), "--case", LEICS, "--flag", "cin_visits:gap:typo",
                                      "about a flag"])
    assert result.exit_code == 0, result.output
    assert "raises no flag 'cin_visits:gap:typo' now; the note is kept" in result.output
    key = gap_key(sample_db)
    quiet = CliRunner().invoke(cli, ["notes", "add", str(sample_db), "--case", LEICS, "--flag", key, "on the gap"])
    assert quiet.exit_code == 0 and "warning" not in quiet.output
    conn = open_database(sample_db, read_only=True)
    assert [n.flag_key for n in list_notes(conn, LEICS)] == ["cin_visits:gap:typo", key]
    conn.close()


def test_an_older_database_gains_note_history_and_stars_and_keeps_its_notes(tmp_path):
    from caseline.store import MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "old.db"
    raw = sqlite3.connect(path, isolation_level=None)
    # Version 2 as an earlier caseline left it: the notes table without updated/deleted.
    raw.execute("CREATE TABLE cases (id TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '', council TEXT DEFAULT '', "
                "summary TEXT DEFAULT '', source TEXT DEFAULT '', illustrative INTEGER NOT NULL DEFAULT 0, "
                "records_from TEXT, teaching TEXT)")
    raw.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, case_id TEXT NOT NULL, event_id INTEGER, flag_key TEXT, "
                "created TEXT NOT NULL, author TEXT DEFAULT '', tag TEXT NOT NULL DEFAULT 'note', text TEXT NOT NULL)")
    raw.execute("INSERT INTO cases (id, title) VALUES ('c1', 'One')")
    raw.execute("INSERT INTO notes (case_id, created, author, tag, text) VALUES ('c1', '2025-01-01T00:00:00Z', 'a', "
                "'query', 'written before history existed')")
    raw.execute("PRAGMA user_version = 2")
    raw.close()
    reader = open_database(path, read_only=True)  # a reading open reads it as it is
    assert [n.text for n in list_notes(reader, "c1")] == ["written before history existed"]
    assert list_stars(reader, "c1") == []
    reader.close()
    conn = open_database(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    [old] = list_notes(conn, "c1")
    assert (old.text, old.deleted) == ("written before history existed", None)
    edit_note(conn, old.id, author="b", when=T1, text="edited after the migration")
    history = note_history(conn, old.id)
    assert [(v.action, v.text) for v in history] == [
        ("created", "written before history existed"), ("edited", "edited after the migration")]
    assert set_star(conn, "c1", starred=True, author="b", when=T1, flag_key="k")
    conn.close()


def test_an_event_can_be_named_by_its_ref(sample_db):
    result = run("notes", "add", sample_db, "--case", LEICS, "--event", "L04", "on the visit")
    assert result.exit_code == 0, result.output
    missing = run("notes", "add", sample_db, "--case", LEICS, "--event", "L99", "x")
    assert missing.exit_code == 1 and "--event: no event with ref 'L99'" in missing.output
    assert run("notes", "star", sample_db, "--case", LEICS, "--event", "L07").exit_code == 0
    conn = open_database(sample_db, read_only=True)
    assert [n.event_id for n in list_notes(conn, LEICS)] == [event_id(conn, "L04")]
    assert [s.event_id for s in list_stars(conn, LEICS)] == [event_id(conn, "L07")]
    conn.close()
