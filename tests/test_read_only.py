"""A read-only review leaves the database folder exactly as it was: the same files (no -shm,
no -wal), every byte and every modification time unchanged, after every reading command
and a whole session in the explorer."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from caseline.cli import cli
from caseline.samples import build_sample_database
from caseline.store import open_database
from caseline.store.notes import add_note, list_notes, set_star

LEICS = "leicestershire-21-018-990"


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file in *folder*: its bytes, modification time and mode."""
    found = {}
    for entry in sorted(folder.iterdir()):
        info = entry.stat()
        found[entry.name] = (entry.read_bytes(), info.st_mtime_ns, info.st_mode)
    return found


@pytest.fixture
def reviewed(tmp_path: Path) -> Path:
    """A WAL database with notes and a star, closed cleanly (no -wal, no -shm), in a folder of its own."""
    folder = tmp_path / "case-files"
    folder.mkdir()
    path = folder / "cases.db"
    build_sample_database(path)
    conn = open_database(path)
    add_note(conn, LEICS, text="The gap is fault", tag="finding", author="A", created="2026-01-01T00:00:00Z",
             flag_key="cin_visits:gap:76:79")
    set_star(conn, LEICS, starred=True, author="A", when="2026-01-01T00:00:01Z", flag_key="cin_visits:gap:76:79")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert sorted(p.name for p in folder.iterdir()) == ["cases.db"]
    return path


def run(*args: object):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output
    return result


def test_every_reading_command_leaves_the_folder_untouched(reviewed, tmp_path):
    before = snapshot(reviewed.parent)
    out = tmp_path / "exports"
    out.mkdir()
    for fmt in ("table", "json", "csv"):
        run("flags", reviewed, "--case", LEICS, "--format", fmt)
        run("notes", reviewed, "--case", LEICS, "--format", fmt, "--deleted")
    run("notes", "history", reviewed, 1)
    run("check", reviewed)
    run("guidance", "--db", reviewed)
    run("policy", "list", reviewed)
    for fmt in ("md", "html", "docx", "csv"):
        run("export", reviewed, "--case", LEICS, "--format", fmt, "-o", out / f"c.{fmt}")
    assert sorted(p.name for p in out.iterdir()) == ["c.csv", "c.docx", "c.html", "c.md"]
    assert snapshot(reviewed.parent) == before


def test_a_whole_read_only_session_leaves_the_folder_untouched(reviewed, tmp_path):
    from textual.widgets import Input, OptionList

    from caseline.tui.app import CaselineApp

    from tui.conftest import settle

    before = snapshot(reviewed.parent)
    export_to = tmp_path / "out.html"

    async def session() -> None:
        app = CaselineApp(reviewed, read_only=True)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)  # the picker (five cases) with its counts
            await pilot.press("enter")  # the first case
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            table = app.screen.query_one("DataTable")
            table.move_cursor(row=[c.id for c in app.screen.cases].index(LEICS))
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            assert screen.case_id == LEICS and "read-only" in screen.status_text
            await pilot.press("n", "n", "enter", "e", "y", "z", "z", "Z", "b", "n", "b", "p", "p")
            await pilot.press("a", "A", "s", "E", "u")  # each says why it is disabled
            said = [n.message for n in app._notifications]
            assert sum("is disabled: this is a read-only review" in m for m in said) == 5, said
            await pilot.press("S", "S")
            await pilot.press("slash", *"visit", "enter", "escape")
            await pilot.press("g", *"2021-12", "enter")
            await settle(pilot)
            await pilot.press("o")
            listing = app.screen.query_one(OptionList)
            assert listing.highlighted is not None
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("x")
            dialog = app.screen
            dialog.query_one("#export-path", Input).value = str(export_to)
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press("escape")
            await pilot.press("question_mark")
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("q")

    asyncio.run(session())
    assert export_to.exists()
    assert snapshot(reviewed.parent) == before
    conn = open_database(reviewed, read_only=True)
    assert [n.text for n in list_notes(conn, LEICS)] == ["The gap is fault"]
    conn.close()
    assert snapshot(reviewed.parent) == before


def test_a_reader_sees_what_a_writer_holding_the_file_open_has_committed(reviewed):
    writer = open_database(reviewed)
    add_note(writer, LEICS, text="written while a reviewer reads", tag="note", author="B",
             created="2026-01-02T00:00:00Z")
    assert Path(f"{reviewed}-wal").exists()  # the writer is still connected: its pages are in the -wal
    reader = open_database(reviewed, read_only=True)
    try:
        assert "written while a reviewer reads" in [n.text for n in list_notes(reader, LEICS)]
        with pytest.raises(sqlite3.OperationalError):
            reader.execute("DELETE FROM notes")
    finally:
        reader.close()
        writer.close()


def test_a_read_only_open_cannot_write(reviewed):
    conn = open_database(reviewed, read_only=True)
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("INSERT INTO notes (case_id, created, text) VALUES (?, '', 'x')", (LEICS,))
    conn.close()
    assert not Path(f"{reviewed}-wal").exists() and not Path(f"{reviewed}-shm").exists()
    assert os.stat(reviewed).st_mode & 0o777 == 0o600
