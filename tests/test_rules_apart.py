"""A long case's worker-change rules are worked out in a child process beside the rest when its
flags are written out (``caseline flags``): the flags are the ones one process gives, in the
same order; the child is asked on its stdin; when it fails at the start or part of the way,
the rest are worked out here and none is given twice; its errors are raised here; and it is
ended when the analysis fails first."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import pytest
import sqlite_utils

import caseline.analysis as analysis
import caseline.store.apart as store_apart
from caseline.analysis_apart import RulesApart
from caseline.dates import DateError
from caseline.store import open_database

START = date(2021, 1, 4)


def _case_db(path, *, children=("A", "B")):
    """A case with many changes of worker (some told in time, some late, some never, a few
    told by nobody in particular, one a range), visits, a child only the worker records name,
    and other kinds."""
    db = sqlite_utils.Database(path)
    db["cases"].insert({"id": "c", "title": "Case", "illustrative": 1}, pk="id")
    events, n = [], 0

    def add(kind, day, **more):
        nonlocal n
        n += 1
        events.append({"id": n, "case_id": "c", "ref": f"r{n}", "kind": kind,
                       "date_start": (START + timedelta(days=day)).isoformat(), **more})

    add("cin_plan_start", 0)  # every child's
    for k in range(60):
        day = 7 * k
        add("worker_allocated", day, actor=f"W{k % 7}", subject="C" if k == 5 else "")
        if k % 3 == 0:
            add("family_informed", day + 2, actor=f"W{k % 7}")
        elif k % 3 == 1:
            add("family_informed", day + 30, actor="")
        if k % 10 == 0:
            add("cin_visit", day + 1, subject="AB"[k % 2])
    add("worker_allocated", 500, actor="W9", date_end=(START + timedelta(days=530)).isoformat())
    add("strategy_discussion", 40, subject="B")
    db["events"].insert_all(events, pk="id", alter=True)
    if children:
        db["people"].insert_all([{"case_id": "c", "id": c, "name": f"Child {c}", "role": "child"} for c in children])
    db.conn.close()
    return path


def _streamed(path, monkeypatch, *, apart: bool):
    monkeypatch.setattr(analysis, "STREAM_VISITS_OVER", 0)
    monkeypatch.setattr(analysis, "RULES_APART_OVER", 0 if apart else 10**9)
    monkeypatch.setattr(analysis, "SCANS_APART_OVER", 10**9)
    conn = open_database(path, read_only=True)
    try:
        with analysis.collector_paused():
            head, flags = analysis.analyse_streamed(conn, "c", date(2022, 6, 30))
            return head, list(flags)
    finally:
        conn.close()


@pytest.fixture
def worked_here(monkeypatch):
    """Calls of the work done here in the child's place."""
    calls = []
    real = analysis._here

    def here(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, "_here", here)
    return calls


@pytest.mark.parametrize("children", [("A", "B"), ()], ids=["named-children", "children-from-subjects"])
def test_the_flags_worked_out_in_two_processes_are_those_of_one(tmp_path, monkeypatch, worked_here, children):
    path = _case_db(tmp_path / "c.db", children=children)
    head, one = _streamed(path, monkeypatch, apart=False)
    head_apart, two = _streamed(path, monkeypatch, apart=True)
    assert two == one
    assert head_apart.as_of == head.as_of
    assert {f.kind for f in one} >= {"worker_change", "family_not_told", "worker_stability"}
    assert worked_here == []  # the child answered: nothing was worked out here in its place
    if not children:  # "C" is named only by a worker record: the rest are judged for it too
        assert any("C" in f.subject.split(",") for f in two if f.subject)


def _child(code: str):
    def start(module: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, bufsize=0)
    return start


#: The real child, killed after it has sent its second part of three flags (each written at
#: once: nothing held back).
_DIES_PART_WAY = """
import os, pickle, sys
import caseline.analysis_apart as apart
import caseline.analysis_child as child
apart._FLAGS_A_MESSAGE = 3
parts = []
class DiesPartWay:
    def __init__(self, out):
        self.out = out
    def __call__(self, message):
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.out.write(child._HEADER.pack(len(data)) + data)
        self.out.flush()
        if message[0] == "flags":
            parts.append(1)
            if len(parts) == 2:
                os._exit(9)
    def close(self):
        pass
child.MessageSender = DiesPartWay
sys.exit(child.answer_one_question(apart._analyse_here))
"""


@pytest.mark.parametrize("child", [
    _child("import sys; sys.stdin.readline(); sys.exit(3)"),  # no answer at all
    _child(_DIES_PART_WAY),
], ids=["fails-at-once", "dies-part-way"])
def test_a_child_that_fails_leaves_the_rest_to_this_process_and_no_flag_comes_twice(
        tmp_path, monkeypatch, worked_here, child):
    path = _case_db(tmp_path / "c.db")
    _, one = _streamed(path, monkeypatch, apart=False)
    monkeypatch.setattr(store_apart, "start_python_module", child)
    _, two = _streamed(path, monkeypatch, apart=True)
    assert two == one
    assert worked_here == [1]


def test_the_childs_error_is_raised_here_before_any_flag(tmp_path, monkeypatch):
    path = _case_db(tmp_path / "c.db")
    monkeypatch.setattr(store_apart, "start_python_module", _child(
        "import sys; sys.stdin.readline()\n"
        "from caseline.analysis_child import MessageSender\n"
        "from caseline.dates import DateError\n"
        "send = MessageSender(sys.stdout.buffer)\n"
        "send(('error', DateError('2021-02-30 is not a day', 'date_start')))\n"
        "send.close()"))
    with pytest.raises(DateError, match="not a day"):
        _streamed(path, monkeypatch, apart=True)


def test_the_question_goes_on_stdin_not_the_command_line(tmp_path):
    path = _case_db(tmp_path / "c.db")
    apart = RulesApart(str(path), "c", None, ["worker_stability"])
    try:
        assert apart._process.args == [sys.executable, "-m", "caseline.analysis_apart"]
    finally:
        apart.stop()


def test_an_analysis_that_fails_first_ends_the_child(tmp_path, monkeypatch):
    path = _case_db(tmp_path / "c.db")
    monkeypatch.setattr(store_apart, "start_python_module", _child("import time; time.sleep(120)"))
    started = []
    real_init = RulesApart.__init__

    def recorded(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        started.append(self._process)

    monkeypatch.setattr(RulesApart, "__init__", recorded)

    def broken(*args, **kwargs):
        raise RuntimeError("the facts could not be read")

    import caseline.store as store

    monkeypatch.setattr(store, "load_facts", broken)
    with pytest.raises(RuntimeError, match="could not be read"):
        _streamed(path, monkeypatch, apart=True)
    assert len(started) == 1 and started[0].returncode == -9


def test_only_rules_that_read_kinds_of_their_own_go_apart(tmp_path):
    conn = open_database(_case_db(tmp_path / "c.db"), read_only=True)
    try:
        from caseline.store import library_for

        rules = library_for(conn, None)
    finally:
        conn.close()
    assert analysis._rules_apart(rules) == {"worker_change_family_told", "worker_stability"}
    from dataclasses import replace

    # Another rule reading the worker records: both would need them, so nothing goes apart.
    shared = dict(rules, cin_visits=replace(rules["cin_visits"], params={**rules["cin_visits"].params,
                                                                         "required": ["worker_allocated"]}))
    assert analysis._rules_apart(shared) == frozenset()


@pytest.mark.parametrize("module", ["caseline.analysis_apart", "caseline.analysis_child"])
@pytest.mark.parametrize("question", [b"", b'["half a ques'])
def test_a_child_whose_parent_went_before_asking_ends_quietly(module, question):
    ended = subprocess.run([sys.executable, "-m", module], input=question, capture_output=True, timeout=60)
    assert (ended.returncode, ended.stdout, ended.stderr) == (1, b"", b"")
