"""Flags as a terminal table, JSON or CSV (``caseline flags``); every form states its as-of.

* JSON: one object, ``{"case", "as_of", "as_of_source", "as_of_text", "flags": [...]}`` (a
  flag a line inside ``flags``). Each flag carries ``status`` (the honest standing of the
  requirement), ``status_label``, ``citation`` and ``subject`` (the child) besides its
  arithmetic. Written with ``ensure_ascii`` so control characters travel as escapes.
* CSV: a header row, then one row per flag; the as-of is a column of every row (a comment line
  would break CSV readers). Cells are neutralised and made formula-safe.
* Table: a heading naming the case and its as-of, then the flags; cleaned for the terminal.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import Any, TextIO

from caseline.analysis import CaseAnalysis
from caseline.guidance import STATUS_LABELS
from caseline.model import Flag
from caseline.sanitize import clean, spreadsheet_safe

CSV_COLUMNS = ("as_of", "key", "kind", "rule", "severity", "certainty", "status", "start", "end", "due",
               "subject", "events", "message", "citation")
#: The JSON document's own fields (``flags`` holds the list).
JSON_FIELDS = ("case", "as_of", "as_of_source", "as_of_text", "flags")


def flag_record(flag: Flag) -> dict[str, Any]:
    row = flag.to_dict()
    row["status_label"] = STATUS_LABELS.get(flag.status, flag.status.replace("_", " "))
    return row


def flags_json(analysis: CaseAnalysis, out: TextIO) -> None:
    """One JSON object: the case, the as-of it was judged at and where that came from, and
    the flags."""
    head = {
        "case": analysis.case.id,
        "as_of": analysis.as_of.isoformat() if analysis.as_of else None,
        "as_of_source": analysis.as_of_source,
        "as_of_text": analysis.as_of_text,
    }
    out.write(json.dumps(head, ensure_ascii=True)[:-1])
    # One flag a line: readable, and each line uses the C encoder (``indent`` would not).
    out.write(', "flags": [\n')
    out.write(",\n".join(json.dumps(flag_record(flag), ensure_ascii=True) for flag in analysis.flags))
    out.write("\n]}\n" if analysis.flags else "]}\n")


def flags_csv(analysis: CaseAnalysis, out: TextIO) -> None:
    """A header row and one row per flag; cells are formula-safe."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    as_of = analysis.as_of.isoformat() if analysis.as_of else ""
    for flag in analysis.flags:
        row = flag.to_dict()
        row["events"] = " ".join(str(e) for e in flag.events)
        row["as_of"] = as_of
        writer.writerow([spreadsheet_safe(row[k]) if row[k] is not None else "" for k in CSV_COLUMNS])


def _span(flag: Flag) -> str:
    if flag.start == flag.end:
        return flag.start.isoformat()
    return f"{flag.start.isoformat()}..{flag.end.isoformat()}"


def flags_table(analysis: CaseAnalysis, console) -> None:
    """A Rich table on *console*; every cell is plain, cleaned text (never markup)."""
    from rich.table import Table
    from rich.text import Text

    console.print(Text(clean(f"Flags for {analysis.case.id}, {analysis.as_of_text}"), style="bold"))
    table = Table(show_lines=False, header_style="bold")
    for name in ("severity", "certainty", "status", "kind", "rule", "span"):
        table.add_column(name, overflow="fold", max_width=11)
    table.add_column("message", overflow="fold", ratio=1)
    for flag in analysis.flags:
        status = STATUS_LABELS.get(flag.status, flag.status.replace("_", " "))
        table.add_row(*(Text(clean(value)) for value in (
            flag.severity, flag.certainty, status, flag.kind, flag.rule, _span(flag), flag.message)))
    console.print(table)
    counts = analysis.severity_counts()
    console.print(Text(f"{len(analysis.flags)} flag(s): {counts['breach']} breach, {counts['attention']} "
                       f"attention, {counts['info']} information; {analysis.as_of_text}"))


def write_flags(analysis: CaseAnalysis, fmt: str, out: TextIO, console=None) -> None:
    """Write *analysis*'s flags as ``table``, ``json`` or ``csv``."""
    from caseline.export.output import write_in_format

    write_in_format(fmt, out, console, as_json=lambda o: flags_json(analysis, o), as_csv=lambda o: flags_csv(analysis, o),
                    as_table=lambda c: flags_table(analysis, c))


__all__: Sequence[str] = ("write_flags", "flags_json", "flags_csv", "flags_table", "CSV_COLUMNS", "JSON_FIELDS",
                          "flag_record")
