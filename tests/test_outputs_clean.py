"""Every way text leaves caseline is clean: the payload list through each command's output."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from caseline.cli import cli
from conftest import write
from payloads import PAYLOADS, dangerous


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output + (result.stderr or "")
    return result


def _hostile_case(tmp_path):
    """A case whose council, people and events carry every payload (and raise flags)."""
    people = [{"id": f"sw{i}", "name": payload, "role": "social_worker"} for i, payload in enumerate(PAYLOADS)]
    events = [{"date_start": "2021-01-04", "kind": "cin_plan_start", "summary": PAYLOADS[0], "ref": "start"}]
    for i, payload in enumerate(PAYLOADS):
        month = 1 + i % 12
        year = 2021 + i // 12
        events.append({"date_start": f"{year}-{month:02d}-15", "kind": "worker_allocated", "actor": f"sw{i}",
                       "summary": payload, "detail": payload, "date_text": payload, "source": payload})
    case = {"case": {"id": "hostile", "title": PAYLOADS[0], "council": PAYLOADS[3], "summary": PAYLOADS[6]},
            "people": people, "events": events}
    db = tmp_path / "hostile.db"
    assert run("import", db, write(tmp_path / "case.json", json.dumps(case))).exit_code == 0
    return db


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_flags_output_is_clean_in_every_format(tmp_path, fmt):
    db = _hostile_case(tmp_path)
    result = run("flags", db, "--case", "hostile", "--format", fmt)
    assert result.exit_code == 0, result.output
    text = result.output
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) > 10  # worker changes were flagged with the hostile names
        assert all(dangerous(cell.replace("\n", "")) == [] for row in rows for cell in row)
        assert any("\\x1b" in cell for row in rows for cell in row)  # the data is kept, visibly
    else:
        assert dangerous(text.replace("\n", "")) == []
    if fmt == "json":
        flags = json.loads(text)["flags"]
        assert any("SW2" in flag["message"] for flag in flags)
        assert any("\x1b" in flag["message"] for flag in flags)  # JSON keeps the data, escaped


def test_check_policy_and_guidance_output_is_clean(tmp_path):
    db = _hostile_case(tmp_path)
    import sqlite3

    raw = sqlite3.connect(db)
    raw.execute("UPDATE people SET role = ? WHERE id = 'sw0'", (PAYLOADS[0],))
    raw.execute("INSERT INTO policy (rule_id, council, param, value) VALUES ('cin_visits', ?, 'every', '\"4 weeks\"')",
                (PAYLOADS[0],))
    raw.commit()
    raw.close()
    checked = run("check", db)
    assert "role" in checked.output and dangerous(checked.output.replace("\n", "")) == []
    listed = run("policy", "list", db)
    assert "cin_visits.every" in listed.output and dangerous(listed.output.replace("\n", "")) == []
    shown = run("guidance", "--db", db)
    assert dangerous(shown.output.replace("\n", "")) == []


def test_import_errors_are_clean(tmp_path):
    db = tmp_path / "x.db"
    run("init", db)
    header = "case_id,date_start,kind,summary," + "\x1b]0;pwned\x07col\n"
    result = run("import", db, write(tmp_path / "e.csv", header + "c,2021-01-01,note,x,y\n"))
    assert result.exit_code == 1
    assert "unknown column(s): col" in result.stderr
    assert dangerous(result.stderr.replace("\n", "")) == []
    bad_value = "case_id,date_start,kind,summary\nc,\x1b[2J2021-13-01,note,x\n"
    result = run("import", db, write(tmp_path / "f.csv", bad_value), "--create-cases")
    assert "date_start" in result.stderr and dangerous(result.stderr.replace("\n", "")) == []
    result = run("flags", db, "--case", "\x1b]0;x\x07nope")
    assert result.exit_code == 1 and dangerous(result.stderr.replace("\n", "")) == []
