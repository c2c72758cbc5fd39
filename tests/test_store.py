"""Opening, creating, migrating and refusing database files."""

import sqlite3

import pytest

from caseline.store import (
    SCHEMA,
    SCHEMA_VERSION,
    NewerSchemaError,
    StoreError,
    migrate_database,
    open_database,
    schema_version,
)
from conftest import file_mode


def test_a_new_database_is_owner_only_and_current(tmp_path):
    path = tmp_path / "new.db"
    conn = open_database(path, create=True)
    conn.execute("INSERT INTO cases (id, title) VALUES ('a', 'A')")
    assert schema_version(conn) == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert file_mode(path) == 0o600


def test_every_documented_column_exists_with_keys_and_defaults(db_path):
    conn = open_database(db_path)
    for table, columns in SCHEMA.items():
        info = {row[1]: row for row in conn.execute(f"PRAGMA table_info({table})")}
        assert set(info) == set(columns), table
    fks = {(row[3], row[2]) for row in conn.execute("PRAGMA foreign_key_list(events)")}
    assert ("case_id", "cases") in fks
    indexes = {row[1] for row in conn.execute("PRAGMA index_list(events)")}
    assert "events_case_date" in indexes
    conn.execute("INSERT INTO cases (id) VALUES ('x')")
    row = conn.execute("SELECT title, illustrative FROM cases WHERE id = 'x'").fetchone()
    assert tuple(row) == ("", 0)
    conn.close()


def test_the_guidance_library_is_copied_in(db_path):
    conn = open_database(db_path)
    ids = {row[0] for row in conn.execute("SELECT id FROM guidance")}
    assert {"cin_visits", "lac_reviews", "icpc_timescale"} <= ids
    conn.close()


def test_missing_file_is_refused_without_creating_it(tmp_path):
    with pytest.raises(StoreError, match="no such file"):
        open_database(tmp_path / "nope.db")
    assert not (tmp_path / "nope.db").exists()


def test_a_non_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is a spreadsheet, honest\n" * 10)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a SQLite database"):
        open_database(path, create=True)
    assert path.read_bytes() == before
    assert not (tmp_path / "notes.db-wal").exists()


def test_a_newer_schema_is_refused_untouched(tmp_path):
    path = tmp_path / "future.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE cases (id TEXT)")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    with pytest.raises(NewerSchemaError, match="newer caseline"):
        open_database(path)
    assert path.read_bytes() == before


def test_a_table_made_by_plain_sqlite_utils_is_migrated_keeping_rows(tmp_path):
    path = tmp_path / "plain.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE events (case_id TEXT, date_start TEXT, kind TEXT, summary TEXT)")
    raw.execute("INSERT INTO events VALUES ('c', '2021-09-15', 'cin_visit', 'Visit')")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a caseline database; run 'caseline init"):
        open_database(path)  # a writing open that was not asked to adopt the file
    assert path.read_bytes() == before
    conn = open_database(path, adopt=True)  # what 'caseline init' and 'import' do
    cols = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
    assert set(SCHEMA["events"]) - {"id"} <= cols
    assert conn.execute("SELECT summary FROM events").fetchone()[0] == "Visit"
    conn.close()


def test_a_plain_events_table_reads_with_every_documented_column_and_stays_untouched(tmp_path):
    from caseline.store import get_case, list_cases, load_events

    path = tmp_path / "plain.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE events (case_id TEXT, date_start TEXT, kind TEXT, summary TEXT)")
    raw.execute("INSERT INTO events VALUES ('c', '2021-09-15', 'cin_visit', 'Visit')")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    conn = open_database(path, read_only=True)
    assert [case.id for case in list_cases(conn)] == ["c"]
    assert get_case(conn, "c").event_count == 1
    (event,) = load_events(conn, "c")
    assert (event.id, event.summary, event.actor, event.dates.start.isoformat()) == (1, "Visit", "", "2021-09-15")
    conn.close()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.db"]


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    import caseline.store.database as database
    import caseline.store.schema as store

    path = tmp_path / "half.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE keep (x)")
    raw.commit()
    raw.close()

    def broken(conn):
        store._create_table(conn, "cases")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "MIGRATIONS", [broken])
    conn = database._connect(path, read_only=False)
    with pytest.raises(RuntimeError):
        migrate_database(conn)
    assert schema_version(conn) == 0
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")} == {"keep"}
    conn.close()


def test_read_only_connections_cannot_write(case_db):
    conn = open_database(case_db, read_only=True)
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("INSERT INTO cases (id) VALUES ('y')")
    conn.close()


def test_two_connections_share_the_file(case_db):
    first = open_database(case_db)
    second = open_database(case_db)
    first.execute("INSERT INTO notes (case_id, created, text) VALUES ('c1', '2026-01-01', 'kept')")
    assert second.execute("SELECT text FROM notes").fetchone()[0] == "kept"
    first.close()
    second.close()


def test_full_text_index_keeps_in_step_with_events_and_check_stays_clean(tmp_path):
    """The FTS5 index follows inserts (plain sqlite-utils too), updates and deletes."""
    import sqlite_utils

    from caseline.check import check_database
    from caseline.store import open_database
    from caseline.store.timeline import has_full_text_index, search_matches

    path = tmp_path / "fts.db"
    conn = open_database(path, create=True)
    assert has_full_text_index(conn)
    conn.execute("INSERT INTO cases (id, title) VALUES ('c', 'C')")
    conn.execute("INSERT INTO events (id, case_id, date_start, date_end, kind, summary) "
                 "VALUES (1, 'c', '2021-01-01', '2021-01-01', 'note', 'Strategy meeting held')")
    conn.close()
    # A developer's plain sqlite-utils insert into a caseline database.
    sqlite_utils.Database(path)["events"].insert(
        {"id": 2, "case_id": "c", "date_start": "2021-02-01", "date_end": "2021-02-01", "kind": "note",
         "summary": "Home visit by the strategy lead"})
    conn = open_database(path)
    assert list(search_matches(conn, "c", "strat")[0]) == [1, 2]
    conn.execute("UPDATE events SET summary = 'Home visit' WHERE id = 2")
    assert list(search_matches(conn, "c", "strategy")[0]) == [1]
    conn.execute("DELETE FROM events WHERE id = 1")
    assert list(search_matches(conn, "c", "strategy")[0]) == []
    assert list(search_matches(conn, "c", "home")[0]) == [2]
    report = check_database(conn)
    assert report.ok and report.events_checked == 1, report.problems
    conn.close()


def test_distinct_values_are_sorted_and_a_limit_stops_at_that_many(tmp_path):
    from caseline.store import distinct_values

    path = tmp_path / "plain.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE events (case_id TEXT, date_start TEXT, kind TEXT, actor TEXT)")
    raw.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", [
        ("c", "2021-03-01", "note", "zed"), ("c", "2021-01-01", "cin_visit", "yan"), ("c", "2021-02-01", "note", ""),
        ("c", "2021-04-01", "note", "abe"), ("c", "2021-05-01", "note", "yan"), ("other", "2020-01-01", "x", "bob")])
    raw.commit()
    raw.close()
    conn = open_database(path, read_only=True)
    assert distinct_values(conn, "c", "actor") == ["abe", "yan", "zed"]
    assert distinct_values(conn, "c", "kind") == ["cin_visit", "note"]
    assert distinct_values(conn, "c", "actor", kinds={"note"}) == ["abe", "yan", "zed"]
    assert distinct_values(conn, "c", "actor", kinds={"cin_visit"}) == ["yan"]
    first_two = distinct_values(conn, "c", "actor", limit=2)
    assert len(first_two) == 2 and first_two == sorted(first_two) and set(first_two) < {"abe", "yan", "zed"}
    conn.close()


def test_the_case_list_read_in_two_parts_for_the_picker(db_path):
    """tabled_cases reads no event; event_counts counts them (cases only the events name
    too); most_events_a_case_can_have bounds every count without a scan; list_cases joins them."""
    from caseline.store import event_counts, list_cases, most_events_a_case_can_have, tabled_cases

    conn = open_database(db_path)
    assert (tabled_cases(conn), event_counts(conn), most_events_a_case_can_have(conn)) == ([], {}, 0)
    conn.execute("INSERT INTO cases (id, title) VALUES ('b', 'Bee'), ('a', 'Ay')")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.executemany("INSERT INTO events (id, case_id, date_start, kind, summary) VALUES (?, ?, '2021-01-01', 'note', '')",
                     [(1, "a"), (2, "a"), (7, "only-events")])
    assert [(case.id, case.title, case.event_count) for case in tabled_cases(conn)] == [("a", "Ay", 0), ("b", "Bee", 0)]
    assert event_counts(conn) == {"a": 2, "only-events": 1}
    assert most_events_a_case_can_have(conn) == 7 >= max(event_counts(conn).values())
    assert [(case.id, case.event_count) for case in list_cases(conn)] == [("a", 2), ("b", 0), ("only-events", 1)]
    conn.close()


def test_the_rules_in_force_are_made_again_when_the_policy_or_guidance_changes(tmp_path):
    """library_for keeps the rules it made for the rows it read: the same rows give the same
    rule objects (a caseload's cases share them), a change to either table is seen at once,
    even from another connection, and the mapping returned is the caller's own."""
    from caseline.store import library_for
    from caseline.store.writes import set_policy

    path = tmp_path / "rules.db"
    conn = open_database(path, create=True)
    first, again = library_for(conn, "Kent"), library_for(conn, "Kent")
    assert first["cin_visits"] is again["cin_visits"] and first is not again
    first.pop("cin_visits")
    assert "cin_visits" in library_for(conn, "Kent")

    other = open_database(path)
    set_policy(other, "cin_visits", "Kent", "every", '"3 weeks"')
    other.commit()
    assert library_for(conn, "Kent")["cin_visits"].params["every"] == "3 weeks"
    assert library_for(conn, "Kent")["cin_visits"].status == "council_policy"
    assert library_for(conn, "Surrey")["cin_visits"].status != "council_policy"

    title = library_for(conn)["cp_visits"].title
    other.execute("UPDATE guidance SET title = ? WHERE id = 'cp_visits'", (f"{title}, as this database has it",))
    other.commit()
    assert library_for(conn)["cp_visits"].title == f"{title}, as this database has it"
    other.close()
    conn.close()
