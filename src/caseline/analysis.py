"""One call from a database and a case to its flags: what the CLI, the TUI and scripts use."""

from __future__ import annotations

import sqlite3
from datetime import date

from caseline.rules.flags import Flag


def case_flags(conn: sqlite3.Connection, case_id: str, as_of: date | None = None) -> list[Flag]:
    """Flags for *case_id* as known on *as_of* (default: the end of its chronology).

    Only the event kinds some rule reads are loaded, so a case of a million notes and visits
    costs what its visits cost.

    Raises:
        caseline.store.StoreError: when there is no such case.
    """
    from caseline.guidance import library_for
    from caseline.rules.engine import compute_flags, required_kinds
    from caseline.store import chronology_end, get_case, list_people, load_facts

    case = get_case(conn, case_id, count_events=False)
    rules = library_for(conn, case.council or None)
    events = load_facts(conn, case_id, required_kinds(rules.values()))
    people = {person.id: person.name for person in list_people(conn, case_id)}
    end = as_of or chronology_end(conn, case_id)
    return compute_flags(events, rules, as_of=end, records_from=case.records_from, people=people)
