"""Validate a database however it was filled: by caseline, or by plain ``sqlite-utils insert``.

``check`` only reads. It reports problems (the data cannot be trusted as it is) and warnings
(it can be used, but something is unusual), each as one line naming table, row and field.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from caseline.dates import DateError
from caseline.kinds import KNOWN_KINDS, PERSON_ROLES
from caseline.store import SCHEMA, existing_tables, event_dates

REQUIRED_TABLES = ("cases", "events")
MAX_LINES_PER_CHECK = 50


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    suppressed: int = 0
    events_checked: int = 0
    cases: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


class _Limited:
    """Caps how many lines one kind of finding adds, counting the rest."""

    def __init__(self, report: CheckReport, target: list[str]) -> None:
        self.report, self.target, self.count = report, target, 0

    def add(self, line: str) -> None:
        self.count += 1
        if self.count <= MAX_LINES_PER_CHECK:
            self.target.append(line)
        else:
            self.report.suppressed += 1


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info([{table}])")}


def check_database(conn: sqlite3.Connection) -> CheckReport:
    """Check structure, then every event row. Never writes."""
    report = CheckReport()
    tables = existing_tables(conn)
    for table in REQUIRED_TABLES:
        if table not in tables:
            report.problems.append(f"table {table}: missing (run 'caseline init DB' to create it)")
    for table in ("people", "notes", "policy", "guidance"):
        if table not in tables:
            report.warnings.append(f"table {table}: missing (run 'caseline init DB' to add it)")
    columns: dict[str, set[str]] = {}
    for table in tables & set(SCHEMA):
        have = columns[table] = _columns(conn, table)
        for column, (_, required, _) in SCHEMA[table].items():
            if column in have:
                continue
            line = f"table {table}: column {column} is missing"
            if required and not (table == "events" and column == "id"):
                report.problems.append(line)
            else:
                report.warnings.append(line + " (run 'caseline init DB' to add it)")
    if "events" not in tables:
        return report
    event_cols = columns["events"]
    if not {"case_id", "date_start", "kind", "summary"} <= event_cols:
        return report

    case_ids: set[str] | None = None
    if "cases" in tables and "id" in columns.get("cases", set()):
        case_ids = {str(row[0]) for row in conn.execute("SELECT id FROM cases")}
        report.cases = len(case_ids)
    _check_events(conn, event_cols, case_ids, report)
    if "people" in tables and {"role", "case_id", "id"} <= columns.get("people", set()):
        roles = _Limited(report, report.warnings)
        for case_id, person_id, role in conn.execute("SELECT case_id, id, role FROM people"):
            if role and role not in PERSON_ROLES:
                roles.add(f"people {case_id}/{person_id}: role: {role!r} is not one of {', '.join(PERSON_ROLES)}")
    return report


def _check_events(conn: sqlite3.Connection, cols: set[str], case_ids: set[str] | None, report: CheckReport) -> None:
    has = {name: name in cols for name in ("date_end", "ref", "relative_to", "id")}
    select = ", ".join(
        [
            "rowid",
            "id" if has["id"] else "rowid",
            "case_id",
            "date_start",
            "date_end" if has["date_end"] else "NULL",
            "kind",
            "summary",
            "ref" if has["ref"] else "NULL",
            "relative_to" if has["relative_to"] else "NULL",
        ]
    )
    bad_dates = _Limited(report, report.problems)
    empty = _Limited(report, report.problems)
    unknown_case: dict[str, int] = {}
    unknown_kinds: dict[str, int] = {}
    refs: dict[tuple[str, str], int] = {}
    relatives: list[tuple[object, str, str]] = []
    duplicate_refs = _Limited(report, report.problems)
    cursor = conn.execute(f"SELECT {select} FROM events")
    while batch := cursor.fetchmany(10000):
        for _, event_id, case_id, start, end, kind, summary, ref, relative_to in batch:
            report.events_checked += 1
            where = f"events id {event_id}"
            case_text = "" if case_id is None else str(case_id)
            if not case_text:
                empty.add(f"{where}: case_id: is empty")
            elif case_ids is not None and case_text not in case_ids:
                unknown_case[case_text] = unknown_case.get(case_text, 0) + 1
            try:
                event_dates(start, end)
            except DateError as exc:
                column = "date_end" if "date_end" in str(exc) or (end and "before" in str(exc)) else "date_start"
                bad_dates.add(f"{where}: {column}: {exc}")
            if not kind:
                empty.add(f"{where}: kind: is empty")
            elif kind not in KNOWN_KINDS:
                unknown_kinds[str(kind)] = unknown_kinds.get(str(kind), 0) + 1
            if summary is None or not str(summary).strip():
                empty.add(f"{where}: summary: is empty")
            if ref:
                key = (case_text, str(ref))
                if key in refs:
                    duplicate_refs.add(f"{where}: ref: {ref!r} is also used by events id {refs[key]} in case {case_text!r}")
                else:
                    refs[key] = event_id
            if relative_to:
                relatives.append((event_id, case_text, str(relative_to)))
    for case_id, count in sorted(unknown_case.items()):
        report.problems.append(
            f"events: case_id {case_id!r} ({count} event{'s' if count != 1 else ''}) is not in the cases table"
        )
    for kind, count in sorted(unknown_kinds.items()):
        report.warnings.append(
            f"events: kind {kind!r} ({count} event{'s' if count != 1 else ''}) is not a known kind; it is shown but no rule uses it"
        )
    dangling = _Limited(report, report.problems)
    for event_id, case_id, anchor in relatives:
        if (case_id, anchor) not in refs:
            dangling.add(f"events id {event_id}: relative_to: no event with ref {anchor!r} in case {case_id!r}")
