"""The bundled sample cases load both ways and are well formed."""

import csv
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from caseline.check import check_database
from caseline.kinds import is_known_kind
from caseline.samples import list_samples, samples_root
from caseline.store import load_events, open_database

SAMPLES = list_samples()
SQLITE_UTILS = Path(sys.executable).parent / "sqlite-utils"
EXPECTED = {
    "leicestershire-21-018-990",
    "kent-21-001-933",
    "careless-tom-and-nikki",
    "careless-billy",
    "careless-albert",
}


def test_the_five_seed_cases_are_bundled():
    assert {s.id for s in SAMPLES} == EXPECTED
    assert {s.id for s in SAMPLES if s.illustrative} == {s for s in EXPECTED if s.startswith("careless-")}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
def test_plain_sqlite_utils_insert_then_check(sample, tmp_path):
    db = tmp_path / "cases.db"
    subprocess.run([sys.executable, "-m", "caseline", "init", str(db)], check=True, capture_output=True)
    case = tomllib.loads((sample.folder / "case.toml").read_text(encoding="utf-8"))["case"]
    row = {k: v for k, v in case.items() if k in ("id", "title", "council", "summary", "source")}
    subprocess.run([str(SQLITE_UTILS), "insert", str(db), "cases", "-"], input=json.dumps(row), text=True,
                   check=True, capture_output=True)
    subprocess.run([str(SQLITE_UTILS), "insert", str(db), "events", str(sample.folder / "events.csv"), "--csv"],
                   check=True, capture_output=True)
    conn = open_database(db, read_only=True)
    report = check_database(conn)
    events = load_events(conn, sample.id)
    conn.close()
    assert report.problems == []
    assert report.warnings == []
    rows = list(csv.DictReader((sample.folder / "events.csv").open(encoding="utf-8")))
    assert len(events) == len(rows) > 0


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
def test_every_event_cites_its_source_and_uses_known_kinds(sample):
    rows = list(csv.DictReader((sample.folder / "events.csv").open(encoding="utf-8")))
    for row in rows:
        assert row["source"].strip(), row["ref"]
        assert any(word in row["source"] for word in ("para", "p.", "pp.")), row["source"]
        assert is_known_kind(row["kind"]), row["kind"]
        assert row["case_id"] == sample.id


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
def test_people_named_in_events_exist(sample):
    data = tomllib.loads((sample.folder / "case.toml").read_text(encoding="utf-8"))
    people = {p["id"] for p in data.get("people", [])}
    rows = list(csv.DictReader((sample.folder / "events.csv").open(encoding="utf-8")))
    for row in rows:
        if row["kind"] in ("worker_allocated", "family_informed"):
            assert row["actor"] in people, (row["ref"], row["actor"])
        if row["subject"]:
            assert row["subject"] in people, (row["ref"], row["subject"])
    assert data.get("teaching", {}).get("reveal")
    assert data["teaching"].get("pause")


def test_building_all_samples_through_caseline(tmp_path):
    from caseline.samples import build_sample_database

    result = build_sample_database(tmp_path / "s.db")
    total = sum(len(list(csv.DictReader((s.folder / "events.csv").open(encoding="utf-8")))) for s in SAMPLES)
    assert result.events == total
    conn = open_database(tmp_path / "s.db", read_only=True)
    teaching = json.loads(conn.execute("SELECT teaching FROM cases WHERE id = 'kent-21-001-933'").fetchone()[0])
    assert teaching["pause"] and teaching["reveal"]
    conn.close()


def test_samples_are_found_from_the_source_checkout():
    assert (samples_root() / "kent-21-001-933" / "events.csv").exists()


def test_bare_caseline_builds_the_sample_database_once(monkeypatch):
    import caseline.cli as cli_module
    from caseline.samples import default_database

    opened = []
    monkeypatch.setattr("caseline.tui.run_app", lambda db, **kw: opened.append(db))
    from click.testing import CliRunner

    result = CliRunner().invoke(cli_module.cli, [])
    assert result.exit_code == 0, result.output
    assert opened == [str(default_database())]
    assert default_database().stat().st_mode & 0o777 == 0o600
    assert "samples-" in default_database().name


def _teaching(sample):
    return tomllib.loads((sample.folder / "case.toml").read_text(encoding="utf-8"))["teaching"]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
def test_teaching_notes_give_fault_injustice_remedy_and_actions(sample):
    teaching = _teaching(sample)
    for part in ("reveal", "fault", "injustice", "remedy", "agreed_actions"):
        assert teaching.get(part, "").strip(), (sample.id, part)
    # The decisions' findings carry paragraph references; the Careless summaries' pages.
    assert any(word in teaching["fault"] for word in ("para", "p.", "pp.")), sample.id


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
def test_pause_points_stop_at_a_date_or_a_known_event_and_reveal_something(sample):
    refs = {row["ref"] for row in csv.DictReader((sample.folder / "events.csv").open(encoding="utf-8"))}
    pauses = _teaching(sample)["pause"]
    assert len(pauses) >= 3
    for pause in pauses:
        assert ("at" in pause) != ("event" in pause), pause
        if "event" in pause:
            assert pause["event"] in refs, pause["event"]
        assert pause["question"].strip() and pause["reveal"].strip() and pause["source"].strip()


@pytest.mark.parametrize("sample", [s for s in SAMPLES if s.illustrative], ids=lambda s: s.id)
def test_every_invented_detail_in_an_illustrative_case_says_so(sample):
    for row in csv.DictReader((sample.folder / "events.csv").open(encoding="utf-8")):
        assert "llustrative" in row["detail"], row["ref"]
