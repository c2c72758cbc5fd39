"""Replay: a case stepped through as it unfolded, for a trainer in front of a room.

Headless (no Textual, no Rich): the replay screen and the tests drive the same objects.

* :class:`ReplayClock` holds the as-of date and moves it: to the next or previous event's
  day, by a week or a month, or to a chosen day, always inside the chronology. A move
  forward stops at the first pause point it would pass that has not yet been revealed.
* :func:`pause_points` reads a case's ``[[teaching.pause]]`` entries: each stops the replay
  at a date (``at``) or on the day an event begins (``event``, its ``ref``).
* :func:`overdue_now` reads the engine's flags *at* the as-of date and picks those still
  running to it past their due date ("CIN visit overdue by 14 days"). The rules stay in the
  engine: this only reads a flag's ``due``, ``end`` and key, never re-measures an interval.
* :class:`Answers` keeps the trainees' answers for the session; :func:`answers_markdown`
  and :func:`write_answers` export them (the file is created owner-only, 0600).

Promises: the clock never leaves ``[first, last]``; :attr:`ReplayClock.visible` is the number
of events begun by the as-of date (the same "known by then" the engine uses: an event is
known once its first possible day has come); moving backwards never stops at a pause point.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from caseline.dates import add_months, format_day
from caseline.model import Flag

__all__ = [
    "PausePoint",
    "pause_points",
    "ReplayClock",
    "Move",
    "Overdue",
    "overdue_now",
    "overdue_candidates",
    "next_due",
    "teaching_sections",
    "Answers",
    "answers_markdown",
    "write_answers",
    "SPEEDS",
]

#: Seconds between steps when playing, slowest first; the replay screen cycles through them.
SPEEDS = (3.0, 1.5, 0.75, 0.3)

#: Flag kinds that can be overdue while nothing has closed them yet.
_RUNNING_KINDS = frozenset({"gap", "deadline", "review"})
#: Key endings the engine gives a flag that runs to the as-of date (nothing has closed it).
_RUNNING_TAGS = (":open", ":missed")


@dataclass(frozen=True)
class PausePoint:
    """One stop of the replay: a question for the room, and what continuing reveals.

    Attributes:
        index: its position in the case's list (answers are kept by it).
        day: the as-of date the replay stops at.
        question: what the trainer asks.
        reveal: the teaching point shown once the room has answered.
        source: the paragraphs the reveal rests on.
        event_ref: the event it is anchored to, if any.
    """

    index: int
    day: date
    question: str
    reveal: str
    source: str = ""
    event_ref: str = ""

    @property
    def where(self) -> str:
        if self.event_ref:
            return f"event {self.event_ref}, {format_day(self.day)}"
        return format_day(self.day)


def pause_points(teaching: Mapping, ref_days: Mapping[str, date]) -> list[PausePoint]:
    """The case's pause points in replay order.

    Args:
        teaching: the case's teaching notes (``cases.teaching``).
        ref_days: event ``ref`` to the first day it may have happened (for ``event = ...``).

    Pause points naming an unknown event or an unreadable date are left out, not raised:
    a replay must start even when a hand-edited case.toml is wrong (``caseline check`` and
    the sample tests catch that).
    """
    found = []
    for index, raw in enumerate(teaching.get("pause", []) or []):
        if not isinstance(raw, Mapping):
            continue
        ref = str(raw.get("event", "") or "")
        if ref:
            day = ref_days.get(ref)
        else:
            try:
                day = date.fromisoformat(str(raw.get("at", ""))[:10])
            except ValueError:
                day = None
        if day is None:
            continue
        found.append(PausePoint(index, day, str(raw.get("question", "")).strip(),
                                str(raw.get("reveal", "")).strip(), str(raw.get("source", "")).strip(), ref))
    found.sort(key=lambda p: (p.day, p.index))
    return found


@dataclass(frozen=True)
class Move:
    """Where a move left the clock: the as-of date, and the pause point it stopped at."""

    as_of: date
    pause: PausePoint | None = None
    at_end: bool = False


class ReplayClock:
    """The as-of date of a replay and the ways to move it.

    Args:
        starts: the case's event start days as ordinals, in date order (``load_order``).
        pauses: the pause points (:func:`pause_points`).
        last: the last day of the chronology (default: the last start day).
    """

    def __init__(self, starts: Sequence[int], pauses: Iterable[PausePoint] = (), last: date | None = None) -> None:
        self.starts = starts
        self.days: list[int] = sorted(set(starts))  # distinct event days: what "next event" steps to
        if not self.days:
            raise ValueError("a case with no events cannot be replayed")
        self.first = date.fromordinal(self.days[0])
        self.last = max(last or self.first, date.fromordinal(self.days[-1]))
        self.pauses = list(pauses)
        self.revealed: set[int] = set()
        self.as_of = self.first

    # What is known -------------------------------------------------------------------------

    @property
    def visible(self) -> int:
        """How many events had begun by the as-of date (a prefix of the ordered index)."""
        return bisect_right(self.starts, self.as_of.toordinal())

    @property
    def at_end(self) -> bool:
        return self.as_of >= self.last

    def pause_here(self) -> PausePoint | None:
        """An unrevealed pause point on the as-of date itself (the replay is stopped at it)."""
        for pause in self.pauses:
            if pause.day == self.as_of and pause.index not in self.revealed:
                return pause
        return None

    def reveal(self, pause: PausePoint) -> None:
        """Mark *pause* as answered and revealed: moves no longer stop at it."""
        self.revealed.add(pause.index)

    # Moves ---------------------------------------------------------------------------------

    def _clamp(self, day: date) -> date:
        return min(max(day, self.first), self.last)

    def _go(self, target: date) -> Move:
        target = self._clamp(target)
        if target > self.as_of:
            for pause in self.pauses:
                if self.as_of < pause.day <= target and pause.index not in self.revealed:
                    target = pause.day
                    self.as_of = target
                    return Move(target, pause, self.at_end)
        self.as_of = target
        return Move(target, None, self.at_end)

    def next_event(self) -> Move:
        """To the next day an event begins on (or the last day of the chronology)."""
        k = bisect_right(self.days, self.as_of.toordinal())
        return self._go(date.fromordinal(self.days[k]) if k < len(self.days) else self.last)

    def previous_event(self) -> Move:
        """Back one event day: the latest day shown is hidden again (never before the first)."""
        k = bisect_right(self.days, self.as_of.toordinal())  # days[k-1]: the latest day shown
        return self._go(date.fromordinal(self.days[max(k - 2, 0)]))

    def step_days(self, days: int) -> Move:
        return self._go(self.as_of + timedelta(days=days))

    def step_months(self, months: int) -> Move:
        return self._go(add_months(self.as_of, months))

    def jump(self, day: date) -> Move:
        """To *day*; a jump forward stops at a pause point on the way, like any move."""
        return self._go(day)

    def to_end(self) -> Move:
        return self._go(self.last)


# --- What is overdue now ------------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """A flag still open at the as-of date and past its due day."""

    flag: Flag
    label: str
    days: int
    definite: bool

    def text(self) -> str:
        if self.definite:
            return f"{self.label} overdue by {self.days} day{'s' if self.days != 1 else ''}"
        return f"{self.label} may be overdue (due by {format_day(self.flag.due)} at the latest)"


def overdue_now(flags: Iterable[Flag], as_of: date, labels: Mapping[str, str] | None = None) -> list[Overdue]:
    """The flags (computed by the engine *at* ``as_of``) still running to it past their due day.

    A gap with no later visit yet, a deadline or review with nothing recorded: the engine
    gives these flags keys ending ``:open`` or ``:missed`` and an end on the as-of date. A
    *definite* one is overdue by ``as_of - due`` days (``due`` is the latest the event could
    have been due on, so the count never overstates); a *possible* one only may be.
    """
    labels = labels or {}
    found = []
    for flag in flags:
        if flag.kind not in _RUNNING_KINDS or flag.due is None or flag.end != as_of:
            continue
        if not flag.key.endswith(_RUNNING_TAGS):
            continue
        days = (as_of - flag.due).days
        if flag.certainty == "definite" and days <= 0:
            continue
        label = labels.get(flag.rule, flag.rule.replace("_", " "))
        found.append(Overdue(flag, label, max(days, 0), flag.certainty == "definite"))
    found.sort(key=lambda o: (not o.definite, -o.days, o.flag.key))
    return found


def next_due(flags: Iterable[Flag], as_of: date, labels: Mapping[str, str] | None = None) -> str:
    """The engine's earliest pending deadline at *as_of*, as "CIN visit by 1 Nov 2021" ("" if none)."""
    labels = labels or {}
    pending = sorted((f for f in flags if f.kind == "pending" and f.due is not None and f.due >= as_of),
                     key=lambda f: (f.due, f.key))
    if not pending:
        return ""
    flag = pending[0]
    return f"{labels.get(flag.rule, flag.rule.replace('_', ' '))} by {format_day(flag.due)}"


def overdue_candidates(flags: Iterable[Flag], after: date, before: date) -> list[date]:
    """Days strictly between *after* and *before* on which something may have fallen overdue.

    *flags* are the engine's at *before*: a gap, deadline or review flag due on day D was
    overdue from D + 1, if nothing had closed it by then. The replay checks each candidate
    with the engine's flags *at* that day (:func:`overdue_now`) and stops at the first where
    something is overdue, so the room sees it fall due before the event that closes it.
    No rule is applied here: the due dates are the engine's.
    """
    days = {flag.due + timedelta(days=1) for flag in flags
            if flag.kind in _RUNNING_KINDS and flag.due is not None and flag.severity != "info"}
    return sorted(day for day in days if after < day < before)


# --- Teaching notes ----------------------------------------------------------------------------

_SECTIONS = (
    ("reveal", "What the Ombudsman found"),
    ("fault", "Fault"),
    ("no_fault", "No fault found in"),
    ("injustice", "Injustice"),
    ("remedy", "Remedy"),
    ("agreed_actions", "The council's agreed actions"),
    ("caution", "About this sample"),
)


def teaching_sections(teaching: Mapping) -> list[tuple[str, str]]:
    """The teaching notes as (heading, text), in the order the reveal screen shows them."""
    sections = []
    for key, heading in _SECTIONS:
        text = teaching.get(key)
        if isinstance(text, str) and text.strip():
            sections.append((heading, " ".join(text.split())))
    return sections


# --- Answers -----------------------------------------------------------------------------------


@dataclass
class Answers:
    """The room's answers, by pause point index, kept for the session only."""

    case_id: str
    by_pause: dict[int, str] = field(default_factory=dict)

    def record(self, pause: PausePoint, text: str) -> None:
        self.by_pause[pause.index] = text.strip()

    def get(self, pause: PausePoint) -> str:
        return self.by_pause.get(pause.index, "")

    def __len__(self) -> int:
        return len(self.by_pause)


def answers_markdown(title: str, pauses: Sequence[PausePoint], answers: Answers) -> str:
    """The session's questions, answers and reveals as Markdown (plain text from the case)."""
    lines = [f"# Replay answers: {title}", ""]
    for number, pause in enumerate(pauses, 1):
        lines += [f"## {number}. {pause.where}", "", f"**Question.** {' '.join(pause.question.split())}", ""]
        answer = answers.get(pause)
        lines += [f"**Answer.** {answer}" if answer else "**Answer.** (none given)", ""]
        if pause.index in answers.by_pause:
            lines += [f"**Revealed.** {' '.join(pause.reveal.split())}", ""]
            if pause.source:
                lines += [f"Source: {pause.source}", ""]
    return "\n".join(lines)


def write_answers(folder: str | Path, case_id: str, text: str, now: datetime | None = None) -> Path:
    """Write *text* to a new owner-only (0600) file in *folder*; returns its path."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in case_id)[:80]
    path = Path(folder) / f"caseline-answers-{safe}-{stamp}.md"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    return path
