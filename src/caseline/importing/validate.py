"""Checking one event row, field by field: shared by ``import`` and ``check``.

:func:`check_event_fields` looks at a row on its own (dates, kind, summary, numbers) and
names the field at fault (:func:`check_case_fields` and :func:`check_person_fields` do the
same for case files); what needs other rows (cases, refs, ``relative_to``) is the
caller's, because an import and a stored database see other rows differently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from caseline.dates import DateError, DateRange, parse_range
from caseline.importing.json_reader import CASE_FIELDS, PERSON_FIELDS
from caseline.importing.problems import Problems
from caseline.kinds import PERSON_ROLES, is_known_kind


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    what: str


@dataclass(frozen=True, slots=True)
class CheckedEvent:
    """A row's fields as read: ``dates`` is ``None`` when they come from ``relative_to``."""

    event_id: int | None
    kind: str
    summary: str
    dates: DateRange | None
    offset: int | None
    known_kind: bool


def _text(values: Mapping[str, object], name: str) -> str:
    value = values.get(name)
    return "" if value is None else str(value).strip()


def is_date_or_timestamp(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
        return True
    except ValueError:
        try:
            parse_range(text)
            return True
        except DateError:
            return False


def check_event_fields(values: Mapping[str, object]) -> tuple[CheckedEvent, list[FieldProblem]]:
    """Read and check one row's own fields.

    Args:
        values: column name to value (text from a file, or what SQLite holds).

    Returns:
        What was read, and the problems found (empty when the row is sound).
    """
    problems: list[FieldProblem] = []
    event_id: int | None = None
    raw_id = _text(values, "id")
    if raw_id:
        try:
            event_id = int(raw_id)
        except ValueError:
            problems.append(FieldProblem("id", f"{raw_id!r} is not a whole number (put your own identifiers in 'ref')"))

    kind = _text(values, "kind")
    if not kind:
        problems.append(FieldProblem("kind", "is empty"))
    summary = _text(values, "summary")
    if not summary:
        problems.append(FieldProblem("summary", "is empty"))

    relative_to = _text(values, "relative_to")
    offset_text = _text(values, "offset_days")
    offset: int | None = None
    if offset_text:
        try:
            offset = int(offset_text)
        except ValueError:
            problems.append(FieldProblem("offset_days", f"{offset_text!r} is not a whole number of days"))
    if offset is not None and not relative_to:
        problems.append(FieldProblem("offset_days", "is given without relative_to (the event it counts from)"))

    dates: DateRange | None = None
    date_start, date_end = _text(values, "date_start"), _text(values, "date_end")
    if date_start:
        try:
            dates = parse_range(date_start, date_end)
        except DateError as exc:
            problems.append(FieldProblem(exc.field or "date_start", str(exc)))
    elif not (relative_to and offset is not None):
        problems.append(FieldProblem("date_start", "is empty (use YYYY-MM-DD, YYYY-MM or YYYY)"))

    recorded = _text(values, "recorded")
    if recorded and not is_date_or_timestamp(recorded):
        problems.append(FieldProblem("recorded", f"{recorded!r} is not an ISO date or date-time"))
    return CheckedEvent(event_id, kind, summary, dates, offset, is_known_kind(kind)), problems


# --- Cases and people (JSON case files, sample case.toml) -----------------------------------------


def as_text(value: object) -> str:
    """A JSON or TOML value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _id_of(where: str, mapping: Mapping, allowed: tuple[str, ...], problems: Problems, hint: str) -> str:
    """The mapping's ``id`` after noting unknown fields; ``""`` (noted) when it has none."""
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        problems.add(where, None, f"unknown field(s) {', '.join(map(str, unknown))}{hint}")
    found = as_text(mapping.get("id")).strip()
    if not found:
        problems.add(where, "id", "is empty")
    return found


def _date_field(where: str, name: str, text: str, problems: Problems) -> None:
    if text:
        try:
            parse_range(text)
        except DateError as exc:
            problems.add(where, name, str(exc))


def check_case_fields(where: str, case: dict, problems: Problems) -> tuple | None:
    """A case mapping as a ``cases`` row (in store column order), or ``None`` after noting why."""
    case_id = _id_of(where, case, CASE_FIELDS, problems, f"; case fields are {', '.join(CASE_FIELDS)}")
    if not case_id:
        return None
    records_from = as_text(case.get("records_from")).strip()
    _date_field(where, "records_from", records_from, problems)
    as_of = as_text(case.get("as_of")).strip()
    _date_field(where, "as_of", as_of, problems)
    complete_for = _kind_list(where, case.get("complete_for"), problems)
    teaching = case.get("teaching")
    return (
        case_id,
        as_text(case.get("title")).strip() or case_id,
        as_text(case.get("council")).strip(),
        as_text(case.get("summary")).strip(),
        as_text(case.get("source")).strip(),
        1 if case.get("illustrative") in (True, 1, "1", "true", "yes") else 0,
        records_from or None,
        json.dumps(teaching) if teaching else None,
        as_of or None,
        ",".join(complete_for) or None,
    )


def _kind_list(where: str, value: object, problems: Problems) -> list[str]:
    """``complete_for``: a list of event kinds, or one string of them separated by commas."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    kinds = [str(item).strip() for item in items if str(item).strip()]
    for kind in kinds:
        if kind != "all" and not is_known_kind(kind):
            problems.add(where, "complete_for", f"{kind!r} is not a known event kind")
    return kinds


def check_person_fields(where: str, case_id: str, person: object, problems: Problems) -> tuple | None:
    """A person mapping as a ``people`` row, or ``None`` after noting why."""
    if not isinstance(person, dict):
        problems.add(where, None, "must be an object with id, name, role, born")
        return None
    person_id = _id_of(where, person, PERSON_FIELDS, problems, "")
    if not person_id:
        return None
    role = as_text(person.get("role")).strip() or "other"
    if role not in PERSON_ROLES:
        problems.add(where, "role", f"{role!r} is not one of {', '.join(PERSON_ROLES)}")
    born = as_text(person.get("born")).strip()
    _date_field(where, "born", born, problems)
    return (case_id, person_id, as_text(person.get("name")).strip() or person_id, role, born or None)
