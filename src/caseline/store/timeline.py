"""The timeline's queries: the ordered index, anchors for flag rows, search, the lanes' rows.

A case may hold a million events, so these return compact arrays or short lists, never an
object per event. Every query uses :data:`~caseline.store.reads.ORDER`, so positions in
:func:`load_order`'s arrays and :func:`search_positions`' answers agree.
"""

from __future__ import annotations

import json
import re
import sqlite3
from array import array
from itertools import accumulate, islice, repeat
from operator import gt
from collections.abc import Callable, Iterable, Iterator

from caseline.dates import OrdinalCache
from caseline.model import EventFilter
from caseline.store.reads import ORDER, chunked
from caseline.store.schema import FTS_TABLE

__all__ = ["filter_where", "load_index", "load_order", "anchor_dates", "search_positions", "search_matches",
           "search_rowids",
           "has_full_text_index", "load_lane_rows", "load_lane_bars", "load_lane_visits"]


def filter_where(event_filter: EventFilter | None, case_id: str,
                 flag_event_ids: Iterable[int] | None = None, alias: str = "",
                 only_ids: Iterable[int] | None = None) -> tuple[str, list]:
    """SQL ``WHERE`` clause and parameters selecting the events *event_filter* keeps.

    Args:
        flag_event_ids: when the filter's flag side is active, the events the kept flags
            rest on (only those are shown).
        alias: a table alias to qualify the columns with (``"e"`` gives ``e.kind``...).
        only_ids: keep only these events as well (``None``: no such limit), e.g. the events
            a notes filter keeps.
    """
    event_filter = event_filter or EventFilter()
    a = f"{alias}." if alias else ""
    clauses, params = [f"{a}case_id = ?"], [case_id]
    for column, values in (("kind", event_filter.kinds), ("actor", event_filter.actors)):
        if values:
            clauses.append(f"{a}{column} IN ({','.join('?' * len(values))})")
            params.extend(sorted(values))
    if event_filter.subjects:
        # An event with no subject concerns every child in the case.
        marks = ",".join("?" * len(event_filter.subjects))
        clauses.append(f"(COALESCE({a}subject, '') = '' OR {a}subject IN ({marks}))")
        params.extend(sorted(event_filter.subjects))
    if event_filter.flags_active:
        clauses.append(_id_in(f"{a}id", flag_event_ids or (), params))
    if only_ids is not None:
        clauses.append(_id_in(f"{a}id", only_ids, params))
    return " AND ".join(clauses), params


def _id_in(column: str, ids: Iterable[int], params: list) -> str:
    """``column IN (...)`` for any number of ids: past a few hundred they go as one JSON
    array (``json_each``), since SQLite allows at most 32,766 parameters (68,000 flags of a
    million-event case rest on more events than that)."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return "0"
    if len(wanted) <= 500:
        params.extend(wanted)
        return f"{column} IN ({','.join('?' * len(wanted))})"
    params.append(json.dumps(wanted))
    return f"{column} IN (SELECT value FROM json_each(?))"


def load_index(
    conn: sqlite3.Connection,
    case_id: str,
    event_filter: EventFilter | None = None,
    flag_event_ids: Iterable[int] | None = None,
    limit: int | None = None,
    from_day: str | None = None,
    last: bool = False,
    before_day: str | None = None,
    only_ids: Iterable[int] | None = None,
) -> tuple[array, array, array]:
    """The case's event ids, start days and *reach* in date order, with one query.

    Args:
        limit: only the first rows (the first screen of a long case, painted while the
            rest is read in the background).
        from_day: only events starting on or after this ISO day (with *limit*: a window
            to show at once while the whole index is still being read).
        last: with *limit*, the last rows rather than the first (End while reading).
        before_day: only events starting before this ISO day (with *last*: the rows just
            before a date).

    Returns:
        ``(ids, starts, reach)``: the ids (``array('i')``, 4 bytes an id, or ``array('q')``
        when one is past 2**31 - 1), ``array('i')`` of start-day ordinals and ``array('i')``
        whose item *i* is the latest last day of events ``0..i`` (a running maximum, so it
        never decreases and can be bisected: the first event whose range reaches a day is
        found in O(log n)). 12 bytes an event. A partial date such as
        ``2021-09`` covers its whole month, so ``starts`` never decreases.
    """
    where, params = filter_where(event_filter, case_id, flag_event_ids, only_ids=only_ids)
    ids, starts, reach = array("i"), array("i"), array("i")
    cache = OrdinalCache()
    # Not named first/last: *last* is the argument asking for the last rows.
    first_day, last_day = cache.first, cache.last
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a third faster than sqlite3.Row over 1M rows
    cap = f" LIMIT {int(limit)}" if limit else ""
    if from_day is not None:
        where += " AND date_start >= ?"
        params = [*params, from_day]
    if before_day is not None:
        where += " AND date_start < ?"
        params = [*params, before_day]
    if not limit:
        return _whole_index(cursor, where, params, first_day, last_day)
    if last:
        # The index read backwards, then turned round: the same order as ORDER.
        descending = ORDER.replace(",", " DESC,") + " DESC"
        cursor.execute(f"SELECT id, date_start, date_end FROM events WHERE {where} {descending}{cap}", params)
        batches = [list(reversed(cursor.fetchall()))]
    else:
        cursor.execute(f"SELECT id, date_start, date_end FROM events WHERE {where} {ORDER}{cap}", params)
        batches = iter(lambda: cursor.fetchmany(65536), [])
    furthest = 0
    for batch in batches:
        ids = _extend_ids(ids, [row[0] for row in batch])
        batch_starts = [first_day(row[1]) for row in batch]
        starts.extend(batch_starts)
        ends = map(max, [last_day(row[2] or row[1]) for row in batch], batch_starts)
        running = array("i", accumulate(ends, max, initial=furthest))
        reach.extend(running[1:])
        furthest = running[-1]
    return ids, starts, reach


def _whole_index(cursor: sqlite3.Cursor, where: str, params, first_day, last_day) -> tuple[array, array, array]:
    """:func:`load_index` with no limit: SQLite hands over the ids of each (first day, last
    day) as one text, so a million events cost a few thousand rows in Python, not a million.

    The groups come in ORDER's order, and each group's ids are sorted here (a pass when they
    already are, as SQLite reads them in index order), so the whole is in ORDER's order.
    """
    ids, starts, reach = array("i"), array("i"), array("i")
    cursor.execute(f"SELECT date_start, date_end, group_concat(id) FROM events WHERE {where} "
                   f"GROUP BY date_start, date_end ORDER BY date_start, date_end", params)
    furthest = 0
    while batch := cursor.fetchmany(1024):
        for start, end, grouped in batch:
            these = _group_ids(grouped)
            first = first_day(start)
            furthest = max(furthest, first, last_day(end or start))
            ids = _extend_ids(ids, these)
            starts.extend(repeat(first, len(these)))
            reach.extend(repeat(furthest, len(these)))
    return ids, starts, reach


#: Characters of a group's ids read at a time: a day of a million events (a migration date
#: on every legacy record) is not split into a million strings at once.
_GROUP_PIECE = 1 << 20


def _extend_ids(ids: array, more) -> array:
    """*ids* with *more* after them: 4 bytes an id while every id fits, 8 from the first one
    that does not (SQLite's rowids may reach 2**63 - 1; a case's own database's do not)."""
    if isinstance(more, array) and more.typecode != ids.typecode:
        more = more.tolist()
    before = len(ids)
    try:
        ids.extend(more)
    except OverflowError:
        ids = array("q", ids[:before])  # (an extend that failed part way leaves what it put)
        ids.extend(more)
    return ids


def _group_ids(text: str) -> list[int] | array:
    """The ids in *text* (``"3,1,2"``), in order."""
    if len(text) <= _GROUP_PIECE:
        return sorted(map(int, text.split(",")))
    found, at = array("q"), 0
    while at < len(text):
        cut = text.find(",", at + _GROUP_PIECE)
        cut = len(text) if cut < 0 else cut
        found.extend(map(int, text[at:cut].split(",")))
        at = cut + 1
    if any(map(gt, found, islice(found, 1, None))):  # (SQLite gives them in index order)
        found = array("q", sorted(found))
    return found


def load_order(
    conn: sqlite3.Connection,
    case_id: str,
    event_filter: EventFilter | None = None,
    flag_event_ids: Iterable[int] | None = None,
    limit: int | None = None,
) -> tuple[array, array]:
    """``(ids, starts)`` of :func:`load_index` (for callers that need no reach)."""
    ids, starts, _ = load_index(conn, case_id, event_filter, flag_event_ids, limit)
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


def has_full_text_index(conn: sqlite3.Connection) -> bool:
    """Whether the database carries the FTS5 index over events (caseline files from schema 3)."""
    try:
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)).fetchone()
    except sqlite3.Error:
        return False
    return row is not None


def fts_query(text: str, conn: sqlite3.Connection | None = None) -> str | None:
    """The FTS5 query for what a person typed: every word, each as a prefix (``"strat"*``).

    With *conn*, a word whose prefix covers only a few indexed words is asked for as those
    words (``("event")`` rather than ``"event"*``): FTS5 reads a prefix's whole list of
    matches before answering, 0.4 s when the word is in all of ten million events, while an
    exact word is stepped through alongside the rarer ones. Same matches either way.

    Returns ``None`` when *text* holds no word characters (the caller falls back to LIKE).
    """
    words = re.findall(r"\w+", text)
    if not words:
        return None
    vocabulary = _vocabulary(conn) if conn is not None else None
    parts = []
    for word in words:
        terms = _terms_with_prefix(conn, vocabulary, word) if vocabulary else None
        if terms:
            parts.append("(" + " OR ".join(_quoted(term) for term in terms) + ")")
        else:
            parts.append(_quoted(word) + "*")
    return " AND ".join(parts)


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


#: A prefix covering more indexed words than this is left to FTS5 as a prefix.
MAX_PREFIX_TERMS = 16
_VOCABULARY = "caseline_fts_words"


def _vocabulary(conn: sqlite3.Connection) -> str | None:
    """The name of a TEMP ``fts5vocab`` table over the index's words (made once a
    connection), or ``None`` where it cannot be made. It lives in this connection's TEMP
    schema only: the database file is not written (a reading open lifts ``query_only`` for
    that one statement; its file is opened read-only anyway)."""
    try:
        if conn.execute("SELECT 1 FROM temp.sqlite_master WHERE name = ?", (_VOCABULARY,)).fetchone():
            return f"temp.{_VOCABULARY}"
        query_only = conn.execute("PRAGMA query_only").fetchone()[0]
        try:
            if query_only:
                conn.execute("PRAGMA query_only = OFF")
            conn.execute(f"CREATE VIRTUAL TABLE temp.{_VOCABULARY} USING fts5vocab(main, {FTS_TABLE}, 'instance')")
        finally:
            if query_only:
                conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error:
        return None
    return f"temp.{_VOCABULARY}"


def _folded(word: str) -> str:
    """*word* as the index's tokenizer stores it (lower case, no diacritics)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _terms_with_prefix(conn: sqlite3.Connection, vocabulary: str, word: str) -> list[str] | None:
    """The indexed words starting with *word*, or ``None`` when there are none or more than
    :data:`MAX_PREFIX_TERMS` (then the prefix query is the cheaper one). One seek a word:
    ``term >= previous + chr(1)`` skips to the next word without stepping through the
    previous one's ten million entries."""
    prefix = _folded(word)
    if not prefix or prefix[-1] == chr(0x10FFFF):
        return None
    beyond = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    terms: list[str] = []
    lowest = prefix
    try:
        while len(terms) <= MAX_PREFIX_TERMS:
            row = conn.execute(f"SELECT term FROM {vocabulary} WHERE term >= ? AND term < ? LIMIT 1",
                               (lowest, beyond)).fetchone()
            if row is None:
                break
            terms.append(row[0])
            lowest = row[0] + chr(1)
    except sqlite3.Error:
        return None
    if not terms or len(terms) > MAX_PREFIX_TERMS:
        return None
    return terms


def search_matches(
    conn: sqlite3.Connection,
    case_id: str,
    text: str,
    event_filter: EventFilter | None = None,
    flag_event_ids: Iterable[int] | None = None,
    limit: int = 50_000,
) -> tuple[array, array, bool] | None:
    """Ids and start-day ordinals of the events whose words start with every word of *text*.

    Uses the FTS5 index, so a search of ten million events reads only the matches. The
    matches come in id order; the caller places them in the timeline's order by day.

    Returns:
        ``(ids, starts, more)`` — at most *limit* matches, *more* when there were others —
        or ``None`` when the database has no index or *text* no words (use
        :func:`search_positions`).
    """
    if not has_full_text_index(conn):
        return None
    query = fts_query(text, conn)
    if query is None:
        return None
    where, params = filter_where(event_filter, case_id, flag_event_ids, alias="e")
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(
        # CROSS JOIN keeps the index first: SQLite would otherwise walk every event of the case.
        # A valid ISO day's ordinal comes from SQLite (julianday); anything else (a month, a
        # year, odd text) is read by the one date path.
        f"SELECT e.id, e.date_start, CASE WHEN date(julianday(e.date_start)) = e.date_start "
        f"THEN CAST(julianday(e.date_start) - 1721424.5 AS INTEGER) END "
        f"FROM {FTS_TABLE} f CROSS JOIN events e ON e.id = f.rowid "
        f"WHERE {FTS_TABLE} MATCH ? AND {where} LIMIT ?",
        [query, *params, limit + 1],
    )
    ids, starts = array("q"), array("i")
    first = OrdinalCache().first
    while batch := cursor.fetchmany(65536):
        ids.extend([row[0] for row in batch])
        starts.extend([row[2] if row[2] is not None else first(row[1]) for row in batch])
    more = len(ids) > limit
    return ids[:limit], starts[:limit], more


def search_rowids(conn: sqlite3.Connection, text: str) -> Iterator[list[int]] | None:
    """The ids of every event (of any case) whose words start with every word of *text*, in
    id order and in batches, from the FTS5 index alone: no look-up of the events themselves.
    For a caller that can tell which ids are its own (an id-to-position table of the case),
    and stops reading once it has enough. ``None`` as :func:`search_matches`."""
    if not has_full_text_index(conn):
        return None
    query = fts_query(text, conn)
    if query is None:
        return None
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?", [query])

    def batches() -> Iterator[list[int]]:
        while batch := cursor.fetchmany(16384):
            yield [row[0] for row in batch]

    return batches()


def load_lane_rows(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str],
                   event_filter: EventFilter | None = None,
                   flag_event_ids: Iterable[int] | None = None) -> list[tuple]:
    """``(id, kind, subject, actor, first_day, last_day)`` (day ordinals) for the lane kinds
    (the events *event_filter* keeps). Meant for the few kinds drawn as bars: visits, which
    may number millions, come from :func:`load_lane_visits` as compact arrays."""
    wanted = sorted(set(kinds))
    marks = ",".join("?" * len(wanted))
    where, params = filter_where(event_filter, case_id, flag_event_ids)
    cache = OrdinalCache()
    rows = []
    cursor = conn.execute(
        f"SELECT id, kind, subject, actor, date_start, date_end FROM events "
        f"WHERE {where} AND kind IN ({marks}) {ORDER}",
        (*params, *wanted),
    )
    while batch := cursor.fetchmany(65536):
        for event_id, kind, subject, actor, start, end in batch:
            first = cache.first(start)
            last = cache.last(end) if end else cache.last(start)
            rows.append((int(event_id), kind, subject or "", actor or "", first, max(first, last)))
    return rows


def load_lane_bars(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str],
                   event_filter: EventFilter | None = None,
                   flag_event_ids: Iterable[int] | None = None) -> list[tuple]:
    """:func:`load_lane_rows` as the lanes strip draws them: of the worker allocations on one
    day only the last is kept (the ones before it hand over the same day, so no column ever
    shows them), and equal texts are shared.

    A whole council's extract loaded as one case allocates a worker ~50 times a day; this
    keeps one row a day (about 9,000 over 25 years, not 450,000), read in a streaming pass.
    """
    wanted = sorted(set(kinds))
    marks = ",".join("?" * len(wanted))
    where, params = filter_where(event_filter, case_id, flag_event_ids)
    cache = OrdinalCache()
    shared: dict[str, str] = {}
    rows: list[tuple] = []
    last_worker = -1  # index in *rows* of the latest worker allocation kept
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(
        f"SELECT id, kind, subject, actor, date_start, date_end FROM events "
        f"WHERE {where} AND kind IN ({marks}) {ORDER}",
        (*params, *wanted),
    )
    while batch := cursor.fetchmany(4096):  # small batches: a pass over 450,000 rows stays light
        for event_id, kind, subject, actor, start, end in batch:
            first = cache.first(start)
            last = cache.last(end) if end else cache.last(start)
            kind = shared.setdefault(kind, kind)
            subject = shared.setdefault(subject or "", subject or "")
            row = (int(event_id), kind, subject, actor or "", first, max(first, last))
            if kind == "worker_allocated":
                if last_worker >= 0 and rows[last_worker][4] == first:
                    rows[last_worker] = row  # handed over again the same day: the last one shows
                    continue
                last_worker = len(rows)
            rows.append(row)
    return rows


def load_lane_visits(conn: sqlite3.Connection, case_id: str, kinds: Iterable[str],
                     event_filter: EventFilter | None = None,
                     flag_event_ids: Iterable[int] | None = None) -> dict[str, array]:
    """The days with a visit (of *kinds*), per subject (``""``: no subject), as sorted arrays.

    SQLite groups the visits by day in the index's order (nothing sorted, so nothing held
    for millions of visits), so a case with millions of visits costs a few thousand
    ordinals a subject, not a tuple a visit. A day with visits to more than one subject is
    asked for again, that day alone.
    """
    wanted = sorted(set(kinds))
    marks = ",".join("?" * len(wanted))
    where, params = filter_where(event_filter, case_id, flag_event_ids)
    of_kinds = f"{where} AND kind IN ({marks})"
    first = OrdinalCache().first
    found: dict[str, array] = {}
    by_day = conn.execute(
        f"SELECT date_start, min(COALESCE(subject, '')), max(COALESCE(subject, '')) FROM events WHERE {of_kinds} "
        f"GROUP BY date_start",
        (*params, *wanted),
    ).fetchall()  # a row a day: a few thousand on the longest case
    for start, subject, last_subject in by_day:
        subjects = [subject] if subject == last_subject else [row[0] for row in conn.execute(
            f"SELECT DISTINCT COALESCE(subject, '') FROM events WHERE {of_kinds} AND date_start = ?",
            (*params, *wanted, start))]
        day = first(start)
        for each in subjects:
            found.setdefault(each, array("i")).append(day)
    for days in found.values():
        days[:] = array("i", sorted(days))  # partial dates sort as text, not always as days
    return found
