"""Flags progress: the engine reports rules done, and the case screen's status line shows it."""

from __future__ import annotations

import asyncio
import threading

from caseline.analysis import analyse, clear_cache
from caseline.store import open_database
from caseline.view.rows import IndexDays

from .conftest import LEICS, LEICS_FLAGS, analysis_from, make_app, settle


def test_the_engine_reports_each_rule_done_and_ends_at_all_of_them(leics_db):
    clear_cache()
    conn = open_database(leics_db, read_only=True)
    seen: list[tuple[int, int]] = []
    result = analyse(conn, LEICS, progress=lambda done, total: seen.append((done, total)))
    assert seen, "no progress reported"
    total = seen[0][1]
    assert total > 1 and all(t == total for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # never goes back
    assert seen[-1] == (total, total)
    assert result.flags  # the same analysis as without progress
    clear_cache()
    assert analyse(conn, LEICS).flags == result.flags


async def test_status_line_shows_rules_done_while_flags_compute_then_the_count(leics_db):
    reported, release = threading.Event(), threading.Event()
    fixed = analysis_from()

    def provider(conn, case_id, as_of=None, *, progress=None):
        progress(3, 9)  # waits until the screen has taken it
        reported.set()
        release.wait(10)
        progress(9, 9)
        return fixed(conn, case_id, as_of)

    app = make_app(leics_db, analysis_provider=provider)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await asyncio.to_thread(reported.wait, 10)
        await pilot.pause()
        status = app.screen.status_text
        assert "computing flags… 3/9 rules" in status
        release.set()
        await settle(pilot)
        status = app.screen.status_text
        assert f"{len(LEICS_FLAGS)} flags" in status and "computing" not in status




async def test_flags_are_kept_from_the_collector_while_a_case_is_open_and_given_back_after(multi_db):
    """gc.freeze once the flags are in (full collections no longer walk them mid-keypress);
    leaving the case unfreezes, so what it held can be collected again."""
    import gc

    app = make_app(multi_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("end", "enter")
        await settle(pilot)
        assert app.screen.case_id == LEICS and app.screen.flags_ready
        assert gc.get_freeze_count() > 0
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "PickerScreen"
        assert gc.get_freeze_count() == 0


def _as_a_long_case(db, monkeypatch):
    """The engine's analysis of LEICS, which from now on counts as a long case (analysed in a
    child process); the cache left empty."""
    import caseline.analysis as analysis

    monkeypatch.setattr(analysis, "ANALYSE_APART_OVER", 0)
    clear_cache()
    conn = open_database(db, read_only=True)
    expected = analyse(conn, LEICS)
    conn.close()
    clear_cache()
    return expected


async def test_a_long_cases_flags_come_from_a_child_process_and_match_the_engines(leics_db, monkeypatch):
    """Past ANALYSE_APART_OVER events the case screen starts the analysis in a child process
    as it opens (alongside its own reading) and shows what that child computed."""
    import caseline.analysis_child as analysis_child

    started = []
    real_init = analysis_child.ChildAnalysis.__init__

    def noting(self, *args, **kwargs):
        started.append(args[1])
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(analysis_child.ChildAnalysis, "__init__", noting)
    expected = _as_a_long_case(leics_db, monkeypatch)
    app = make_app(leics_db, analysis_provider=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert started == [LEICS]
        assert screen.flags_ready and screen.flag_error is None
        assert screen.flags == list(expected.flags)
        # Looked up in the screen's own index (not copied), and the same days as the engine's.
        assert isinstance(screen.anchors, IndexDays) and screen.anchors.starts is screen.starts
        assert expected.anchors and all(screen.anchors[e] == day for e, day in expected.anchors.items())
        assert screen.flags_progress is not None and screen.flags_progress[0] == screen.flags_progress[1]
        assert f"{len(expected.flags)} flags" in screen.status_text
    clear_cache()


async def test_when_the_child_cannot_start_the_flags_are_worked_out_here(leics_db, monkeypatch):
    import caseline.analysis_child as analysis_child

    monkeypatch.setattr(analysis_child.sys, "executable", "/bin/false")
    expected = _as_a_long_case(leics_db, monkeypatch)
    app = make_app(leics_db, analysis_provider=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.flag_error is None
        assert screen.flags == list(expected.flags)
    clear_cache()
