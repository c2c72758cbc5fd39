"""The timeline's queries: the ordered index, anchors for flag rows, search, the lanes' rows.

A case may hold a million events, so these return compact arrays or short lists, never an
object per event. Every query uses :data:`~caseline.store.reads.ORDER`, so positions in
:func:`load_order`'s arrays and :func:`search_positions`' answers agree.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Iterable

from caseline.dates import OrdinalCache
from caseline.model import EventFilter
from caseline.store.reads import ORDER, chunked

__all__ = ["filter_where", "load_order", "anchor_dates", "search_positions", "load_lane_rows"]


def filter_where(event_filter: EventFilter | None, case_id: str,
                 flag_event_ids: Iterable[int] | None = None) -> tuple[str, list]:
    """SQL ``WHERE`` clause and parameters selecting the events *event_filter* keeps."""
    event_filter = event_filter or EventFilter()
    clauses, params = ["case_id = ?"], [case_id]
    for column, values in (("kind", event_filter.kinds), ("actor", event_filter.actors)):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(sorted(values))
    if event_filter.severities:
        wanted = sorted(set(flag_event_ids or ()))
        # SQLite's default limit on parameters is 32766; a severity filter keeps few events.
        clauses.append(f"id IN ({','.join('?' * len(wanted))})" if wanted else "0")
        params.extend(wanted)
    return " AND ".join(clauses), params


def load_order(
    conn: sqlite3.Connection,
    case_id: str,
    event_filter: EventFilter | None = None,
    flag_event_ids: Iterable[int] | None = None,
    limit: int | None = None,
) -> tuple[array, array]:
    """The case's event ids and start-day ordinals in date order, with one query.

    Args:
        limit: only the first rows (the first screen of a long case, painted while the
            rest is read in the background).

    Returns:
        ``(ids, starts)``: ``array('q')`` of ids and ``array('l')`` of ordinals. A partial date
        such as ``2021-09`` maps to the first day it covers, so ``starts`` never decreases.
    """
    where, params = filter_where(event_filter, case_id, flag_event_ids)
    ids, starts = array("q"), array("l")
    first = OrdinalCache().first
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a third faster than sqlite3.Row over 1M rows
    cap = f" LIMIT {int(limit)}" if limit else ""
    cursor.execute(f"SELECT id, date_start FROM events WHERE {where} {ORDER}{cap}", params)
    while batch := cursor.fetchmany(65536):
        ids.extend([row[0] for row in batch])
        starts.extend([first(row[1]) for row in batch])
    return ids, starts


def anchor_dates(conn: sqlite3.Connection, event_ids: Iterable[int]) -> dict[int, int]:
    """Start-day ordinals of some events (those flags rest on), for placing flag rows."""
    found: dict[int, int] = {}
    first = OrdinalCache().first
    for chunk in chunked(sorted(set(event_ids))):
        rows = conn.execute(f"SELECT id, date_start FROM events WHERE id IN ({','.join('?' * len(chunk))})", list(chunk))
        for event_id, start in rows:
            found[int(event_id)] = first(start)
    return found


_SEARCH_COLUMNS = ("summary", "kind", "actor", "date_text", "detail", "ref")


def search_positions(
    conn: sqlite3.Connection,
    case_id: str,
    text: str,
    event_filter: EventFilter | None = None,
    flag_event_ids: Iterable[int] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> array:
    """Positions (indexes into :func:`load_order`'s arrays) of events whose text contains *text*.

    The same ``WHERE`` and ``ORDER BY`` as :func:`load_order` number the rows
    (``row_number()``), so SQLite returns only the matches' positions: no id-to-position map
    and no Python loop over a million rows. Matching is case-insensitive for ASCII (``LIKE``).

    Args:
        should_stop: polled between batches; a search the user has replaced stops early.
    """
    found = array("q")
    needle = text.strip()
    if not needle:
        return found
    where, params = filter_where(event_filter, case_id, flag_event_ids)
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    match = " OR ".join(f"{col} LIKE ? ESCAPE '\\'" for col in _SEARCH_COLUMNS)
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(
        f"SELECT pos FROM (SELECT row_number() OVER ({ORDER}) - 1 AS pos, {', '.join(_SEARCH_COLUMNS)} "
        f"FROM events WHERE {where}) WHERE {match}",
        params + [like] * len(_SEARCH_COLUMNS),
    )
    while batch := cursor.fetchmany(65536):
        found.extend([row[0] for row in batch])
        if should_stop is not None and should_stop():
            break
    return found


def load_lane_rows(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str]) -> list[tuple]:
    """``(id, kind, subject, actor, first_day, last_day)`` (day ordinals) for the lane kinds."""
    wanted = sorted(set(kinds))
    marks = ",".join("?" * len(wanted))
    cache = OrdinalCache()
    rows = []
    cursor = conn.execute(
        f"SELECT id, kind, subject, actor, date_start, date_end FROM events "
        f"WHERE case_id = ? AND kind IN ({marks}) {ORDER}",
        (case_id, *wanted),
    )
    while batch := cursor.fetchmany(65536):
        for event_id, kind, subject, actor, start, end in batch:
            first = cache.first(start)
            last = cache.last(end) if end else cache.last(start)
            rows.append((int(event_id), kind, subject or "", actor or "", first, max(first, last)))
    return rows
