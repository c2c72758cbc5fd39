"""A table of flags gives back every flag as it was given, in sort order, however it was
built (at once, or part by part through a pickle as the analysis child sends it), and its
column answers (counts, views, look-ups) agree with the records."""

from __future__ import annotations

import pickle
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseline.flag_table import BLOCK, FlagTable, FlagTableBuilder
from caseline.model import Flag

DAY0 = date(2020, 1, 1)

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
flags = st.builds(
    lambda key, kind, rule, severity, certainty, start, length, due, events, message, subject, status, citation: Flag(
        key, kind, rule, severity, certainty, DAY0 + timedelta(start), DAY0 + timedelta(start + length),
        DAY0 + timedelta(due) if due is not None else None, tuple(events), message, subject, status, citation),
    texts, st.sampled_from(["gap", "worker_change", "deadline", "met"]), st.sampled_from(["r1", "r2", "ré3"]),
    st.sampled_from(["breach", "attention", "info"]), st.sampled_from(["definite", "possible"]),
    st.integers(0, 40), st.integers(0, 5), st.none() | st.integers(0, 60),
    st.lists(st.integers(-3, 2**40), max_size=4), texts, st.sampled_from(["", "c1", "c1,c2"]),
    st.sampled_from(["statutory", ""]), texts,
)


def in_order(found: list[Flag]) -> list[Flag]:
    return sorted(found, key=lambda f: f.sort_key)


@settings(max_examples=150, deadline=None)
@given(st.lists(flags, max_size=40), st.integers(1, 7))
def test_a_table_gives_back_its_flags_in_sort_order_built_at_once_or_in_parts(found, part_size):
    expected = in_order(found)
    assert list(FlagTable.from_flags(found)) == expected
    builder, received = FlagTableBuilder(), FlagTable()
    for at in range(0, len(expected), part_size):
        received.add_part(pickle.loads(pickle.dumps(builder.part(expected[at:at + part_size]))))
    assert list(received) == expected
    assert [received[i] for i in range(len(received))] == expected
    assert list(received.keys()) == [f.key for f in expected]


@settings(max_examples=100, deadline=None)
@given(st.lists(flags, max_size=40), st.sets(st.sampled_from(["gap", "worker_change", "deadline", "met"])),
       st.sets(st.sampled_from(["breach", "attention", "info"])))
def test_views_and_column_answers_agree_with_the_records(found, kinds, severities):
    table = FlagTable.from_flags(found)
    records = list(table)
    view = table.where(not_kinds=kinds, severities=severities or None)
    kept = [f for f in records if f.kind not in kinds and (not severities or f.severity in severities)]
    assert list(view) == kept
    assert view.severity_counts() == {s: sum(f.severity == s for f in kept) for s in ("breach", "attention", "info")}
    assert view.count_of("kind", "gap") == sum(f.kind == "gap" for f in kept)
    assert view.distinct("rule") == {f.rule for f in kept}
    assert view.event_ids() == {e for f in kept for e in f.events}
    assert list(view.days("starts")) == [f.start.toordinal() for f in kept]
    assert list(view.iter_last_events()) == [f.events[-1] if f.events else None for f in kept]
    for event_id in {e for f in records for e in f.events}:
        assert [view[i] for i in view.resting_on(event_id)] == [f for f in kept if event_id in f.events]
    for index, flag in enumerate(kept):
        assert view.index(flag) == next(i for i, f in enumerate(kept) if f.key == flag.key and f.start == flag.start)
        assert view.key(index) == flag.key and view.message(index) == flag.message
    assert view == kept and table == records


def test_blocks_are_opened_a_few_at_a_time_and_records_share_their_days():
    found = [Flag(f"k{i:06}", "worker_change", "r", "info", "definite", DAY0, DAY0, None, (i, i + 1), f"m{i}")
             for i in range(BLOCK * 20 + 3)]
    table = FlagTable.from_flags(found)
    assert len(table._columns.key_blocks) == len(table._columns.message_blocks) == 21
    assert table[BLOCK * 20 + 2].key == f"k{BLOCK * 20 + 2:06}" and table[-1].message == f"m{BLOCK * 20 + 2}"
    assert table[0].start is table[5000].start
    assert len(table._columns._open) <= 64
    with pytest.raises(IndexError):
        table[len(found)]
    # Compressed, the keys and messages of ten thousand flags take a few bytes each.
    assert sum(map(len, table._columns.key_blocks + table._columns.message_blocks)) < 8 * len(found)


def test_a_part_cannot_be_added_to_a_view():
    table = FlagTable.from_flags([Flag("k", "gap", "r", "info", "definite", DAY0, DAY0, None, (), "m")])
    with pytest.raises(ValueError):
        table.where(kinds={"met"}).add_part(FlagTableBuilder().part([]))


@settings(max_examples=150, deadline=None)
@given(st.lists(flags, max_size=30), st.lists(st.text(alphabet="abcABİ é", max_size=6), max_size=30),
       st.text(alphabet="abcAB é", min_size=1, max_size=2), st.data())
def test_matching_finds_the_messages_that_hold_the_text_ignoring_case(found, messages, needle, data):
    # Messages of a few letters, so that matches (and matches across two messages) are common.
    table = FlagTable.from_flags([f._replace(message=m) for f, m in zip(found, messages + [""] * len(found))])
    view = table.where(severities={"breach", "attention"})
    chosen = data.draw(st.sets(st.integers(0, max(0, len(view) - 1)))) if len(view) else set()
    assert view.matching(needle.lower(), chosen) == sorted(
        i for i in chosen if needle.lower() in view[i].message.lower())
