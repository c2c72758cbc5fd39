"""Importing events (CSV) and whole cases (JSON) into a database: validated, all or nothing.

Rows stream from the readers (:mod:`.csv_reader`, :mod:`.json_reader`) through the shared
row check (:mod:`.validate`) into a staging table; SQLite then compares them with what the
database holds (:class:`caseline.store.writes.EventStage`), so importing the same rows twice
adds nothing. The whole import is one transaction, rolled back when any row is wrong; every
problem is reported as ``FILE:LINE: field: what is wrong`` (up to 20 of them).

A big import (a full batch of :data:`BATCH_ROWS` new rows or more) pauses the triggers that
keep the search index in step (:class:`caseline.store.writes.SearchIndexPause`) and indexes
its rows once before anything else touches stored events; small imports, replaced cases and
every other writer keep the triggers.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from caseline.dates import DateError, DateRange, parse_range
from caseline.importing.csv_reader import IMPORT_COLUMNS, CsvFile
from caseline.importing.json_reader import case_mapping, read_json_case
from caseline.importing.plain_rows import PlainBatches
from caseline.importing.problems import MAX_PROBLEMS, ImportFailed, Problems
from caseline.importing.validate import as_text, check_case_fields, check_event_fields, check_person_fields
from caseline.kinds import REQUIRED_EVENT_COLUMNS, is_known_kind
from caseline.store import Transaction
from caseline.store import writes

__all__ = ["import_files", "ImportFailed", "ImportResult", "CaseSource", "MAX_PROBLEMS"]

#: Rows handed to SQLite at a time. Small enough that a batch is still in the processor's
#: cache when SQLite writes it (5000 made a 1M-row import 15-20% slower), large enough that
#: a batch's own statements cost nothing beside its rows.
BATCH_ROWS = 1000
#: Rows needing the full check that are read back at a time (each is held as it is checked).
SUSPECTS_A_PAGE = 250

#: Called with (bytes read, rows read) so far, over every file of the import.
Progress = Callable[[int, int], None]

#: Called with what the import is doing once the rows are read ("checking", "indexing for
#: search") and again with "importing" when reading starts.
Stage = Callable[[str], None]


@dataclass
class ImportResult:
    """What an import did.

    Attributes:
        events: events added.
        present: rows skipped because the database already held them.
        cases_created: cases added (by a case file or ``--create-cases``).
        people: people added.
        unknown_kinds: kinds outside the vocabulary, with how many rows use each.
    """

    events: int = 0
    present: int = 0
    cases_created: list[str] = field(default_factory=list)
    people: int = 0
    unknown_kinds: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseSource:
    """A case given as a mapping (as in the JSON form) plus, optionally, an events CSV."""

    label: str
    data: dict
    events_csv: Path | None = None


@dataclass
class _Options:
    case_override: str | None
    create_cases: bool
    replace: bool


def _stored_values(values: Mapping[str, str], checked, dates: DateRange) -> dict[str, object]:
    """A checked row as stored: every event column but ``id``, in the table's order; text
    stripped, empty optional fields as NULL, dates as full ISO days."""
    def text(name: str) -> str:
        return (values.get(name) or "").strip()

    return {
        "case_id": text("case_id"),
        "ref": text("ref") or None,
        "date_start": dates.start.isoformat(),
        "date_end": dates.end.isoformat(),
        "date_text": text("date_text"),
        "kind": checked.kind,
        "subject": text("subject"),
        "actor": text("actor"),
        "summary": checked.summary,
        "detail": text("detail"),
        "source": text("source"),
        "recorded": text("recorded") or None,
        "relative_to": text("relative_to") or None,
        "offset_days": checked.offset,
    }


class _LineMap:
    """Which file line each bulk row came from, kept as runs of consecutive lines (a file of
    a million rows with no blank lines is one run)."""

    def __init__(self, first_id: int) -> None:
        self.next_id = first_id
        self.run_ids: list[int] = []
        self.run_lines: list[int] = []

    def add(self, line: int) -> None:
        self.add_run(line, 1)

    def add_run(self, line: int, count: int) -> None:
        """*count* rows from consecutive lines, the first at *line*."""
        if count <= 0:
            return
        if not self.run_ids or line != self.run_lines[-1] + (self.next_id - self.run_ids[-1]):
            self.run_ids.append(self.next_id)
            self.run_lines.append(line)
        self.next_id += count

    def line_of(self, event_id: int) -> int:
        from bisect import bisect_right

        k = bisect_right(self.run_ids, event_id) - 1
        return self.run_lines[k] + (event_id - self.run_ids[k])


class _Import:
    """One import: the rows seen so far, what they name, and where they are staged."""

    def __init__(self, conn: sqlite3.Connection, options: _Options, progress: Progress | None,
                 stage: Stage | None = None) -> None:
        self.conn = conn
        self.options = options
        self.progress = progress
        self._stage = stage
        self._stage_said = "importing"
        self.problems = Problems()
        self.result = ImportResult()
        self.known_cases = writes.known_case_ids(conn)
        self.stage = writes.EventStage(conn)
        self.search_index = writes.SearchIndexPause(conn)
        self.fresh_cases: dict[str, bool] = {}  # raw case_id text -> rows may go in bulk
        self.batch: list[tuple[str, tuple]] = []
        # Refs given by the rows not yet handed to the stage; older ones are looked up in
        # SQLite, so memory does not grow with the file.
        self.batch_refs: dict[tuple[str, str], DateRange] = {}
        self.missing_cases: dict[str, str] = {}
        self.cases_in_import: set[str] = set()
        self.bytes_before = 0
        self.rows_before = 0

    def say(self, what: str) -> None:
        """Tell the progress display what the import is doing (when it changes)."""
        if self._stage is not None and what != self._stage_said:
            self._stage_said = what
            self._stage(what)

    # Events ----------------------------------------------------------------------------------

    def _case_of(self, where: str, values: Mapping[str, str]) -> str | None:
        case_id = values.get("case_id", "").strip()
        override = self.options.case_override
        if override:
            if case_id and case_id != override:
                self.problems.add(where, "case_id", f"is {case_id!r} but --case is {override!r}")
            case_id = override
        if not case_id:
            self.problems.add(where, "case_id", "is empty (give a case id, or use --case)")
            return None
        if case_id not in self.known_cases:
            if not self.options.create_cases:
                self.missing_cases.setdefault(case_id, where)
                return None  # reported once per case by finish()
            self.known_cases.add(case_id)
            self.result.cases_created.append(case_id)
            writes.insert_case_stub(self.conn, case_id)  # inside the transaction: undone on failure
        return case_id

    def _anchor(self, case_id: str, ref: str) -> DateRange | None:
        found = self.batch_refs.get((case_id, ref))
        if found is not None:
            return found
        stored = self.stage.ref_dates(case_id, ref)
        if stored is None:
            return None
        try:
            return parse_range(*stored)
        except DateError:
            return None

    def event(self, where: str, values: Mapping[str, str]) -> None:
        """Check one event row and stage it (or note its problems)."""
        before = self.problems.count
        case_id = self._case_of(where, values)
        checked, field_problems = check_event_fields(values)
        for problem in field_problems:
            self.problems.add(where, problem.field, problem.what)
        if not checked.known_kind and checked.kind:
            self.result.unknown_kinds[checked.kind] = self.result.unknown_kinds.get(checked.kind, 0) + 1
        if case_id is None:
            return
        ref = values.get("ref", "").strip()
        relative_to = values.get("relative_to", "").strip()
        dates = checked.dates
        if relative_to:
            anchor = self._anchor(case_id, relative_to)
            if anchor is None:
                self.problems.add(where, "relative_to", f"no earlier event with ref {relative_to!r} in case {case_id!r}")
            elif dates is None and checked.offset is not None:
                dates = anchor.shifted(checked.offset)
        if ref:
            key = (case_id, ref)
            if key in self.batch_refs:
                self.problems.add(where, "ref", f"{ref!r} is used twice in this import for case {case_id!r}")
            elif dates is not None:
                self.batch_refs[key] = dates
        if self.problems.count != before or dates is None:
            return
        stored = _stored_values(values, checked, dates)
        stored["case_id"] = case_id
        self.batch.append((where, (checked.event_id, *stored.values())))
        if len(self.batch) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if len(self.batch) >= BATCH_ROWS:
            self.search_index.pause()
        if self.batch and not self.problems:
            for where, column, what in self.stage.add(self.batch):
                self.problems.add(where, column, what)
        self.batch.clear()
        if not self.problems:
            # Handed over: SQLite answers for these refs now. (After a problem nothing more
            # is handed over, so the refs stay here for the checks still to come.)
            self.batch_refs.clear()

    def csv_file(self, path: Path) -> None:
        rows_before = self.rows_before

        def progress(done: int, rows: int) -> None:
            self.rows_before = rows_before + rows
            if self.progress is not None:
                self.progress(self.bytes_before + done, self.rows_before)

        self.say("importing")
        source = CsvFile(path, self.problems, progress)
        if source.header is not None:
            if "id" in source.header or self.options.case_override:
                # Given ids and --case need every row's own check: the row-by-row path.
                header = source.header
                for line, row in source.rows():
                    self.event(f"{path}:{line}", dict(zip(header, row)))
            else:
                self._bulk_file(path, source)
        self.flush()
        try:
            self.bytes_before += path.stat().st_size
        except OSError:
            pass

    def _may_go_in_bulk(self, raw_case: str) -> bool:
        """Rows of a known case that held no events before this import go in bulk."""
        found = self.fresh_cases.get(raw_case)
        if found is None:
            case_id = raw_case.strip()
            found = bool(case_id) and case_id == raw_case and (
                case_id in self.known_cases or self.options.create_cases) and not self.stage.had_events(case_id)
            if found and case_id not in self.known_cases:
                self.known_cases.add(case_id)
                self.result.cases_created.append(case_id)
                writes.insert_case_stub(self.conn, case_id)
            self.fresh_cases[raw_case] = found
        return found

    def _bulk_file(self, path: Path, source: CsvFile) -> None:
        """Rows of fresh cases straight into events (SQLite checks them there); the others
        row by row."""
        header = source.header
        bulk = writes.BulkEvents(self.conn, header)
        lines = _LineMap(bulk.first_id)
        case_at = header.index("case_id")
        ref_at = header.index("ref") if "ref" in header else None
        kind_of = itemgetter(header.index("kind"))
        at_a_glance = PlainBatches(header)
        # Rows written of each kind outside the vocabulary (SQL would have to read them back).
        # A batch's kinds are known, nearly always: only the others are counted, row by row.
        kinds: Counter[str] = Counter()
        batch: list[list[str]] = []
        batch_lines: list[int] = []

        def hand_over() -> None:
            if len(batch) >= BATCH_ROWS:
                self.search_index.pause()
            refused = set(bulk.add(batch, plain=at_a_glance.plain(batch)))
            unknown = {kind for kind in set(map(kind_of, batch)) if kind and not is_known_kind(kind)}
            if unknown:
                kinds.update(kind for kind in map(kind_of, batch) if kind in unknown)
                for index in refused:
                    if kind_of(batch[index]) in unknown:
                        kinds[kind_of(batch[index])] -= 1
            lines.next_id = bulk.batch_first_id  # rows of the row-by-row path may have come between
            if not refused and batch_lines and batch_lines[-1] - batch_lines[0] == len(batch_lines) - 1:
                lines.add_run(batch_lines[0], len(batch_lines))  # the usual batch: one run of lines
                batch.clear()
                batch_lines.clear()
                return
            for index, line in enumerate(batch_lines):
                if index in refused:
                    ref = batch[index][ref_at].strip() if ref_at is not None else ""
                    case_id = batch[index][case_at]
                    self.problems.add(f"{path}:{line}", "ref", f"{ref!r} is used twice in this import for case {case_id!r}")
                else:
                    lines.add(line)
            batch.clear()
            batch_lines.clear()

        fresh = self.fresh_cases
        for line, row in source.rows():
            bulk_row = fresh.get(row[case_at])
            if bulk_row is None:
                bulk_row = self._may_go_in_bulk(row[case_at])
            if bulk_row:
                batch.append(row)
                batch_lines.append(line)
                if len(batch) >= BATCH_ROWS:
                    hand_over()
            else:
                self.event(f"{path}:{line}", dict(zip(header, row)))
        hand_over()
        self.say("checking")
        self._second_look(path, bulk, lines, kinds)
        for kind, count in sorted(kinds.items()):
            if count > 0 and kind and not is_known_kind(kind):
                self.result.unknown_kinds[kind] = self.result.unknown_kinds.get(kind, 0) + count
        self.result.events += bulk.count

    def _second_look(self, path: Path, bulk: writes.BulkEvents, lines: _LineMap, kinds: Counter[str]) -> None:
        """The full row check for the bulk rows that could not pass at a glance (partial or
        relative dates, empty or odd fields): the same messages as the row-by-row path. A row
        whose kind the check changes (stripped) is counted under its new kind."""
        for event_id, stored in bulk.suspects(page=SUSPECTS_A_PAGE):
            where = f"{path}:{lines.line_of(event_id)}"
            values = {k: "" if v is None else str(v) for k, v in stored.items()}
            before = self.problems.count
            checked, field_problems = check_event_fields(values)
            for problem in field_problems:
                self.problems.add(where, problem.field, problem.what)
            dates = checked.dates
            relative_to = values.get("relative_to", "")
            if relative_to:
                anchor_dates = bulk.anchor(values["case_id"], relative_to, event_id)
                anchor = None
                if anchor_dates is not None:
                    try:
                        anchor = parse_range(*anchor_dates)
                    except DateError:
                        anchor = None
                if anchor is None:
                    self.problems.add(where, "relative_to",
                                      f"no earlier event with ref {relative_to!r} in case {values['case_id']!r}")
                elif dates is None and checked.offset is not None:
                    dates = anchor.shifted(checked.offset)
            if self.problems.count != before or dates is None:
                continue
            settled = _stored_values(values, checked, dates)
            if settled["kind"] != stored["kind"]:
                kinds[str(stored["kind"])] -= 1
                kinds[str(settled["kind"])] += 1
            bulk.settle(event_id, settled)

    # Cases and people ------------------------------------------------------------------------

    def case(self, label: str, data: dict) -> None:
        case_row = check_case_fields(f"{label}:case", data["case"], self.problems)
        if case_row is None:
            return
        case_id = case_row[0]
        people_rows = self._people(label, case_id, data.get("people", []))
        if case_id in self.cases_in_import:
            self.problems.add(f"{label}:case", "id", f"case {case_id!r} is given twice in this import")
            return
        self.cases_in_import.add(case_id)
        stored = writes.stored_case_row(self.conn, case_id)
        if stored is not None:
            same = stored == case_row and writes.stored_people_rows(self.conn, case_id) == sorted(people_rows)
            if not same and not self.options.replace:
                self.problems.add(
                    f"{label}:case", "id",
                    f"case {case_id!r} is already in the database with other details or people "
                    f"(use --replace to replace it)",
                )
                return
            if not same and not self.problems:
                writes.insert_case(self.conn, case_row, replace=True)
                self.result.people += writes.replace_people(self.conn, case_id, people_rows)
        elif not self.problems:
            writes.insert_case(self.conn, case_row)
            self.result.cases_created.append(case_id)
            self.result.people += writes.insert_people(self.conn, people_rows)
        self.known_cases.add(case_id)
        for index, event in enumerate(data.get("events", [])):
            self._json_event(f"{label}:events[{index}]", case_id, event)
        self.flush()

    def _people(self, label: str, case_id: str, people: list) -> list[tuple]:
        rows: list[tuple] = []
        seen: set[str] = set()
        for index, person in enumerate(people):
            where = f"{label}:people[{index}]"
            row = check_person_fields(where, case_id, person, self.problems)
            if row is None:
                continue
            if row[1] in seen:
                self.problems.add(where, "id", f"{row[1]!r} appears twice")
                continue
            seen.add(row[1])
            rows.append(row)
        return rows

    def _json_event(self, where: str, case_id: str, event: object) -> None:
        if not isinstance(event, dict):
            self.problems.add(where, None, "must be an object with the events columns")
            return
        unknown = sorted(set(event) - IMPORT_COLUMNS)
        if unknown:
            self.problems.add(where, None, f"unknown field(s) {', '.join(map(str, unknown))}")
            return
        values = {key: as_text(value) for key, value in event.items()}
        values.setdefault("case_id", case_id)
        missing = [c for c in REQUIRED_EVENT_COLUMNS if not values.get(c, "").strip()]
        if "date_start" in missing and values.get("relative_to"):
            missing.remove("date_start")
        for column in missing:
            self.problems.add(where, column, "is missing")
        if not missing:
            self.event(where, values)

    # Finishing -------------------------------------------------------------------------------

    def _index_for_search(self) -> None:
        if self.search_index.paused:
            self.say("indexing for search")
        self.search_index.resume()

    def finish(self) -> None:
        for case_id, where in self.missing_cases.items():
            self.problems.add(
                where, "case_id",
                f"no case {case_id!r} in the database (import its case JSON first, or use --create-cases)",
            )
        self.problems.raise_if_any()
        if self.options.replace:
            self._index_for_search()  # before any stored event is deleted
            self.stage.replace_cases()
            self.result.events += self.stage.commit(skip_present=False)
            return
        outcome = self.stage.compare()
        for where, column, what in outcome.conflicts:
            self.problems.add(where, column, what)
        self.problems.raise_if_any()
        self._index_for_search()
        self.result.present = outcome.present
        self.result.events += self.stage.commit()


def import_files(
    conn: sqlite3.Connection,
    paths: Iterable[str | Path | CaseSource],
    *,
    case_id: str | None = None,
    create_cases: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
    stage: Stage | None = None,
) -> ImportResult:
    """Import CSV event files and JSON case files in one transaction.

    Args:
        conn: a writable database at the current schema.
        paths: ``.csv`` files of events, ``.json`` files of whole cases, or :class:`CaseSource`.
        case_id: put every event in this case (rows naming another case are errors).
        create_cases: create cases that CSV rows name and the database lacks.
        replace: replace the events (and a case file's details and people) of every case the
            import names, instead of adding to them.
        progress: called with the bytes and rows read so far (for a progress bar).
        stage: called with what the import is doing after the rows are read (see :data:`Stage`).

    Raises:
        ImportFailed: anything was wrong; nothing was written.
        caseline.store.BusyError: another process held the write lock too long.
    """
    known = writes.known_case_ids(conn)
    if case_id is not None and case_id not in known and not create_cases:
        raise ImportFailed([f"--case: no case {case_id!r} in the database (use --create-cases to add it)"])
    with Transaction(conn):
        run = _Import(conn, _Options(case_id, create_cases, replace), progress, stage)
        for item in paths:
            if isinstance(item, CaseSource):
                data = case_mapping(item.label, item.data, run.problems)
                if data is not None:
                    run.case(item.label, data)
                if item.events_csv is not None:
                    run.csv_file(item.events_csv)
                continue
            path = Path(item)
            if not path.exists():
                run.problems.add(str(path), None, "no such file")
            elif path.is_dir():
                run.problems.add(str(path), None, "is a folder, not a file")
            elif path.suffix.lower() == ".json":
                data = read_json_case(path, run.problems)
                if data is not None:
                    run.case(str(path), data)
            else:
                run.csv_file(path)
        run.finish()  # raises, rolling the transaction back, when anything was wrong
    return run.result
