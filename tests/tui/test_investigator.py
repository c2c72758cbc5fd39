"""Pilot tests of the investigator's keys: notes (add, edit, delete, restore), stars and
"starred only", the notes filter, copy, the overview, export, a locked database and a
read-only review."""

from __future__ import annotations

import sqlite3

from textual.widgets import Input, OptionList, TextArea

from caseline.store import open_database
from caseline.store.notes import add_note, list_notes, list_stars, note_history

from .conftest import GAP, LEICS, make_app, settle

SIZE = (160, 48)


def current(app):
    screen = app.screen
    return screen.model.row(screen.timeline.cursor_row)


def notes_in(path):
    conn = open_database(path, read_only=True)
    try:
        return list_notes(conn, LEICS, include_deleted=True)
    finally:
        conn.close()


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def write_note(pilot, text: str) -> None:
    area = pilot.app.screen.query_one("#note-text", TextArea)
    area.text = text
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_a_finding_on_the_gap_is_saved_shown_marked_and_in_the_lanes(leics_db, monkeypatch):
    monkeypatch.setenv("CASELINE_AUTHOR", "Investigator A")
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "n")
        assert current(app).flag == GAP
        await pilot.press("a")
        assert type(app.screen).__name__ == "NoteDialog"
        await write_note(pilot, "Eleven weeks without a visit: fault")
        [note] = notes_in(leics_db)
        assert (note.flag_key, note.tag, note.author, note.event_id) == (GAP.key, "finding", "Investigator A", None)
        screen = app.screen
        assert "Eleven weeks without a visit: fault" in screen.panel.plain
        assert "[finding]" in screen.panel.plain
        assert "✎ No CIN visit" in screen.timeline.plain_line(screen.timeline.cursor_row)
        notes_lane = screen.lanes.lanes.lanes[-1]
        assert notes_lane.name == "Notes" and list(notes_lane.ticks) == [GAP.start.toordinal()]
        assert "Notes" in app.screen.lanes.render().plain
        assert "Note saved (finding)" in messages(app)


async def test_edit_delete_and_restore_keep_the_history(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down", "down")  # the mid-September visit (event 4)
        assert current(app).event_id == 4
        await pilot.press("a")
        await write_note(pilot, "Last visit before the gap")
        await pilot.press("E")
        dialog = app.screen
        assert dialog.query_one("#note-text", TextArea).text == "Last visit before the gap"
        await write_note(pilot, "Last recorded visit before the 11-week gap")
        assert notes_in(leics_db)[0].text == "Last recorded visit before the 11-week gap"
        await pilot.press("E")
        await pilot.click("#note-delete")
        await settle(pilot)
        assert notes_in(leics_db)[0].deleted is not None
        assert "No notes (a: add one)" in app.screen.panel.plain
        await pilot.press("u")
        await settle(pilot)
        [note] = notes_in(leics_db)
        assert note.deleted is None
        assert "Last recorded visit before the 11-week gap" in app.screen.panel.plain
        conn = open_database(leics_db, read_only=True)
        assert [v.action for v in note_history(conn, note.id)] == ["created", "edited", "deleted", "restored"]
        conn.close()


async def test_u_restores_a_note_deleted_in_an_earlier_session_from_a_list(leics_db):
    from caseline.store.notes import delete_note

    conn = open_database(leics_db)
    kept = add_note(conn, LEICS, text="deleted yesterday", tag="query", author="a", created="2026-01-01T00:00:00Z",
                    event_id=8)
    delete_note(conn, kept.id, author="a", when="2026-01-02T00:00:00Z")
    conn.close()
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        picker = app.screen
        assert type(picker).__name__ == "NotePicker"
        assert "deleted yesterday" in str(picker.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert [n.deleted for n in notes_in(leics_db)] == [None]


async def test_star_and_starred_only(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "s")
        await settle(pilot)
        conn = open_database(leics_db, read_only=True)
        assert [(s.event_id, s.flag_key) for s in list_stars(conn, LEICS)] == [(4, None)]
        conn.close()
        screen = app.screen
        assert screen.timeline.plain_line(screen.timeline.cursor_row).find("★ The allocated worker visits") > 0
        await pilot.press("n", "s")  # star the gap flag too
        await settle(pilot)
        await pilot.press("S")
        assert "starred only" in screen.status_text
        rows = [screen.model.row(i) for i in range(len(screen.model))]
        assert [r.event_id for r in rows if r.flag is None] == [4, 7]  # the star and the gap's two visits
        assert [r.flag.key for r in rows if r.flag is not None] == [GAP.key]
        await pilot.press("S")
        assert len(screen.model) == 18 + 5
        await pilot.press("home", "n", "n")
        assert current(app).flag == GAP
        await pilot.press("s")  # unstar the gap
        await settle(pilot)
        conn = open_database(leics_db, read_only=True)
        assert [(s.event_id, s.flag_key) for s in list_stars(conn, LEICS)] == [(4, None)]
        conn.close()


async def test_filter_by_tag_keeps_rows_with_such_notes(leics_db):
    conn = open_database(leics_db)
    add_note(conn, LEICS, text="query on the referral", tag="query", author="a", created="2026-01-01T00:00:00Z",
             event_id=8)
    add_note(conn, LEICS, text="the gap", tag="fault", author="a", created="2026-01-01T00:00:01Z", flag_key=GAP.key)
    conn.close()
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        listing = app.screen.query_one(OptionList)
        index = next(i for i in range(listing.option_count) if listing.get_option_at_index(i).id == "query")
        listing.highlighted = index
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert "notes: query" in screen.status_text
        assert [screen.model.row(i).event_id for i in range(len(screen.model))] == [8]
        await pilot.press("t")
        listing = app.screen.query_one(OptionList)
        listing.highlighted = 0  # every row
        await pilot.press("enter")
        await settle(pilot)
        assert len(screen.model) == 18 + 5


async def test_copy_puts_the_flag_sentence_rule_status_and_citation_on_the_clipboard(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "n", "y")
        assert app.clipboard.startswith("No CIN visit for 10-12 weeks")
        assert "Rule: Child in need visits (local policy)" in app.clipboard
        assert "Citation: Leicestershire children's social care procedures, Child in need plans (2021)" in app.clipboard
        assert any("Copied to the clipboard" in m for m in messages(app))
        await pilot.press("home", "y")
        assert app.clipboard == "since 2019: F and G are living with Mr X and Mrs Y under a private fostering arrangement (para 23)"


async def test_overview_groups_flags_by_rule_and_enter_jumps(leics_db):
    conn = open_database(leics_db)
    add_note(conn, LEICS, text="the gap is fault", tag="fault", author="a", created="2026-01-01T00:00:01Z",
             flag_key=GAP.key)
    add_note(conn, LEICS, text="orphan", tag="query", author="a", created="2026-01-01T00:00:02Z",
             flag_key="gone:flag:1")
    conn.close()
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        overview = app.screen
        assert type(overview).__name__ == "OverviewScreen"
        listing = overview.query_one(OptionList)
        lines = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert "Flags by rule (8)" in lines[0]
        assert any(line.startswith("Child in need visits · local policy  1✖") for line in lines)
        assert any(line.startswith("worker_change") and "3●" in line for line in lines)
        assert any("Fault (1)" in line for line in lines) and any("(flag no longer raised) orphan" in line for line in lines)
        gap_index = next(i for i, line in enumerate(lines) if "No CIN visit for 10-12 weeks" in line)
        listing.highlighted = gap_index
        await pilot.press("enter")
        await settle(pilot)
        assert current(app).flag == GAP


async def test_export_dialog_reports_where_the_file_went(leics_db, tmp_path):
    app = make_app(leics_db)
    out = tmp_path / "exports" / "leics.md"
    out.parent.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        dialog = app.screen
        assert type(dialog).__name__ == "ExportDialog"
        from textual.widgets import Select

        dialog.query_one("#export-format", Select).value = "md"
        await pilot.pause()
        dialog.query_one("#export-path", Input).value = str(out)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert out.exists() and (out.stat().st_mode & 0o777) == 0o600
        assert out.read_text(encoding="utf-8").startswith("# Chronology: Missed CIN visits")
        result = str(dialog.query_one("#export-result").content)
        assert f"Saved to {out}" in result
        await pilot.press("ctrl+s")  # again: the file exists and "replace" is not ticked
        await settle(pilot)
        assert "already exists" in str(dialog.query_one("#export-result").content)


async def test_a_locked_database_keeps_the_note_in_the_dialog_for_a_retry(leics_db, monkeypatch):
    monkeypatch.setenv("CASELINE_BUSY_TIMEOUT", "0.1")
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "n", "a")
        holder = sqlite3.connect(leics_db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            await write_note(pilot, "Do not lose me")
            dialog = app.screen
            assert type(dialog).__name__ == "NoteDialog"
            assert dialog.query_one("#note-text", TextArea).text == "Do not lose me"
            error = str(dialog.query_one("#note-error").content)
            assert "another program is writing" in error and "ctrl+s to try again" in error
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        await pilot.press("ctrl+s")  # the retry
        await settle(pilot)
        assert [n.text for n in notes_in(leics_db)] == ["Do not lose me"]


async def test_read_only_review_says_why_writing_is_disabled(leics_db):
    app = make_app(leics_db, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "n", "a", "s", "A", "E", "u")
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"  # no dialog opened
        said = messages(app)
        for what in ("Adding a note", "Starring", "Editing a note", "Restoring a note"):
            assert any(m.startswith(f"{what} is disabled: this is a read-only review") for m in said), what
        assert notes_in(leics_db) == []


async def test_a_case_can_open_on_its_overview(leics_db):
    app = make_app(leics_db, overview_first=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "OverviewScreen"
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"


async def test_the_palette_finds_note_export_copy_and_star(leics_db):
    from caseline.tui.commands import palette_commands

    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {title for title, _, _ in palette_commands(app.screen)}
        assert {"Note", "Case note", "Edit note", "Restore note", "Star", "Starred only", "Notes filter", "Overview",
                "Copy", "Export"} <= titles


async def test_the_overview_of_an_illustrative_case_carries_the_banner(leics_db):
    raw = sqlite3.connect(leics_db)
    raw.execute("UPDATE cases SET illustrative = 1, summary = 'Two children on CIN plans', source = 'LGSCO 21 018 990'")
    raw.commit()
    raw.close()
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        overview = app.screen
        assert "ILLUSTRATIVE — dates invented for teaching" in str(overview.query_one("#overview-banner").content)
        head = str(overview.query_one("#overview-head").content)
        assert "Two children on CIN plans" in head and "Source: LGSCO 21 018 990" in head
        # The day the flags are judged at, and why (as the status line says), not the last event's.
        assert "As of: 6 Sep 2022 (the case's as-of date)" in head and "31 Mar 2022" not in head


def test_the_overview_lists_a_rules_first_flags_and_counts_the_rest():
    """A whole extract's tens of thousands of worker changes: the first 200 listed (each
    jumpable), the heading counting them all, and a line saying how many more there are."""
    from datetime import date as day

    from caseline.flag_table import FlagTable
    from caseline.model import Flag
    from caseline.notes import PlacedNotes
    from caseline.tui.overview import FLAGS_A_RULE, overview_options

    class NoNotes:
        star_flags: set[str] = set()
        placed = PlacedNotes()

    flags = FlagTable.from_flags(
        Flag(f"w:{i:05}", "worker_change", "worker_change_family_told", "info", "definite", day(2020, 1, 1),
             day(2020, 1, 1), None, (i,), f"Allocated worker changed ({i})") for i in range(1234))
    lines = [(option.id, str(option.prompt)) for option in overview_options(flags, {}, NoNotes())]
    jumpable = [option_id for option_id, _ in lines if option_id and option_id.startswith("flag:")]
    assert jumpable == [f"flag:w:{i:05}" for i in range(FLAGS_A_RULE)]
    texts = [text for _, text in lines]
    assert "Flags by rule (1,234)" in texts
    assert any("1,234●" in text for text in texts)
    assert f"  … and {1234 - FLAGS_A_RULE:,} more (n on the timeline walks every flag)" in texts
