"""The SQLite store: the only place caseline's SQL lives.

* :mod:`~caseline.store.schema` — tables, columns, ordered migrations.
* :mod:`~caseline.store.database` — opening files safely (refusing foreign, newer or
  unreadable files without touching them), transactions, one-sentence errors.
* :mod:`~caseline.store.reads` — cases, people, events, the engine's facts, guidance rows.
* :mod:`~caseline.store.writes` — every write: cases, people, staged events, policy.
* :mod:`~caseline.store.timeline` — the ordered index, search and lanes queries.

Everything a caller needs is importable from ``caseline.store``.
"""

from caseline.store.database import (
    BUSY_TIMEOUT_SECONDS,
    SQLITE_MAGIC,
    BusyError,
    NewerSchemaError,
    NotCaselineError,
    StoreError,
    Transaction,
    database_file,
    is_caseline_database,
    open_database,
    remove_database_files,
)
from caseline.store.reads import (
    ORDER,
    chronology_end,
    chunked,
    distinct_values,
    get_case,
    get_events,
    event_counts,
    has_cases,
    has_events_table,
    iter_events,
    library_for,
    list_cases,
    most_events_a_case_can_have,
    tabled_cases,
    list_people,
    load_events,
    has_more_events_than,
    load_facts,
    spaced_visits,
    stream_facts,
    VisitDays,
    policy_rows,
    stored_rules,
)
from caseline.store.schema import (
    FOREIGN_KEYS,
    MIGRATIONS,
    PRIMARY_KEYS,
    SCHEMA,
    SCHEMA_VERSION,
    TABLES,
    existing_tables,
    migrate_database,
    schema_version,
    table_columns,
)

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "SQLITE_MAGIC",
    "BusyError",
    "NewerSchemaError",
    "NotCaselineError",
    "StoreError",
    "Transaction",
    "database_file",
    "is_caseline_database",
    "open_database",
    "remove_database_files",
    "ORDER",
    "chronology_end",
    "chunked",
    "distinct_values",
    "get_case",
    "get_events",
    "event_counts",
    "has_cases",
    "has_events_table",
    "iter_events",
    "library_for",
    "list_cases",
    "most_events_a_case_can_have",
    "tabled_cases",
    "list_people",
    "load_events",
    "has_more_events_than",
    "spaced_visits",
    "VisitDays",
    "load_facts",
    "stream_facts",
    "policy_rows",
    "stored_rules",
    "FOREIGN_KEYS",
    "MIGRATIONS",
    "PRIMARY_KEYS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "TABLES",
    "existing_tables",
    "migrate_database",
    "schema_version",
    "table_columns",
]
