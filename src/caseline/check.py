"""Validate a database however it was filled: by caseline, or by plain ``sqlite-utils insert``.

``check`` only reads. It reports problems (the data cannot be trusted as it is) and warnings
(it can be used, but something is unusual), each as one line naming table, row and field.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from caseline.importing.validate import check_event_fields
from caseline.kinds import PERSON_ROLES
from caseline.store import SCHEMA, existing_tables, table_columns
from caseline.store.inspect import (
    dangling_relatives,
    events_without_subject,
    duplicate_refs,
    raw_case_ids,
    raw_event_rows,
    raw_people_roles,
)

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


def check_database(conn: sqlite3.Connection, progress: Callable[[int], None] | None = None) -> CheckReport:
    """Check structure, then every event row. Never writes.

    Args:
        progress: called now and then with the number of events checked so far.
    """
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
        have = columns[table] = table_columns(conn, table)
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
        case_ids = raw_case_ids(conn)
        report.cases = len(case_ids)
    _check_events(conn, event_cols, case_ids, report, progress)
    if "people" in tables and {"role", "case_id", "id"} <= columns.get("people", set()):
        roles = _Limited(report, report.warnings)
        for case_id, person_id, role in raw_people_roles(conn):
            if role and role not in PERSON_ROLES:
                roles.add(f"people {case_id}/{person_id}: role: {role!r} is not one of {', '.join(PERSON_ROLES)}")
        _check_subjects(conn, report)
    return report


def _check_subjects(conn: sqlite3.Connection, report: CheckReport) -> None:
    """A case with several children whose child-level events name no child: each such event
    is read as concerning every child (one child's visit would satisfy a sibling's rule)."""
    from caseline.guidance import load_library
    from caseline.rules.engine import required_kinds

    kinds = required_kinds(rule for rule in load_library() if rule.scope == "child")
    for case_id, children, count in events_without_subject(conn, kinds):
        report.warnings.append(
            f"case {case_id!r}: {children} children, but {count} child-level event{'s' if count != 1 else ''} "
            f"(visits, reviews, plans, placements) name no subject; each is read as concerning every child "
            f"(set events.subject to the child's person id)"
        )


def _check_events(conn: sqlite3.Connection, cols: set[str], case_ids: set[str] | None, report: CheckReport,
                  progress: Callable[[int], None] | None = None) -> None:
    """Every row through the shared row check, then refs and ``relative_to`` by SQLite (so
    memory stays flat however many events there are)."""
    field_problems = _Limited(report, report.problems)
    unknown_case: dict[str, int] = {}
    unknown_kinds: dict[str, int] = {}
    for row in raw_event_rows(conn):
        report.events_checked += 1
        if progress is not None and report.events_checked % 50_000 == 0:
            progress(report.events_checked)
        event_id = row["id"]
        where = f"events id {event_id}"
        case_text = "" if row["case_id"] is None else str(row["case_id"])
        if not case_text:
            field_problems.add(f"{where}: case_id: is empty")
        elif case_ids is not None and case_text not in case_ids:
            unknown_case[case_text] = unknown_case.get(case_text, 0) + 1
        # The same row check as import, without the id (SQLite assigned it).
        checked, problems = check_event_fields({**row, "id": None})
        for problem in problems:
            field_problems.add(f"{where}: {problem.field}: {problem.what}")
        if checked.kind and not checked.known_kind:
            unknown_kinds[checked.kind] = unknown_kinds.get(checked.kind, 0) + 1
    if progress is not None:
        progress(report.events_checked)
    for case_id, count in sorted(unknown_case.items()):
        report.problems.append(
            f"events: case_id {case_id!r} ({count} event{'s' if count != 1 else ''}) is not in the cases table"
        )
    for kind, count in sorted(unknown_kinds.items()):
        report.warnings.append(
            f"events: kind {kind!r} ({count} event{'s' if count != 1 else ''}) is not a known kind; it is shown but no rule uses it"
        )
    duplicates = _Limited(report, report.problems)
    for event_id, case_id, ref, first in duplicate_refs(conn, MAX_LINES_PER_CHECK + 1):
        duplicates.add(f"events id {event_id}: ref: {ref!r} is also used by events id {first} in case {case_id!r}")
    dangling = _Limited(report, report.problems)
    for event_id, case_id, anchor in dangling_relatives(conn, MAX_LINES_PER_CHECK + 1):
        dangling.add(f"events id {event_id}: relative_to: no event with ref {anchor!r} in case {case_id!r}")
