"""What keeps the engine fast on long cases without changing what it finds: the store reads
facts in the engine's own order, and analysis holds the cyclic collector while it runs."""

from __future__ import annotations

import gc
import threading

import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from caseline.analysis import collector_paused
from caseline.rules.measure import event_order
from caseline.store import load_facts, open_database

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


def _visits_case(path, visits: int):
    """One open CIN plan with a visit every day (four on each day, as busy teams record): the
    engine reads every row and finds nothing, so what it holds is what it holds per event."""
    from datetime import date, timedelta

    db = sqlite_utils.Database(path)
    first = date(2000, 1, 3)
    rows = [{"id": 1, "case_id": "c", "kind": "cin_plan_start", "actor": "W", "date_start": first.isoformat()}]
    rows += [{"id": n + 2, "case_id": "c", "kind": "cin_visit", "actor": "W",
              "date_start": (first + timedelta(days=n // 4)).isoformat()} for n in range(visits)]
    db["events"].insert_all(rows, pk="id")
    db.conn.close()
    return path


def _peak_analysis_bytes(tmp_path, visits: int) -> tuple[int, int]:
    import tracemalloc

    from caseline.analysis import analyse, clear_cache

    conn = open_database(_visits_case(tmp_path / f"v{visits}.db", visits), read_only=True)
    clear_cache()
    try:
        tracemalloc.start()
        flags = analyse(conn, "c", with_anchors=False).flags
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        conn.close()
    return peak, len(flags)


def test_analysis_holds_at_most_a_small_fixed_amount_per_event_read(tmp_path):
    """Not yet constant (issue 13 asks for that): the engine holds each fact it reads. This
    bounds what one costs, so a copy of the rows or an object per event more is caught."""
    small, small_flags = _peak_analysis_bytes(tmp_path, 20_000)
    large, large_flags = _peak_analysis_bytes(tmp_path, 40_000)
    assert small_flags == large_flags  # the same findings: the growth is the facts'
    per_event = (large - small) / 20_000
    print(f"peak {small / 1e6:.1f} MB at 20k visits, {large / 1e6:.1f} MB at 40k: {per_event:.0f} bytes a visit")
    # A fact is a 9-field tuple and its id (~140 bytes), three list slots, and its share of
    # the day ranges; measured 237 bytes.
    assert per_event < 256, f"{per_event:.0f} bytes held per event read"


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
