"""A long case's own scans (its last day, its visits summed up by day) run in a child process
beside the reading of its facts: the child's answer is the one the scans give here, it is
asked on its stdin, and when it gives none the caller does the scans itself."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
import sqlite_utils

import caseline.analysis as analysis
import caseline.store.apart as apart
from caseline.store import open_database
from caseline.store.apart import ScansApart, case_scans

VISITS = ["cin_visit", "cp_visit"]


class _Unused:
    """A connection the caller must not touch: the child was to answer."""

    def __getattr__(self, name):
        raise AssertionError(f"the scans were done in the caller ({name})")


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "c.db"
    db = sqlite_utils.Database(path)
    db["cases"].insert({"id": "c", "title": "Case", "illustrative": 1}, pk="id")
    events = [{"id": 1, "case_id": "c", "kind": "cin_plan_start", "date_start": "2021-01-04", "subject": "A"}]
    for n in range(2, 40):
        events.append({"id": n, "case_id": "c", "kind": VISITS[n % 2], "date_start": f"2021-{1 + n % 12:02d}-{1 + n % 27:02d}",
                       "date_end": None, "subject": "AB"[n % 3 % 2]})
    # A day with two kinds and two subjects, one dated from another event, one running on.
    events += [{"id": 40, "case_id": "c", "kind": "cin_visit", "date_start": "2021-06-09", "subject": "A"},
               {"id": 41, "case_id": "c", "kind": "cp_visit", "date_start": "2021-06-09", "subject": "B",
                "relative_to": "r1", "offset_days": 3},
               {"id": 42, "case_id": "c", "kind": "cin_visit", "date_start": "2021-07-01", "date_end": "2022-02-01"}]
    db["events"].insert_all(events, pk="id", alter=True)
    db.conn.close()
    return path


def _same(found, expected):
    (end, visits), (expected_end, expected_visits) = found, expected
    assert end == expected_end
    assert visits.case_id == expected_visits.case_id
    assert visits.groups == expected_visits.groups
    assert visits.readable == expected_visits.readable
    assert visits.subjects_by_kind() == expected_visits.subjects_by_kind()


def test_the_childs_answer_is_the_one_the_scans_give_here(db_path):
    conn = open_database(db_path, read_only=True)
    try:
        here = case_scans(conn, "c", VISITS, with_end=True)
        found = ScansApart(str(db_path), "c", VISITS, with_end=True).result(_Unused())
        _same(found, here)
        assert found[0] == date(2022, 2, 1)
        assert len(found[1].groups) == 41  # 38 days of one kind and subject, 9 June's two, one running on
        # The summary from the child answers questions of the caller's connection alike.
        assert found[1].spaced(conn, VISITS, date(2021, 1, 1), date(2021, 12, 31), 20) \
            == here[1].spaced(conn, VISITS, date(2021, 1, 1), date(2021, 12, 31), 20)
        # Only what was asked for is scanned.
        assert ScansApart(str(db_path), "c", None, with_end=False).result(_Unused()) == (None, None)
    finally:
        conn.close()


def test_days_not_written_as_text_come_back_unreadable(tmp_path):
    path = tmp_path / "n.db"
    db = sqlite_utils.Database(path)
    db["events"].insert_all([{"id": 1, "case_id": "c", "kind": "cin_visit", "date_start": 20210104}], pk="id")
    db.conn.close()
    conn = open_database(path, read_only=True)
    try:
        found = ScansApart(str(path), "c", VISITS, with_end=False).result(_Unused())
        assert found[1].readable is False
        _same(found, case_scans(conn, "c", VISITS, with_end=False))
    finally:
        conn.close()


def test_the_question_goes_on_stdin_not_the_command_line(db_path):
    scans = ScansApart(str(db_path), "c", VISITS, with_end=True)
    try:
        assert scans._process.args == [sys.executable, "-m", "caseline.store.apart"]
    finally:
        scans.stop()


def _child(code: str):
    def start(module: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, bufsize=0)
    return start


def _cannot_start(module: str):
    raise OSError("no such interpreter")


@pytest.mark.parametrize("start", [
    _child("import sys; sys.stdin.read(); sys.exit(3)"),  # an error
    _child("import sys; sys.stdin.read(); sys.stdout.write('not a marshal')"),  # a garbled answer
    _child("import marshal, sys; sys.stdin.read(); sys.stdout.buffer.write(marshal.dumps((1, 2, 3)))"),  # wrong shape
    _child("import os; os.kill(os.getpid(), 9)"),  # killed
    _cannot_start,
], ids=["error", "garbled", "wrong-shape", "killed", "cannot-start"])
def test_a_child_that_gives_no_answer_leaves_the_scans_to_the_caller(db_path, monkeypatch, start):
    monkeypatch.setattr(apart, "start_python_module", start)
    conn = open_database(db_path, read_only=True)
    try:
        _same(ScansApart(str(db_path), "c", VISITS, with_end=True).result(conn),
              case_scans(conn, "c", VISITS, with_end=True))
    finally:
        conn.close()


def test_stop_ends_a_child_still_at_work(db_path, monkeypatch):
    monkeypatch.setattr(apart, "start_python_module", _child("import time; time.sleep(120)"))
    scans = ScansApart(str(db_path), "c", VISITS, with_end=True)
    process = scans._process
    scans.stop()
    assert process.returncode == -9
    scans.stop()  # twice is harmless


def test_an_analysis_that_fails_while_the_child_works_ends_the_child(db_path, monkeypatch):
    monkeypatch.setattr(analysis, "STREAM_VISITS_OVER", 0)
    monkeypatch.setattr(analysis, "SCANS_APART_OVER", 0)
    monkeypatch.setattr(apart, "start_python_module", _child("import time; time.sleep(120)"))
    started = []
    real_init = ScansApart.__init__

    def recorded(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        started.append(self._process)

    monkeypatch.setattr(ScansApart, "__init__", recorded)

    def broken(*args, **kwargs):
        raise RuntimeError("the facts could not be read")

    import caseline.store as store

    monkeypatch.setattr(store, "load_facts", broken)
    analysis.clear_cache()
    conn = open_database(db_path, read_only=True)
    try:
        with pytest.raises(RuntimeError, match="could not be read"):
            analysis.analyse(conn, "c", date(2022, 6, 30))
    finally:
        conn.close()
        analysis.clear_cache()
    assert len(started) == 1 and started[0].returncode == -9


def test_a_long_case_judged_with_its_scans_apart_is_judged_as_with_them_here(db_path, monkeypatch):
    monkeypatch.setattr(analysis, "STREAM_VISITS_OVER", 0)
    here = []
    real = apart.case_scans
    monkeypatch.setattr(apart, "case_scans", lambda *args, **kwargs: here.append(args[1]) or real(*args, **kwargs))
    conn = open_database(db_path, read_only=True)
    try:
        found = {}
        for over in (0, 10**9):  # scans in a child; scans here
            monkeypatch.setattr(analysis, "SCANS_APART_OVER", over)
            analysis.clear_cache()
            found[over] = analysis.analyse(conn, "c")
        analysis.clear_cache()
    finally:
        conn.close()
    assert here == ["c"]  # once, for the second
    assert found[0].flags and found[0].flags == found[10**9].flags
    assert found[0].as_of == found[10**9].as_of == date(2022, 2, 1)
