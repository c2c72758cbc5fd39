"""The UI-free row and lane models (caseline.view) and the timeline queries (caseline.store.timeline)."""

from __future__ import annotations

from array import array
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseline.dates import DateRange
from caseline.model import EventFilter, Flag
from caseline.store import open_database
from caseline.store.timeline import anchor_dates, load_lane_rows, load_order, search_positions
from caseline.view.labels import age_text, severity_symbol
from caseline.view.lanes import (
    LANE_KINDS,
    build_lanes,
    column_of,
    date_of_column,
    project_bars,
    project_counts,
    zoom_span,
)
from caseline.view.rows import EventPages, RowModel

from .conftest import GAP, LEICS, LEICS_FLAGS


def d(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def flag(kind, start, end=None, due=None, events=(), severity="breach", key=None, certainty="definite"):
    return Flag(key or f"{kind}:{start}", kind, "r", severity, certainty, date.fromisoformat(start),
                date.fromisoformat(end or start), date.fromisoformat(due) if due else None, tuple(events), kind)


def test_load_order_gives_parallel_sorted_arrays(leics_db):
    conn = open_database(leics_db, read_only=True)
    ids, starts = load_order(conn, LEICS)
    assert list(ids)[:4] == [1, 2, 3, 4]
    assert len(ids) == len(starts) == 18
    assert list(starts) == sorted(starts)
    assert starts[3] == d("2021-09-11")


def test_filter_by_kind_and_severity(leics_db):
    conn = open_database(leics_db, read_only=True)
    ids, _ = load_order(conn, LEICS, EventFilter(kinds=frozenset({"cin_visit"})))
    assert list(ids) == [4, 7, 11]
    ids, _ = load_order(conn, LEICS, EventFilter(severities=frozenset({"breach"})), flag_event_ids={4, 7})
    assert list(ids) == [4, 7]
    ids, _ = load_order(conn, LEICS, EventFilter(severities=frozenset({"breach"})), flag_event_ids=set())
    assert list(ids) == []


def test_gap_row_goes_after_the_event_it_starts_from(leics_db):
    conn = open_database(leics_db, read_only=True)
    ids, starts = load_order(conn, LEICS)
    anchors = anchor_dates(conn, {e for f in LEICS_FLAGS for e in f.events})
    model = RowModel(ids, starts, LEICS_FLAGS, anchors)
    visit_row = model.row_for_event(4, anchors[4])
    gap = model.row(visit_row + 1)
    assert gap.flag == GAP
    # Worker changes mark their event rows instead of adding rows.
    worker_b = model.row(model.row_for_event(10, anchors[10]))
    assert [m.key for m in worker_b.marks] == ["worker_change:10"]
    # Every event is still there, in order, plus the 5 flag rows.
    assert len(model) == 18 + 5
    assert [model.row(r).event_id for r in range(len(model)) if not model.row(r).is_flag] == list(ids)


def test_due_kinds_are_placed_at_their_due_date():
    ids = array("q", [1, 2, 3])
    starts = array("l", [d("2020-01-01"), d("2020-02-01"), d("2020-03-01")])
    model = RowModel(ids, starts, [flag("deadline", "2020-01-05", "2020-02-20", due="2020-02-10", events=(1,))])
    assert [model.row(r).event_id for r in range(4)] == [1, 2, None, 3]
    assert model.row_for_day(d("2020-02-05")) == 2  # the phantom row, not event 3
    assert model.row_for_day(d("2020-02-15")) == 3
    assert model.row_for_day(d("2030-01-01")) == 3


def test_flag_navigation_and_breaches_only():
    ids = array("q", range(1, 11))
    starts = array("l", [d("2020-01-01") + 10 * i for i in range(10)])
    flags = [
        flag("deadline", "2020-01-05", due="2020-01-15", severity="attention", key="a"),
        flag("deadline", "2020-02-05", due="2020-02-25", severity="breach", key="b"),
    ]
    model = RowModel(ids, starts, flags)
    first = model.next_flag_row(-1)
    assert model.row(first).flag.key == "a"
    second = model.next_flag_row(first)
    assert model.row(second).flag.key == "b"
    assert model.next_flag_row(second) is None
    assert model.previous_flag_row(second) == first
    assert model.next_flag_row(-1, breaches_only=True) == second


@given(
    st.lists(st.integers(0, 400), min_size=0, max_size=60),
    st.lists(st.tuples(st.integers(0, 420), st.sampled_from(["gap", "deadline", "coverage"])), max_size=10),
)
def test_row_mapping_is_a_bijection(days, flag_specs):
    days.sort()
    base = d("2020-01-01")
    ids = array("q", range(1, len(days) + 1))
    starts = array("l", [base + x for x in days])
    flags = [
        flag(kind, date.fromordinal(base + x).isoformat(), due=date.fromordinal(base + x).isoformat(),
             events=(1,) if ids and kind == "gap" else (), key=f"k{i}")
        for i, (x, kind) in enumerate(flag_specs)
    ]
    model = RowModel(ids, starts, flags, {1: starts[0]} if ids else {})
    rows = [model.row(r) for r in range(len(model))]
    assert [r.event_id for r in rows if not r.is_flag] == list(ids)
    assert sum(r.is_flag for r in rows) == len(flags)
    for pos in range(len(ids)):
        assert model.row(model.row_of_position(pos)).position == pos


def test_event_pages_fetch_a_page_at_a_time(leics_db):
    conn = open_database(leics_db, read_only=True)
    ids, _ = load_order(conn, LEICS)
    pages = EventPages(conn, ids, page_size=5, max_pages=2)
    assert pages.event_at(0).id == 1
    assert pages.event_at(4).id == 5
    assert pages.fetches == 1
    assert pages.event_at(17).id == 18
    assert pages.fetches == 2


def test_search_positions_match_the_timeline_order(leics_db):
    conn = open_database(leics_db, read_only=True)
    ids, _ = load_order(conn, LEICS)
    found = search_positions(conn, LEICS, "STRATEGY")
    assert [ids[p] for p in found] == [9, 12, 14]  # 14: "14 days after the strategy discussion"
    assert list(search_positions(conn, LEICS, "100%_")) == []


def test_age_text_shows_imprecision():
    born = DateRange(date(2010, 5, 1), date(2010, 5, 31))
    assert age_text(born, DateRange.on(date(2021, 9, 15))) == "11y"
    assert age_text(born, DateRange(date(2021, 5, 1), date(2021, 5, 31))) == "10-11y"
    assert age_text(born, DateRange.on(date(2010, 12, 1))) == "7m"
    assert age_text(born, DateRange.on(date(2009, 1, 1))) == ""


def test_severity_symbols_survive_monochrome():
    assert severity_symbol("breach") == "✖ "
    assert severity_symbol("attention", "possible") == "▲?"
    assert severity_symbol("info") == "● "


def test_lanes_workers_statuses_visits_flags(leics_db):
    conn = open_database(leics_db, read_only=True)
    rows = load_lane_rows(conn, LEICS, LANE_KINDS)
    lanes = build_lanes(rows, LEICS_FLAGS, None, d("2019-01-01"), d("2022-03-31"))
    by_name = {lane.name: lane for lane in lanes.lanes}
    workers = by_name["Worker"].bars
    assert [b.label for b in workers] == ["SW_LT", "SW_A", "SW_B", "SW_C"]
    # Each worker runs until the next is allocated.
    assert workers[0].end == d("2021-10-01") - 1 and workers[-1].end == d("2022-03-31")
    cin = by_name["CIN"].bars
    assert (cin[0].start, cin[0].end) == (d("2019-03-01"), d("2022-02-15"))
    assert by_name["CP"].bars[0].end == d("2022-03-31")  # still open at the end
    assert list(by_name["Visits"].ticks) == [d("2021-09-11"), d("2021-11-27"), d("2022-01-25")]
    assert by_name["Flags"].marks[0][1] == "info"
    assert "Complaint" in by_name


def test_lanes_per_child_when_it_fits():
    rows = [
        (1, "cin_plan_start", "F", "", d("2020-01-01"), d("2020-01-01")),
        (2, "cin_visit", "F", "", d("2020-02-01"), d("2020-02-01")),
        (3, "lac_start", "G", "", d("2020-03-01"), d("2020-03-01")),
    ]
    names = [lane.name for lane in build_lanes(rows, [], first=d("2020-01-01"), last=d("2020-12-31")).lanes]
    assert names == ["CIN F", "Visits F", "LAC G", "Flags"]


def test_zoom_span_and_projection():
    first, last = d("2019-01-01"), d("2022-12-31")
    assert zoom_span(0, first, last, d("2021-06-01")) == (first, last)
    start, end = zoom_span(1, first, last, d("2021-06-01"))
    assert end - start + 1 == 366 and start <= d("2021-06-01") <= end
    start, end = zoom_span(3, first, last, d("2019-01-02"))
    assert start == first  # kept inside the case
    for col in range(80):
        assert column_of(date_of_column(col, first, last, 80), first, last, 80) == col
    assert column_of(first - 1, first, last, 80) is None
    bars = project_bars(build_lanes([], []).lanes[0].bars, first, last, 10)
    assert bars == [-1] * 10
    counts = project_counts(array("l", [first, first, last]), first, last, 10)
    assert counts[0] == 2 and counts[-1] == 1 and sum(counts) == 3


# --- Go to date and flag placement (issue 11) -------------------------------------------------

_event_ranges = st.lists(st.tuples(st.integers(0, 120), st.integers(0, 40)), max_size=40)
_due_days = st.lists(st.integers(0, 170), max_size=6)


@given(_event_ranges, _due_days, st.integers(-5, 175))
def test_go_to_date_lands_on_the_first_row_containing_the_day_or_the_first_after(spans, dues, offset):
    base = d("2021-01-01")
    events = sorted((base + s, base + s + n, i + 1) for i, (s, n) in enumerate(spans))
    ids = array("q", [e[2] for e in events])
    starts = array("i", [e[0] for e in events])
    reach, furthest = array("i"), 0
    for start, end, _ in events:
        furthest = max(furthest, end)
        reach.append(furthest)
    flags = [flag("deadline", "2021-01-01", due=date.fromordinal(base + due).isoformat(), key=f"k{i}")
             for i, due in enumerate(dues)]
    model = RowModel(ids, starts, flags, reach=reach)
    if not len(model):
        return
    ranges = {e[2]: (e[0], e[1]) for e in events}
    rows = [model.row(r) for r in range(len(model))]
    spans_of = [ranges[r.event_id] if r.event_id is not None else (r.day, r.day) for r in rows]
    assert [lo for lo, _ in spans_of] == sorted(lo for lo, _ in spans_of)  # first days never decrease
    day = base + offset
    landed = model.row_for_day(day)
    containing = [i for i, (lo, hi) in enumerate(spans_of) if lo <= day <= hi]
    if containing:
        assert landed == containing[0]
    else:
        later = [i for i, (lo, _) in enumerate(spans_of) if lo > day]
        assert landed == (later[0] if later else len(model) - 1)


def test_go_to_date_inside_a_range_lands_on_that_event(leics_db):
    """15 Sep 2021 is inside the ~11-20 Sep visit and the ~11-30 Sep note: land on the visit."""
    from caseline.store.timeline import load_index

    conn = open_database(leics_db, read_only=True)
    ids, starts, reach = load_index(conn, LEICS)
    anchors = anchor_dates(conn, {e for f in LEICS_FLAGS for e in f.events})
    model = RowModel(ids, starts, LEICS_FLAGS, anchors, reach)
    assert model.row(model.row_for_day(d("2021-09-15"))).event_id == 4
    assert model.row(model.row_for_day(d("2021-09-25"))).event_id == 5  # only the note reaches it


def test_stability_flag_sits_at_the_change_that_reached_the_threshold_whatever_the_filter():
    ids = array("q", [1, 2, 3, 4, 5])
    starts = array("i", [d("2019-01-01"), d("2019-03-01"), d("2019-06-01"), d("2019-09-01"), d("2020-01-01")])
    anchors = dict(zip(ids, starts))
    stability = flag("worker_stability", "2019-01-01", "2019-09-01", events=(1, 2, 3, 4), severity="attention")
    model = RowModel(ids, starts, [stability], anchors)
    row = model.row_for_flag(stability)
    # Allocation 1 is the worker in post; 2, 3 and 4 are changes: the third change arose at 4.
    stability = flag("worker_stability", "2019-01-01", "2019-09-01", events=(1, 2, 3, 4, 5), severity="attention")
    model = RowModel(ids, starts, [stability], anchors)
    row = model.row_for_flag(stability)
    assert model.row(row - 1).event_id == 4  # the third change, not the first event or the last
    assert model.next_flag_row(0) == row
    # A filter that hides the allocations keeps the flag at the same date, not at the top.
    shown = array("q", [1, 5])
    model = RowModel(shown, array("i", [anchors[1], anchors[5]]), [stability], anchors)
    assert [model.row(r).event_id for r in range(len(model))] == [1, None, 5]
    assert model.row(1).day == anchors[4]


def test_flags_resting_only_on_hidden_events_are_dropped():
    ids = array("q", [1, 3])
    starts = array("i", [d("2020-01-01"), d("2020-03-01")])
    anchors = {1: starts[0], 2: d("2020-02-01"), 3: starts[1]}
    change = flag("worker_change", "2020-02-01", events=(2,), severity="info")
    coverage = flag("coverage", "2020-01-01", severity="info")
    model = RowModel(ids, starts, [change, coverage], anchors, require_shown_event=True, keep_eventless=False)
    assert model.flags == [] and len(model) == 2
    model = RowModel(ids, starts, [change, coverage], anchors, require_shown_event=True)
    assert model.flags == [coverage]


def test_a_child_filter_keeps_flags_about_that_child_or_the_whole_case():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class ChildFlag:  # the engine's flags carry ``subject`` (issue 12); read through getattr
        severity: str = "breach"
        rule: str = "r"
        subject: str = ""

    only_g = EventFilter(subjects=frozenset({"G"}))
    assert only_g.keeps_flag(ChildFlag(subject="G"))
    assert only_g.keeps_flag(ChildFlag(subject="F,G"))
    assert only_g.keeps_flag(ChildFlag(subject=""))
    assert not only_g.keeps_flag(ChildFlag(subject="F"))


def test_lanes_mark_flags_where_the_timeline_places_them():
    ids = array("q", [1, 2, 3, 4])
    starts = array("i", [d("2019-01-01"), d("2019-03-01"), d("2019-06-01"), d("2019-09-01")])
    stability = flag("worker_stability", "2019-01-01", "2019-09-01", events=(1, 2, 3, 4), severity="attention")
    model = RowModel(ids, starts, [stability], dict(zip(ids, starts)))
    lanes = build_lanes([], [stability], marks=model.flag_marks())
    assert lanes.lanes[-1].marks == [(d("2019-09-01"), "attention")]  # the third change, not 2019-01-01


def test_search_answers_are_placed_by_id_and_day_however_many_share_a_day():
    ids = array("q", [5, 3, 9, 1, 7, 2, 8])
    starts = array("i", [10, 10, 10, 10, 10, 10, 20])
    model = RowModel(ids, starts)
    assert model.rows_of_events([9, 1, 7, 2, 5, 8, 4], [10, 10, 10, 10, 10, 20, 10]) == [0, 2, 3, 4, 5, 6]
    assert model.rows_of_events([8, 3], [20, 10]) == [1, 6]


def test_a_flag_filter_resting_on_more_events_than_sqlite_has_parameters(tmp_path):
    """40,000 event ids (SQLite allows 32,766 parameters) go as one JSON array."""
    from caseline.store.timeline import load_index

    conn = open_database(tmp_path / "many.db", create=True)
    conn.execute("INSERT INTO cases (id, title) VALUES ('c', 'C')")
    conn.executemany("INSERT INTO events (id, case_id, date_start, date_end, kind, summary) VALUES (?, 'c', ?, ?, 'note', '')",
                     [(i, "2021-01-01", "2021-01-01") for i in range(1, 50_001)])
    kept = set(range(2, 80_001, 2))  # 40,000 ids, some not in the case
    ids, _, _ = load_index(conn, "c", EventFilter(severities=frozenset({"info"})), kept)
    assert len(ids) == 25_000 and ids[0] == 2
    ids, _, _ = load_index(conn, "c", only_ids=[7, 9])
    assert list(ids) == [7, 9]


_DATE_TEXTS = st.sampled_from(["2021-03-01", "2021-03-02", "2021-03", "2021", "2020-12-31", "2021-03-01T10:00"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_DATE_TEXTS, st.sampled_from([None, "", "same", "2021-04-30", "2021-03"])),
                     min_size=0, max_size=40),
       order=st.randoms(use_true_random=False))
def test_the_whole_index_read_by_day_groups_is_the_row_by_row_read(tmp_path_factory, rows, order):
    """The whole index comes from SQLite a (first day, last day) group at a time; it must be
    the very arrays the row-by-row read (the one a first screen uses) gives: same ids in the
    same order, same start days and reach, whatever the dates and however ids were given."""
    from caseline.store.timeline import load_index

    conn = open_database(tmp_path_factory.mktemp("index") / "i.db", create=True)
    conn.execute("INSERT INTO cases (id, title) VALUES ('c', 'C')")
    ids = list(range(1, len(rows) + 1))
    order.shuffle(ids)  # ids not in date order, nor inserted in id order
    conn.executemany("INSERT INTO events (id, case_id, date_start, date_end, kind, summary) VALUES (?, 'c', ?, ?, 'note', '')",
                     [(i, start, start if end == "same" else end) for i, (start, end) in zip(ids, rows)])
    whole = load_index(conn, "c")
    row_by_row = load_index(conn, "c", limit=10**9)
    assert [list(a) for a in whole] == [list(a) for a in row_by_row]
    conn.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_DATE_TEXTS, st.sampled_from([None, "", "A", "B"]),
                               st.sampled_from(["cin_visit", "lac_visit", "note"])), max_size=40))
def test_lane_visit_days_are_each_subjects_days_with_a_visit(tmp_path_factory, rows):
    """Grouped by day in the index's order, each subject's visit days are those a plain
    grouping by subject and day finds (no subject and an empty one are the same)."""
    from caseline.store.timeline import load_lane_visits

    conn = open_database(tmp_path_factory.mktemp("visits") / "v.db", create=True)
    conn.execute("INSERT INTO cases (id, title) VALUES ('c', 'C')")
    conn.executemany("INSERT INTO events (case_id, date_start, subject, kind, summary) VALUES ('c', ?, ?, ?, '')", rows)
    expected: dict[str, list[int]] = {}
    for subject, start in conn.execute("SELECT DISTINCT coalesce(subject, ''), date_start FROM events "
                                       "WHERE kind IN ('cin_visit', 'lac_visit')"):
        expected.setdefault(subject, []).append(_first_day(start))
    found = load_lane_visits(conn, "c", ["cin_visit", "lac_visit"])
    assert {subject: list(days) for subject, days in found.items()} == {s: sorted(d) for s, d in expected.items()}
    conn.close()


def _first_day(text: str) -> int:
    from caseline.dates import OrdinalCache

    return OrdinalCache().first(text)


def test_the_flags_lane_keeps_one_mark_a_day_and_severity():
    """Many flags on one day draw one mark of each severity: a long case's tens of thousands
    of worker changes fall on a few thousand days."""
    many = [flag("worker_change", "2020-03-02", severity="info", key=f"w{n}") for n in range(50)]
    many += [flag("gap", "2020-03-02", key="g"), flag("worker_change", "2020-04-01", severity="info", key="later")]
    lanes = build_lanes([], many, first=d("2020-01-01"), last=d("2020-12-31"))
    assert lanes.lanes[-1].marks == [(d("2020-03-02"), "breach"), (d("2020-03-02"), "info"), (d("2020-04-01"), "info")]


def test_a_day_of_very_many_events_is_read_in_pieces_in_id_order(monkeypatch):
    """A group's ids too long to split at once are read a piece at a time, cut at commas,
    and come out in id order whatever order the text gives them."""
    import caseline.store.timeline as timeline

    monkeypatch.setattr(timeline, "_GROUP_PIECE", 7)
    assert list(timeline._group_ids("1,2,3,10,11,12,100,1000,10000")) == [1, 2, 3, 10, 11, 12, 100, 1000, 10000]
    assert list(timeline._group_ids("12,3,1000,1,2,10,11,100,10000")) == [1, 2, 3, 10, 11, 12, 100, 1000, 10000]
    assert list(timeline._group_ids("5")) == [5]


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.integers(0, 200), min_size=1, max_size=40),
    st.lists(st.tuples(st.integers(0, 210), st.sampled_from(["gap", "deadline", "worker_change", "family_not_told"]),
                       st.sampled_from(["breach", "attention", "info"]), st.lists(st.integers(1, 45), max_size=3)),
             max_size=25),
    st.booleans(),
)
def test_every_flag_is_one_row_or_one_mark_and_n_walks_them_all_in_order(days, flag_specs, with_positions):
    """Whatever the flags: each shows once (a worker change as a mark on its last event's row
    when that event is shown, anything else as a row of its own after the event it arose at);
    n stops at exactly the rows with a flag or a mark, in order; breaches only at those with
    a breach; and the lanes mark each at the day of its row."""
    from caseline.view.rows import IndexDays, id_positions

    days.sort()
    base = d("2020-01-01")
    ids = array("q", range(1, len(days) + 1))
    starts = array("l", [base + x for x in days])
    flags = [flag(kind, date.fromordinal(base + x).isoformat(), due=date.fromordinal(base + x + 3).isoformat()
                  if kind == "deadline" else None, events=tuple(events), severity=severity, key=f"k{i:02}")
             for i, (x, kind, severity, events) in enumerate(flag_specs)]
    positions = id_positions(ids) if with_positions else None
    anchors = IndexDays(positions, starts) if positions is not None else dict(zip(ids, starts))
    model = RowModel(ids, starts, flags, anchors, positions=positions)
    rows = [model.row(r) for r in range(len(model))]
    shown = [r.flag for r in rows if r.flag is not None] + [m for r in rows for m in r.marks]
    assert sorted(f.key for f in shown) == sorted(f.key for f in flags)
    for r in rows:
        for mark in r.marks:
            assert mark.kind == "worker_change" and mark.events[-1] == r.event_id
    for f in flags:
        if f.kind == "worker_change" and f.events and f.events[-1] <= len(ids):
            assert any(f in r.marks for r in rows)  # its last event is shown: a mark
    with_flags = [r.index for r in rows if r.flag is not None or r.marks]
    walked, at = [], -1
    while (at := model.next_flag_row(at)) is not None:
        walked.append(at)
    assert walked == with_flags
    breaches, at = [], -1
    while (at := model.next_flag_row(at, breaches_only=True)) is not None:
        breaches.append(at)
    assert breaches == [r.index for r in rows if any(f.severity == "breach" for f in ([r.flag] if r.flag else r.marks))]
    assert model.flag_marks() == {(r.day, f.severity) for r in rows for f in ([r.flag] if r.flag else r.marks)}
    for f in flags:
        assert model.flags_of_event(f.events[-1]) if f.events else True
        assert model.row(model.row_for_flag(f)).index in walked


def test_ids_take_four_bytes_while_they_fit_and_eight_from_the_first_that_does_not(tmp_path, monkeypatch):
    """A case's own database numbers its events from 1 (4 bytes an id: 40 MB less at ten
    million); SQLite's rowids may go past 2**31 - 1, and then the ids are all still there, in
    order, on either read (the whole index, in day groups or in pieces, and row by row)."""
    from caseline.store import timeline
    from caseline.store.timeline import load_index

    conn = open_database(tmp_path / "big-ids.db", create=True)
    conn.execute("INSERT INTO cases (id, title) VALUES ('c', 'C')")
    rows = [(5, "2021-01-01"), (3_000_000_000, "2021-01-01"), (7, "2021-01-02"), (2**62, "2021-01-03"), (2, "2021-01-03")]
    conn.executemany("INSERT INTO events (id, case_id, date_start, kind, summary) VALUES (?, 'c', ?, 'note', '')", rows)
    expected = [5, 3_000_000_000, 7, 2, 2**62]
    small, _, _ = load_index(conn, "c", only_ids=[5, 7, 2])
    assert small.typecode == "i" and list(small) == [5, 7, 2]
    for read in (lambda: load_index(conn, "c"), lambda: load_index(conn, "c", limit=100)):
        ids, starts, _ = read()
        assert ids.typecode == "q" and list(ids) == expected and len(starts) == 5
    monkeypatch.setattr(timeline, "_GROUP_PIECE", 4)  # every group read in pieces
    assert list(load_index(conn, "c")[0]) == expected
    conn.close()


@given(st.lists(st.integers(1, 2**40), max_size=30), st.lists(st.integers(1, 2**40), max_size=30),
       st.integers(0, 5_000_000))
def test_the_shown_ids_membership_is_set_membership_dense_or_sparse(ids, others, offset):
    """A filtered model asks, for every event a flag rests on, whether it is shown: a byte a
    id over a small span, a set over a wide one; the same answers either way."""
    from caseline.view.rows import _membership

    for chosen in (ids, [offset + i % 1000 for i in ids]):  # wide spans and narrow ones
        shown = _membership(array("q", chosen))
        assert all(shown(i) for i in chosen)
        assert [shown(i) for i in others + [offset, offset + 999, 0, -1]] == \
            [i in set(chosen) for i in others + [offset, offset + 999, 0, -1]]
