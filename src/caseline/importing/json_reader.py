"""Whole cases from JSON: ``{"case": {...}, "people": [...], "events": [...]}``."""

from __future__ import annotations

import json
from pathlib import Path

from caseline.importing.problems import Problems

CASE_FIELDS = ("id", "title", "council", "summary", "source", "illustrative", "records_from", "teaching",
               "as_of", "complete_for")
PERSON_FIELDS = ("id", "name", "role", "born")


def read_json_case(path: Path, problems: Problems) -> dict | None:
    """The case mapping in *path*, or ``None`` after noting what is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add(str(path), None, f"cannot be read ({exc.strerror})")
        return None
    if not raw.strip():
        problems.add(str(path), None, "is empty")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add(f"{path}:{line}", None, f"is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8")
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.add(f"{path}:{exc.lineno}", None, f"is not valid JSON ({exc.msg})")
        return None
    except RecursionError:
        problems.add(str(path), None, "is nested too deeply to be a case file")
        return None
    return case_mapping(str(path), data, problems)


def case_mapping(label: str, data: object, problems: Problems) -> dict | None:
    """Check the shape of a case mapping (from JSON, or a sample's case.toml)."""
    if not isinstance(data, dict) or not isinstance(data.get("case"), dict):
        problems.add(label, None, 'must be a JSON object {"case": {...}, "people": [...], "events": [...]}')
        return None
    extra = sorted(set(data) - {"case", "people", "events"})
    if extra:
        problems.add(label, None, f"unknown key(s) {', '.join(map(str, extra))}; expected case, people, events")
    for key in ("people", "events"):
        if key in data and not isinstance(data[key], list):
            problems.add(label, key, "must be a list")
            return None
    return data
