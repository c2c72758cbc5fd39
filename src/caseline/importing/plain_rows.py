"""At a glance, whether a batch of CSV rows can skip the full row check: the Python twin of the
SQL test ``caseline.store.writes._PLAIN_ROW`` (plus its whitespace test).

The bulk path writes rows as they come and gives only the *suspect* ones the full row check.
Finding them in SQL means reading every new row back; this looks at each batch while it is
still in memory, with set, ``zip`` and ``map`` work that runs in C, so a clean
file is never read back. A batch that is not plain here is looked at by SQL as before.

What it promises: whenever :meth:`PlainBatches.plain` says a batch is plain, every row of it
passes ``_PLAIN_ROW`` and has no whitespace at either end of any cell (it is stricter, never
looser: any doubt sends the batch to SQL). Every required field is present, every date is an
exact ISO day (checked once per distinct day), every end on or after its start, nothing dated
from another event, and no cell starts or ends with whitespace.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from operator import ge

#: How many distinct days are remembered as good (a file's days are usually a few thousand).
_DAYS_KEPT = 200_000
#: Columns whose every value was seen to be an exact ISO day (or empty) before the whitespace test.
_DAY_COLUMNS = frozenset({"date_start", "date_end", "recorded"})
#: Columns of a few values repeated over many rows: tested once per distinct value.
_FEW_VALUES = frozenset({"case_id", "kind", "actor", "subject", "source", "relative_to", "offset_days"})


class PlainBatches:
    """Judges batches of rows of one file (values in *header* order)."""

    def __init__(self, header: Sequence[str]) -> None:
        self.at = {name: index for index, name in enumerate(header)}
        self._good_days: set[str] = set()

    def _days_ok(self, values: set[str]) -> bool:
        new = values - self._good_days
        for value in new:
            if len(value) != 10:
                return False
            try:
                if date.fromisoformat(value).isoformat() != value:
                    return False
            except ValueError:
                return False
        if len(self._good_days) + len(new) > _DAYS_KEPT:
            self._good_days.clear()
        self._good_days |= new
        return True

    def _days_or_empty_ok(self, cells: Sequence[str]) -> bool:
        given = set(cells)
        given.discard("")
        return self._days_ok(given)

    def plain(self, batch: Sequence[Sequence[str]]) -> bool:
        """Whether every row of *batch* needs no second look (see the module docstring)."""
        if not batch:
            return True
        # One pass turns the rows into columns; each test then reads one column, and a column
        # of a few values (kinds, workers) is tested once per value, not once per row.
        columns = dict(zip(self.at, zip(*batch)))
        if len(columns) != len(self.at):
            return False  # a row shorter than the header (the reader keeps none)
        for name in ("case_id", "kind", "summary"):
            if name not in columns or "" in columns[name]:
                return False
        starts = columns.get("date_start")
        if starts is None or not self._days_ok(set(starts)):
            return False
        ends = columns.get("date_end")
        if ends is not None:
            if not self._days_or_empty_ok(ends):
                return False
            if not all(map(ge, ends, starts)):
                # An empty end is the start's day; the given ones must not come before it.
                if not all(end >= start for start, end in zip(starts, ends) if end):
                    return False
        for name in ("relative_to", "offset_days"):
            if name in columns and not set(columns[name]) <= {""}:
                return False
        if "recorded" in columns and not self._days_or_empty_ok(columns["recorded"]):
            return False
        # No cell with whitespace at either end (str.strip, as the row check strips). Days
        # passed above are exact ISO days; the rest are looked at, by value where few.
        for name, cells in columns.items():
            if name in _DAY_COLUMNS:
                continue
            if name in _FEW_VALUES:
                if any(value != value.strip() for value in set(cells)):
                    return False
            elif tuple(map(str.strip, cells)) != cells:
                return False
        return True
