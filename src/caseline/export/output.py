"""Choosing a writer by format, for every ``--format table|json|csv`` command."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO


def write_in_format(fmt: str, out: TextIO, console, *, as_json: Callable[[TextIO], None],
                    as_csv: Callable[[TextIO], None], as_table: Callable[[object], None]) -> None:
    """Run the writer for *fmt* (``json``, ``csv``, else a Rich table on *console* or *out*)."""
    if fmt == "json":
        as_json(out)
    elif fmt == "csv":
        as_csv(out)
    else:
        if console is None:
            from rich.console import Console

            console = Console(file=out)
        as_table(console)
