"""A long case's analysis in a child process gives what the analysis in this process gives,
reports its progress, passes its errors on, and stops when asked."""

from __future__ import annotations

import pytest

from caseline.analysis import analyse, clear_cache
from caseline.analysis_child import AnalysisStopped, ChildAnalysis
from caseline.flag_table import FlagTable
from caseline.samples import build_sample_database
from caseline.store import StoreError, list_cases, open_database


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    path = tmp_path_factory.mktemp("child") / "samples.db"
    build_sample_database(path)
    return path


def test_every_sample_case_comes_back_from_the_child_as_it_is_here(samples):
    """Flags, anchors, rules, people, as-of: all equal, with the flags sent three at a time."""
    conn = open_database(samples, read_only=True)
    cases = [case.id for case in list_cases(conn)]
    clear_cache()
    here = {case_id: analyse(conn, case_id) for case_id in cases}
    conn.close()
    for case_id in cases:
        seen = []
        child = ChildAnalysis(str(samples), case_id, flags_a_message=3)
        apart = child.result(progress=lambda done, total: seen.append((done, total)))
        assert apart == here[case_id]
        if here[case_id].flags:
            assert seen and seen[-1][0] == seen[-1][1]  # every rule done
    assert sum(len(a.flags) for a in here.values()) > 50


def test_the_flags_come_as_a_table_in_sort_order(samples):
    """Sent three at a time, each part's new rules and severities extend the codes before."""
    conn = open_database(samples, read_only=True)
    clear_cache()
    here = analyse(conn, "leicestershire-21-018-990")
    conn.close()
    apart = ChildAnalysis(str(samples), "leicestershire-21-018-990", flags_a_message=3).result()
    assert isinstance(apart.flags, FlagTable) and len(apart.flags) == len(here.flags) > 6
    assert any(f.due is not None for f in apart.flags) and any(f.due is None for f in apart.flags)
    assert list(apart.flags) == list(here.flags)
    assert [f.sort_key for f in apart.flags] == sorted(f.sort_key for f in apart.flags)


def test_the_childs_error_is_raised_here(samples):
    with pytest.raises(StoreError, match="no case 'nobody'"):
        ChildAnalysis(str(samples), "nobody").result()


def test_a_stopped_analysis_ends_its_child(samples):
    child = ChildAnalysis(str(samples), "leicestershire-21-018-990")
    with pytest.raises(AnalysisStopped):
        child.result(cancelled=lambda: True)
    assert child._process.poll() is not None  # the process has ended and been reaped


def test_the_case_and_the_file_are_not_on_the_childs_command_line(samples):
    """Any user of the machine can read a process's command line (ps): the question goes on
    the child's stdin."""
    child = ChildAnalysis(str(samples), "leicestershire-21-018-990")
    command = " ".join(child._process.args)
    assert "leicestershire" not in command and str(samples) not in command and "samples" not in command
    assert child.result().case.id == "leicestershire-21-018-990"


def test_a_child_that_cannot_start_says_so(samples, monkeypatch):
    import caseline.analysis_child as analysis_child

    monkeypatch.setattr(analysis_child.sys, "executable", "/bin/false")
    with pytest.raises(analysis_child.ChildFailed, match="ended without an answer"):
        ChildAnalysis(str(samples), "leicestershire-21-018-990").result()



def _messages_in(data: bytes) -> tuple[list, int]:
    """The messages in *data*, and how many came compressed."""
    from caseline.analysis_child import _COMPRESSED, _HEADER, message_of

    found, compressed, at = [], 0, 0
    while at < len(data):
        (header,) = _HEADER.unpack_from(data, at)
        size = header & ~_COMPRESSED
        found.append(message_of(header, data[at + _HEADER.size: at + _HEADER.size + size]))
        compressed += bool(header & _COMPRESSED)
        at += _HEADER.size + size
    return found, compressed


def test_a_child_goes_on_sending_while_its_parent_reads_nothing_and_loses_nothing():
    """Messages beyond what a pipe holds are taken while nobody reads (the child goes on
    with its work), then arrive whole and in order."""
    import os
    import threading

    from caseline.analysis_child import MessageSender

    read_end, write_end = os.pipe()
    sent = [("flags", list(range(n, n + 30_000))) for n in range(8)]  # each more than a pipe holds
    with os.fdopen(write_end, "wb") as out, os.fdopen(read_end, "rb") as back:
        send = MessageSender(out, ahead=16 << 20)
        for message in sent:
            send(message)  # returns, although nothing has been read
        send(("end",))
        received: list[bytes] = []
        reader = threading.Thread(target=lambda: received.append(back.read()))
        reader.start()
        send.close()  # once it returns, everything is written
        out.close()
        reader.join()
    messages, compressed = _messages_in(received[0])
    assert messages == [*sent, ("end",)]
    assert compressed == 0  # never half the allowance held


def test_while_the_parent_lags_large_messages_go_compressed_and_arrive_as_sent():
    """Once half the allowance is held, each large message is compressed: more of them fit."""
    import os
    import threading

    from caseline.analysis_child import MessageSender

    read_end, write_end = os.pipe()
    sent = [("flags", [f"Allocated worker changed from W{n} to W{n + 1}" for n in range(k, k + 5000)])
            for k in range(12)]  # about 300 KB a message before compression
    with os.fdopen(write_end, "wb") as out, os.fdopen(read_end, "rb") as back:
        send = MessageSender(out, ahead=1 << 20)
        for message in sent:
            send(message)  # twelve of them fit in 1 MiB only compressed
        received: list[bytes] = []
        reader = threading.Thread(target=lambda: received.append(back.read()))
        reader.start()
        send.close()
        out.close()
        reader.join()
    messages, compressed = _messages_in(received[0])
    assert messages == sent
    assert 0 < compressed < len(sent)  # the first went plain, while little was held


def test_a_child_holds_no_more_than_its_allowance_of_unsent_messages():
    """While the parent takes nothing, sending waits once the allowance is held."""
    import threading

    from caseline.analysis_child import MessageSender

    allowed_writes = threading.Semaphore(0)
    written: list[bytes] = []

    class SlowPipe:
        def write(self, data):
            allowed_writes.acquire()
            written.append(bytes(data))

        def flush(self):
            pass

    held_after_each: list[int] = []

    class Watched(MessageSender):
        def __call__(self, message):
            super().__call__(message)
            held_after_each.append(self._held_bytes)

    message = ("flags", b"x" * 100_000)
    send = Watched(SlowPipe(), ahead=350_000)
    sending = threading.Thread(target=lambda: [send(message) for _ in range(10)])
    sending.start()
    for _ in range(10):
        allowed_writes.release()
    sending.join()
    send.close()
    assert len(written) == 10 and len(held_after_each) == 10
    assert max(held_after_each) <= 350_000  # three messages at most, never all ten


def test_a_parent_that_has_gone_is_told_to_the_child():
    import os

    from caseline.analysis_child import MessageSender

    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "wb") as out:
        send = MessageSender(out)
        send(("flags", b"x" * 200_000))
        with pytest.raises(BrokenPipeError):
            send.close()
