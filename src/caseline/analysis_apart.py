"""A long case's worker-change rules worked out in a process of their own, beside the rest.

``caseline flags`` on a whole extract is Python's work more than SQLite's, and one process
uses one core. The worker-change rules (every change of worker, whether the family was told,
stability) read kinds no other rule reads and make most of a long case's flags, so a child
reads those kinds and works them out while this process reads and works out the rest; the two
streams of flags, each in sort order, are merged here (:func:`~caseline.rules.measure.merge_two`).
Each process holds only its own facts.

The child is ``python -m caseline.analysis_apart``, told what to work out on its stdin (never
on its command line, which other users can see), its stderr discarded. Its messages are those
of :mod:`caseline.analysis_child` (a length, then a pickle): ``("subjects", set)`` of the
facts it read, ``("ready",)`` once its rules are worked out, ``("flags", records)``... as it
makes them (plain tuples: a record is cheaper to send and to make again than a
:class:`~caseline.model.Flag`), then ``("end",)``, or ``("error", exception)`` at any point,
raised here where the answer is awaited.

When the child gives no answer (it could not start, or was killed), the rules are worked out
here instead, from the facts read here, and the flags it had sent are not given twice.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import date

from caseline.analysis_child import ChildFailed, answer_one_question, receive_message, send_in_parts
from caseline.model import Flag

__all__ = ["RulesApart"]

#: Flags a message: enough that pickling is not per flag, few enough that both sides work at once.
_FLAGS_A_MESSAGE = 2_000

_WHAT = "the worker-change rules' child"


class RulesApart:
    """The rules *rule_ids* of *case_id* in *path*, as of *as_of* (``None``: as the case is
    judged), under way in a child process from construction.

    Ask in this order: :meth:`subjects` (if wanted), :meth:`ready`, then read :meth:`flags`
    once. :meth:`stop` ends the child early. Give :meth:`if_it_fails` the same work done here
    before asking.
    """

    def __init__(self, path: str, case_id: str, as_of: date | None, rule_ids: Iterable[str]) -> None:
        from caseline.store.apart import start_python_module

        self._here: Callable[[], tuple[set[str], Iterator[Flag]]] | None = None
        self._worked_here: tuple[set[str], Iterator[Flag]] | None = None
        self._subjects: set[str] | None = None
        self._ready = False
        try:
            self._process = start_python_module("caseline.analysis_apart")
        except OSError:
            self._process = None
            return
        question = json.dumps([path, case_id, as_of.isoformat() if as_of else "", sorted(rule_ids)])
        try:
            self._process.stdin.write(question.encode() + b"\n")
        except OSError:
            pass  # it has ended already: the rules are worked out here
        finally:
            self._process.stdin.close()

    def if_it_fails(self, here: Callable[[], tuple[set[str], Iterator[Flag]]]) -> None:
        """*here()* gives what the child would have (its subjects and flags), worked out here."""
        self._here = here

    def subjects(self) -> set[str]:
        """The subjects of the facts the child read (the case's children, when it names none,
        are the subjects of every fact)."""
        while self._subjects is None and self._worked_here is None:
            self._next()
        return self._subjects if self._worked_here is None else self._worked_here[0]

    def ready(self) -> None:
        """Wait until the child's rules are worked out; raise its error if it met one."""
        while not self._ready and self._worked_here is None:
            self._next()

    def flags(self) -> Iterator[Flag]:
        """The child's flags in sort order, made again from its records as they come."""
        last = None
        try:
            while self._worked_here is None:
                message = self._next()
                if message is None:
                    break
                if message[0] == "end":
                    return
                if message[0] == "flags" and message[1]:
                    part = _flags_of(message[1])  # a part at a time: one yield from, not one yield a flag
                    yield from part
                    last = part[-1].sort_key
            # The child ended part of the way: the rest are worked out here.
            for flag in self._worked_here[1]:
                if last is None or flag.sort_key > last:
                    yield flag
        finally:
            self.stop()

    def _next(self):
        """The child's next message, settling subjects and readiness; ``None`` once the work
        is being done here instead."""
        if self._worked_here is not None:
            return None
        try:
            if self._process is None:
                raise ChildFailed(f"{_WHAT} could not start")
            message = receive_message(self._process, _WHAT)
        except ChildFailed:
            self.stop()
            if self._here is None:
                raise
            self._worked_here = self._here()
            return None
        if message[0] == "subjects":
            self._subjects = message[1]
        elif message[0] == "ready":
            self._ready = True
        elif message[0] == "error":
            self.stop()
            raise message[1]
        return message

    def stop(self) -> None:
        """End the child if it is still at work."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()


def _flags_of(records: list[tuple]) -> list[Flag]:
    """The child's part made back into flags: each record is a flag's fields as a plain tuple
    (its days pickled once a part however often they come), so no field is looked at."""
    made = tuple.__new__
    return [made(Flag, record) for record in records]


# The child ---------------------------------------------------------------------------------


def _analyse_here(conn, question: list, send: Callable) -> None:
    from caseline.analysis import _analyse

    case_id, as_of_text, rule_ids = question
    _, flags = _analyse(conn, case_id, date.fromisoformat(as_of_text) if as_of_text else None, False,
                        lazy=True, alongside=False, only=frozenset(rule_ids),
                        on_subjects=lambda subjects: send(("subjects", subjects)))
    send(("ready",))
    send_in_parts(send, flags, _FLAGS_A_MESSAGE, lambda part: [tuple(flag) for flag in part])


if __name__ == "__main__":
    sys.exit(answer_one_question(_analyse_here))
