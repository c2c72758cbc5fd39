"""Flags as a terminal table, JSON or CSV (``caseline flags``).

JSON is written with ``ensure_ascii`` so control characters travel as ``\\uNNNN`` escapes;
CSV cells are neutralised and made formula-safe; the table is cleaned for the terminal.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import TextIO

from caseline.analysis import CaseAnalysis
from caseline.model import Flag
from caseline.sanitize import clean, spreadsheet_safe

CSV_COLUMNS = ("key", "kind", "rule", "severity", "certainty", "start", "end", "due", "events", "message")


def flags_json(analysis: CaseAnalysis, out: TextIO) -> None:
    """One JSON object per flag, in a list."""
    # One flag a line: readable, and each line uses the C encoder (``indent`` would not).
    out.write("[\n")
    out.write(",\n".join(json.dumps(flag.to_dict(), ensure_ascii=True) for flag in analysis.flags))
    out.write("\n]\n" if analysis.flags else "]\n")


def flags_csv(analysis: CaseAnalysis, out: TextIO) -> None:
    """A header row and one row per flag; cells are formula-safe."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for flag in analysis.flags:
        row = flag.to_dict()
        row["events"] = " ".join(str(e) for e in flag.events)
        writer.writerow([spreadsheet_safe(row[k]) if row[k] is not None else "" for k in CSV_COLUMNS])


def _span(flag: Flag) -> str:
    if flag.start == flag.end:
        return flag.start.isoformat()
    return f"{flag.start.isoformat()}..{flag.end.isoformat()}"


def flags_table(analysis: CaseAnalysis, console) -> None:
    """A Rich table on *console*; every cell is plain, cleaned text (never markup)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, header_style="bold")
    for name in ("severity", "certainty", "kind", "rule", "span", "message"):
        table.add_column(name, overflow="fold")
    for flag in analysis.flags:
        table.add_row(*(Text(clean(value)) for value in (
            flag.severity, flag.certainty, flag.kind, flag.rule, _span(flag), flag.message)))
    console.print(table)
    console.print(Text(f"{len(analysis.flags)} flag(s)"))


def write_flags(analysis: CaseAnalysis, fmt: str, out: TextIO, console=None) -> None:
    """Write *analysis*'s flags as ``table``, ``json`` or ``csv``."""
    if fmt == "json":
        flags_json(analysis, out)
    elif fmt == "csv":
        flags_csv(analysis, out)
    else:
        if console is None:
            from rich.console import Console

            console = Console(file=out)
        flags_table(analysis, console)


__all__: Sequence[str] = ("write_flags", "flags_json", "flags_csv", "flags_table", "CSV_COLUMNS")
