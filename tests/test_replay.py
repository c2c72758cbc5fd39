"""The replay clock, pause points and "overdue now", headless, on the Leicestershire sample."""

from datetime import date

import pytest

from caseline.analysis import analyse
from caseline.replay import (
    Answers,
    ReplayClock,
    answers_markdown,
    overdue_now,
    pause_points,
    teaching_sections,
    write_answers,
)
from caseline.samples import build_sample_database
from caseline.store import get_case, open_database
from caseline.store.refs import ref_start_days
from caseline.store.timeline import load_order

LEICS = "leicestershire-21-018-990"


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    path = tmp_path_factory.mktemp("replay") / "samples.db"
    build_sample_database(path)
    conn = open_database(path, read_only=True)
    yield conn
    conn.close()


def cin_gaps(conn, as_of):
    return [f for f in analyse(conn, LEICS, as_of).flags if f.rule == "cin_visits" and f.kind == "gap"]


def test_the_cin_gap_is_absent_then_overdue_then_a_gap(conn):
    # The September visit is dated 11-20 Sep 2021: six weeks run out between 23 Oct and 1 Nov.
    assert cin_gaps(conn, date(2021, 10, 22)) == []
    (possible,) = cin_gaps(conn, date(2021, 10, 25))
    assert possible.certainty == "possible"
    as_of = date(2021, 11, 15)
    (running,) = cin_gaps(conn, as_of)
    assert running.certainty == "definite" and running.key.endswith(":open")
    (overdue,) = [o for o in overdue_now(analyse(conn, LEICS, as_of).flags, as_of, {"cin_visits": "CIN visit"})
                  if o.flag.rule == "cin_visits"]
    assert overdue.text() == "CIN visit overdue by 14 days"  # due by 1 Nov at the latest
    # The next visit (from 27 Nov) arrives: the gap closes on it and nothing is overdue.
    closed = cin_gaps(conn, date(2021, 11, 27))
    assert [f.key.endswith(":open") for f in closed] == [False]
    assert "11 weeks" in closed[0].message
    assert not [o for o in overdue_now(analyse(conn, LEICS, date(2021, 11, 27)).flags, date(2021, 11, 27))
                if o.flag.rule == "cin_visits"]


def clock_for(conn, case_id=LEICS):
    ids, starts = load_order(conn, case_id)
    case = get_case(conn, case_id, count_events=False)
    pauses = pause_points(case.teaching, ref_start_days(conn, case_id))
    return ReplayClock(starts, pauses), starts


def test_clock_steps_event_by_event_and_shows_a_growing_prefix(conn):
    clock, starts = clock_for(conn)
    assert clock.as_of == date(2019, 1, 1) and clock.visible == 2  # L01 and L02 start with 2019
    seen = [clock.visible]
    while not clock.at_end:
        move = clock.next_event()
        if move.pause is not None:
            clock.reveal(move.pause)
        seen.append(clock.visible)
    assert seen == sorted(seen) and seen[-1] == len(starts)
    back = clock.previous_event()
    assert clock.visible < len(starts) and back.pause is None


def test_moves_forward_stop_at_each_unrevealed_pause_point_once(conn):
    clock, _ = clock_for(conn)
    stops = []
    while not clock.at_end:
        move = clock.step_months(1)
        if move.pause is not None:
            stops.append(move.pause.index)
            assert clock.as_of == move.pause.day
            clock.reveal(move.pause)
    assert sorted(stops) == list(range(len(clock.pauses))) == sorted(set(stops))
    clock.jump(date(2019, 1, 1))
    assert clock.jump(date(2022, 12, 31)).pause is None  # all revealed: straight to the end
    assert clock.as_of == clock.last


def test_clock_stays_inside_the_chronology(conn):
    clock, _ = clock_for(conn)
    clock.step_days(-400)
    assert clock.as_of == clock.first
    clock.revealed.update(p.index for p in clock.pauses)
    clock.step_months(1000)
    assert clock.as_of == clock.last and clock.at_end


def test_event_pause_points_stop_on_the_day_their_event_begins(conn):
    clock, _ = clock_for(conn)
    by_ref = {p.event_ref: p for p in clock.pauses if p.event_ref}
    assert by_ref["L06"].day == date(2021, 10, 1)
    assert "six weeks" in by_ref["L06"].reveal


def test_teaching_sections_and_answers_export(conn, tmp_path):
    case = get_case(conn, LEICS, count_events=False)
    headings = [h for h, _ in teaching_sections(case.teaching)]
    assert headings[:2] == ["What the Ombudsman found", "Fault"]
    assert {"Injustice", "Remedy", "The council's agreed actions"} <= set(headings)
    clock, _ = clock_for(conn)
    answers = Answers(LEICS)
    answers.record(clock.pauses[0], "  The six-week CIN standard  ")
    text = answers_markdown(case.title, clock.pauses, answers)
    assert "**Answer.** The six-week CIN standard" in text
    assert text.count("**Revealed.**") == 1 and "(none given)" in text
    path = write_answers(tmp_path, LEICS, text)
    assert path.read_text(encoding="utf-8") == text
    assert path.stat().st_mode & 0o777 == 0o600


def test_replay_command_opens_the_case_read_only_in_replay(conn, monkeypatch):
    from click.testing import CliRunner

    from caseline.cli import cli

    path = conn.execute("PRAGMA database_list").fetchone()[2]
    opened = []
    monkeypatch.setattr("caseline.tui.run_app", lambda db, **kw: opened.append((db, kw)))
    result = CliRunner().invoke(cli, ["replay", path, "--case", LEICS])
    assert result.exit_code == 0, result.output
    assert opened == [(path, {"case_id": LEICS, "read_only": True, "high_contrast": False, "replay": True})]
    missing = CliRunner().invoke(cli, ["replay", path, "--case", "no-such-case"])
    assert missing.exit_code == 1 and "no-such-case" in missing.output and "Traceback" not in missing.output


def test_a_case_with_no_events_is_refused_in_one_sentence(tmp_path):
    from click.testing import CliRunner

    from caseline.cli import cli

    db = tmp_path / "empty.db"
    conn = open_database(db, create=True)
    conn.execute("INSERT INTO cases (id, title) VALUES ('empty', 'No events yet')")
    conn.commit()
    conn.close()
    for command in (["replay", str(db), "--case", "empty"], ["serve", str(db), "--case", "empty", "--port", "1"]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1, result.output
        assert "case 'empty' has no events to replay" in result.output and "Traceback" not in result.output


def test_overdue_now_reads_only_flags_still_running_to_the_as_of_date():
    from caseline.model import Flag

    as_of = date(2022, 3, 1)

    def flag(key, kind="deadline", certainty="definite", due=date(2022, 2, 21), end=as_of):
        return Flag(key=key, kind=kind, rule="complaint_stage1", severity="breach", certainty=certainty,
                    start=date(2022, 2, 1), end=end, due=due, events=(1,), message="")

    flags = [
        flag("complaint_stage1:deadline:1:missed"),                       # unanswered: 8 days over
        flag("complaint_stage1:deadline:2:missed", certainty="possible"),  # only some readings
        flag("complaint_stage1:deadline:3:4"),                            # answered late: not running
        flag("complaint_stage1:deadline:5:missed", end=date(2022, 2, 25)),  # computed at another date
        flag("complaint_stage1:deadline:6:missed", due=as_of),            # due today: not yet over
        flag("cin_visits:coverage:none", kind="coverage", due=None),     # no due date at all
    ]
    found = overdue_now(flags, as_of, {"complaint_stage1": "Stage 1 response"})
    assert [o.text() for o in found] == [
        "Stage 1 response overdue by 8 days",
        "Stage 1 response may be overdue (due by 21 Feb 2022 at the latest)",
    ]
