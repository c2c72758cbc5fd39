"""Shared fixtures: small databases built the way users build them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from caseline.store import open_database

CSV_HEADER = "case_id,date_start,date_end,kind,actor,summary\n"


@pytest.fixture(scope="session")
def _shared_cache_home(tmp_path_factory):
    """One cache folder for the run (bank holidays are worked out once, not once a test)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _private_user_dirs(tmp_path_factory, monkeypatch, _shared_cache_home):
    """Keep every test away from the real per-user data and cache folders."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(_shared_cache_home))
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """An initialised, empty database file."""
    path = tmp_path / "cases.db"
    open_database(path, create=True).close()
    return path


@pytest.fixture
def case_db(db_path: Path) -> Path:
    """A database holding one case 'c1' with no events."""
    conn = open_database(db_path)
    conn.execute("INSERT INTO cases (id, title, council) VALUES ('c1', 'Case one', 'Test council')")
    conn.close()
    return db_path


def traced_peak(action):
    """``(peak bytes Python allocated while *action* ran, its result)``, by tracemalloc:
    memory bounds are proved this way, never by timing."""
    import tracemalloc

    tracemalloc.start()
    try:
        result = action()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def peak_import_bytes(csv: Path, db: Path, rows: int) -> int:
    """Peak bytes of importing *csv* (creating its cases) into a new database *db*, after
    checking all *rows* went in."""
    from caseline.importing import import_files

    conn = open_database(db, create=True)
    try:
        peak, result = traced_peak(lambda: import_files(conn, [csv], create_cases=True))
    finally:
        conn.close()
    assert result.events == rows
    return peak


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def file_mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777
