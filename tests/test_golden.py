"""Golden tests from the seed decisions: the engine finds what the Ombudsman found about
timescales, and raises no breach where the Ombudsman found none."""

from datetime import date

import pytest

from caseline.analysis import analyse
from caseline.samples import build_sample_database
from caseline.store import open_database

LEICS = "leicestershire-21-018-990"
KENT = "kent-21-001-933"
TOM_AND_NIKKI = "careless-tom-and-nikki"


def case_flags(conn, case_id, as_of=None):
    return list(analyse(conn, case_id, as_of).flags)


@pytest.fixture(scope="module")
def flags(tmp_path_factory):
    path = tmp_path_factory.mktemp("golden") / "samples.db"
    build_sample_database(path)
    conn = open_database(path, read_only=True)
    found = {case: case_flags(conn, case) for case in (LEICS, KENT, TOM_AND_NIKKI, "careless-billy",
                                                       "careless-albert")}
    conn.close()
    return found


def pick(flags, rule=None, kind=None, severity=None, certainty=None):
    return [f for f in flags if (rule is None or f.rule == rule) and (kind is None or f.kind == kind)
            and (severity is None or f.severity == severity) and (certainty is None or f.certainty == certainty)]


def month_of(day: date) -> tuple[int, int]:
    return (day.year, day.month)


# --- Leicestershire 21 018 990 ---


def test_leicestershire_eleven_week_cin_gap_is_a_definite_breach(flags):
    gaps = pick(flags[LEICS], rule="cin_visits", kind="gap", severity="breach", certainty="definite")
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.start.year == 2021 and gap.start.month == 9 and 11 <= gap.start.day <= 20
    assert (gap.end.year, gap.end.month) in ((2021, 11), (2021, 12))
    assert "~11 weeks" in gap.message and "every 6 weeks" in gap.message


def test_leicestershire_icpc_14_days_after_the_strategy_discussion_is_not_flagged(flags):
    assert pick(flags[LEICS], rule="icpc_timescale", kind="deadline") == []


def test_leicestershire_worker_changes_and_stability(flags):
    changes = pick(flags[LEICS], kind="worker_change")
    assert sorted(month_of(f.start) for f in changes) == [(2021, 10), (2021, 12), (2022, 3)]
    (stability,) = pick(flags[LEICS], kind="worker_stability")
    assert "4 allocated workers" in stability.message


def test_leicestershire_private_fostering_visits_are_at_most_possible(flags):
    assert pick(flags[LEICS], rule="private_fostering_visits", severity="breach", certainty="definite") == []


def test_leicestershire_no_other_definite_timescale_breach(flags):
    """The Ombudsman found one missed CIN visit and no other timescale fault."""
    definite = pick(flags[LEICS], severity="breach", certainty="definite")
    assert [f.rule for f in definite] == ["cin_visits"]


# --- Kent 21 001 933 ---


def test_kent_worker_changes(flags):
    changes = pick(flags[KENT], kind="worker_change")
    assert sorted(month_of(f.start) for f in changes) == [(2020, 10), (2021, 4), (2021, 6), (2021, 9)]


def test_kent_june_worker_did_not_introduce_herself_until_september(flags):
    late = [f for f in pick(flags[KENT], kind="family_not_told") if month_of(f.start) == (2021, 6)]
    assert len(late) == 1
    assert late[0].certainty == "definite"
    assert month_of(late[0].end) == (2021, 9)


def test_kent_stage1_complaint_answered_23_march(flags):
    stage1 = pick(flags[KENT], rule="complaint_stage1", kind="deadline")
    over_10 = [f for f in stage1 if f.severity == "attention"]
    over_20 = [f for f in stage1 if f.severity == "breach"]
    assert [f.certainty for f in over_10] == ["definite"]
    assert [f.certainty for f in over_20] == ["possible"]
    assert all("23 Mar 2021" in f.message for f in stage1)


def test_kent_no_looked_after_reviews_or_visits_in_the_record(flags):
    coverage = {f.rule for f in pick(flags[KENT], kind="coverage")}
    assert {"lac_reviews", "lac_visits"} <= coverage
    assert pick(flags[KENT], rule="lac_reviews", kind="review") == []
    assert pick(flags[KENT], rule="lac_visits", kind="gap") == []


# --- Careless: Tom and Nikki ---


def test_tom_and_nikki_removal_without_review_iro_or_notice(flags):
    rules = {f.rule for f in pick(flags[TOM_AND_NIKKI], kind="precondition", severity="breach")}
    assert {"placement_end_review", "placement_end_iro", "placement_end_notice"} <= rules


def test_flags_are_deterministic(flags, tmp_path):
    build_sample_database(tmp_path / "again.db")
    conn = open_database(tmp_path / "again.db", read_only=True)
    again = case_flags(conn, LEICS)
    conn.close()
    assert [f.to_dict() for f in again] == [f.to_dict() for f in flags[LEICS]]
