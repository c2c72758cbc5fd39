"""Importing events (CSV) and whole cases (JSON) into a database: validated, all or nothing.

Every row is checked before anything is kept: the whole import runs in one transaction that
is rolled back when any row is wrong, and every problem is reported as
``FILE:LINE: field: what is wrong`` (up to :data:`MAX_PROBLEMS`).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from caseline.dates import DateError, DateRange, parse_range
from caseline.kinds import EVENT_COLUMNS, KNOWN_KINDS, PERSON_ROLES, REQUIRED_EVENT_COLUMNS
from caseline.store import Transaction

MAX_PROBLEMS = 20
BATCH_ROWS = 5000

CASE_FIELDS = ("id", "title", "council", "summary", "source", "illustrative", "records_from", "teaching")
PERSON_FIELDS = ("id", "name", "role", "born")
# Columns an import may carry: the events table's, less the id the database assigns (an
# integer id is accepted and kept when given).
IMPORT_COLUMNS = frozenset(EVENT_COLUMNS)

INSERT_EVENT = (
    "INSERT INTO events (id, case_id, ref, date_start, date_end, date_text, kind, subject, actor, "
    "summary, detail, source, recorded, relative_to, offset_days) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class ImportFailed(Exception):
    """Nothing was imported; ``problems`` lists what is wrong, one line each."""

    def __init__(self, problems: list[str], more: int = 0) -> None:
        self.problems = problems
        self.more = more
        super().__init__(problems[0] if problems else "import failed")


@dataclass
class ImportResult:
    events: int = 0
    cases_created: list[str] = field(default_factory=list)
    people: int = 0
    unknown_kinds: dict[str, int] = field(default_factory=dict)


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.more = 0

    def add(self, where: str, column: str | None, what: str) -> None:
        if len(self.lines) >= MAX_PROBLEMS:
            self.more += 1
            return
        self.lines.append(f"{where}: {column}: {what}" if column else f"{where}: {what}")

    def __bool__(self) -> bool:
        return bool(self.lines)

    def raise_if_any(self) -> None:
        if self.lines:
            raise ImportFailed(self.lines, self.more)


@dataclass
class _EventValidator:
    """Checks event rows against each other and against what the database already holds."""

    conn: sqlite3.Connection
    problems: _Problems
    case_override: str | None
    create_cases: bool
    known_cases: set[str]
    result: ImportResult
    ids_seen: set[int] = field(default_factory=set)
    refs: dict[tuple[str, str], DateRange] = field(default_factory=dict)
    db_refs_loaded: set[str] = field(default_factory=set)
    missing_cases: dict[str, str] = field(default_factory=dict)

    def _load_db_refs(self, case_id: str) -> None:
        if case_id in self.db_refs_loaded:
            return
        self.db_refs_loaded.add(case_id)
        rows = self.conn.execute(
            "SELECT ref, date_start, date_end FROM events WHERE case_id = ? AND ref IS NOT NULL AND ref != ''",
            (case_id,),
        )
        for ref, start, end in rows:
            try:
                self.refs[(case_id, ref)] = parse_range(start, end)
            except DateError:
                continue

    def row(self, where: str, values: dict[str, str]) -> tuple | None:
        """Validate one event; return the tuple to insert, or None after noting problems."""
        before = len(self.problems.lines) + self.problems.more
        case_id = values.get("case_id", "").strip()
        if self.case_override:
            if case_id and case_id != self.case_override:
                self.problems.add(where, "case_id", f"is {case_id!r} but --case is {self.case_override!r}")
            case_id = self.case_override
        if not case_id:
            self.problems.add(where, "case_id", "is empty (give a case id, or use --case)")
        elif case_id not in self.known_cases:
            if self.create_cases:
                self.known_cases.add(case_id)
                self.result.cases_created.append(case_id)
                # Inside the import's transaction: gone again if the import fails.
                self.conn.execute("INSERT OR IGNORE INTO cases (id, title) VALUES (?, ?)", (case_id, case_id))
            else:
                self.missing_cases.setdefault(case_id, where)
                return None  # reported once per case by finish()

        event_id: int | None = None
        raw_id = values.get("id", "").strip()
        if raw_id:
            try:
                event_id = int(raw_id)
            except ValueError:
                self.problems.add(where, "id", f"{raw_id!r} is not a whole number (put your own identifiers in 'ref')")
            else:
                if event_id in self.ids_seen:
                    self.problems.add(where, "id", f"{event_id} appears twice in the import")
                self.ids_seen.add(event_id)

        kind = values.get("kind", "").strip()
        if not kind:
            self.problems.add(where, "kind", "is empty")
        elif kind not in KNOWN_KINDS:
            self.result.unknown_kinds[kind] = self.result.unknown_kinds.get(kind, 0) + 1

        summary = values.get("summary", "").strip()
        if not summary:
            self.problems.add(where, "summary", "is empty")

        ref = values.get("ref", "").strip()
        relative_to = values.get("relative_to", "").strip()
        offset_text = values.get("offset_days", "").strip()
        offset: int | None = None
        if offset_text:
            try:
                offset = int(offset_text)
            except ValueError:
                self.problems.add(where, "offset_days", f"{offset_text!r} is not a whole number of days")
        if offset is not None and not relative_to:
            self.problems.add(where, "offset_days", "is given without relative_to (the event it counts from)")

        dates = self._dates(where, values, case_id, relative_to, offset)

        recorded = values.get("recorded", "").strip()
        if recorded and not _is_date_or_timestamp(recorded):
            self.problems.add(where, "recorded", f"{recorded!r} is not an ISO date or date-time")

        if ref and case_id:
            self._load_db_refs(case_id)
            if (case_id, ref) in self.refs:
                self.problems.add(where, "ref", f"{ref!r} is already used in case {case_id!r}")
            elif dates is not None:
                self.refs[(case_id, ref)] = dates

        if len(self.problems.lines) + self.problems.more != before or dates is None:
            return None
        return (
            event_id,
            case_id,
            ref or None,
            dates.start.isoformat(),
            dates.end.isoformat(),
            values.get("date_text", "").strip(),
            kind,
            values.get("subject", "").strip(),
            values.get("actor", "").strip(),
            summary,
            values.get("detail", "").strip(),
            values.get("source", "").strip(),
            recorded or None,
            relative_to or None,
            offset,
        )

    def _dates(
        self, where: str, values: dict[str, str], case_id: str, relative_to: str, offset: int | None
    ) -> DateRange | None:
        date_start = values.get("date_start", "").strip()
        date_end = values.get("date_end", "").strip()
        anchor: DateRange | None = None
        if relative_to:
            if case_id:
                self._load_db_refs(case_id)
            anchor = self.refs.get((case_id, relative_to))
            if anchor is None:
                self.problems.add(
                    where, "relative_to", f"no earlier event with ref {relative_to!r} in case {case_id!r}"
                )
                return None
        if not date_start:
            if anchor is not None and offset is not None:
                return anchor.shifted(offset)
            self.problems.add(where, "date_start", "is empty (use YYYY-MM-DD, YYYY-MM or YYYY)")
            return None
        try:
            return _fast_range(date_start, date_end)
        except DateError as exc:
            column = "date_end" if "date_end" in str(exc) and "before" not in str(exc) else "date_start"
            if "before" in str(exc):
                column = "date_end"
            self.problems.add(where, column, str(exc))
            return None

    def finish(self) -> None:
        for case_id, where in self.missing_cases.items():
            self.problems.add(
                where,
                "case_id",
                f"no case {case_id!r} in the database (import its case JSON first, or use --create-cases)",
            )


def _existing_ids(conn: sqlite3.Connection, ids: Iterable[int]) -> set[int]:
    wanted = list(ids)
    found: set[int] = set()
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        marks = ",".join("?" * len(chunk))
        found.update(row[0] for row in conn.execute(f"SELECT id FROM events WHERE id IN ({marks})", chunk))
    return found


def _fast_range(date_start: str, date_end: str) -> DateRange:
    # Most rows carry full ISO dates: skip the general parser for them.
    if len(date_start) == 10 and (not date_end or len(date_end) == 10):
        try:
            first = date.fromisoformat(date_start)
            last = date.fromisoformat(date_end) if date_end else first
        except ValueError:
            pass
        else:
            if last < first:
                raise DateError(f"date_end {date_end} is before date_start {date_start}")
            return DateRange(first, last)
    return parse_range(date_start, date_end or None)


def _is_date_or_timestamp(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
        return True
    except ValueError:
        try:
            parse_range(text)
            return True
        except DateError:
            return False


# --- Reading files --------------------------------------------------------------------------


def _read_text(path: Path, problems: _Problems) -> str | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.add(str(path), None, "no such file")
        return None
    except IsADirectoryError:
        problems.add(str(path), None, "is a folder, not a file")
        return None
    except OSError as exc:
        problems.add(str(path), None, f"cannot be read ({exc.strerror})")
        return None
    if not raw.strip():
        problems.add(str(path), None, "is empty")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add(f"{path}:{line}", None, f"is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8")
        return None


def _csv_rows(path: Path, text: str, problems: _Problems) -> Iterator[tuple[str, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        problems.add(str(path), None, "is empty")
        return
    except csv.Error as exc:
        problems.add(f"{path}:1", None, f"is not valid CSV ({exc})")
        return
    missing = [column for column in REQUIRED_EVENT_COLUMNS if column not in header]
    unknown = [column for column in header if column not in IMPORT_COLUMNS]
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if missing:
        problems.add(f"{path}:1", None, f"missing required column(s): {', '.join(missing)}")
    if unknown:
        problems.add(
            f"{path}:1",
            None,
            f"unknown column(s): {', '.join(unknown)} (the columns are: {', '.join(EVENT_COLUMNS)})",
        )
    if duplicated:
        problems.add(f"{path}:1", None, f"column(s) named twice: {', '.join(duplicated)}")
    if missing or unknown or duplicated:
        return
    width = len(header)
    try:
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                problems.add(where, None, f"has {len(row)} fields, the header has {width}")
                continue
            yield where, dict(zip(header, row))
    except csv.Error as exc:
        problems.add(f"{path}:{reader.line_num}", None, f"is not valid CSV ({exc})")


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _json_case(path: Path, text: str, problems: _Problems) -> dict | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.add(f"{path}:{exc.lineno}", None, f"is not valid JSON ({exc.msg})")
        return None
    if not isinstance(data, dict) or not isinstance(data.get("case"), dict):
        problems.add(str(path), None, 'must be a JSON object {"case": {...}, "people": [...], "events": [...]}')
        return None
    extra = sorted(set(data) - {"case", "people", "events"})
    if extra:
        problems.add(str(path), None, f"unknown key(s) {', '.join(extra)}; expected case, people, events")
    for key in ("people", "events"):
        if key in data and not isinstance(data[key], list):
            problems.add(str(path), key, "must be a list")
            return None
    return data


def _validate_case(where: str, case: dict, problems: _Problems) -> tuple | None:
    unknown = sorted(set(case) - set(CASE_FIELDS))
    if unknown:
        problems.add(where, None, f"unknown field(s) {', '.join(unknown)}; case fields are {', '.join(CASE_FIELDS)}")
    case_id = _as_text(case.get("id")).strip()
    if not case_id:
        problems.add(where, "id", "is empty")
        return None
    records_from = _as_text(case.get("records_from")).strip()
    if records_from:
        try:
            parse_range(records_from)
        except DateError as exc:
            problems.add(where, "records_from", str(exc))
    teaching = case.get("teaching")
    return (
        case_id,
        _as_text(case.get("title")).strip() or case_id,
        _as_text(case.get("council")).strip(),
        _as_text(case.get("summary")).strip(),
        _as_text(case.get("source")).strip(),
        1 if case.get("illustrative") in (True, 1, "1", "true", "yes") else 0,
        records_from or None,
        json.dumps(teaching) if teaching else None,
    )


def _validate_person(where: str, case_id: str, person: object, problems: _Problems) -> tuple | None:
    if not isinstance(person, dict):
        problems.add(where, None, "must be an object with id, name, role, born")
        return None
    unknown = sorted(set(person) - set(PERSON_FIELDS))
    if unknown:
        problems.add(where, None, f"unknown field(s) {', '.join(unknown)}")
    person_id = _as_text(person.get("id")).strip()
    if not person_id:
        problems.add(where, "id", "is empty")
        return None
    role = _as_text(person.get("role")).strip() or "other"
    if role not in PERSON_ROLES:
        problems.add(where, "role", f"{role!r} is not one of {', '.join(PERSON_ROLES)}")
    born = _as_text(person.get("born")).strip()
    if born:
        try:
            parse_range(born)
        except DateError as exc:
            problems.add(where, "born", str(exc))
    return (case_id, person_id, _as_text(person.get("name")).strip() or person_id, role, born or None)


# --- The import itself ----------------------------------------------------------------------


Progress = Callable[[int], None]


def import_files(
    conn: sqlite3.Connection,
    paths: Iterable[str | Path | CaseSource],
    *,
    case_id: str | None = None,
    create_cases: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import CSV event files and JSON case files in one transaction.

    Args:
        conn: a writable database at the current schema.
        paths: ``.csv`` files of events, ``.json`` files of whole cases.
        case_id: put every event in this case (rows naming another case are errors).
        create_cases: create cases that CSV rows name and the database lacks.
        progress: called with the number of bytes read so far (for a progress bar).

    Raises:
        ImportFailed: anything was wrong; nothing was written.
    """
    problems = _Problems()
    result = ImportResult()
    known_cases = {row[0] for row in conn.execute("SELECT id FROM cases")}
    if case_id is not None and case_id not in known_cases and not create_cases:
        raise ImportFailed([f"--case: no case {case_id!r} in the database (use --create-cases to add it)"])
    validator = _EventValidator(conn, problems, case_id, create_cases, known_cases, result)
    bytes_done = 0
    with Transaction(conn):
        for item in paths:
            if isinstance(item, CaseSource):
                _import_mapping(conn, item.label, item.data, validator, problems, result)
                if item.events_csv is not None:
                    text = _read_text(item.events_csv, problems)
                    if text is not None:
                        _import_csv(conn, item.events_csv, text, validator, problems, result, None, 0)
                continue
            path = Path(item)
            text = _read_text(path, problems)
            if text is None:
                continue
            if path.suffix.lower() == ".json":
                _import_json(conn, path, text, validator, problems, result)
            else:
                _import_csv(conn, path, text, validator, problems, result, progress, bytes_done)
            bytes_done += len(text)
        validator.finish()
        problems.raise_if_any()  # rolls the transaction back
    return result


def _flush(conn: sqlite3.Connection, batch: list[tuple], problems: _Problems, result: ImportResult) -> None:
    given = [row[0] for row in batch if row[0] is not None]
    for event_id in sorted(_existing_ids(conn, given)) if given else ():
        problems.add("import", "id", f"event id {event_id} is already in the database")
    if batch and not problems:
        conn.executemany(INSERT_EVENT, batch)
        result.events += len(batch)
    batch.clear()


def _import_csv(conn, path, text, validator, problems, result, progress, bytes_before) -> None:
    batch: list[tuple] = []
    lines = max(1, text.count("\n"))
    rows = 0
    for where, values in _csv_rows(path, text, problems):
        record = validator.row(where, values)
        if record is not None:
            batch.append(record)
        rows += 1
        if len(batch) >= BATCH_ROWS:
            _flush(conn, batch, problems, result)
            if progress is not None:
                # Rows are of similar length, so the share of lines read stands in for bytes.
                progress(bytes_before + len(text) * min(rows, lines) // lines)
    _flush(conn, batch, problems, result)
    if progress is not None:
        progress(bytes_before + len(text))


@dataclass(frozen=True)
class CaseSource:
    """A case given as a mapping (as in the JSON form) plus, optionally, an events CSV."""

    label: str
    data: dict
    events_csv: Path | None = None


def _import_json(conn, path, text, validator, problems, result) -> None:
    data = _json_case(path, text, problems)
    if data is not None:
        _import_mapping(conn, str(path), data, validator, problems, result)


def _import_mapping(conn, path, data, validator, problems, result) -> None:
    case_row = _validate_case(f"{path}:case", data["case"], problems)
    if case_row is None:
        return
    case_id = case_row[0]
    if case_id in validator.known_cases:
        exists = conn.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone()
        if exists:
            problems.add(f"{path}:case", "id", f"case {case_id!r} is already in the database")
            return
        problems.add(f"{path}:case", "id", f"case {case_id!r} is given twice in this import")
        return
    validator.known_cases.add(case_id)
    if not problems:
        conn.execute(
            "INSERT INTO cases (id, title, council, summary, source, illustrative, records_from, teaching) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            case_row,
        )
    seen_people: set[str] = set()
    for index, person in enumerate(data.get("people", [])):
        person_row = _validate_person(f"{path}:people[{index}]", case_id, person, problems)
        if person_row is None:
            continue
        if person_row[1] in seen_people:
            problems.add(f"{path}:people[{index}]", "id", f"{person_row[1]!r} appears twice")
            continue
        seen_people.add(person_row[1])
        if not problems:
            conn.execute("INSERT INTO people (case_id, id, name, role, born) VALUES (?, ?, ?, ?, ?)", person_row)
            result.people += 1
    batch: list[tuple] = []
    for index, event in enumerate(data.get("events", [])):
        where = f"{path}:events[{index}]"
        if not isinstance(event, dict):
            problems.add(where, None, "must be an object with the events columns")
            continue
        unknown = sorted(set(event) - IMPORT_COLUMNS)
        if unknown:
            problems.add(where, None, f"unknown field(s) {', '.join(unknown)}")
            continue
        values = {key: _as_text(value) for key, value in event.items()}
        values.setdefault("case_id", case_id)
        missing = [c for c in REQUIRED_EVENT_COLUMNS if not values.get(c, "").strip()]
        if "date_start" in missing and values.get("relative_to"):
            missing.remove("date_start")
        for column in missing:
            problems.add(where, column, "is missing")
        if missing:
            continue
        record = validator.row(where, values)
        if record is not None:
            batch.append(record)
    _flush(conn, batch, problems, result)
