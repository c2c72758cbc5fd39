"""Investigator notes as the front ends use them: who is writing, when, which tag, where a
note belongs once flags are recomputed, and keeping a note that could not be saved.

What this module promises:

* :func:`default_author` is ``CASELINE_AUTHOR``, else the login name; callers may override it.
* :func:`stamp` is the one clock notes read (UTC, seconds, ISO 8601 with ``Z``).
* :func:`place_notes` puts every note somewhere: on its event, on its flag (matched by the
  flag's stable key, so a note follows its flag through a recomputation), on the case, or —
  when its flag no longer appears (a changed rule, another as-of) — among the *unplaced*
  notes, which every front end shows rather than drops.
* :func:`keep_pending` writes a note that met a locked database to an owner-only file so the
  text survives for a retry; :func:`pending_notes` and :func:`drop_pending` read it back.

No UI and no SQL here (the store does the writing).
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from caseline.model import NOTE_TAGS, Flag, Note

__all__ = [
    "NOTE_TAGS",
    "default_author",
    "stamp",
    "check_tag",
    "PlacedNotes",
    "place_notes",
    "keep_pending",
    "pending_notes",
    "drop_pending",
]


def default_author() -> str:
    """Who is writing: ``CASELINE_AUTHOR`` when set, else the login name."""
    name = os.environ.get("CASELINE_AUTHOR", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): still write the note
        return "unknown"


def stamp(now: datetime | None = None) -> str:
    """``2026-12-01T18:40:12Z``: when a note was written or changed."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_tag(tag: str) -> str:
    """*tag* lower-cased when it is one of :data:`NOTE_TAGS`.

    Raises:
        ValueError: with one sentence naming the tags allowed.
    """
    value = (tag or "").strip().lower()
    if value not in NOTE_TAGS:
        raise ValueError(f"tag {tag!r} is not one of {', '.join(NOTE_TAGS)}")
    return value


@dataclass
class PlacedNotes:
    """The case's notes by what they are about.

    Attributes:
        by_event: event id to its notes.
        by_flag: flag key to its notes (only flags that appear in this analysis).
        case: notes on the case as a whole.
        unplaced: notes on a flag that no longer appears; shown apart, never dropped.
    """

    by_event: dict[int, list[Note]] = field(default_factory=dict)
    by_flag: dict[str, list[Note]] = field(default_factory=dict)
    case: list[Note] = field(default_factory=list)
    unplaced: list[Note] = field(default_factory=list)

    def for_event(self, event_id: int | None) -> list[Note]:
        return self.by_event.get(event_id, []) if event_id is not None else []

    def for_flag(self, key: str | None) -> list[Note]:
        return self.by_flag.get(key, []) if key else []

    def all(self) -> list[Note]:
        notes = [n for group in self.by_event.values() for n in group]
        notes += [n for group in self.by_flag.values() for n in group]
        return sorted(notes + self.case + self.unplaced, key=lambda n: (n.created, n.id))

    def by_tag(self) -> dict[str, list[Note]]:
        """Notes grouped by tag, in :data:`NOTE_TAGS` order (unknown tags last)."""
        groups: dict[str, list[Note]] = {}
        for note in self.all():
            groups.setdefault(note.tag, []).append(note)
        order = {tag: i for i, tag in enumerate(NOTE_TAGS)}
        return dict(sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def place_notes(notes: Iterable[Note], flags: Iterable[Flag]) -> PlacedNotes:
    """Put each note with its event, its flag (by key), the case, or among the unplaced."""
    from caseline.flag_table import FlagTable

    notes = list(notes)
    wanted = {note.flag_key for note in notes if note.flag_key and note.event_id is None}
    # Only the keys notes name are looked for (a long case's table holds its keys compressed).
    keys = flags.keys_among(wanted) if isinstance(flags, FlagTable) else {f.key for f in flags if f.key in wanted}
    placed = PlacedNotes()
    for note in notes:
        if note.deleted:
            continue
        if note.event_id is not None:
            placed.by_event.setdefault(note.event_id, []).append(note)
        elif note.flag_key:
            if note.flag_key in keys:
                placed.by_flag.setdefault(note.flag_key, []).append(note)
            else:
                placed.unplaced.append(note)
        else:
            placed.case.append(note)
    return placed


# --- Notes that met a locked database -------------------------------------------------------


def _pending_folder() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("caseline", appauthor=False)) / "pending-notes"


def keep_pending(db: str | os.PathLike[str], fields: Mapping[str, object]) -> Path:
    """Write a note that could not be saved to an owner-only file; return its path."""
    folder = _pending_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    record = {"db": str(Path(db).resolve()), **fields}
    name = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f") + f"-{os.getpid()}.json"
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle, ensure_ascii=True, indent=1)
    return path


def pending_notes(db: str | os.PathLike[str]) -> list[tuple[Path, dict]]:
    """Kept notes for *db*, oldest first, as ``(file, fields)``."""
    folder = _pending_folder()
    if not folder.is_dir():
        return []
    wanted = str(Path(db).resolve())
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("db") == wanted:
            found.append((path, record))
    return found


def drop_pending(path: Path) -> None:
    path.unlink(missing_ok=True)
