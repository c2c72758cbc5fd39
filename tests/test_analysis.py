"""CaseAnalysis: one computation per (file, case, as-of, change), shared by every reader."""

from __future__ import annotations

from datetime import date

import pytest

import caseline.rules.engine as engine
from caseline.analysis import analyse, clear_cache
from caseline.samples import build_sample_database
from caseline.store import open_database

LEICS = "leicestershire-21-018-990"


@pytest.fixture
def counted(monkeypatch):
    calls = []
    real = engine.iter_flags

    def counting(*args, **kwargs):
        calls.append(kwargs.get("as_of"))
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "iter_flags", counting)
    clear_cache()
    yield calls
    clear_cache()


def test_the_same_question_is_answered_once(tmp_path, counted):
    db = tmp_path / "s.db"
    build_sample_database(db)
    first = open_database(db, read_only=True)
    second = open_database(db, read_only=True)  # another worker's connection
    a = analyse(first, LEICS)
    b = analyse(second, LEICS)
    assert a is b and len(counted) == 1
    assert a.as_of is not None and a.flags and a.rules["cin_visits"].id == "cin_visits"
    assert set(a.anchors) == {event_id for flag in a.flags for event_id in flag.events}
    later = analyse(first, LEICS, date(2021, 12, 1))  # another as-of is another question
    assert later is not a and len(counted) == 2
    assert all(flag.start <= date(2021, 12, 1) for flag in later.flags)
    first.close()
    second.close()


def test_a_write_to_the_file_is_seen(tmp_path, counted):
    db = tmp_path / "s.db"
    build_sample_database(db)
    reader = open_database(db, read_only=True)
    before = analyse(reader, LEICS)
    writer = open_database(db)
    writer.execute("INSERT INTO events (case_id, date_start, kind, summary) VALUES (?, '2022-06-01', 'cin_visit', 'x')",
                   (LEICS,))
    writer.close()
    after = analyse(reader, LEICS)
    assert after is not before and len(counted) == 2
    reader.close()


