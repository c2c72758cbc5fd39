"""How things are named and marked on screen, for every front end (TUI, exports, CLI).

Symbols survive monochrome terminals and print; severities map to *theme variables*
(``error``, ``warning``, ``accent``), never to fixed colours, so themes and high contrast
apply everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from caseline.dates import DateRange
from caseline.model import SEVERITY_RANK, Event, Flag, Person

__all__ = [
    "SYMBOLS",
    "SEVERITY_WORD",
    "SEVERITY_THEME_VARIABLE",
    "severity_symbol",
    "severity_word",
    "worst_severity",
    "age_text",
    "child_for_event",
]

SYMBOLS = {"breach": "✖", "attention": "▲", "info": "●"}
SEVERITY_WORD = {"breach": "Breach", "attention": "Needs attention", "info": "For information"}
#: The Textual theme variable each severity is drawn in.
SEVERITY_THEME_VARIABLE = {"breach": "error", "attention": "warning", "info": "accent"}


def severity_symbol(severity: str, certainty: str = "definite") -> str:
    """One character for a severity that survives monochrome; ``?`` follows a possible flag."""
    symbol = SYMBOLS.get(severity, "•")
    return symbol + ("?" if certainty == "possible" else " ")


def severity_word(severity: str, *, short: bool = False) -> str:
    """``Breach``, ``Needs attention``... or, *short*, ``BREACH``, ``ATTENTION``, ``INFO``."""
    if short:
        return severity.upper()
    return SEVERITY_WORD.get(severity, severity)


def worst_severity(flags: Iterable[Flag]) -> str:
    """The most severe of *flags*' severities (``info`` for none)."""
    return min((flag.severity for flag in flags), key=lambda s: SEVERITY_RANK.get(s, 9), default="info")


# --- Ages -----------------------------------------------------------------------------------


def _years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_text(born: DateRange, at: DateRange) -> str:
    """A child's age at an event, honest about imprecision: ``9y``, ``9-10y``, ``7m``.

    Returns ``""`` when the event is before the child was born.
    """
    if at.end < born.start:
        return ""
    youngest = _years_between(born.end, at.start) if at.start >= born.end else 0
    oldest = _years_between(born.start, at.end)
    if oldest < 1:
        months = (at.end.year - born.start.year) * 12 + at.end.month - born.start.month
        return f"{max(months, 0)}m"
    return f"{youngest}y" if youngest == oldest else f"{youngest}-{oldest}y"


def child_for_event(event: Event, children: Mapping[str, Person]) -> Person | None:
    """The child an event is about: its subject, or the only child with a known birth date."""
    if event.subject and event.subject in children:
        return children[event.subject]
    born = [person for person in children.values() if person.born is not None]
    return born[0] if len(born) == 1 else None
