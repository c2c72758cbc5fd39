"""Opening database files safely, and transactions.

Invariants kept here:

* A file that is not SQLite, or that a newer caseline wrote, is refused before anything is
  written to it (not even WAL mode is switched on).
* A reading open (``read_only=True``) never writes: it uses ``mode=ro`` and
  ``query_only``, and a SQLite file that caseline has not initialised is read as it is (an
  ``events`` table filled by plain ``sqlite-utils insert`` is a valid case source).
* A writing open takes over only files it may: new files, files caseline made, or (with
  ``adopt=True``, for ``init`` and ``import``) a SQLite file the user has named to fill.
* New database files are created owner-only (0600); SQLite gives its -wal and -shm files
  the same mode.
* Every failure is a :class:`StoreError` whose message is one sentence for the user.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from caseline.store.schema import (
    SCHEMA,
    SCHEMA_VERSION,
    existing_tables,
    migrate_database,
    schema_version,
    table_columns,
)

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_SECONDS = 10.0


def busy_timeout() -> float:
    """Seconds a writer waits for the lock: :data:`BUSY_TIMEOUT_SECONDS`, or
    ``CASELINE_BUSY_TIMEOUT`` from the environment (tests and slow shared drives)."""
    try:
        return max(0.0, float(os.environ["CASELINE_BUSY_TIMEOUT"]))
    except (KeyError, ValueError):
        return BUSY_TIMEOUT_SECONDS


class StoreError(Exception):
    """A database that cannot be used as asked; the message is one sentence for the user."""


class NewerSchemaError(StoreError):
    """The file was written by a newer caseline."""


class NotCaselineError(StoreError):
    """The file is SQLite but caseline has not initialised it, and this command won't."""


class BusyError(StoreError):
    """Another process held the write lock for longer than the busy timeout."""


def busy_message(path: object) -> str:
    return (
        f"{path}: another program is writing to this database and did not finish within "
        f"{busy_timeout():g} s; nothing was changed; try again"
    )


def _is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except PermissionError:
        raise StoreError(f"{path}: cannot be read (permission denied)") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot be read ({exc.strerror})") from None
    # An empty file is a valid, empty SQLite database.
    return head == SQLITE_MAGIC or head == b""


def _create_private_file(path: Path) -> None:
    """Create *path* empty with mode 0600 so SQLite (and its -wal/-shm) inherit it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except PermissionError:
        raise StoreError(f"{path}: cannot be created (no permission to write in {path.parent})") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot be created ({exc.strerror})") from None
    os.close(fd)


def remove_database_files(path: str | os.PathLike[str]) -> None:
    """Delete a database file and its -wal/-shm (a failed first import leaves nothing)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{os.fspath(path)}{suffix}").unlink(missing_ok=True)


def _is_wal_file(path: Path) -> bool:
    """Whether the file's header says it is in WAL mode (bytes 18 and 19 are 2)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18] == 2 and header[19] == 2


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write and leaves no file behind.

    * A rollback-journal file is read with ``mode=ro``: SQLite makes no file for a reader.
    * A WAL file with no ``-wal`` beside it (no process has it open to write, and every
      change is in the file itself) is read as ``immutable``: SQLite would otherwise make
      a ``-shm`` and an empty ``-wal`` even for a reader.
    * A WAL file whose ``-wal`` exists (a writer has it open, or left pages unmerged) is
      read with ``mode=ro`` through the files that are already there, so no page is missed.
    """
    base = path.resolve().as_uri()
    wal = Path(f"{path}-wal")
    if _is_wal_file(path) and not wal.exists() and not Path(f"{path}-shm").exists():
        return sqlite3.connect(base + "?mode=ro&immutable=1", uri=True, timeout=busy_timeout(),
                               check_same_thread=False)
    try:
        conn = sqlite3.connect(base + "?mode=ro", uri=True, timeout=busy_timeout(), check_same_thread=False)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            raise
        return conn
    except sqlite3.OperationalError:
        if os.access(path.parent, os.W_OK) or (wal.exists() and wal.stat().st_size):
            raise
    # A WAL database in a folder we cannot write to: SQLite cannot make its -shm file. With no
    # -wal holding unmerged pages, the file alone is the whole database: read it as immutable.
    return sqlite3.connect(base + "?mode=ro&immutable=1", uri=True, timeout=busy_timeout(),
                           check_same_thread=False)


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if read_only:
        conn = _connect_read_only(path)
    else:
        conn = sqlite3.connect(path, timeout=busy_timeout(), check_same_thread=False)
    # We manage transactions explicitly (BEGIN ... COMMIT) so DDL is covered too.
    conn.isolation_level = None
    conn.row_factory = sqlite3.Row
    return conn


def _documented_events_view(conn: sqlite3.Connection) -> None:
    """Show a plain import's ``events`` table with every documented column.

    A TEMP view named ``events`` shadows the table for this connection only (SQLite looks in
    the temp schema first), so every read works on an events table of any shape. Nothing is
    written to the file.
    """
    have = table_columns(conn, "events")
    if not have or "case_id" not in have or "date_start" not in have:
        return
    picked = []
    for name, (_, _, default) in SCHEMA["events"].items():
        if name in have:
            picked.append(f"[{name}]")
        elif name == "id":
            picked.append("rowid AS id")
        else:
            picked.append(f"{'NULL' if default is None else repr(default)} AS [{name}]")
    conn.execute(f"CREATE TEMP VIEW events AS SELECT {', '.join(picked)} FROM main.events")


def is_caseline_database(conn: sqlite3.Connection) -> bool:
    """Whether caseline has initialised the file (its schema version is set)."""
    return schema_version(conn) >= 1


def open_database(
    path: str | os.PathLike[str],
    *,
    create: bool = False,
    read_only: bool = False,
    migrate: bool = True,
    adopt: bool = False,
    as_is: bool = False,
) -> sqlite3.Connection:
    """Open a caseline database, creating or migrating it as asked.

    Args:
        path: the database file.
        create: make the file (owner-only) when it does not exist.
        read_only: open so that nothing can be written; any SQLite file is read as it is.
        migrate: bring an older caseline file up to :data:`SCHEMA_VERSION`.
        adopt: a writing open may initialise a SQLite file caseline did not make (``init``,
            ``import``); without it such a file is refused untouched.
        as_is: for a reading open of a file caseline did not initialise, show its tables as
            they are (``check``) rather than through the documented columns.

    Raises:
        StoreError: missing file, not SQLite, newer schema, not a caseline database (for a
            writing open without *adopt*), or SQLite refused it.
    """
    db_path = Path(path)
    created = False
    if not db_path.exists():
        if not create:
            raise StoreError(f"{db_path}: no such file")
        if read_only:
            raise StoreError(f"{db_path}: no such file (read-only mode cannot create one)")
        if not db_path.parent.exists():
            raise StoreError(f"{db_path}: the folder {db_path.parent} does not exist")
        _create_private_file(db_path)
        created = True
    elif db_path.is_dir():
        raise StoreError(f"{db_path}: is a folder, not a database file")
    elif not _is_sqlite_file(db_path):
        raise StoreError(f"{db_path}: is not a SQLite database; nothing was changed")
    try:
        conn = _connect(db_path, read_only=read_only)
        version = schema_version(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{db_path}: SQLite cannot read it ({exc}); nothing was changed") from None
    if version > SCHEMA_VERSION:
        conn.close()
        raise NewerSchemaError(
            f"{db_path}: was written by a newer caseline (schema {version}, this version knows "
            f"{SCHEMA_VERSION}); upgrade caseline to open it; nothing was changed"
        )
    if read_only:
        # A reading open's temporary tables and sorts (the search vocabulary, DISTINCT) stay
        # in memory, so no case text reaches a temporary file; they are small.
        conn.execute("PRAGMA temp_store = MEMORY")
        if version == 0 and not as_is:
            _documented_events_view(conn)
        conn.execute("PRAGMA query_only = ON")
        return conn
    if version == 0 and not (created or adopt):
        conn.close()
        raise NotCaselineError(
            f"{db_path}: is not a caseline database; run 'caseline init {db_path}' to make it one "
            f"(nothing was changed)"
        )
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if migrate and version < SCHEMA_VERSION:
            migrate_database(conn)
    except sqlite3.IntegrityError as exc:
        conn.close()
        raise StoreError(
            f"{db_path}: cannot be brought up to schema {SCHEMA_VERSION} ({exc}); run 'caseline check "
            f"{db_path}' to see which rows; nothing was changed"
        ) from None
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise BusyError(busy_message(db_path)) from None
        if "readonly" in str(exc):
            raise StoreError(f"{db_path}: cannot be written (read-only file or folder); nothing was changed") from None
        raise StoreError(f"{db_path}: could not be prepared ({exc})") from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{db_path}: could not be prepared ({exc})") from None
    return conn


@dataclass
class Transaction:
    """``with Transaction(conn):`` — BEGIN IMMEDIATE, then COMMIT or ROLLBACK.

    A lock that the busy timeout could not get becomes :class:`BusyError`.
    """

    conn: sqlite3.Connection

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise BusyError(busy_message(_db_name(self.conn))) from None
            raise
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type:
            self.conn.execute("ROLLBACK")
            return
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                self.conn.execute("ROLLBACK")
                raise BusyError(busy_message(_db_name(self.conn))) from None
            raise


def database_file(conn: sqlite3.Connection) -> str:
    """The path of the file *conn* reads (``""`` for an in-memory database)."""
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row and row[2] else ""


def _db_name(conn: sqlite3.Connection) -> str:
    return database_file(conn) or "the database"


__all__ = [
    "SQLITE_MAGIC",
    "BUSY_TIMEOUT_SECONDS",
    "StoreError",
    "NewerSchemaError",
    "NotCaselineError",
    "BusyError",
    "open_database",
    "is_caseline_database",
    "database_file",
    "remove_database_files",
    "Transaction",
    "existing_tables",
]
