"""The picker on a database of many cases: counts for the rows in view first, and no counting
while a case is open over it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from textual.widgets import DataTable

from caseline.store import open_database
from caseline.tui.picker import CountingOrder

from .conftest import _ensure_guidance_library, _insert_case, analysis_from, make_app, settle

CASES = [f"case-{n:03d}" for n in range(60)]


@pytest.fixture
def many_cases_db(tmp_path: Path) -> Path:
    _ensure_guidance_library()
    path = tmp_path / "many.db"
    conn = open_database(path, create=True)
    for n, case_id in enumerate(CASES):
        _insert_case(conn, case_id, f"Case {n}", "Some Council",
                     [(n + 1, f"E{n}", "2021-01-01", "2021-01-01", "1 Jan 2021", "note", "", "", "A note", "", "")])
    conn.close()
    return path


class GatedAnalyses:
    """The fixture analyses, the first held until :meth:`release`; records which were asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self._gate = threading.Event()
        self._provide = analysis_from()

    def release(self) -> None:
        self._gate.set()

    def __call__(self, conn, case_id, as_of=None):
        self.asked.append(case_id)
        if len(self.asked) == 1:
            assert self._gate.wait(30), "the test never released the first analysis"
        return self._provide(conn, case_id, as_of)


async def until_asked(pilot, analyses: GatedAnalyses) -> None:
    """Wait until the picker has asked for its first analysis (the events are counted first)."""
    for _ in range(1000):  # at most ~10 s; it returns as soon as the first is asked
        if analyses.asked:
            return
        await pilot.pause(0.01)
    raise AssertionError("the picker never began counting flags")


async def test_the_counts_follow_the_view(many_cases_db):
    analyses = GatedAnalyses()
    app = make_app(many_cases_db, analysis_provider=analyses)
    async with app.run_test(size=(80, 24)) as pilot:
        await until_asked(pilot, analyses)
        assert analyses.asked == [CASES[0]]  # the first row in view, held
        await pilot.press("end")
        await pilot.pause()
        analyses.release()
        await settle(pilot)
        picker = app.screen
        assert set(picker.flag_counts) == set(CASES)
        assert sorted(analyses.asked) == CASES  # each once
        # Once the view moved to the end, the next twenty counted were rows in view there
        # (rows 35+ of 60: the view holds about twenty), in order, the last row before row 1.
        following = [CASES.index(case_id) for case_id in analyses.asked[1:21]]
        assert min(following) >= 35 and following == sorted(following)
        assert analyses.asked.index(CASES[-1]) < analyses.asked.index(CASES[1])
        # And then the rest from the top, in order.
        rest = [CASES.index(case_id) for case_id in analyses.asked[1:]]
        rest = rest[next(k for k, row in enumerate(rest) if row < 35):]
        assert rest == list(range(1, 1 + len(rest))) and len(rest) >= 30
        table = picker.query_one(DataTable)
        assert str(table.get_cell(CASES[-1], "breaches")) == "0"


async def test_no_counting_while_a_case_is_open_over_the_picker(many_cases_db):
    analyses = GatedAnalyses()
    app = make_app(many_cases_db, analysis_provider=analyses)
    async with app.run_test(size=(80, 24)) as pilot:
        await until_asked(pilot, analyses)
        picker = app.screen
        await pilot.press("down", "enter")  # case-001 opens while case-000 is being counted
        await pilot.pause()
        analyses.release()
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"
        # The case in hand was finished and no other counted: only the open case was analysed.
        assert set(picker.flag_counts) == {CASES[0]}
        assert set(analyses.asked) == {CASES[0], CASES[1]}
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is picker
        assert set(picker.flag_counts) == set(CASES)
        assert str(picker.query_one(DataTable).get_cell(CASES[59], "attention")) == "0"


@given(sizes=st.lists(st.integers(1, 5), min_size=0, max_size=40),
       steps=st.lists(st.tuples(st.integers(-3, 45), st.integers(0, 12), st.booleans()), max_size=80))
def test_counting_order_gives_each_row_once_those_in_view_first(sizes, steps):
    order = CountingOrder(sizes)
    left = set(range(len(sizes)))
    for first, span, stopped in steps:
        last = first + span
        row = order.take(first, last)
        if row is None:
            assert not left
            continue
        assert row in left
        in_view = [r for r in left if first <= r <= last]
        if in_view:  # a row in view, the shortest of them, the first of the shortest
            shortest = min(sizes[r] for r in in_view)
            assert row == min(r for r in in_view if sizes[r] == shortest)
        else:  # the first after the view, else the first from the top
            after = [r for r in left if r > last]
            assert row == (min(after) if after else min(left))
        if stopped:
            order.put_back(row)
        else:
            left.discard(row)
    while left:
        row = order.take(0, -1)
        assert row == min(left)
        left.discard(row)
    assert order.take(0, 100) is None


async def test_the_events_are_counted_in_the_background_with_cases_only_the_events_name(many_cases_db):
    """The list shows the cases table's cases at once; the counts, and a case only the events
    name (an import that made no case row), come from the background."""
    conn = open_database(many_cases_db)
    conn.execute("PRAGMA foreign_keys = OFF")  # as plain sqlite-utils leaves them
    conn.execute("INSERT INTO events (id, case_id, date_start, kind, summary) VALUES "
                 "(1001, 'zz-events-only', '2021-01-01', 'note', 'x'), (1002, 'zz-events-only', '2021-01-02', 'note', 'y')")
    conn.close()
    app = make_app(many_cases_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        picker = app.screen
        table = picker.query_one(DataTable)
        assert table.row_count == len(CASES) + 1
        assert str(table.get_cell(CASES[0], "events")) == "1"
        assert str(table.get_cell("zz-events-only", "events")) == "2"
        assert set(picker.flag_counts) == {*CASES, "zz-events-only"}
        assert "61 cases" in str(picker.query_one("#picker-title").render())


async def test_a_long_list_shows_its_first_rows_at_once_and_the_rest_between_paints(many_cases_db, monkeypatch):
    """Rows come a step at a time; whatever was counted before a row was added shows in it,
    and end goes to the last case even before every row is in."""
    from caseline.tui.picker import PickerScreen

    monkeypatch.setattr(PickerScreen, "FIRST_ROWS", 3)
    monkeypatch.setattr(PickerScreen, "ROWS_A_STEP", 2)
    conn = open_database(many_cases_db)
    conn.execute("PRAGMA foreign_keys = OFF")  # a case only the events name comes last
    conn.execute("INSERT INTO events (id, case_id, date_start, kind, summary) VALUES "
                 "(1001, 'zz-events-only', '2021-01-01', 'note', 'x')")
    conn.close()
    app = make_app(many_cases_db)
    async with app.run_test(size=(80, 24)) as pilot:
        picker = app.screen
        table = picker.query_one(DataTable)
        assert table.row_count < len(CASES)  # on its first paint: the first rows only
        await pilot.press("end")
        # The last of the cases table (the case only the events name may have come since).
        assert table.cursor_row >= len(CASES) - 1
        await settle(pilot)
        for _ in range(200):  # the steps come after paints; at most ~2 s
            if table.row_count == len(CASES) + 1:
                break
            await pilot.pause(0.01)
        assert [str(key.value) for key in table.rows] == [*CASES, "zz-events-only"]
        await settle(pilot)
        for case_id in [*CASES, "zz-events-only"]:
            assert str(table.get_cell(case_id, "events")) == "1"
            assert str(table.get_cell(case_id, "breaches")) not in ("…", "?")
        assert set(picker.flag_counts) == {*CASES, "zz-events-only"}


async def test_flag_counts_are_shown_a_batch_at_a_time(many_cases_db, monkeypatch):
    """Each showing redraws the table; a case at a time, a long list was counted at the pace
    of the redraws. With a long interval, every count comes in one showing at the end."""
    from caseline.tui.picker import PickerScreen

    shown: list[int] = []
    set_counts = PickerScreen._set_counts
    monkeypatch.setattr(PickerScreen, "COUNTS_EVERY", 3600.0)
    monkeypatch.setattr(PickerScreen, "_set_counts", lambda self, counts: (shown.append(len(counts)),
                                                                            set_counts(self, counts)))
    app = make_app(many_cases_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert shown == [len(CASES)]
        assert all(str(table.get_cell(case_id, "breaches")) not in ("…", "?") for case_id in CASES)
