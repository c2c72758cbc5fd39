"""What keeps the engine fast and small on long cases without changing what it finds: the
store reads facts in the engine's own order, analysis holds the cyclic collector while it
runs, and a very long case's visits are streamed rather than held."""

from __future__ import annotations

import gc
import threading
from datetime import date

import pytest
import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from caseline.analysis import collector_paused
from caseline.guidance import load_library
from caseline.rules.engine import compute_flags, streamable_kinds
from caseline.rules.measure import StreamOutOfOrder, event_order
from caseline.store import load_facts, open_database
from engine_helpers import ev

KINDS = ["cin_visit", "worker_allocated", "family_informed"]
DAYS = ["2021-03-01", "2021-03-02", "2021-03-15", "2021-04-30"]
PARTIAL = ["2021-03", "2021", "2021-02"]


def _database(path, rows):
    db = sqlite_utils.Database(path)
    db["events"].insert_all(
        ({"id": i + 1, "case_id": "c", "kind": kind, "actor": actor, "date_start": start, "date_end": end}
         for i, (kind, actor, start, end) in enumerate(rows)),
        pk="id",
    )
    db.conn.close()
    return open_database(path, read_only=True)


exact_rows = st.lists(
    st.tuples(st.sampled_from(KINDS), st.sampled_from(["W1", "W2", ""]), st.sampled_from(DAYS),
              st.sampled_from(["", *DAYS])).filter(lambda r: not r[3] or r[3] > r[2]),
    min_size=1, max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(rows=exact_rows)
def test_facts_of_exact_days_come_in_the_engine_order(tmp_path_factory, rows):
    """Same-day events of several kinds, in any import order: the store's order is the
    engine's, so the engine may skip its sort."""
    conn = _database(tmp_path_factory.mktemp("order") / "c.db", rows)
    facts = load_facts(conn, "c", KINDS)
    conn.close()
    assert facts.in_event_order
    assert list(facts) == sorted(facts, key=event_order)
    assert len(facts) == len(rows)


def test_partial_dates_are_not_claimed_to_be_in_order(tmp_path):
    """Text order is not date order for partial dates ('2021' sorts before '2021-03-01' but
    may end later): the engine is told to sort."""
    rows = [("cin_visit", "W1", start, "") for start in ["2021-03-01", *PARTIAL]]
    conn = _database(tmp_path / "p.db", rows)
    facts = load_facts(conn, "c", KINDS)
    conn.close()
    assert not facts.in_event_order
    assert len(facts) == 4


def test_a_day_written_two_ways_is_sorted_by_the_engine(tmp_path):
    """An empty date_end and one equal to date_start mean the same day but sort as two runs."""
    rows = [("cin_visit", "W1", "2021-03-01", ""), ("worker_allocated", "W1", "2021-03-01", "2021-03-01"),
            ("cin_visit", "W1", "2021-03-01", "")]
    conn = _database(tmp_path / "w.db", rows)
    facts = load_facts(conn, "c", KINDS)
    conn.close()
    assert not facts.in_event_order
    assert facts[0].dates is facts[1].dates is facts[2].dates


def test_equal_strings_are_held_once(tmp_path):
    conn = _database(tmp_path / "s.db", [("cin_visit", "W1", "2021-03-01", "")] * 3)
    facts = load_facts(conn, "c", KINDS)
    conn.close()
    assert facts[0].kind is facts[2].kind and facts[0].actor is facts[1].actor
    assert facts[0].dates is facts[1].dates


def test_the_collector_waits_until_the_last_analysis_ends():
    assert gc.isenabled()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen["while_second_runs"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"while_second_runs": False}
    assert gc.isenabled()


def test_the_collector_resumes_after_an_error():
    try:
        with collector_paused():
            assert not gc.isenabled()
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


def _visits_case(path, visits: int, per_day: int = 4):
    """One open CIN plan with visits every day (*per_day* on each, as busy teams record): the
    engine reads every row and finds nothing, so what it holds is what it holds per event."""
    from datetime import date, timedelta

    db = sqlite_utils.Database(path)
    first = date(2000, 1, 3)
    rows = [{"id": 1, "case_id": "c", "kind": "cin_plan_start", "actor": "W", "date_start": first.isoformat()}]
    rows += [{"id": n + 2, "case_id": "c", "kind": "cin_visit", "actor": "W",
              "date_start": (first + timedelta(days=n // per_day)).isoformat()} for n in range(visits)]
    db["events"].insert_all(rows, pk="id")
    db.conn.close()
    return path


def test_a_very_long_case_holds_none_of_its_visits(tmp_path, monkeypatch):
    """Past the streaming threshold the visits are read as the rule walks them: memory stays
    put when they double over the same days (what grows with the calendar is one shared
    range a day)."""
    import caseline.analysis as analysis

    monkeypatch.setattr(analysis, "STREAM_VISITS_OVER", 0)
    small, small_flags = _peak_analysis_bytes(tmp_path, 20_000, per_day=8)
    large, large_flags = _peak_analysis_bytes(tmp_path, 40_000, per_day=16)
    assert small_flags == large_flags
    print(f"streamed: peak {small / 1e6:.1f} MB at 20k visits, {large / 1e6:.1f} MB at 40k")
    assert large < small * 1.15, f"peak grew from {small / 1e6:.1f} MB to {large / 1e6:.1f} MB"


def _peak_analysis_bytes(tmp_path, visits: int, per_day: int = 4) -> tuple[int, int]:
    from caseline.analysis import analyse, clear_cache
    from conftest import traced_peak

    conn = open_database(_visits_case(tmp_path / f"v{visits}-{per_day}.db", visits, per_day), read_only=True)
    clear_cache()
    try:
        peak, analysis = traced_peak(lambda: analyse(conn, "c", with_anchors=False))
    finally:
        conn.close()
    return peak, len(analysis.flags)


def test_analysis_holds_at_most_a_small_fixed_amount_per_event_read(tmp_path):
    """Not yet constant (issue 13 asks for that): a case of this size holds each fact it
    reads. This bounds what one costs, so a copy of the rows or an object more is caught."""
    small, small_flags = _peak_analysis_bytes(tmp_path, 20_000)
    large, large_flags = _peak_analysis_bytes(tmp_path, 40_000)
    assert small_flags == large_flags  # the same findings: the growth is the facts'
    per_event = (large - small) / 20_000
    print(f"peak {small / 1e6:.1f} MB at 20k visits, {large / 1e6:.1f} MB at 40k: {per_event:.0f} bytes a visit")
    # A fact is a 9-field tuple and its id (~140 bytes), three list slots, and its share of
    # the day ranges; measured 237-256 bytes (lists grow in steps, so the slope varies).
    assert per_event < 300, f"{per_event:.0f} bytes held per event read"


def test_anchors_taken_from_the_facts_are_the_stored_start_days(tmp_path):
    """Flag rows are placed by the start days of the events they rest on: taken from the
    facts the engine read, they are the same days the store holds."""
    from caseline.analysis import analyse, clear_cache
    from caseline.samples import build_sample_database
    from caseline.store import list_cases
    from caseline.store.timeline import anchor_dates

    build_sample_database(tmp_path / "s.db")
    conn = open_database(tmp_path / "s.db", read_only=True)
    clear_cache()
    checked = 0
    for case in list_cases(conn):
        analysis = analyse(conn, case.id)
        rested_on = {event_id for flag in analysis.flags for event_id in flag.events}
        assert analysis.anchors == anchor_dates(conn, rested_on), case.id
        checked += len(rested_on)
    conn.close()
    assert checked > 50


# --- Streamed visits: the same findings as visits held ---

LIBRARY = load_library()
STREAMED = streamable_kinds(LIBRARY)


def test_visits_are_the_kinds_streamed():
    assert "cin_visit" in STREAMED
    # Kinds other rules read in other ways (worker changes, reviews, plans) are held.
    assert not STREAMED & {"worker_allocated", "family_informed", "cin_plan_start", "lac_review", "lac_start"}


def _split(events):
    held = [e for e in events if e.kind not in STREAMED]
    visits = {kind: sorted((e for e in events if e.kind == kind), key=event_order) for kind in STREAMED}
    return held, {kind: (lambda chosen=chosen: iter(chosen)) for kind, chosen in visits.items()}


DAY = st.dates(min_value=date(2019, 1, 1), max_value=date(2021, 12, 31))


@st.composite
def visit_cases(draw):
    """A CIN plan (perhaps closed, perhaps for two children), visits at random, some as ranges,
    some for one child only, and a record that may start part-way."""
    from datetime import timedelta

    start = draw(DAY)
    events = [ev("cin_plan_start", start.isoformat(), subject="")]
    if draw(st.booleans()):
        events.append(ev("cin_plan_end", (start + timedelta(days=draw(st.integers(30, 700)))).isoformat()))
    for _ in range(draw(st.integers(0, 25))):
        day = start + timedelta(days=draw(st.integers(-60, 800)))
        span = draw(st.sampled_from([0, 0, 0, 6, 29]))
        events.append(ev("cin_visit", day.isoformat(), (day + timedelta(days=span)).isoformat() if span else None,
                         subject=draw(st.sampled_from(["", "", "A", "B"]))))
    children = draw(st.sampled_from([None, ["A"], ["A", "B"]]))
    records_from = draw(st.one_of(st.none(), st.just(start + timedelta(days=draw(st.integers(1, 300))))))
    return events, children, records_from


@settings(max_examples=150, deadline=None)
@given(case=visit_cases(), as_of=DAY)
def test_streamed_visits_give_the_flags_held_visits_give(case, as_of):
    events, children, records_from = case
    held_flags = compute_flags(events, LIBRARY, as_of=as_of, children=children, records_from=records_from)
    held, streams = _split(events)
    streamed_flags = compute_flags(held, LIBRARY, as_of=as_of, children=children, records_from=records_from,
                                   streams=streams)
    assert streamed_flags == held_flags


def test_a_stream_out_of_date_order_says_so():
    events = [ev("cin_plan_start", "2021-01-04"), ev("cin_visit", "2021-03-01", id=900),
              ev("cin_visit", "2021-02-01", id=901)]
    held = [e for e in events if e.kind != "cin_visit"]
    backwards = [e for e in events if e.kind == "cin_visit"]
    with pytest.raises(StreamOutOfOrder):
        compute_flags(held, LIBRARY, as_of=date(2021, 6, 1), streams={"cin_visit": lambda: iter(backwards)})


def test_every_sample_gives_the_same_flags_with_its_visits_streamed(tmp_path, monkeypatch):
    import caseline.analysis as analysis
    from caseline.samples import build_sample_database
    from caseline.store import list_cases

    build_sample_database(tmp_path / "s.db")
    conn = open_database(tmp_path / "s.db", read_only=True)
    cases = [case.id for case in list_cases(conn)]
    analysis.clear_cache()
    held = {case_id: analysis.analyse(conn, case_id) for case_id in cases}
    analysis.clear_cache()
    monkeypatch.setattr(analysis, "STREAM_VISITS_OVER", 0)
    streamed = {case_id: analysis.analyse(conn, case_id) for case_id in cases}
    analysis.clear_cache()
    conn.close()
    assert all(streamed[c].flags == held[c].flags and streamed[c].anchors == held[c].anchors for c in cases)
    assert sum(len(a.flags) for a in held.values()) > 50


def test_partial_dates_fall_back_to_holding_the_visits(tmp_path, monkeypatch):
    """'2021-03' sorts before '2021-03-01' but covers the whole month: the store's order is
    not the engine's, the stream says so, and the analysis reads the case whole instead."""
    import caseline.analysis as analysis

    db = sqlite_utils.Database(tmp_path / "p.db")
    db["events"].insert_all([
        {"id": 1, "case_id": "c", "kind": "cin_plan_start", "date_start": "2021-01-04"},
        {"id": 2, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-20"},
        {"id": 3, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-02"},
        {"id": 4, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03", "date_end": "2021-03"},
        {"id": 5, "case_id": "c", "kind": "cin_visit", "date_start": "2021-09-01"},
    ], pk="id")
    db.conn.close()
    conn = open_database(tmp_path / "p.db", read_only=True)
    analysis.clear_cache()
    held = analysis.analyse(conn, "c", date(2022, 1, 1)).flags
    analysis.clear_cache()
    monkeypatch.setattr(analysis, "STREAM_VISITS_OVER", 0)
    streamed = analysis.analyse(conn, "c", date(2022, 1, 1)).flags
    analysis.clear_cache()
    conn.close()
    assert streamed == held
    assert any(f.rule == "cin_visits" and f.kind == "gap" for f in held)
