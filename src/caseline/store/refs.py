"""Event refs to days: where a case's pause points (``event = "L06"``) stop a replay.

One query per case; only ``ref`` and ``date_start`` are read. Refs are the case's own labels
(``L06``, ``K17``): an event with no ref cannot anchor a pause point.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from caseline.dates import OrdinalCache

__all__ = ["ref_start_days"]


def ref_start_days(conn: sqlite3.Connection, case_id: str) -> dict[str, date]:
    """``ref`` to the first day each referenced event may have happened on."""
    first = OrdinalCache().first
    found: dict[str, date] = {}
    rows = conn.execute(
        "SELECT ref, date_start FROM events WHERE case_id = ? AND coalesce(ref, '') != ''", (case_id,)
    )
    for ref, start in rows:
        try:
            found.setdefault(str(ref), date.fromordinal(first(start)))
        except Exception:  # an unreadable date: that event cannot anchor a pause point
            continue
    return found
