"""A long case's visits are not read one by one: the store answers "which consecutive visits
are far enough apart to matter" (``spaced_visits``) in one lean scan, and the interval rules
measure only those. These tests hold that to what walking every visit gives."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import caseline.analysis as analysis
import caseline.store as store
from caseline.dates import Duration, add_duration, fewest_days
from caseline.rules.measure import spaced_pairs
from caseline.store import load_facts, open_database, spaced_visits

START = date(2020, 1, 6)

#: Opening, closing and visiting kinds of every interval rule the library has.
STATUS_KINDS = ["cin_plan_start", "cin_plan_end", "cp_plan_start", "cp_plan_end", "lac_start", "lac_end",
                "placement_start", "placement_end", "placement_long_term", "placement_short_term",
                "private_fostering_start", "private_fostering_end"]
VISIT_KINDS = ["cin_visit", "cp_visit", "lac_visit", "private_fostering_visit", "pa_visit"]


@st.composite
def cases(draw):
    """A case of one or two children with statuses opening and closing, visits at any
    spacing, some dated loosely (a month, a range), some relative to another event."""
    rows = []
    for kind in draw(st.lists(st.sampled_from(STATUS_KINDS), min_size=1, max_size=6)):
        rows.append({"kind": kind, "day": draw(st.integers(0, 500))})
    day = draw(st.integers(0, 30))
    for _ in range(draw(st.integers(0, 40))):
        day += draw(st.sampled_from([0, 1, 3, 7, 20, 40, 45, 60, 100]))
        rows.append({"kind": draw(st.sampled_from(VISIT_KINDS)), "day": day,
                     "length": draw(st.sampled_from([0, 0, 0, 0, 2, 30, 90])),
                     "shape": draw(st.sampled_from(["day"] * 8 + ["month", "empty_end", "equal_end", "relative"]))})
    subjects = draw(st.sampled_from([[""], ["A"], ["A", "B"], ["", "A", "B"]]))
    events = []
    for n, row in enumerate(draw(st.permutations(rows)), start=1):
        first = START + timedelta(days=row["day"])
        event = {"id": n, "case_id": "c", "kind": row["kind"], "ref": f"r{n}", "date_start": first.isoformat(),
                 "subject": draw(st.sampled_from(subjects))}
        shape, length = row.get("shape", "day"), row.get("length", 0)
        if length:
            event["date_end"] = (first + timedelta(days=length)).isoformat()
        if shape == "month":
            event["date_start"] = event["date_end"] = first.isoformat()[:7]
        elif shape == "empty_end":
            event["date_end"] = ""
        elif shape == "equal_end":
            event["date_end"] = event["date_start"]
        elif shape == "relative" and n > 1:
            event["relative_to"], event["offset_days"] = f"r{draw(st.integers(1, n - 1))}", draw(st.integers(0, 120))
        events.append(event)
    records_from = draw(st.sampled_from([None, (START + timedelta(days=200)).isoformat()]))
    return events, [s for s in subjects if s], records_from


def _database(path, events, children, records_from):
    db = sqlite_utils.Database(path)
    db["cases"].insert({"id": "c", "title": "c", "illustrative": 1, "records_from": records_from}, pk="id")
    db["events"].insert_all(events, pk="id", alter=True)
    if children:
        db["people"].insert_all([{"case_id": "c", "id": c, "name": c, "role": "child"} for c in children])
    db.conn.close()
    return open_database(path, read_only=True)


def _spaced_ids(tmp_path, events, children=(), more_than_days=42, others=frozenset()):
    """The store's spaced pairs of 2021's visits as (earlier id, later id), or None."""
    conn = _database(tmp_path / "c.db", events, list(children), None)
    try:
        pairs = spaced_visits(conn, "c", ["cin_visit"], date(2021, 1, 1), date(2021, 12, 31), more_than_days, others)
    finally:
        conn.close()
    return None if pairs is None else [(a and a.id, b and b.id) for a, b in pairs]


def _flags(conn, monkeypatch, streamed: bool):
    monkeypatch.setattr(analysis, "STREAM_VISITS_OVER", 0 if streamed else 10**9)
    analysis.clear_cache()
    found = analysis.analyse(conn, "c", date(2022, 6, 30))
    analysis.clear_cache()
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_measuring_only_the_spaced_visits_finds_what_walking_them_all_finds(tmp_path_factory, monkeypatch, case):
    events, children, records_from = case
    conn = _database(tmp_path_factory.mktemp("spaced") / "c.db", events, children, records_from)
    answered = []
    real = store.VisitDays.spaced

    def counted(self, *args, **kwargs):
        found = real(self, *args, **kwargs)
        answered.append(found is not None)
        return found

    try:
        held = _flags(conn, monkeypatch, streamed=False)
        monkeypatch.setattr(store.VisitDays, "spaced", counted)
        streamed = _flags(conn, monkeypatch, streamed=True)
    finally:
        conn.close()
    assert streamed.flags == held.flags
    assert streamed.anchors == held.anchors
    if not any(e.get("relative_to") or len(e["date_start"]) != 10 for e in events if e["kind"] in VISIT_KINDS):
        assert all(answered)  # plain days: the store answered every time it was asked


def test_the_store_answers_at_all_in_the_cases_above(tmp_path, monkeypatch):
    """A plain case: the spaced pairs come from the store, and they are few."""
    events = [{"id": 1, "case_id": "c", "kind": "cin_plan_start", "date_start": "2020-01-06"}]
    day = START
    for n in range(2, 200):
        day += timedelta(days=60 if n == 100 else 10)
        events.append({"id": n, "case_id": "c", "kind": "cin_visit", "date_start": day.isoformat()})
    conn = _database(tmp_path / "c.db", events, [], None)
    pairs = spaced_visits(conn, "c", ["cin_visit"], START, date(2030, 1, 1), 42)
    walked = list(spaced_pairs(load_facts(conn, "c", ["cin_visit"]), 42))
    conn.close()
    assert pairs == walked
    assert [(a and a.id, b and b.id) for a, b in pairs] == [(None, 2), (99, 100), (199, None)]


@pytest.mark.parametrize("start, end", [
    ("2021-03", None),  # a month
    ("2021-02-30", None),  # no such day (SQLite would read 2 March)
    ("2021-03-01T10:00", None),  # a time
    ("2021-03-05", "2021-03-01"),  # ends before it starts
])
def test_a_date_that_is_not_a_plain_day_sends_the_engine_back_to_walking(tmp_path, start, end):
    events = [{"id": 1, "case_id": "c", "kind": "cin_visit", "date_start": "2021-01-04", "date_end": None},
              {"id": 2, "case_id": "c", "kind": "cin_visit", "date_start": start, "date_end": end},
              {"id": 3, "case_id": "c", "kind": "cin_visit", "date_start": "2021-06-01", "date_end": None}]
    assert _spaced_ids(tmp_path, events) is None


def test_negative_and_huge_ids_order_a_day_by_id(tmp_path):
    """Ids are compared as numbers, whatever their size: -5 stands first on its day."""
    events = [{"id": 10**12, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-01"},
              {"id": -5, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-01"},
              {"id": 3, "case_id": "c", "kind": "cin_visit", "date_start": "2021-06-01"}]
    assert _spaced_ids(tmp_path, events) == [(None, -5), (10**12, 3), (3, None)]


def test_a_last_day_that_is_not_a_full_iso_day_sends_the_engine_back_to_walking(tmp_path):
    events = [{"id": 1, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-01"},
              {"id": 2, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-01", "date_end": 20210302}]
    assert _spaced_ids(tmp_path, events) is None


def test_a_day_spelled_three_ways_stands_in_the_engines_order(tmp_path):
    """An equal end, no end and an empty end are one day: text order would put id 2 first;
    the engine's order (last day, then id) puts id 1 first and id 3 last."""
    events = [{"id": 1, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-01", "date_end": "2021-03-01"},
              {"id": 2, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-01", "date_end": None},
              {"id": 3, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-01", "date_end": ""},
              {"id": 4, "case_id": "c", "kind": "cin_visit", "date_start": "2021-05-01", "date_end": None}]
    assert _spaced_ids(tmp_path, events) == [(None, 1), (3, 4), (4, None)]


def test_a_visit_running_past_the_limit_has_its_day_read_in_full(tmp_path):
    """Day 1 has a one-day visit and one running 60 days: the long one is measured from the
    visit before it that day (id 1), and the next day's first from the day's last (id 2)."""
    events = [{"id": 1, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-01", "date_end": None},
              {"id": 2, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-01", "date_end": "2021-04-30"},
              {"id": 3, "case_id": "c", "kind": "cin_visit", "date_start": "2021-03-02", "date_end": None}]
    assert _spaced_ids(tmp_path, events) == [(None, 1), (1, 2), (3, None)]


def test_another_childs_visits_are_left_out(tmp_path):
    events = [{"id": n, "case_id": "c", "kind": "cin_visit", "date_start": f"2021-0{n}-01", "subject": s}
              for n, s in [(1, "A"), (2, "B"), (3, ""), (4, "A")]]
    assert _spaced_ids(tmp_path, events, ["A", "B"], 0, frozenset({"B"})) == [(None, 1), (1, 3), (3, 4), (4, None)]


@settings(max_examples=300, deadline=None)
@given(day=st.dates(date(1990, 1, 1), date(2060, 12, 31)), amount=st.integers(0, 40),
       unit=st.sampled_from(["days", "weeks", "months", "working_days"]))
def test_no_duration_adds_fewer_days_than_its_floor(day, amount, unit):
    duration = Duration(amount, unit)
    assert (add_duration(day, duration) - day).days >= fewest_days(duration)
