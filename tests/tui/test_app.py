"""Pilot tests: every key path, asserting on app state and rendered text."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date

import pytest
from textual.widgets import DataTable

from caseline.sanitize import clean
from caseline.model import EventFilter

from .conftest import GAP, INJECT, INJECTION_PAYLOADS, KENT, LEICS, TODAY, make_app, settle

SIZE = (160, 48)


def screen_text(app) -> str:
    """Everything on screen as plain text (the compositor's lines)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def current(app):
    screen = app.screen
    return screen.model.row(screen.timeline.cursor_row)


def test_importing_the_package_does_not_import_textual():
    code = "import caseline.tui, sys; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


async def test_single_case_opens_directly_and_flags_arrive(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert screen.case_id == LEICS
        await settle(pilot)
        assert screen.flags_ready
        assert "8 flags" in screen.status_text
        assert len(screen.model) == 18 + 5


async def test_computing_indicator_while_flags_are_pending(leics_db):
    import threading

    gate = threading.Event()

    def slow_flags(conn, case_id):
        gate.wait(5)
        return [GAP]

    app = make_app(leics_db, flag_provider=slow_flags)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "computing flags" in app.screen.status_text
        assert len(app.screen.model) == 18  # events painted before flags
        gate.set()
        await settle(pilot)
        assert "1 flags" in app.screen.status_text


async def test_flag_provider_failure_is_shown_not_raised(leics_db):
    def broken(conn, case_id):
        raise RuntimeError("engine exploded")

    app = make_app(leics_db, flag_provider=broken)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "flags unavailable" in app.screen.status_text


async def test_moving_and_paging(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = app.screen.timeline
        await pilot.press("down", "j", "j")
        assert timeline.cursor_row == 3
        await pilot.press("k")
        assert timeline.cursor_row == 2
        await pilot.press("end")
        assert timeline.cursor_row == len(app.screen.model) - 1
        await pilot.press("home")
        assert timeline.cursor_row == 0
        await pilot.press("pagedown")
        assert timeline.cursor_row == len(app.screen.model) - 1  # the case is shorter than a page
        await pilot.press("pageup")
        assert timeline.cursor_row == 0
        await pilot.press("up")
        assert timeline.cursor_row == 0


async def test_next_and_previous_flag_and_breaches_only(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert current(app).flag.kind == "coverage"
        await pilot.press("n")
        assert current(app).flag == GAP
        assert "No CIN visit for 10-12 weeks" in app.screen.panel.plain
        await pilot.press("N")
        assert current(app).flag.kind == "coverage"
        await pilot.press("home", "b", "n")
        assert current(app).flag == GAP
        await pilot.press("n")
        assert current(app).flag.kind == "deadline"
        assert "breaches only" in app.screen.status_text


async def test_guidance_panel_for_a_gap_row(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "n")
        panel = app.screen.panel.plain
        assert "Breach · definite" in panel
        assert "Child in need visits" in panel
        assert "LOCAL POLICY" in panel
        assert "Leicestershire children's social care procedures" in panel
        assert "every six weeks" in panel
        assert "The allocated worker visits the children" in panel
        # The timeline row carries the symbol and the message.
        line = app.screen.timeline.plain_line(app.screen.timeline.cursor_row)
        assert line.startswith("✖ ") and "10-12 weeks" in line


async def test_enter_on_flag_jumps_to_its_events_and_e_cycles(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "n", "enter")
        assert current(app).event_id == 4
        assert "Event 1 of 2 behind the flag" in app.screen.panel.plain
        await pilot.press("e")
        assert current(app).event_id == 7
        await pilot.press("e")
        assert current(app).event_id == 4
        await pilot.press("enter")  # from an event back to the flag resting on it
        assert current(app).flag == GAP


async def test_event_panel_shows_detail_source_and_flags(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.press(*"15 Sep 2021", "enter")
        await pilot.pause()
        # 15 Sep falls inside the ~11-20 Sep visit: land there, not on the next event after.
        assert current(app).event_id == 4
        assert app.screen.timeline.plain_line(app.screen.timeline.cursor_row).lstrip().startswith("~11-20 Sep")
        panel = app.screen.panel.plain
        assert "mid-September 2021" in panel
        assert "last CIN visit before the gap" in panel
        assert "L04" in panel and "paras 23, 47" in panel
        assert "No CIN visit for 10-12 weeks" in panel  # the flag resting on it


async def test_go_to_date_accepts_forms_and_shows_errors(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for typed, expected_event in (("2022-02", 13), ("15 Feb 2022", 14), ("2021-12-20", 8), ("2022-01-05", 11)):
            await pilot.press("g")
            await pilot.press(*typed, "enter")
            await pilot.pause()
            assert current(app).event_id == expected_event, typed
        # A missed deadline due on 7 Mar 2022 comes before the late-March events.
        await pilot.press("g", *"Mar 2022", "enter")
        await pilot.pause()
        assert current(app).flag.kind == "deadline"
        await pilot.press("g")
        await pilot.press(*"next tuesday", "enter")
        await pilot.pause()
        error = app.screen.query_one("#goto-error").content
        assert "is not a date" in str(error)
        await pilot.press("escape")
        assert app.screen.case_id == LEICS


@pytest.fixture
def partial_index(monkeypatch):
    """Cases paint from their first 5 rows; the full index waits until the test sets the gate."""
    import threading

    import caseline.tui.case_screen as case_screen

    gate = threading.Event()
    real_load_index = case_screen.load_index

    def gated_load_index(conn, case_id, *args, limit=None, **kwargs):
        if limit is None and not args:
            gate.wait(5)  # the background read of the whole index
        return real_load_index(conn, case_id, *args, limit=limit, **kwargs)

    monkeypatch.setattr(case_screen, "FIRST_SCREEN_ROWS", 5)
    monkeypatch.setattr(case_screen, "load_index", gated_load_index)
    yield gate
    gate.set()


async def test_long_case_paints_first_rows_then_answers_against_every_event(leics_db, partial_index):
    """Go to date, search and End asked while the full index is still being read."""
    gate = partial_index
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.model.event_count == 5
        assert "first 5 events" in screen.status_text and "reading the rest" in screen.status_text
        await pilot.press("g", *"15 Feb 2022", "enter")
        await pilot.pause()
        # Answered at once from a window of events read from that date on.
        assert current(app).event_id == 14
        assert "events near there" in screen.status_text
        await pilot.press("slash", *"strategy", "escape")
        gate.set()
        await settle(pilot)
        assert screen.model.event_count == 18
        assert "reading the rest" not in screen.status_text and "18 events" in screen.status_text
        assert current(app).event_id == 14  # the pending go-to-date was answered
        assert len(screen.matches) == 3  # the search ran again over every event


async def test_end_on_a_partial_index_stays_at_the_end(leics_db, partial_index):
    gate = partial_index
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        row = current(app)  # the real last event (or the flag row after it), before the index is read
        assert row.event_id == 18 or row.flag.events[-1] == 18
        assert "events near there" in app.screen.status_text
        gate.set()
        await settle(pilot)
        screen = app.screen
        assert screen.model.event_count == 18
        assert screen.timeline.cursor_row == len(screen.model) - 1


async def test_search_counts_and_steps(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("slash", *"strategy")
        await settle(pilot)
        assert len(screen.matches) == 3
        assert str(screen.query_one("#search-count").content) == "1/3 matches"
        assert current(app).event_id == 9
        await pilot.press("enter")
        assert current(app).event_id == 12
        assert str(screen.query_one("#search-count").content) == "2/3 matches"
        await pilot.press("up")
        assert current(app).event_id == 9
        await pilot.press("up")  # wraps to the last match
        assert current(app).event_id == 14
        await pilot.press("escape")
        assert not screen.query_one("#search-bar").display
        assert screen.timeline.has_focus
        assert screen.case_id == LEICS  # escape closed the search, not the case


async def test_search_finds_flag_messages(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"10-12 weeks")
        await settle(pilot)
        assert current(app).flag == GAP
        await pilot.press("backspace", *"zzz-nothing")
        await settle(pilot)
        assert str(app.screen.query_one("#search-count").content) == "no matches"


async def test_filter_dialog_by_kind_then_clear(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        app.screen.tick("kinds", "cin_visit")
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert screen.event_filter == EventFilter(kinds=frozenset({"cin_visit"}))
        events = [screen.model.row(r).event_id for r in range(len(screen.model)) if not screen.model.row(r).is_flag]
        assert events == [4, 7, 11]
        # Only the gap between two visits rests on a visit; worker changes do not come back.
        assert [f.key for f in screen.model.flags] == [GAP.key]
        assert "worker change" not in screen_text(app)
        assert "3 of 18 events" in screen.status_text and "1 of 8 flags" in screen.status_text
        assert "kind=cin_visit" in screen.status_text
        await pilot.press("F")
        await pilot.pause()
        assert not app.screen.event_filter.active
        assert app.screen.model.event_count == 18


async def test_filter_ticks_several_kinds_and_a_rule(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        dialog = app.screen
        dialog.tick("kinds", "cin_visit")
        dialog.tick("kinds", "worker_allocated")
        await pilot.press("enter")
        await settle(pilot)  # the lanes are read again in a worker
        screen = app.screen
        assert screen.model.event_count == 3 + 4
        assert "kind=cin_visit,worker_allocated" in screen.status_text
        # The lanes follow: the Flags lane marks the shown flags' days and severities only.
        flag_lane = next(lane for lane in screen.lanes.shown_lanes if lane.name == "Flags")
        days = screen.model.flag_days()
        assert flag_lane.marks == sorted({(days[f.key], f.severity) for f in screen.model.flags})
        await pilot.press("escape")  # the first escape clears the filter
        await pilot.pause()
        assert not screen.event_filter.active
        screen.apply_filter(EventFilter(rules=frozenset({"complaint_stage1_response"})))
        await pilot.pause()
        assert [f.rule for f in screen.model.flags] == ["complaint_stage1_response"]
        assert sorted(screen.model.ids) == [13, 17]


async def test_child_chooser_follows_one_child(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert "Follow one child" in screen_text(app)
        await pilot.press("j", "j", "enter")  # Every child, F, G
        await pilot.pause()
        screen = app.screen
        assert screen.event_filter.subjects == frozenset({"G"})
        assert "child=G" in screen.status_text
        # Events about G and events about every child (no subject) stay; nothing is about F alone.
        assert screen.model.event_count == 18
        await pilot.press("c", "k", "k", "enter")  # the chooser opens on G; up to every child
        await pilot.pause()
        assert not screen.event_filter.subjects


async def test_filter_by_severity_keeps_breaches_and_their_events(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.apply_filter(EventFilter(severities=frozenset({"breach"})))
        await pilot.pause()
        model = app.screen.model
        assert {model.row(r).flag.severity for r in model.flag_rows} == {"breach"}
        assert sorted(model.row(r).event_id for r in range(len(model)) if not model.row(r).is_flag) == [4, 7, 13, 17]


async def test_zoom_changes_the_lanes_span(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lanes = app.screen.lanes
        whole = lanes.span
        await pilot.press("z")
        year = lanes.span
        assert year[1] - year[0] + 1 == 366 < whole[1] - whole[0]
        await pilot.press("z", "z", "z")
        assert lanes.zoom_name == "month"
        await pilot.press("Z", "Z", "Z", "Z")
        assert lanes.span == whole


async def test_click_on_lanes_moves_the_cursor(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lanes = app.screen.lanes
        # Click near the right end of the "Worker" lane: the cursor goes to 2022.
        await pilot.click("#lanes", offset=(lanes.size.width - 3, 1))
        await pilot.pause()
        assert date.fromordinal(current(app).day).year == 2022


async def test_click_on_a_row_selects_it(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.click("#timeline", offset=(10, 5))
        assert app.screen.timeline.cursor_row == 5


async def test_help_lists_bindings_and_closes(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        first_page = screen_text(app)
        app.screen.query_one("#help-dialog").scroll_end(animate=False)  # the help scrolls
        await pilot.pause()
        text = first_page + screen_text(app)
        for words in ("Next flag", "case.next-flag", "Go to date", "timeline.page-down", "Next match", "Commands",
                      "Scroll down", "Read on (long rows)", "case.child", "case.clear-filter"):
            assert words in text, words
        await pilot.press("escape")
        assert app.screen.case_id == LEICS


async def test_command_palette_runs_case_actions(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"next flag")
        # The palette searches in a worker: wait until it lists a match, rather than a fixed time.
        from textual.command import CommandList

        commands = app.screen.query_one(CommandList)
        for _ in range(500):  # bounded: a palette that never answers fails, it does not hang
            if commands.option_count:
                break
            await pilot.pause()
        assert commands.option_count
        await pilot.press("enter")
        await settle(pilot)
        assert current(app).flag is not None


async def test_high_contrast_toggle(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.run_action("toggle_high_contrast")
        assert app.theme == "caseline-high-contrast"
        await app.run_action("toggle_high_contrast")
        assert app.theme != "caseline-high-contrast"


async def test_picker_opens_a_case_and_escape_goes_back(multi_db):
    app = make_app(multi_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 3
        # Breaches and attention, not the information rows (worker changes, coverage).
        assert app.screen.flag_counts[LEICS] == (2, 2) and app.screen.flag_counts[KENT] == (0, 0)
        # Cases are listed by id: inject-demo, kent-demo, leics-demo.
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert app.screen.case_id == LEICS
        await pilot.press("escape")
        await pilot.pause()
        assert table is app.screen.query_one(DataTable)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_picker_footer_shows_enter_and_home_end_move_between_cases(multi_db):
    app = make_app(multi_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Open case" in screen_text(app).splitlines()[-1]
        table = app.screen.query_one(DataTable)
        await pilot.press("end")
        assert table.cursor_row == 2
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("end", "enter")
        await settle(pilot)
        assert app.screen.case_id == LEICS


async def test_q_on_a_single_case_quits(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_injection_payloads_are_shown_literally(multi_db):
    app = make_app(multi_db, case_id=INJECT)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = app.screen.timeline
        lines = [timeline.plain_line(r) for r in range(len(app.screen.model))]
        assert "[red]x[/]" in lines[0]
        assert "[link=file:///etc/passwd]y[/]" in lines[1]
        assert "beforeafter" in lines[2]
        assert "bellhere" in lines[3]
        assert "linktext" in lines[4]
        assert "[bold]SW[/bold]" in lines[0]
        for line in lines:
            assert "\x1b" not in line and "\x07" not in line
        text = screen_text(app)
        assert "[red]x[/]" in text and "[link=file:///etc/passwd]y[/]" in text
        assert "[b]Injected[/b] title" in text
        # No segment carries a hyperlink or a style that markup would have produced.
        for y in range(timeline.size.height):
            for segment in timeline.render_line(y):
                assert segment.style is None or not segment.style.link
        await pilot.press("j")
        panel = app.screen.panel.plain
        assert "[link=file:///etc/passwd]y[/]" in panel and "\x1b" not in panel


def test_clean_payloads():
    assert clean(INJECTION_PAYLOADS[0]) == "[red]x[/]"
    assert clean("a\x1b[2Jb") == "ab"
    assert clean("\x1b]8;;http://x\x1b\\y\x1b]8;;\x1b\\") == "y"
    assert clean("bell\x07") == "bell"
    assert clean("x\x9b31my") == "xy"
    assert clean("a\nb\tc") == "a b c"
    assert clean("a\nb\x1b[1m", one_line=False) == "a\nb"
    assert clean("\u202eevil") == "evil"
    assert clean(None) == ""


async def test_read_only_database_is_opened_read_only(leics_db):
    app = make_app(leics_db, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "read-only" in app.screen.status_text
        with pytest.raises(Exception):
            app.conn.execute("INSERT INTO cases (id, title) VALUES ('x', 'y')")


async def test_small_terminal_still_usable(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.has_class("-narrow") and screen.has_class("-short")
        assert screen.panel.outer_size.width == 30
        assert screen.timeline.size.height >= 8
        await pilot.press("n", "n")
        assert current(app).flag == GAP
        assert "✖" in screen_text(app)
        await pilot.press("P")
        assert not screen.panel.display
        assert screen.timeline.size.width == 80


async def test_the_whole_payload_list_reaches_the_screen_harmless(tmp_path):
    """Every payload as a worker name, summary, detail and date text, with real flags."""
    import json as _json

    from caseline.cli import cli as _cli
    from click.testing import CliRunner

    from payloads import PAYLOADS, dangerous

    people = [{"id": f"sw{i}", "name": p, "role": "social_worker"} for i, p in enumerate(PAYLOADS)]
    events = [{"date_start": f"{2021 + i // 12}-{1 + i % 12:02d}-15", "kind": "worker_allocated", "actor": f"sw{i}",
               "summary": p, "detail": p, "date_text": p, "source": p} for i, p in enumerate(PAYLOADS)]
    case_file = tmp_path / "case.json"
    case_file.write_text(_json.dumps({"case": {"id": "hostile", "title": PAYLOADS[0], "council": PAYLOADS[3]},
                                      "people": people, "events": events}), encoding="utf-8")
    db = tmp_path / "hostile.db"
    assert CliRunner().invoke(_cli, ["import", str(db), str(case_file)]).exit_code == 0
    from caseline.tui.app import CaselineApp

    app = CaselineApp(db, case_id="hostile", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.flags_ready and len(screen.flags) > 10
        for row in range(len(screen.model)):
            screen.timeline.cursor_row = row
            await pilot.pause()
            assert dangerous(screen.timeline.plain_line(row)) == []
            assert dangerous(screen.panel.plain.replace("\n", "")) == []
        assert dangerous(screen_text(app).replace("\n", "")) == []
        assert "SW2" in screen_text(app)


async def test_the_picker_and_the_case_screen_share_one_computation(tmp_path, monkeypatch):
    import caseline.rules.engine as engine
    from caseline.analysis import clear_cache
    from caseline.samples import build_sample_database
    from caseline.tui.app import CaselineApp

    db = tmp_path / "samples.db"
    build_sample_database(db)
    calls = []
    real = engine.iter_flags
    monkeypatch.setattr(engine, "iter_flags", lambda *a, **k: calls.append(1) or real(*a, **k))
    clear_cache()
    app = CaselineApp(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(calls) == 5  # one per case, for the picker's counts
        await pilot.press("end", "enter")
        await settle(pilot)
        assert app.screen.flags_ready and app.screen.flags
        assert len(calls) == 5  # the case screen reused the picker's analysis
    clear_cache()


async def test_80x24_shows_every_lane_dates_with_years_and_the_keys_that_matter(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = screen_text(app).splitlines()
        lane_labels = {line.split()[0] for line in lines[2:8] if line.strip()}
        # CIN, CP and PF merge into one Plans lane; none is cut off, and Flags is last.
        assert {"Worker", "Plans", "Visits", "Flags"} <= lane_labels, lines[:8]
        footer = lines[-1]
        for key in ("n Next flag", "/ Search", "f Filter", "g Go to date", "? Help", "q Quit"):
            assert key in footer, footer
        timeline = app.screen.timeline
        for row in range(len(app.screen.model)):
            date_cell = timeline.plain_line(row)[2:].split("  ")[0]
            assert any(year in date_cell for year in ("19", "20", "21", "22")), date_cell


async def test_panel_takes_focus_with_p_and_tab_and_scrolls_with_arrows(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("n", "n")  # the gap row: a long explanation in a 30-column panel
        await pilot.press("p")
        assert screen.panel.has_focus
        assert screen.panel.max_scroll_y > 0
        await pilot.press("down", "down", "j")
        assert screen.panel.scroll_y == 3
        await pilot.press("escape")  # steps back to the timeline, the case stays open
        assert screen.timeline.has_focus and app.screen is screen
        await pilot.press("tab")
        assert screen.panel.has_focus
        await pilot.press("p")
        assert screen.timeline.has_focus


async def test_escape_never_quits_and_q_quits(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape", "escape", "escape")
        await pilot.pause()
        assert app.is_running and app.screen.case_id == LEICS
        assert any("q quits" in str(n.message) for n in app._notifications)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_right_reads_a_long_row_on_and_left_comes_back(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        timeline = app.screen.timeline
        width = timeline.scrollable_content_region.width
        before = timeline.plain_line(0)[:width]
        assert "Mrs Y" not in before  # cut at the panel
        await pilot.press("right")
        assert "Mrs Y" in timeline.plain_line(0)[:width]
        await pilot.press("left")
        assert timeline.plain_line(0)[:width] == before


async def test_columns_fit_their_content(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = app.screen.timeline
        cols = timeline.columns(timeline.scrollable_content_region.width)
        # The widest date is the coverage span "~1 Mar 2019-24 Feb 2022" (23 cells): no wider.
        assert cols.date == len("~1 Mar 2019-24 Feb 2022")
        assert cols.age  # F and G have birth dates
        assert cols.summary >= 50
        gap = timeline.plain_line(app.screen.model.row_for_flag(GAP))
        assert "~20 Sep-27 Nov 2021" in gap  # its events are imprecise: ~ stays


async def test_picker_j_k_and_counts_at_80_columns(multi_db):
    app = make_app(multi_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        text = screen_text(app)
        assert "Events" in text and "Breaches" in text and "Attention" in text
        leics_line = next(line for line in text.splitlines() if "leics-demo" in line)
        assert leics_line.split()[1:4] == ["18", "2", "2"]
        await pilot.press("escape")
        assert app.is_running


async def test_n_walks_every_flag_in_date_order_whatever_the_filter(leics_db):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        for chosen in (EventFilter(), EventFilter(kinds=frozenset({"worker_allocated", "complaint_stage1"}))):
            screen.apply_filter(chosen)
            await settle(pilot)
            await pilot.press("home")
            seen = []
            for _ in range(20):
                before = screen.timeline.cursor_row
                await pilot.press("n")
                if screen.timeline.cursor_row == before:
                    break
                row = current(app)
                seen.append((row.day, row.flag.key if row.flag else row.marks[0].key))
            assert [day for day, _ in seen] == sorted(day for day, _ in seen), chosen
            keys = {key for _, key in seen}
            # Every flag the filter shows is reached (marks count as stops on their event row).
            assert {f.key for f in screen.model.flags if f.kind != "worker_change"} <= keys, chosen
            if chosen.kinds:
                assert "worker_stability:18" in keys  # still there, at the third change


async def test_go_to_date_while_reading_finds_an_event_that_began_before_the_day(leics_db, partial_index):
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.screen.index_complete
        await pilot.press("g", *"15 Sep 2021", "enter")
        await pilot.pause()
        assert current(app).event_id == 4  # the ~11-20 Sep visit, read from the rows before the day


async def test_met_checks_are_hidden_until_m_and_the_status_names_the_as_of(leics_db):
    from caseline.model import Flag

    met = Flag("icpc_timescale:met:20", "met", "icpc_timescale", "info", "definite", date(2022, 2, 1),
               date(2022, 2, 24), date(2022, 3, 3), (),
               "ICPC 10 working days after the strategy discussion — within 15 working days")
    app = make_app(leics_db, flag_provider=lambda conn, case_id: [GAP, met])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert "as of 6 Sep 2022" in screen.status_text
        assert "1 met hidden (m)" in screen.status_text
        shown = [row.flag for row in (screen.model.row(i) for i in range(len(screen.model))) if row.is_flag]
        assert met not in shown and GAP in shown
        await pilot.press("m")
        await settle(pilot)
        shown = [row.flag for row in (screen.model.row(i) for i in range(len(screen.model))) if row.is_flag]
        assert met in shown and "1 met shown (m)" in screen.status_text
        await pilot.press("m")
        await settle(pilot)
        assert met not in [row.flag for row in (screen.model.row(i) for i in range(len(screen.model))) if row.is_flag]


async def test_a_long_cases_filter_choices_are_read_in_a_worker_once_and_capped(leics_db, monkeypatch):
    """A whole extract's kinds and actors take a scan of every event (ten seconds at ten
    million) and may name hundreds of thousands of actors: read off the UI thread, once, and
    the first few offered with a word that there are more."""
    from caseline.store import distinct_values, open_database
    from caseline.tui import case_screen as module
    from caseline.tui.dialogs import FilterScreen

    monkeypatch.setattr(module, "FILTER_CHOICES_APART_OVER", 0)
    monkeypatch.setattr(module, "FILTER_ACTORS_MAX", 2)
    reads = []
    real = module.CaseScreen._read_filter_choices

    def noting(self, conn):
        reads.append(threading.current_thread() is threading.main_thread())
        return real(self, conn)

    monkeypatch.setattr(module.CaseScreen, "_read_filter_choices", noting)
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, FilterScreen) and reads == [False]  # read in a worker
        every_actor = distinct_values(open_database(leics_db, read_only=True), LEICS, "actor")
        offered = [value for value, _ in dialog.groups["actors"]]
        assert len(every_actor) > 2 and len(offered) == 2 and set(offered) < set(every_actor)
        assert "cin_visit" in [value for value, _ in dialog.groups["kinds"]]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FilterScreen) and reads == [False]  # not read again


async def test_clearing_a_filter_goes_back_to_the_whole_index_in_memory(leics_db, monkeypatch):
    """Not read again (ten seconds and a second copy of 160 MB at ten million events), and
    events are found by id in one look-up again."""
    from caseline.tui import case_screen as module

    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        whole = screen.ids
        screen.apply_filter(EventFilter(kinds=frozenset({"cin_visit"})))
        await settle(pilot)
        assert list(screen.ids) == [4, 7, 11] and not screen.model.has_positions
        reads = []

        def reading(*args, **kwargs):
            reads.append(args)
            raise AssertionError("the whole index was read again")

        monkeypatch.setattr(module, "load_index", reading)
        await pilot.press("F")
        await settle(pilot)
        assert reads == [] and screen.ids is whole and screen.model.has_positions
        assert "18 events" in screen.status_text and "of 18" not in screen.status_text


async def test_a_long_cases_filter_reads_its_index_in_a_worker_and_says_so_meanwhile(leics_db, monkeypatch):
    """Seconds at ten million events: the screen stays live and says it is filtering; a
    filter changed again before the read is done is not overtaken by the older read."""
    from caseline.tui import case_screen as module

    monkeypatch.setattr(module, "FILTER_CHOICES_APART_OVER", 0)
    gate, real = threading.Event(), module.load_index
    threads = []

    def slow(*args, **kwargs):
        threads.append(threading.current_thread() is threading.main_thread())
        gate.wait(5)
        return real(*args, **kwargs)

    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        monkeypatch.setattr(module, "load_index", slow)
        screen.apply_filter(EventFilter(kinds=frozenset({"note"})))
        await pilot.pause()
        assert screen.filtering and "⟳ filtering…" in screen.status_text and len(screen.model.ids) == 18
        screen.apply_filter(EventFilter(kinds=frozenset({"cin_visit"})))
        gate.set()
        await settle(pilot)
        assert threads and not any(threads)  # read in workers, never on the UI thread
        assert not screen.filtering and list(screen.ids) == [4, 7, 11]
        assert "3 of 18 events" in screen.status_text and "filtering" not in screen.status_text
        assert [f.key for f in screen.model.flags] == [GAP.key]
