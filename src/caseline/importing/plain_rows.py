"""At a glance, whether a batch of CSV rows can skip the full row check: the Python twin of the
SQL test ``caseline.store.writes._PLAIN_ROW`` (plus its whitespace test).

The bulk path writes rows as they come and gives only the *suspect* ones the full row check.
Finding them in SQL means reading every new row back; this looks at each batch while it is
still in memory, with set, ``map`` and regular-expression work that runs in C, so a clean
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
from itertools import chain
from operator import ge, itemgetter

#: How many distinct days are remembered as good (a file's days are usually a few thousand).
_DAYS_KEPT = 200_000


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

    def _column(self, batch: Sequence[Sequence[str]], name: str):
        return map(itemgetter(self.at[name]), batch)

    def plain(self, batch: Sequence[Sequence[str]]) -> bool:
        """Whether every row of *batch* needs no second look (see the module docstring)."""
        if not batch:
            return True
        at, column = self.at, self._column
        for name in ("case_id", "kind", "summary"):
            if name not in at or "" in set(column(batch, name)):
                return False
        if "date_start" not in at or not self._days_ok(set(column(batch, "date_start"))):
            return False
        if "date_end" in at:
            ends = set(column(batch, "date_end"))
            ends.discard("")
            if not self._days_ok(ends):
                return False
            if not all(map(ge, column(batch, "date_end"), column(batch, "date_start"))):
                # An empty end is the start's day; the given ones must not come before it.
                if not all(end >= start for start, end in zip(column(batch, "date_start"), column(batch, "date_end"))
                           if end):
                    return False
        for name in ("relative_to", "offset_days"):
            if name in at and not set(column(batch, name)) <= {""}:
                return False
        if "recorded" in at:
            recorded = set(column(batch, "recorded"))
            recorded.discard("")
            if not self._days_ok(recorded):
                return False
        # No cell with whitespace at either end (str.strip, as the row check strips).
        cells = list(chain.from_iterable(batch))
        return list(map(str.strip, cells)) == cells
