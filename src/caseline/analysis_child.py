"""A long case's analysis in a process of its own, started at once and collected later.

The engine is Python and holds the interpreter's lock while it works: run in a thread of the
explorer, it takes turns with the timeline's own reading and the two add up (a million events:
index, lanes and flags one after another). In a child process it runs on the other core while
the explorer reads the timeline, and what it reads (its facts) is freed when the child ends.

The child is ``python -m caseline.analysis_child``, told what to analyse on its stdin (never on
its command line, which other users can see). It opens the database read-only, runs
:func:`caseline.analysis.analyse_streamed` and writes messages to its stdout, each its length
and then its pickle, for the process that started it alone: ``("progress", done, total)`` as
the rules finish, ``("head", the analysis without its flags)``, ``("flags", part)``... and
``("end",)``, or ``("error", exception)`` at any point. Nothing goes anywhere else: its stderr
is discarded (a traceback might quote a record) and it never touches the network.

Flags cross as columns (:class:`~caseline.flag_table.FlagTable` parts: arrays, and the keys and
messages compressed, which the child makes on its own core), in parts of 20,000 as the engine
makes them; the parent appends each to one table and makes no record of them. The start days
of their events (anchors) are the parent's to find.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import struct
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date

from caseline.analysis import CaseAnalysis, collector_paused
from caseline.flag_table import FlagTable, FlagTableBuilder

__all__ = ["ChildAnalysis", "AnalysisStopped", "ChildFailed"]

#: Each message is its length (8 bytes) and then its pickle, compressed when the length's top
#: bit is set.
_HEADER = struct.Struct("!Q")
_COMPRESSED = 1 << 63
#: Flags a message: big enough that pickling is not per flag, small enough to overlap.
_FLAGS_A_MESSAGE = 20_000


class AnalysisStopped(Exception):
    """The analysis was stopped (the case was left) before it finished."""


class ChildFailed(RuntimeError):
    """The child ended without an answer (it could not start, or was killed): the caller may
    analyse in its own process instead."""


class ChildAnalysis:
    """The analysis of *case_id* in *path*, under way in a child process from construction.

    :meth:`result` waits for it (calling *progress* as the rules finish) and :meth:`stop`
    ends it early. The child is a daemon of this process in all but name: :meth:`stop` is
    also called when the object is collected.
    """

    def __init__(self, path: str, case_id: str, as_of: date | None = None, *,
                 flags_a_message: int | None = None) -> None:
        self.case_id = case_id
        self._path = path
        from caseline.store.apart import start_python_module

        self._process = start_python_module("caseline.analysis_child")
        # The question goes on stdin, not the command line: other users can read that (ps),
        # and a case id or a file name may name a family.
        question = json.dumps([path, case_id, as_of.isoformat() if as_of else "", flags_a_message or _FLAGS_A_MESSAGE])
        try:
            self._process.stdin.write(question.encode() + b"\n")
        except BrokenPipeError:
            pass  # it has ended already: result() says so
        finally:
            self._process.stdin.close()

    def result(self, progress: Callable[[int, int], None] | None = None,
               cancelled: Callable[[], bool] | None = None,
               anchors: Mapping[int, int] | None = None) -> CaseAnalysis:
        """The analysis, once the child has sent it all; its flags are a
        :class:`~caseline.flag_table.FlagTable`, filled part by part as they arrive.

        *anchors* gives the start days of the events the flags rest on (the explorer has them
        in its index, and hands over a look-up rather than a copy); by default they are read
        from the database.

        Raises:
            AnalysisStopped: when *cancelled* turned true first (the child is ended).
            ChildFailed: when it ended without an answer.
            the child's own exception (a :class:`~caseline.store.StoreError`, a
            :class:`~caseline.dates.DateError`...).
        """
        head, flags = None, FlagTable()
        try:
            while True:
                message = self._receive(cancelled)
                if message[0] == "progress":
                    if progress is not None:
                        progress(message[1], message[2])
                elif message[0] == "head":
                    head = message[1]
                elif message[0] == "flags":
                    flags.add_part(message[1])
                elif message[0] == "end":
                    break
                else:
                    raise message[1]
        finally:
            self.stop()
        if anchors is None:
            anchors = self._stored_anchors(flags.event_ids())
        return replace(head, flags=flags, anchors=anchors)

    def _stored_anchors(self, event_ids: set[int]) -> Mapping[int, int]:
        from caseline.store import open_database
        from caseline.store.timeline import anchor_dates

        conn = open_database(self._path, read_only=True)
        try:
            return anchor_dates(conn, event_ids)
        finally:
            conn.close()

    def _receive(self, cancelled: Callable[[], bool] | None):
        return receive_message(self._process, f"the analysis of {self.case_id}", cancelled,
                               lambda: AnalysisStopped(self.case_id))

    def stop(self) -> None:
        process = self._process
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __del__(self) -> None:
        try:
            self.stop()
        except Exception:
            pass


def receive_message(process: subprocess.Popen, what: str, cancelled: Callable[[], bool] | None = None,
                    stopped: Callable[[], Exception] | None = None):
    """The next message from a child of this kind (its length, then its pickle).

    Raises:
        ChildFailed: the child ended first (*what* names its work in the message).
        *stopped()*: *cancelled* turned true while waiting (looked at every tenth of a second).
    """
    (header,) = _HEADER.unpack(_read_exactly(process, _HEADER.size, what, cancelled, stopped))
    return message_of(header, _read_exactly(process, header & ~_COMPRESSED, what, cancelled, stopped))


def message_of(header: int, body: bytes):
    """The message *body* holds, given the *header* it came with."""
    if header & _COMPRESSED:
        import zlib

        body = zlib.decompress(body)
    return pickle.loads(body)


def _read_exactly(process: subprocess.Popen, size: int, what: str, cancelled, stopped) -> bytes:
    """Exactly *size* bytes from the child (a pipe gives them in pieces)."""
    fd = process.stdout.fileno()
    parts, wanted = [], size
    while wanted:
        while cancelled is not None:
            if cancelled():
                raise stopped()
            if select.select([fd], [], [], 0.1)[0]:
                break
        part = os.read(fd, min(wanted, 1 << 20))
        if not part:
            code = process.wait()
            raise ChildFailed(f"{what} ended without an answer (exit {code})")
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


#: Bytes of messages a child holds made but not yet taken by its parent: enough that it goes
#: on with its flags while the parent reads its own facts (a pipe holds 64 KiB, a message of
#: flags hundreds), few enough that memory does not grow with the case.
SEND_AHEAD_BYTES = 8 << 20


#: A message at least this large is compressed while half the allowance is held.
_COMPRESS_FROM = 64 << 10


class MessageSender:
    """Called with a message, pickles it and hands it to a thread that writes it to *out* (a
    child's stdout), holding up to *ahead* bytes not yet written: the child makes its next
    messages while the parent is busy rather than waiting on the pipe. A message larger than
    *ahead* waits until the others are written. :meth:`close` writes what is held and ends
    the thread.

    While the parent lags (half the allowance held), large messages are compressed (zlib's
    fastest: a part of worker-change flags shrinks ninefold for a millisecond here and less
    than half of one there), so the allowance holds that much more of the child's work: a
    whole extract's child otherwise stood idle a second and more while its parent read.

    Raises (from a call, or from :meth:`close`):
        the writing thread's ``OSError`` (``BrokenPipeError``: the parent has gone).
    """

    def __init__(self, out, ahead: int = SEND_AHEAD_BYTES) -> None:
        import threading
        from collections import deque

        self._out, self._ahead = out, ahead
        self._held: deque[bytes] = deque()
        self._held_bytes = 0
        self._closed = False
        self._error: OSError | None = None
        self._turn = threading.Condition()
        self._thread = threading.Thread(target=self._write_held, name="messages", daemon=True)
        self._thread.start()

    def __call__(self, message) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) >= _COMPRESS_FROM and self._held_bytes + len(data) > self._ahead // 2:
            import zlib

            data = zlib.compress(data, 1)
            data = _HEADER.pack(len(data) | _COMPRESSED) + data
        else:
            data = _HEADER.pack(len(data)) + data
        with self._turn:
            while self._error is None and self._held_bytes and self._held_bytes + len(data) > self._ahead:
                self._turn.wait()
            if self._error is not None:
                raise self._error
            self._held.append(data)
            self._held_bytes += len(data)
            self._turn.notify_all()

    def close(self) -> None:
        with self._turn:
            self._closed = True
            self._turn.notify_all()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _write_held(self) -> None:
        while True:
            with self._turn:
                while not self._held and not self._closed:
                    self._turn.wait()
                if not self._held:
                    return
                data = self._held[0]
            try:  # the lock is not held while writing: a full pipe blocks here alone
                self._out.write(data)
                self._out.flush()
            except OSError as exc:
                with self._turn:
                    self._error = exc
                    self._held.clear()
                    self._turn.notify_all()
                return
            with self._turn:
                self._held.popleft()
                self._held_bytes -= len(data)
                self._turn.notify_all()


# The child ---------------------------------------------------------------------------------


def answer_one_question(work: Callable[[object, list, Callable], None]) -> int:
    """A child's whole life: read the question (a JSON list whose first item is the database's
    path) from stdin, open that database read-only and call ``work(conn, rest, send)``, then
    send ``("end",)``, or ``("error", exception)`` if *work* raised. The exit status is 1 only
    when the parent has gone (before asking, or before the answer)."""
    from caseline.store import open_database

    try:
        path, *rest = json.loads(sys.stdin.readline())
    except (ValueError, TypeError):  # no question or half of one: the parent went before asking
        return 1
    out = sys.stdout.buffer
    sys.stdout = open(os.devnull, "w")  # nothing but messages on the pipe
    send = MessageSender(out)
    try:
        try:
            conn = open_database(path, read_only=True)
            try:
                with collector_paused():
                    work(conn, rest, send)
            finally:
                conn.close()
            send(("end",))
        except BrokenPipeError:
            raise
        except Exception as exc:  # sent, to be raised where the answer is awaited
            try:
                send(("error", exc))
            except BrokenPipeError:
                raise
            except Exception:  # an exception that will not pickle goes as its words
                send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        send.close()
    except BrokenPipeError:
        return 1  # the parent has gone: nobody is waiting
    return 0


def send_in_parts(send: Callable, items, size: int, pack: Callable[[list], object]) -> None:
    """Send *items* as ``("flags", pack(part))`` messages of *size* at most, the last always
    sent (perhaps empty), so the receiver never waits on a part that is not coming."""
    part: list = []
    for item in items:
        part.append(item)
        if len(part) >= size:
            send(("flags", pack(part)))
            part = []
    send(("flags", pack(part)))


def _analyse_here(conn, question: list, send: Callable) -> None:
    from caseline.analysis import analyse_streamed

    case_id, as_of_text, flags_a_message = question
    head, flags = analyse_streamed(conn, case_id, date.fromisoformat(as_of_text) if as_of_text else None,
                                   progress=lambda done, total: send(("progress", done, total)),
                                   alongside=False)
    send(("head", head))
    # Sent as they are made: the child never holds them all, and the explorer makes records
    # of each part while the engine makes the next.
    send_in_parts(send, flags, flags_a_message, FlagTableBuilder().part)


if __name__ == "__main__":
    sys.exit(answer_one_question(_analyse_here))
