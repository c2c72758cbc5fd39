"""Files caseline must not take over, and failures that end in one sentence, not a traceback.

Each case here once ended in a traceback or quietly changed a file (issue 8); the exit codes
are the README's: 1 for problems in the data or the request, 2 for a file that cannot be used.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import caseline.store.database as database
from caseline.cli import cli
from conftest import CSV_HEADER, write


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output + (result.stderr or "")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def one_sentence(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("caseline: ")
    return lines[0]


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _sqlite_utils_db(tmp_path: Path) -> Path:
    """Events loaded exactly as the README's sqlite-utils recipe does, nothing else."""
    csv = write(tmp_path / "events.csv", "case_id,date_start,kind,actor,summary\n"
                "c9,2021-01-05,cin_plan_start,,CIN plan\nc9,2021-01-06,cin_visit,SW1,Visit\n"
                "c9,2021-06-01,cin_visit,SW1,Visit\n")
    db = tmp_path / "plain.db"
    subprocess.run([sys.executable, "-m", "sqlite_utils", "insert", str(db), "events", str(csv), "--csv"], check=True)
    return db


def test_flags_and_check_read_a_plain_sqlite_utils_database_without_changing_it(tmp_path):
    db = _sqlite_utils_db(tmp_path)
    before = listing(tmp_path)
    flags = run("flags", db, "--case", "c9", "--format", "json")
    assert flags.exit_code == 0, flags.stderr
    assert '"kind": "gap"' in flags.output  # January to June without a visit
    checked = run("check", db)
    assert checked.exit_code == 1 and "table cases: missing" in checked.output
    assert listing(tmp_path) == before


def test_open_reads_a_plain_database_read_only_and_says_so(tmp_path, monkeypatch):
    db = _sqlite_utils_db(tmp_path)
    before = listing(tmp_path)
    opened = {}
    monkeypatch.setattr("caseline.tui.run_app", lambda path, **kw: opened.update(path=path, **kw))
    result = run("open", db)
    assert result.exit_code == 0, result.stderr
    assert opened["read_only"] is True
    assert "not a caseline database; opened read-only" in result.stderr
    assert listing(tmp_path) == before


@pytest.mark.parametrize("content", [b"", None])
def test_open_and_flags_refuse_a_file_caseline_did_not_make(tmp_path, content):
    db = tmp_path / "other.db"
    if content is None:
        raw = sqlite3.connect(db)
        raw.execute("CREATE TABLE invoices (n)")
        raw.commit()
        raw.close()
    else:
        db.write_bytes(content)
    before = listing(tmp_path)
    result = run("open", db)
    assert result.exit_code == 2
    assert "is not a caseline database; run 'caseline init" in one_sentence(result)
    flags = run("flags", db, "--case", "x")
    assert flags.exit_code == 1 and "no case 'x'" in one_sentence(flags)
    assert listing(tmp_path) == before


def test_a_failed_import_into_a_new_path_leaves_no_file(tmp_path):
    bad = write(tmp_path / "bad.csv", CSV_HEADER + "c1,not-a-date,,note,,x\n")
    result = run("import", tmp_path / "new.db", bad, "--create-cases")
    assert result.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_a_deeply_nested_json_file_is_one_problem(tmp_path):
    db = tmp_path / "x.db"
    run("init", db)
    nested = write(tmp_path / "deep.json", "[" * 200_000)
    result = run("import", db, nested)
    assert result.exit_code == 1
    assert "deep.json: is nested too deeply" in result.stderr


def test_a_writer_that_cannot_get_the_lock_says_so(tmp_path, monkeypatch):
    db = tmp_path / "x.db"
    run("init", db)
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run("policy", "set", db, "cin_visits", "every=4 weeks")
        assert result.exit_code == 2
        assert "another program is writing to this database" in one_sentence(result)
        csv = write(tmp_path / "e.csv", CSV_HEADER + "c1,2021-01-01,,note,,x\n")
        result = run("import", db, csv, "--create-cases")
        assert result.exit_code == 2
        assert "another program is writing" in result.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_no_permission_to_create_the_database_is_one_sentence(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(database.os, "open", refuse)
    for args in (("init", tmp_path / "x.db"), ("import", tmp_path / "y.db", write(tmp_path / "e.csv", CSV_HEADER))):
        result = run(*args)
        assert result.exit_code == 2
        assert "cannot be created (no permission to write in" in one_sentence(result)


def test_an_unreadable_database_is_one_sentence(tmp_path, monkeypatch):
    db = tmp_path / "x.db"
    run("init", db)
    real_open = Path.open

    def guarded(self, *args, **kwargs):
        if self == db:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded)
    result = run("guidance", "--db", db)
    assert result.exit_code == 2
    assert "cannot be read (permission denied)" in one_sentence(result)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; the simulated case below runs instead")
def test_a_wal_database_in_a_read_only_folder_can_be_checked(tmp_path):  # pragma: no cover - non-root only
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "x.db"
    run("init", db)
    folder.chmod(0o555)
    try:
        assert run("check", db).exit_code == 0
    finally:
        folder.chmod(0o755)


def test_a_wal_database_whose_shm_cannot_be_made_is_read_as_immutable(tmp_path, monkeypatch):
    db = tmp_path / "x.db"
    run("init", db)
    real_connect = sqlite3.connect
    uris: list[str] = []

    def connect(target, *args, **kwargs):
        uris.append(str(target))
        if "immutable=1" not in str(target) and kwargs.get("uri"):
            # What SQLite does when the folder forbids creating the -shm file.
            conn = real_connect(":memory:")
            conn.close()
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real_connect(target, *args, **kwargs)

    monkeypatch.setattr(database.sqlite3, "connect", connect)
    monkeypatch.setattr(database.os, "access", lambda path, mode: False)
    conn = database.open_database(db, read_only=True)
    assert conn.execute("SELECT count(*) FROM guidance").fetchone()[0] > 0
    conn.close()
    assert any("immutable=1" in uri for uri in uris)
