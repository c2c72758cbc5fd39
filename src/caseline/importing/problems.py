"""Collecting what is wrong with an import, one line per problem: ``WHERE: field: what``."""

from __future__ import annotations

from caseline.sanitize import clean

MAX_PROBLEMS = 20


class ImportFailed(Exception):
    """Nothing was imported; ``problems`` lists what is wrong, one line each."""

    def __init__(self, problems: list[str], more: int = 0) -> None:
        self.problems = problems
        self.more = more
        super().__init__(problems[0] if problems else "import failed")


class Problems:
    """Up to :data:`MAX_PROBLEMS` lines, then a count of the rest.

    Every part of a line is cleaned for the terminal: file text (a column name, a value)
    is data and must not reach the user's terminal as escape sequences.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.more = 0

    def add(self, where: str, column: str | None, what: str) -> None:
        if len(self.lines) >= MAX_PROBLEMS:
            self.more += 1
            return
        where, what = clean(where), clean(what)
        self.lines.append(f"{where}: {clean(column)}: {what}" if column else f"{where}: {what}")

    @property
    def count(self) -> int:
        return len(self.lines) + self.more

    def __bool__(self) -> bool:
        return bool(self.lines)

    def raise_if_any(self) -> None:
        if self.lines:
            raise ImportFailed(self.lines, self.more)
