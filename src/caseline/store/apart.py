"""A long case's own scans in a process of their own: its last day, and its visits summed up
by day (:class:`~caseline.store.reads.VisitDays`), while the caller reads the facts.

Both scans are SQLite's work, but run in a thread beside the reading of the facts they take
turns with it for Python's lock at every row SQLite steps to. At a million events the facts
took 0.74-0.97 s that way and 0.56-0.60 s with the scans in a child; one after the other,
facts and scans took 0.74-0.91 s.

The child is ``python -m caseline.store.apart``, told what to scan on its stdin (never on its
command line, which other users can see). Its stderr is discarded (a traceback might quote a
record), and its answer is one :mod:`marshal` of plain values on its stdout, for the process
that started it alone. When it gives no answer (it could not start, was killed, or met an
error), the scans are done in the caller's process, so an error is raised there as it would
have been without the child.
"""

from __future__ import annotations

import json
import marshal
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterable
from datetime import date

from caseline.store.reads import VisitDays, chronology_end

__all__ = ["ScansApart", "case_scans", "start_python_module"]


def start_python_module(module: str) -> subprocess.Popen:
    """``python -m module`` as a child with pipes to its stdin and stdout, its stderr
    discarded; it imports what this process imported (the same paths, however it started)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, bufsize=0, env=env)


def case_scans(conn: sqlite3.Connection, case_id: str, visit_kinds: Iterable[str] | None, *,
               with_end: bool) -> tuple[date | None, VisitDays | None]:
    """The case's last day (``None`` unless *with_end*) and the summary of its events of
    *visit_kinds* (``None`` when none are given)."""
    return (chronology_end(conn, case_id) if with_end else None,
            VisitDays(conn, case_id, visit_kinds) if visit_kinds is not None else None)


class ScansApart:
    """:func:`case_scans` of *case_id* in the database file *path*, under way in a child
    process from construction; :meth:`result` gives them, :meth:`stop` ends the child early."""

    def __init__(self, path: str, case_id: str, visit_kinds: Iterable[str] | None, *, with_end: bool) -> None:
        self._question = (case_id, None if visit_kinds is None else sorted(set(visit_kinds)), with_end)
        try:
            self._process: subprocess.Popen | None = start_python_module("caseline.store.apart")
        except OSError:
            self._process = None
            return
        try:
            self._process.stdin.write(json.dumps([path, *self._question]).encode())
        except OSError:
            pass  # it has ended already: result() does the scans here
        finally:
            self._process.stdin.close()

    def result(self, conn: sqlite3.Connection) -> tuple[date | None, VisitDays | None]:
        """The scans' answer, waiting for the child; done on *conn* when it gave none."""
        answer = self._answer()
        if answer is not None:
            return answer
        case_id, kinds, with_end = self._question
        return case_scans(conn, case_id, kinds, with_end=with_end)

    def _answer(self) -> tuple[date | None, VisitDays | None] | None:
        process, self._process = self._process, None
        if process is None:
            return None
        with process.stdout:
            sent = process.stdout.read()
        if process.wait() != 0:
            return None
        try:
            end, groups = marshal.loads(sent)
            return (None if end is None else date.fromordinal(end),
                    None if groups is None else VisitDays.of_groups(self._question[0], groups))
        except (EOFError, ValueError, TypeError):
            return None

    def stop(self) -> None:
        """End the child if it is still at work (the caller met an error first)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.stdout.close()
            process.wait()


def _main() -> int:
    try:
        path, case_id, kinds, with_end = json.loads(sys.stdin.buffer.read())
        from caseline.store.database import open_database

        conn = open_database(path, read_only=True)
        try:
            end, visits = case_scans(conn, case_id, kinds, with_end=with_end)
        finally:
            conn.close()
        sys.stdout.buffer.write(marshal.dumps((None if end is None else end.toordinal(),
                                               None if visits is None else visits.groups)))
        sys.stdout.buffer.flush()
    except BaseException:  # noqa: BLE001 — the parent does the scans itself, and says what went wrong
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())
