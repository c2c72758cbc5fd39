"""The compact paths a ten-million-event case takes: lane bars a day at a time, search words
expanded through the index's vocabulary, and search answers placed by bisection."""

from __future__ import annotations

from array import array
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from caseline.store import open_database
from caseline.store.timeline import MAX_PREFIX_TERMS, fts_query, load_lane_bars, load_lane_rows, search_matches
from caseline.view.lanes import BAR_KINDS, build_lanes, project_bars
from caseline.model import Flag
from caseline.view.rows import RowModel, id_positions


def _case(tmp_path, events):
    conn = open_database(tmp_path / "case.db", create=True)
    conn.execute("INSERT INTO cases (id, title) VALUES ('c', 'C')")
    conn.executemany(
        "INSERT INTO events (id, case_id, date_start, date_end, kind, actor, summary) VALUES (?, 'c', ?, ?, ?, ?, ?)",
        events)
    return conn


def test_lane_bars_keep_the_last_worker_of_each_day_and_draw_the_same_lane(tmp_path):
    events = [
        (1, "2021-01-04", "2021-01-04", "cin_plan_start", "W0", "plan"),
        (2, "2021-01-04", "2021-01-04", "worker_allocated", "A", "a"),
        (3, "2021-01-04", "2021-01-04", "worker_allocated", "B", "b"),  # handed over the same day
        (4, "2021-02-01", "2021-02-01", "worker_allocated", "C", "c"),
        (5, "2021-02-01", "2021-02-01", "worker_allocated", "D", "d"),
        (6, "2021-02-01", "2021-02-01", "worker_allocated", "E", "e"),
        (7, "2021-03-15", "2021-03-15", "worker_allocated", "A", "a again"),
        (8, "2021-04-01", "2021-04-01", "cin_plan_end", "W0", "plan ends"),
    ]
    conn = _case(tmp_path, events)
    every = load_lane_rows(conn, "c", BAR_KINDS)
    kept = load_lane_bars(conn, "c", BAR_KINDS)
    assert [row[0] for row in kept] == [1, 3, 6, 7, 8]
    first, last = date(2021, 1, 1).toordinal(), date(2021, 6, 30).toordinal()
    workers = {lane.name: lane for lane in build_lanes(kept, [], first=first, last=last).lanes}["Worker"]
    assert [bar.label for bar in workers.bars] == ["B", "E", "A"]
    assert [bar.end for bar in workers.bars] == [date(2021, 1, 31).toordinal(), date(2021, 3, 14).toordinal(), last]
    before = {lane.name: lane for lane in build_lanes(every, [], first=first, last=last).lanes}["Worker"]
    for width in (20, 60, 181, 400):  # from the whole case to more columns than days
        shown = [workers.bars[i].label if i >= 0 else None for i in project_bars(workers.bars, first, last, width)]
        drawn = [before.bars[i].label if i >= 0 else None for i in project_bars(before.bars, first, last, width)]
        assert shown == drawn
    plans = {lane.name: lane for lane in build_lanes(kept, [], first=first, last=last).lanes}["CIN"]
    assert [(bar.start, bar.end) for bar in plans.bars] == [(date(2021, 1, 4).toordinal(), date(2021, 4, 1).toordinal())]


def test_search_words_go_as_the_indexed_words_they_start_and_find_the_same_events(tmp_path):
    events = [(i, "2021-01-01", "2021-01-01", "note", "", text) for i, text in enumerate([
        "Strategy discussion held", "strategic plan agreed", "Café visit", "visit 777 of many",
        "visit 7770", "events listed", "event held",
    ], start=1)]
    events += [(100 + i, "2021-01-02", "2021-01-02", "note", "", f"number w{i}") for i in range(MAX_PREFIX_TERMS + 2)]
    path = tmp_path / "case.db"
    _case(tmp_path, events).close()
    conn = open_database(path, read_only=True)
    assert fts_query("strat disc", conn) == '("strategic" OR "strategy") AND ("discussion")'
    assert fts_query("strat disc") == '"strat"* AND "disc"*'  # without a connection: prefixes
    # A prefix covering more words than is worth listing stays a prefix; an unknown word too.
    assert fts_query("number w", conn) == '("number") AND "w"*'
    assert fts_query("zebra", conn) == '"zebra"*'
    for text, expected in (("strat", [1, 2]), ("strat disc", [1]), ("cafe", [3]), ("CAFÉ", [3]),
                           ("visit 777", [4, 5]), ("event", [6, 7]), ("number w1", [101, *range(110, 118)]),
                           ("number w", list(range(100, 100 + MAX_PREFIX_TERMS + 2)))):
        assert sorted(search_matches(conn, "c", text)[0]) == expected, text
    # The vocabulary is this connection's own: the reading open stays query-only.
    assert conn.execute("PRAGMA query_only").fetchone()[0] == 1
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.db"]


@given(st.lists(st.integers(0, 3), min_size=1, max_size=40), st.randoms(use_true_random=False), st.data())
def test_search_answers_land_on_their_rows_whatever_the_id_order_within_a_day(day_offsets, rnd, data):
    days = sorted(day_offsets)
    ids = list(range(1, len(days) + 1))
    rnd.shuffle(ids)  # ids within a day in any order (events ending later come later)
    ids = array("q", ids)
    flag_days = data.draw(st.lists(st.integers(0, 4), max_size=5))
    flags = [Flag(f"gap:{i}", "gap", "r", "breach", "definite", date.fromordinal(day + 1), date.fromordinal(day + 1),
                  None, (), "gap") for i, day in enumerate(flag_days)]
    wanted = data.draw(st.lists(st.sampled_from(range(len(ids))), unique=True))
    absent = data.draw(st.lists(st.integers(len(ids) + 1, len(ids) + 50), max_size=3))
    for positions in (None, id_positions(ids)):  # searched by day, or looked up by id
        model = RowModel(ids, array("i", days), flags, positions=positions)
        found = model.rows_of_events([ids[p] for p in wanted] + absent, [days[p] for p in wanted] + [0] * len(absent))
        assert found == sorted(model.row_of_position(p) for p in wanted)
        assert all(model.position_of(ids[p], days[p]) == p for p in range(len(ids)))
        assert all(model.row(model.row_of_position(p)).event_id == ids[p] for p in range(len(ids)))


def test_id_positions_only_for_dense_ids():
    assert id_positions(array("q", [10, 12, 11])).get(12) == 1
    assert id_positions(array("q", [1, 10**9])) is None  # one case among many: search the day instead
    assert id_positions(array("q")) is None


def test_the_first_screen_of_a_long_case_is_its_first_rows_and_end_its_last(tmp_path):
    from caseline.store.timeline import load_index

    conn = _case(tmp_path, [(i, f"2021-01-{1 + i // 10:02d}", f"2021-01-{1 + i // 10:02d}", "note", "", f"e{i}")
                            for i in range(1, 200)])
    ids, starts, _ = load_index(conn, "c", limit=25)
    assert list(ids) == list(range(1, 26))
    ids, _, _ = load_index(conn, "c", limit=25, last=True)
    assert list(ids) == list(range(175, 200))
    ids, _, _ = load_index(conn, "c", limit=5, from_day="2021-01-10")
    assert list(ids) == list(range(90, 95))


def test_search_start_days_agree_with_the_index_for_every_kind_of_date_text(tmp_path):
    """SQLite's julianday gives valid ISO days; months, years and bad text take the date path."""
    from caseline.store.timeline import load_index

    texts = ["2021-09-15", "2000-02-29", "2021-09", "2021", "2021-02-30", "2021-9-5", "0001-01-01", "9999-12-31"]
    conn = _case(tmp_path, [(i, text, text, "note", "", "zebra crossing") for i, text in enumerate(texts, start=1)])
    ids, starts, _ = load_index(conn, "c")
    by_index = dict(zip(ids, starts))
    found_ids, found_starts, _ = search_matches(conn, "c", "zebra")
    assert sorted(found_ids) == list(range(1, len(texts) + 1))
    assert dict(zip(found_ids, found_starts)) == by_index


def test_zoomed_in_a_one_day_bar_fills_every_column_of_its_day():
    """Ten days over 40 columns: each day is 4 columns, and a bar ending on a day covers all
    4 (it used to stop at the day's first column, leaving gaps between a day's workers)."""
    from caseline.view.lanes import Bar, last_column_of

    bars = [Bar(102, 102, "a"), Bar(103, 104, "b"), Bar(109, 109, "c")]
    cells = project_bars(bars, 100, 109, 40)
    assert cells[8:12] == [0] * 4 and cells[12:20] == [1] * 8 and cells[36:] == [2] * 4
    assert cells[:8] == [-1] * 8 and cells[20:36] == [-1] * 16
    assert last_column_of(100, 100, 109, 40) == 3 and last_column_of(100, 100, 10_000, 40) == 0


def test_rows_of_ids_pass_over_other_cases_ids_and_stop_at_the_limit():
    ids = array("q", [10, 12, 11, 14])  # 13 is another case's event, inside the span
    model = RowModel(ids, array("i", [1, 1, 2, 3]), positions=id_positions(ids))
    assert model.rows_of_ids([[10, 11, 13], [14, 99]], limit=10) == ([0, 2, 3], False)
    assert model.rows_of_ids(iter([[10, 11], [12, 14]]), limit=2) == ([0, 2], True)
    assert model.rows_of_ids([], limit=5) == ([], False)


async def test_search_in_a_case_whose_ids_interleave_with_another_case(tmp_path):
    """The id-only search path counts only this case's events, whoever else matches."""
    from .conftest import make_app, settle

    conn = open_database(tmp_path / "two.db", create=True)
    conn.execute("INSERT INTO cases (id, title) VALUES ('a', 'A'), ('b', 'B')")
    conn.executemany("INSERT INTO events (id, case_id, date_start, date_end, kind, summary) VALUES (?, ?, ?, ?, 'note', ?)",
                     [(i, "a" if i % 2 else "b", f"2021-01-{i:02d}", f"2021-01-{i:02d}",
                       "home visit" if i % 3 == 0 else "phone call") for i in range(1, 29)])
    conn.close()
    app = make_app(tmp_path / "two.db", case_id="a", flag_provider=lambda conn, case_id: [])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.model.has_positions
        await pilot.press("slash", *"visit")
        await settle(pilot)
        shown = [screen.model.row(r).event_id for r in screen.matches]
        assert shown == [3, 9, 15, 21, 27]  # odd ids (case a) that are multiples of 3
        assert str(screen.query_one("#search-count").content).endswith("/5 matches")
