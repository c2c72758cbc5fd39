"""A chronology as CSV for spreadsheets: one row per paragraph, flag and note, formula-safe.

Every cell goes through :func:`caseline.sanitize.spreadsheet_safe`: a cell that a
spreadsheet would run as a formula is prefixed with ``'`` and invisible characters are shown
as escapes.
"""

from __future__ import annotations

import csv
import io

from caseline.export.chronology import Chronology
from caseline.sanitize import spreadsheet_safe

__all__ = ["chronology_csv", "CSV_COLUMNS"]

CSV_COLUMNS = (
    "row", "number", "date_as_written", "date_start", "date_end", "kind", "actor", "text", "source",
    "severity", "certainty", "rule", "status", "citation", "paragraphs", "about", "tag", "author", "created", "starred",
)


def chronology_csv(doc: Chronology) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)

    def put(**values) -> None:
        writer.writerow([spreadsheet_safe(values.get(c, "")) if values.get(c) is not None else "" for c in CSV_COLUMNS])

    def put_flag(entry) -> None:
        f = entry.flag
        put(row="flag", number=f"F{entry.number}", date_start=f.start.isoformat(), date_end=f.end.isoformat(),
            kind=f.kind, text=f.message, severity=f.severity, certainty=f.certainty, rule=f.rule,
            status=entry.status, citation=entry.citation, paragraphs=" ".join(str(n) for n in entry.paragraphs),
            starred="yes" if entry.starred else "")

    for entry in doc.leading_flags:
        put_flag(entry)
    for p in doc.paragraphs:
        e = p.event
        put(row="event", number=p.number, date_as_written=p.date_text, date_start=e.dates.start.isoformat(),
            date_end=e.dates.end.isoformat(), kind=e.kind, actor=p.actor, text=e.summary, source=e.source,
            starred="yes" if p.starred else "")
        for entry in p.flags:
            put_flag(entry)
    if doc.options.notes:
        for entry in doc.notes:
            n = entry.note
            put(row="note", number=f"N{entry.number}", text=n.text, tag=n.tag, author=n.author, created=n.created,
                about=entry.about)
    return out.getvalue()
