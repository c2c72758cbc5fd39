"""Flags as a terminal table, JSON or CSV (``caseline flags``); every form states its as-of.

* JSON: one object, ``{"case", "as_of", "as_of_source", "as_of_text", "flags": [...]}`` (a
  flag a line inside ``flags``). Each flag carries ``status`` (the honest standing of the
  requirement), ``status_label``, ``citation`` and ``subject`` (the child) besides its
  arithmetic. Written with ``ensure_ascii`` so control characters travel as escapes.
* CSV: a header row, then one row per flag; the case and its as-of are columns of every row
  (a comment line would break CSV readers). Cells are neutralised and made formula-safe.
* Table: a heading naming the case and its as-of, then a block per flag, streamed (a Rich
  table measures every row first: minutes and gigabytes at 68,000 flags); cleaned.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, TextIO

from caseline.analysis import CaseAnalysis
from caseline.guidance import STATUS_LABELS
from caseline.model import Flag
from caseline.sanitize import clean, spreadsheet_safe

CSV_COLUMNS = ("case", "as_of", "key", "kind", "rule", "severity", "certainty", "status", "start", "end", "due",
               "subject", "events", "message", "citation")
#: The JSON document's own fields (``flags`` holds the list).
JSON_FIELDS = ("case", "as_of", "as_of_source", "as_of_text", "flags")


def flag_record(flag: Flag) -> dict[str, Any]:
    row = flag.to_dict()
    row["status_label"] = STATUS_LABELS.get(flag.status, flag.status.replace("_", " "))
    return row


def flags_json(analysis: CaseAnalysis, out: TextIO, flags: Iterable[Flag] | None = None) -> None:
    """One JSON object: the case, the as-of it was judged at and where that came from, and
    the flags (*flags*, when given, in place of the analysis's: a stream, read once)."""
    head = {
        "case": analysis.case.id,
        "as_of": analysis.as_of.isoformat() if analysis.as_of else None,
        "as_of_source": analysis.as_of_source,
        "as_of_text": analysis.as_of_text,
    }
    out.write(json.dumps(head, ensure_ascii=True)[:-1])
    out.write(', "flags": [\n')  # one flag a line: readable, and greppable
    line = _flag_line_writer()
    # Written as made, a thousand lines at a time: nothing more is held, and a write a flag
    # cost a tenth of a long case's output.
    lines: list[str] = []
    written = False
    for flag in analysis.flags if flags is None else flags:
        lines.append(line(flag))
        if len(lines) == 1000:
            out.write((",\n" if written else "") + ",\n".join(lines))
            written, lines = True, []
    if lines:
        out.write((",\n" if written else "") + ",\n".join(lines))
        written = True
    out.write("\n]}\n" if written else "]}\n")


def _flag_line_writer():
    """``json.dumps(flag_record(flag), ensure_ascii=True)``, made faster for a stream of
    flags: a long case's hundred thousand share a few rules, kinds, citations and days, so the
    fields between the key and the dates, those after the message, and each day as written
    are encoded once for each met, and no dictionary is built per flag. A flag holding
    anything but the usual types is encoded the plain way."""
    from json.encoder import encode_basestring_ascii as quoted

    middles: dict[tuple, str] = {}  # kind, rule, severity, certainty -> their fields
    tails: dict[tuple, str] = {}  # subject, status, citation -> their fields and the label
    days: dict[date, str] = {}  # a day -> its ISO form, quoted

    def day(value: date) -> str:
        written = days.get(value)
        if written is None:
            written = days[value] = quoted(value.isoformat())
        return written

    def line(flag: Flag) -> str:
        # One unpacking, not thirteen attribute reads: this runs once a flag of a whole extract.
        key, kind, rule, severity, certainty, start, end, due, events, message, subject, status, citation = flag
        for event in events:
            if event.__class__ is not int:  # (True would be written True, not true)
                return json.dumps(flag_record(flag), ensure_ascii=True)
        try:
            head = middles.get((kind, rule, severity, certainty))
            if head is None:
                head = middles[(kind, rule, severity, certainty)] = (
                    f', "kind": {quoted(kind)}, "rule": {quoted(rule)}, '
                    f'"severity": {quoted(severity)}, "certainty": {quoted(certainty)}, "start": ')
            tail = tails.get((subject, status, citation))
            if tail is None:
                label = STATUS_LABELS.get(status, status.replace("_", " "))
                tail = tails[(subject, status, citation)] = (
                    f', "subject": {quoted(subject)}, "status": {quoted(status)}, '
                    f'"citation": {quoted(citation)}, "status_label": {quoted(label)}}}')
            return (f'{{"key": {quoted(key)}{head}{days.get(start) or day(start)}, '
                    f'"end": {days.get(end) or day(end)}, "due": {(days.get(due) or day(due)) if due else "null"}, '
                    f'"events": [{", ".join(map(str, events))}], "message": {quoted(message)}{tail}')
        except (TypeError, AttributeError):  # a field that is not text: the plain way
            return json.dumps(flag_record(flag), ensure_ascii=True)

    return line


def flags_csv(analysis: CaseAnalysis, out: TextIO, *, header: bool = True, flags: Iterable[Flag] | None = None) -> None:
    """A header row (unless *header* is false: a later case of ``--all``) and one row per
    flag (of *flags* when given); cells are formula-safe."""
    writer = csv.writer(out)
    if header:
        writer.writerow(CSV_COLUMNS)
    as_of = analysis.as_of.isoformat() if analysis.as_of else ""
    row_of = _csv_row_writer(analysis.case.id, as_of)
    # Written a thousand rows at a time, as the JSON lines are.
    rows: list[str] = []
    for flag in analysis.flags if flags is None else flags:
        rows.append(row_of(flag))
        if len(rows) == 1000:
            out.write("".join(rows))
            rows = []
    out.write("".join(rows))


def csv_row_plainly(flag: Flag, case_id: str, as_of: str) -> str:
    """A flag's CSV row the plain way: its record, each cell made formula-safe, ``csv.writer``."""
    row = flag.to_dict()
    row["events"] = " ".join(str(e) for e in flag.events)
    row["as_of"], row["case"] = as_of, case_id
    line = io.StringIO()
    csv.writer(line).writerow([spreadsheet_safe(row[k]) if row[k] is not None else "" for k in CSV_COLUMNS])
    return line.getvalue()


def _csv_row_writer(case_id: str, as_of: str):
    """:func:`csv_row_plainly`, made faster for a stream of flags: most cells repeat a few
    values (the case, rules, kinds, days, citations) and are made safe and quoted once for
    each met. A flag holding anything but the usual types is written the plain way."""
    texts: dict[str, str] = {}  # a repeated text -> its cell
    days: dict[date, str] = {}  # a day -> its cell
    lead = f"{_csv_cell(spreadsheet_safe(case_id))},{_csv_cell(spreadsheet_safe(as_of))},"

    def text(value: str) -> str:
        cell = texts.get(value)
        if cell is None:
            cell = texts[value] = _csv_cell(spreadsheet_safe(value))
        return cell

    def day(value: date) -> str:
        cell = days.get(value)
        if cell is None:
            cell = days[value] = _csv_cell(spreadsheet_safe(value.isoformat()))
        return cell

    def unique(value: str) -> str:
        """The cell of a text met once (a key, a message): plain printable ASCII that no
        spreadsheet would read as a formula is what spreadsheet_safe would give back."""
        if value.isascii() and value.isprintable() and value[:1] not in ("=", "+", "-", "@"):
            return _csv_cell(value)
        return _csv_cell(spreadsheet_safe(value))

    def row(flag: Flag) -> str:
        key, kind, rule, severity, certainty, start, end, due, events, message, subject, status, citation = flag
        if not (key.__class__ is str and message.__class__ is str and start.__class__ is date
                and end.__class__ is date and (due is None or due.__class__ is date)):
            return csv_row_plainly(flag, case_id, as_of)
        for event in events:
            if event.__class__ is not int:
                return csv_row_plainly(flag, case_id, as_of)
        known = texts.get  # looked up here, made by text() the first time (a call a cell cost a fifth)
        try:
            events_text = " ".join(map(str, events))  # ids: digits, and a minus sign only if negative
            return (f"{lead}{unique(key)},{known(kind) or text(kind)},"
                    f"{known(rule) or text(rule)},{known(severity) or text(severity)},"
                    f"{known(certainty) or text(certainty)},{known(status) or text(status)},"
                    f"{days.get(start) or day(start)},{days.get(end) or day(end)},"
                    f"{(days.get(due) or day(due)) if due else ''},{(known(subject) or text(subject)) if subject else ''},"
                    f"{events_text if events_text[:1] != '-' else unique(events_text)},"
                    f"{unique(message)},{known(citation) or text(citation)}\r\n")
        except (TypeError, AttributeError):  # a field that is not text: the plain way
            return csv_row_plainly(flag, case_id, as_of)

    return row


def _csv_cell(value: object) -> str:
    """*value* as ``csv.writer`` (the excel dialect, minimal quoting) writes one cell of a row
    of several."""
    if value is None:
        return ""
    text = str(value)
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def _span(flag: Flag) -> str:
    if flag.start == flag.end:
        return flag.start.isoformat()
    return f"{flag.start.isoformat()}..{flag.end.isoformat()}"


def flags_table(analysis: CaseAnalysis, out: TextIO, width: int | None = None,
                flags: Iterable[Flag] | None = None) -> None:
    """The flags for reading: a heading with the case and its as-of, then one block per flag
    (a line of what it is, its sentence beneath), then the counts.

    Written a flag at a time, so a case with a hundred thousand flags starts printing at once
    and holds nothing more. In a terminal (or given *width*) lines are wrapped to fit, so 80
    columns read well; piped, each part stays on one line for grep. Every value is cleaned.
    """
    import shutil
    import textwrap

    if width is None and getattr(out, "isatty", lambda: False)():
        width = shutil.get_terminal_size((100, 24)).columns

    def lines(text: str, indent: str = "    ") -> str:
        if width is None:
            return indent + text
        return "\n".join(textwrap.wrap(text, max(40, width), initial_indent=indent, subsequent_indent="    ",
                                        break_on_hyphens=False))

    names = analysis.people_names
    write = out.write
    write(lines(clean(f"Flags for {analysis.case.id}, {analysis.as_of_text}"), "") + "\n")
    counts = {"breach": 0, "attention": 0, "info": 0}
    number = 0
    # What a flag's line shares with others (its rule, kind, standing and child), cleaned once
    # for each met: a whole extract's hundreds of thousands share a few. The span between is
    # ISO days, safe as it is.
    shared: dict[tuple, tuple[str, str]] = {}
    for number, flag in enumerate(analysis.flags if flags is None else flags, 1):
        severity = flag.severity
        counts[severity] = counts.get(severity, 0) + 1
        parts = (severity, flag.certainty, flag.kind, flag.rule, flag.status, flag.subject)
        cleaned = shared.get(parts)
        if cleaned is None:
            status = STATUS_LABELS.get(flag.status, flag.status.replace("_", " "))
            child = " · " + " and ".join(names.get(c, c) for c in flag.subject.split(",")) if flag.subject else ""
            cleaned = shared[parts] = (clean(f"{severity} ({flag.certainty}) · {flag.kind} · {flag.rule} · {status} · "),
                                       clean(child))
        head = f"{number}. {cleaned[0]}{_span(flag)}{cleaned[1]}"
        write("\n" + lines(head, "") + "\n" + lines(clean(flag.message)) + "\n")
    write("\n" + lines(f"{number} flag(s): {counts['breach']} breach, {counts['attention']} attention, "
                       f"{counts['info']} information; {clean(analysis.as_of_text)}", "") + "\n")


def write_caseload(analyses: Iterable[CaseAnalysis], fmt: str, out: TextIO) -> tuple[int, dict[str, int]]:
    """Every case's flags, one case at a time (only one case's analysis is held at once):
    listings one after another, one CSV table with a ``case`` column, or
    ``{"cases": [...]}`` whose items are what ``flags --case`` writes for each.

    Returns:
        The number of cases and the flag counts by severity over all of them.
    """
    cases, totals = 0, {"breach": 0, "attention": 0, "info": 0}
    for analysis in analyses:
        if fmt == "json":
            out.write('{"cases": [\n' if cases == 0 else ",\n")
            flags_json(analysis, out)
        elif fmt == "csv":
            flags_csv(analysis, out, header=cases == 0)
        else:
            if cases:
                out.write("\n")
            flags_table(analysis, out)
        cases += 1
        for severity, count in analysis.severity_counts().items():
            totals[severity] = totals.get(severity, 0) + count
    if fmt == "json":
        out.write('{"cases": [\n]}\n' if cases == 0 else "]}\n")
    elif fmt == "csv" and cases == 0:
        csv.writer(out).writerow(CSV_COLUMNS)
    elif fmt == "table":
        out.write(f"\n{cases} case(s): {totals['breach']} breach, {totals['attention']} attention, "
                  f"{totals['info']} information\n")
    return cases, totals


def write_flags(analysis: CaseAnalysis, fmt: str, out: TextIO, flags: Iterable[Flag] | None = None) -> None:
    """Write *analysis*'s flags (or *flags*, a stream read once, as
    :func:`caseline.analysis.analyse_streamed` gives them) as ``table`` (a terminal listing),
    ``json`` or ``csv``."""
    if fmt == "json":
        flags_json(analysis, out, flags)
    elif fmt == "csv":
        flags_csv(analysis, out, flags=flags)
    else:
        flags_table(analysis, out, flags=flags)


__all__: Sequence[str] = ("write_flags", "write_caseload", "flags_json", "flags_csv", "flags_table", "CSV_COLUMNS", "JSON_FIELDS",
                          "flag_record")
