"""The timeline's columns: how wide each is, and dates that keep their year in any width.

Promises:

* The date column is as wide as the widest date it must show (measured over the rows the
  screen knows: a long case's first screen and every flag), and no wider.
* A date never loses its year: when the column is narrower than a date's full form
  (``~1 Oct 2021-31 Mar 2022``), a shorter form is used (``~1 Oct 21-31 Mar 22``, then
  ``~Oct 21-Mar 22``, then ``~2021-22``); :func:`date_forms` lists them longest first.
* The age column is there only when some child's birth date is known; the summary takes
  what is left, and the kind and actor columns give way first on narrow terminals.

Pure functions of strings and widths: no Textual, no Rich.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from caseline.dates import MONTH_ABBR, DateRange, format_day, format_range

__all__ = ["Columns", "date_forms", "fit_date", "span_forms", "layout_columns", "MIN_SUMMARY"]

#: The summary gets two fifths of the width (and never fewer cells than this) while another column
#: can give way.
MIN_SUMMARY = 18
SYMBOL = 2

_FOUR_DIGIT_YEAR = re.compile(r"(?<=[A-Za-z] )(\d{2})(\d{2})\b")


def _short_years(text: str) -> str:
    """``15 Sep 2021`` -> ``15 Sep 21`` (a year after a month only: a lone ``~2019`` stays)."""
    return _FOUR_DIGIT_YEAR.sub(lambda m: m.group(2), text)


def _month(d: date, year: bool = True) -> str:
    return f"{MONTH_ABBR[d.month - 1]} {d.year % 100:02d}" if year else MONTH_ABBR[d.month - 1]


def date_forms(r: DateRange) -> list[str]:
    """An event's date from the longest form to the shortest, every one with its year."""
    full = format_range(r)
    forms = [full, _short_years(full)]
    s, e = r.start, r.end
    if s != e:
        if (s.year, s.month) == (e.year, e.month):
            forms.append(f"~{_month(s)}")
        elif s.year == e.year:
            forms.append(f"~{_month(s, False)}-{_month(e)}")
        else:
            forms.append(f"~{_month(s)}-{_month(e)}")
        forms.append(f"~{s.year}" if s.year == e.year else f"~{s.year}-{e.year % 100:02d}")
    return list(dict.fromkeys(forms))


def span_forms(start: date, end: date, approximate: bool) -> list[str]:
    """A span such as a gap's (``20 Sep-27 Nov 2021``); ``~`` only when its ends are imprecise."""
    return date_forms(DateRange(start, max(start, end))) if approximate else [
        f.lstrip("~") for f in date_forms(DateRange(start, max(start, end)))]


def due_forms(due: date) -> list[str]:
    """``due 15 Dec 2021``, then ``due 15 Dec 21``."""
    text = f"due {format_day(due)}"
    return list(dict.fromkeys([text, _short_years(text)]))


def fit_date(forms: list[str], width: int) -> str:
    """The longest of *forms* that fits *width* (the shortest, cut, when none does)."""
    for form in forms:
        if len(form) <= width:
            return form
    return forms[-1][:width]


@dataclass(frozen=True, slots=True)
class Columns:
    """Cells for each column of a timeline row (0: the column is left out)."""

    date: int
    age: int
    kind: int
    actor: int
    summary: int


def layout_columns(
    width: int,
    date_widths: Iterable[Sequence[int]],
    has_age: bool,
    kind_width: int,
    actor_width: int,
) -> Columns:
    """Share *width* cells between the columns.

    Args:
        width: the timeline's width.
        date_widths: for each date the screen knows, the lengths of its forms (longest
            first, as :func:`date_forms` gives them).
        has_age: whether any child's birth date is known.
        kind_width: the longest kind label; actor_width the longest actor name.
    """
    forms = [list(w) for w in date_widths] or [[11]]
    levels = max(len(f) for f in forms)
    # The column needed so every date shows in form *level* (or its own shortest, if shorter).
    needed = [max(f[min(level, len(f) - 1)] for f in forms) for level in range(levels)]
    age = 6 if has_age else 0  # "10-11y"
    kind = min(kind_width, 20)
    actor = min(actor_width, 18)
    level = 0

    def used() -> int:
        gaps = sum(1 for w in (age, kind, actor) if w)
        return SYMBOL + needed[level] + 1 + (age + kind + actor) + gaps

    # Give way in turn until the summary has its minimum: actor, kinds shortened, the
    # date's shorter forms, the age, the kind, the actor altogether, the shortest dates.
    steps = [
        lambda: ("actor", min(actor, 12)),
        lambda: ("kind", min(kind, 14)),
        lambda: ("level", min(level + 1, levels - 1)),
        lambda: ("actor", 0),
        lambda: ("kind", min(kind, 11)),
        lambda: ("age", 0),
        lambda: ("level", levels - 1),
        lambda: ("kind", 0),
    ]
    wanted = max(MIN_SUMMARY, width * 2 // 5)
    for step in steps:
        if width - used() >= wanted:
            break
        name, value = step()
        if name == "actor":
            actor = value
        elif name == "kind":
            kind = value
        elif name == "age":
            age = value
        else:
            level = value
    summary = max(0, width - used())
    return Columns(needed[level], age, kind, actor, summary)
