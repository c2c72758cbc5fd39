"""caseline flags writes each flag as the engine makes it: the stream gives the flags the list
gives, in the same order, and the worker-change rule's flags are not all held at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from caseline.analysis import analyse, analyse_streamed, clear_cache, collector_paused
from caseline.rules.measure import in_sort_order
from caseline.samples import build_sample_database
from caseline.store import list_cases, open_database


def test_every_sample_streams_the_flags_the_analysis_lists(tmp_path):
    build_sample_database(tmp_path / "s.db")
    conn = open_database(tmp_path / "s.db", read_only=True)
    total = 0
    for case in list_cases(conn):
        clear_cache()
        listed = analyse(conn, case.id, with_anchors=False)
        head, flags = analyse_streamed(conn, case.id)
        with collector_paused():
            streamed = tuple(flags)
        assert streamed == listed.flags
        assert head.flags == () and head.as_of == listed.as_of and head.as_of_source == listed.as_of_source
        total += len(streamed)
    conn.close()
    assert total > 50


def test_flags_that_come_by_first_day_leave_in_sort_order():
    from caseline.model import Flag

    def flag(key, start, severity="info"):
        day = date(2021, 3, start)
        return Flag(key, "gap", "r", severity, "definite", day, day, None, (), "")

    given = [flag("b", 1), flag("a", 1, "breach"), flag("c", 1), flag("a", 2)]
    assert [f.key for f in in_sort_order(given)] == ["a", "b", "c", "a"]  # the breach first on day 1
    with pytest.raises(ValueError, match="must come by first day"):
        list(in_sort_order([flag("a", 2), flag("b", 1)]))


def _worker_case(path, changes: int):
    """A case of nothing but worker changes, eight a day (a whole council as one case), the
    family told of each forty days later (late)."""
    db = sqlite_utils.Database(path)
    first = date(2000, 1, 3)
    db["events"].insert_all(
        ({"id": 2 * n + k + 1, "case_id": "c", "kind": kind, "actor": f"W{n % 7}",
          "date_start": (first + timedelta(days=n // 8 + late)).isoformat()}
         for n in range(changes) for k, (kind, late) in enumerate((("worker_allocated", 0), ("family_informed", 40)))),
        pk="id")
    db.conn.close()
    return path


def _peak_writing_flags(tmp_path, changes: int) -> tuple[int, int]:
    """Peak traced bytes from reading the case to the last flag written, and the lines."""
    conn = open_database(_worker_case(tmp_path / f"w{changes}.db", changes), read_only=True)
    peak, written = _peak_of_flags_written(conn, "c")
    conn.close()
    return peak, written


def _peak_of_flags_written(conn, case_id: str) -> tuple[int, int]:
    """Peak traced bytes from reading the case to its last flag written as JSON (what is
    written is counted, a line at a time, and dropped), and the lines written."""
    import io
    import tracemalloc

    from caseline.export.flags import write_flags

    written = 0

    class Counting(io.StringIO):  # what was written is dropped: only the engine's memory counts
        def write(self, text):
            nonlocal written
            written += text.count("\n")
            return len(text)

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    with collector_paused():
        head, flags = analyse_streamed(conn, case_id)
        write_flags(head, "json", Counting(), flags=flags)
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peak, written


def test_writing_a_cases_flags_holds_none_of_them(tmp_path):
    """20,000 then 40,000 worker changes (two facts each) and a flag or more each: memory
    grows by the facts and the rule's look-up tables (~400 bytes a change), not by the
    flags too (~550 bytes each more, every one held, before)."""
    _peak_writing_flags(tmp_path, 2_000)  # the calendar, caches and imports, made once
    small, small_lines = _peak_writing_flags(tmp_path, 20_000)
    large, large_lines = _peak_writing_flags(tmp_path, 40_000)
    assert large_lines > 1.9 * small_lines > 38_000
    per_change = (large - small) / 20_000
    print(f"flags: peak {small / 1e6:.1f} MB for {small_lines} flags, {large / 1e6:.1f} MB for {large_lines}: "
          f"{per_change:.0f} bytes a change")
    assert per_change < 700, f"{per_change:.0f} bytes more for each change: its flags are being held"


def test_a_long_case_gives_the_same_answer_with_its_scans_beside_the_facts_or_after_them(tmp_path, monkeypatch):
    """The explorer's child makes a long case's own scans (its visits summed up by day, its
    last day) one after another; the CLI makes them in a thread beside the facts. Every
    sample, read as a long case at its own as-of and at a later one, gets the same answer
    either way."""
    import caseline.analysis as analysis

    monkeypatch.setattr(analysis, "STREAM_VISITS_OVER", 0)  # every case streams its visits
    build_sample_database(tmp_path / "s.db")
    conn = open_database(tmp_path / "s.db", read_only=True)
    compared = 0
    for case in list_cases(conn):
        for as_of in (None, date(2026, 12, 1)):
            answers = []
            for alongside in (True, False):
                head, flags = analyse_streamed(conn, case.id, as_of, alongside=alongside)
                with collector_paused():
                    answers.append((head.as_of, head.as_of_source, tuple(flags)))
            assert answers[0] == answers[1], case.id
            compared += len(answers[0][2])
    conn.close()
    assert compared > 100


def _visits_case(path, visits: int):
    """A CIN case of four years: a plan, then *visits* visits with a note beside each, spread
    over the same days however many there are (doubling them doubles the rows a day)."""
    db = sqlite_utils.Database(path)
    first = date(2010, 1, 4)
    rows = [{"id": 1, "case_id": "c", "kind": "cin_plan_start", "actor": "W1", "date_start": first.isoformat()}]
    for n in range(visits):
        day = (first + timedelta(days=(n * 1461) // visits)).isoformat()
        for kind in ("cin_visit", "note"):
            rows.append({"id": len(rows) + 1, "case_id": "c", "kind": kind, "actor": f"W{n % 3}", "date_start": day})
    db["events"].insert_all(rows, pk="id")
    db.conn.close()
    return path


def test_a_long_cases_visits_and_notes_doubling_leave_the_engines_peak_where_it_was(tmp_path, monkeypatch):
    """Visits and case notes are most of a long case's rows. The engine never holds them:
    visits are summed up by day in SQLite and walked as they are read, and notes are not
    read at all. So twice the rows, on the same days, leave the peak of reading the case and
    writing its flags (tracemalloc) where it was; holding each visit would add 3 MB or more."""
    import caseline.analysis as analysis

    monkeypatch.setattr(analysis, "STREAM_VISITS_OVER", 1_000)  # the long-case path, at test size
    peaks = {}
    for visits in (2_000, 20_000, 40_000):  # the first makes the calendar, caches and imports
        conn = open_database(_visits_case(tmp_path / f"v{visits}.db", visits), read_only=True)
        peaks[visits] = _peak_of_flags_written(conn, "c")[0]
        conn.close()
    print(f"peaks: {peaks[20_000] / 1e6:.2f} MB for 40,001 rows, {peaks[40_000] / 1e6:.2f} MB for 80,001")
    assert peaks[40_000] - peaks[20_000] < 1_000_000, peaks


def _flags_in_order(days, severities):
    from caseline.model import Flag

    made = [Flag(f"k{n % 3}", "gap", "r", severity, "definite", day, day + timedelta(days=n % 2), None, (n,), "m")
            for n, (day, severity) in enumerate(zip(days, severities))]
    return sorted(made, key=lambda f: f.sort_key)


_FEW_DAYS = st.lists(st.dates(date(2020, 1, 1), date(2020, 1, 6)), max_size=30)  # many ties
_SEVERITIES = st.lists(st.sampled_from(["breach", "attention", "info"]), min_size=30, max_size=30)


@settings(max_examples=300, deadline=None)
@given(_FEW_DAYS, _FEW_DAYS, _SEVERITIES, _SEVERITIES)
def test_two_streams_merge_as_heapq_merges_them_ties_to_the_first(first_days, second_days, first_severities,
                                                                   second_severities):
    """Whichever side is sparse, and with equal sort keys on both sides (the first side's
    come first), the merge gives what :func:`heapq.merge` gives."""
    import heapq

    from caseline.rules.measure import merge_two, sort_key

    first = _flags_in_order(first_days, first_severities)
    second = _flags_in_order(second_days, second_severities)
    merged = list(merge_two(iter(first), iter(second)))
    expected = list(heapq.merge(first, second, key=sort_key))
    assert [id(f) for f in merged] == [id(f) for f in expected]
