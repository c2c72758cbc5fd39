"""The bulk path's look at a glance (``importing.plain_rows``) never passes a row that SQLite's
own test (``store.writes._PLAIN_ROW`` and its whitespace test) would send to the full row
check: it may be stricter, never looser."""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from caseline.importing.plain_rows import PlainBatches
from caseline.store import open_database
from caseline.store.writes import BulkEvents

CELLS = ["", "x", " x", "x ", "\tx", "\xa0x", "x\xa0", "note", "2021-01-31", "2021-02-30", "2021-1-05",
         "0000-01-01", "2021-09", "2021", "2021-W01-1", "9999-12-31", "2021-01-01 ", " 2021-01-01",
         "2021-01-01T00", "20210101", "2020-12-31", "2021-03-01", "3", "-2", "R1", "\n"]
DAYS = ["2020-12-31", "2021-01-31", "2021-03-01", ""]
GOOD = {"case_id": ["c", "d"], "kind": ["note"], "summary": ["x"], "date_start": DAYS[:3], "date_end": DAYS,
        "recorded": DAYS, "relative_to": [""], "offset_days": [""]}
OPTIONAL = ["date_end", "recorded", "relative_to", "offset_days", "ref", "actor", "date_text"]


@st.composite
def batches(draw):
    header = ["case_id", "date_start", "kind", "summary"] + draw(st.lists(st.sampled_from(OPTIONAL), unique=True))
    header = draw(st.permutations(header))
    # Mostly good values for each column (so that plain batches are common), sometimes any.
    columns = [st.sampled_from(GOOD.get(name, ["", "x"]) * 12 + CELLS) for name in header]
    rows = draw(st.lists(st.tuples(*columns).map(list), min_size=1, max_size=4))
    return list(header), rows


_CONN: list[sqlite3.Connection] = []


def _conn(tmp_path_factory) -> sqlite3.Connection:
    if not _CONN:
        conn = open_database(tmp_path_factory.mktemp("plain") / "p.db", create=True)
        conn.execute("PRAGMA foreign_keys = OFF")  # rows name cases that do not exist
        _CONN.append(conn)
    return _CONN[0]


def test_plain_at_a_glance_means_plain_to_sqlite(tmp_path_factory):
    conn = _conn(tmp_path_factory)
    seen = {"plain": 0, "not": 0}

    @settings(max_examples=400, deadline=None)
    @given(batches())
    def check(batch):
        header, rows = batch
        conn.execute("DELETE FROM events")
        bulk = BulkEvents(conn, header)
        refused = bulk.add(rows)
        written = len(rows) - len(refused)
        if PlainBatches(header).plain(rows):
            seen["plain"] += 1
            odd = conn.execute(f"SELECT count(*) FROM events WHERE NOT ({bulk._plain})").fetchone()[0]
            assert odd == 0, (header, rows)
            assert written == conn.execute("SELECT count(*) FROM events").fetchone()[0]
        else:
            seen["not"] += 1

    check()
    assert seen["plain"] >= 5 and seen["not"] >= 5, seen  # both sides were exercised


def test_clean_rows_are_plain_and_each_kind_of_doubt_is_not():
    header = ["case_id", "date_start", "date_end", "kind", "summary", "relative_to", "offset_days", "recorded"]
    good = ["c", "2021-01-31", "", "note", "Visit", "", "", ""]
    judge = PlainBatches(header)
    assert judge.plain([good, ["c", "2021-02-01", "2021-02-03", "note", "Visit", "", "", "2021-02-04"]])
    doubts = {
        "date_start": ["2021-02-30", "2021-09", "", " 2021-01-01"],
        "date_end": ["2021-01-30", "2021-13-01"],
        "kind": ["", " note"],
        "summary": ["", "Visit "],
        "relative_to": ["R1"],
        "offset_days": ["3"],
        "recorded": ["2021-01-01 10:00"],
        "case_id": ["", "c\xa0"],
    }
    for column, values in doubts.items():
        for value in values:
            row = list(good)
            row[header.index(column)] = value
            assert not judge.plain([good, row]), (column, value)
