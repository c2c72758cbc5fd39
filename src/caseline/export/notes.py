"""Notes as a terminal table, JSON or CSV (``caseline notes DB --case ID``).

The same promises as :mod:`caseline.export.flags`: JSON with ``ensure_ascii``, CSV cells
formula-safe, table cells cleaned plain text (never markup).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import TextIO

from caseline.model import Note
from caseline.sanitize import clean, spreadsheet_safe

CSV_COLUMNS = ("id", "about", "tag", "author", "created", "updated", "deleted", "text")


def about(note: Note) -> str:
    """``event 12``, ``flag KEY`` or ``case``."""
    if note.event_id is not None:
        return f"event {note.event_id}"
    if note.flag_key:
        return f"flag {note.flag_key}"
    return "case"


def notes_json(notes: Sequence[Note], out: TextIO) -> None:
    out.write("[\n")
    out.write(",\n".join(json.dumps({**n.to_dict(), "about": about(n)}, ensure_ascii=True) for n in notes))
    out.write("\n]\n" if notes else "]\n")


def notes_csv(notes: Sequence[Note], out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for note in notes:
        row = {**note.to_dict(), "about": about(note)}
        writer.writerow([spreadsheet_safe(row[k]) if row[k] is not None else "" for k in CSV_COLUMNS])


def notes_table(notes: Sequence[Note], console) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(header_style="bold")
    for name in ("id", "about", "tag", "author", "created", "text"):
        table.add_column(name, overflow="fold")
    for note in notes:
        created = note.created + (" (deleted)" if note.deleted else "")
        table.add_row(*(Text(clean(v)) for v in (str(note.id), about(note), note.tag, note.author, created, note.text)))
    console.print(table)
    console.print(Text(f"{len(notes)} note(s)"))


def write_notes(notes: Sequence[Note], fmt: str, out: TextIO, console=None) -> None:
    """Write *notes* as ``table``, ``json`` or ``csv``."""
    from caseline.export.output import write_in_format

    write_in_format(fmt, out, console, as_json=lambda o: notes_json(notes, o), as_csv=lambda o: notes_csv(notes, o),
                    as_table=lambda c: notes_table(notes, c))


__all__: Sequence[str] = ("write_notes", "notes_json", "notes_csv", "notes_table", "about", "CSV_COLUMNS")
