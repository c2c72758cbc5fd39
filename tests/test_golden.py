"""Golden tests from the seed decisions: the engine finds what the Ombudsman found about
timescales, and raises no breach where the Ombudsman found none."""

from datetime import date

import pytest

from caseline.analysis import analyse
from caseline.dates import DateRange
from caseline.samples import build_sample_database
from caseline.store import open_database

LEICS = "leicestershire-21-018-990"
KENT = "kent-21-001-933"
TOM_AND_NIKKI = "careless-tom-and-nikki"
LEICS_AS_OF = None


def case_flags(conn, case_id, as_of=None):
    return list(analyse(conn, case_id, as_of).flags)


@pytest.fixture(scope="module")
def flags(tmp_path_factory):
    path = tmp_path_factory.mktemp("golden") / "samples.db"
    build_sample_database(path)
    conn = open_database(path, read_only=True)
    found = {case: case_flags(conn, case) for case in (LEICS, KENT, TOM_AND_NIKKI, "careless-billy",
                                                       "careless-albert")}
    global LEICS_AS_OF
    leics = analyse(conn, LEICS)
    LEICS_AS_OF = (leics.as_of, leics.as_of_source)
    conn.close()
    return found


def pick(flags, rule=None, kind=None, severity=None, certainty=None):
    return [f for f in flags if (rule is None or f.rule == rule) and (kind is None or f.kind == kind)
            and (severity is None or f.severity == severity) and (certainty is None or f.certainty == certainty)]


def month_of(day: date) -> tuple[int, int]:
    return (day.year, day.month)


# --- Leicestershire 21 018 990 (decision 6 Sep 2022) ---


def test_leicestershire_is_judged_at_the_decision_date(flags):
    assert LEICS_AS_OF == (date(2022, 9, 6), "case")


def test_leicestershire_eleven_week_cin_gap_is_the_one_definite_breach(flags):
    definite = pick(flags[LEICS], severity="breach", certainty="definite")
    assert [(f.rule, f.kind) for f in definite] == [("cin_visits", "gap")]
    gap = definite[0]
    assert gap.start == date(2021, 9, 11) and gap.end == date(2021, 12, 6)
    # Measured from the mid-September visit: 11 weeks exactly, due 6 weeks after its last day.
    assert "11 weeks" in gap.message and "every 6 weeks" in gap.message
    assert gap.due == date(2021, 11, 1) and "due by 1 Nov 2021" in gap.message
    assert gap.subject == "F,G" and gap.message.startswith("F and G: ")
    assert gap.status == "caseline_default"


def test_leicestershire_no_private_fostering_breach(flags):
    # In the arrangement's third year the 12-week interval applies: 11 weeks keeps to it.
    assert pick(flags[LEICS], rule="private_fostering_visits", severity="breach") == []


def test_leicestershire_icpc_14_days_after_the_second_strategy_discussion_is_met(flags):
    icpc = pick(flags[LEICS], rule="icpc_timescale")
    assert [f.severity for f in icpc if f.kind in ("deadline", "met")] == ["info"]
    (met,) = pick(flags[LEICS], rule="icpc_timescale", kind="met")
    assert "10 working days" in met.message and "within 15 working days" in met.message
    # The first discussion's enquiry led to no conference: due only had it substantiated concerns.
    assert [f.severity for f in pick(flags[LEICS], rule="icpc_timescale", kind="condition")] == ["info"]


def test_leicestershire_worker_changes_and_stability(flags):
    changes = pick(flags[LEICS], kind="worker_change")
    assert sorted(month_of(f.start) for f in changes) == [(2021, 10), (2021, 12), (2022, 3)]
    (stability,) = pick(flags[LEICS], kind="worker_stability")
    assert "4 allocated workers" in stability.message


def test_leicestershire_referral_answered_by_the_strategy_discussion(flags):
    assert pick(flags[LEICS], rule="referral_decision", kind="coverage") == []
    assert pick(flags[LEICS], rule="assessment_timescale", kind="coverage") == []
    assert pick(flags[LEICS], rule="referral_decision", severity="breach") == []


def test_leicestershire_later_complaints_are_not_measured_as_stage_2(flags):
    """The decision never says the further complaints or the final response were stage 2."""
    assert [f for f in flags[LEICS] if f.rule.startswith("complaint_stage2")] == []


# --- Kent 21 001 933 (decision 21 Feb 2022) ---


def test_kent_worker_changes(flags):
    """Three reallocations (paras 30-31); the team manager standing in as point of contact in
    September 2021 is not one."""
    changes = pick(flags[KENT], kind="worker_change")
    assert sorted(month_of(f.start) for f in changes) == [(2020, 10), (2021, 4), (2021, 6)]


def test_kent_june_worker_did_not_introduce_herself_until_september(flags):
    late = [f for f in pick(flags[KENT], kind="family_not_told") if month_of(f.start) == (2021, 6)]
    assert len(late) == 1
    assert late[0].certainty == "definite"
    assert month_of(late[0].end) == (2021, 9)
    assert late[0].status == "ombudsman_expectation" and "caseline default" in late[0].message


def test_kent_stage1_complaint_answered_23_march_is_one_row(flags):
    (stage1,) = pick(flags[KENT], rule="complaint_stage1")
    assert "23 Mar 2021" in stage1.message
    # Complained some day 4-28 Feb: past 10 working days on every reading, past 20 on some.
    assert (stage1.severity, stage1.certainty) == ("breach", "possible")
    assert stage1.due == date(2021, 3, 26) and "due by 26 Mar 2021" in stage1.message


def test_kent_no_looked_after_reviews_or_visits_in_the_record(flags):
    coverage = {f.rule for f in pick(flags[KENT], kind="coverage")}
    assert {"lac_reviews", "lac_visits"} <= coverage
    assert pick(flags[KENT], rule="lac_reviews", kind="review") == []
    assert pick(flags[KENT], rule="lac_visits", kind="gap") == []


def test_kent_no_definite_timescale_breach(flags):
    assert pick(flags[KENT], severity="breach", certainty="definite") == []


# --- Careless: Tom and Nikki ---


def test_tom_and_nikki_exactly_the_three_findings(flags):
    breaches = pick(flags[TOM_AND_NIKKI], severity="breach")
    assert sorted(f.rule for f in breaches) == ["placement_end_iro", "placement_end_notice", "placement_end_review"]
    assert {(f.kind, f.certainty, f.subject) for f in breaches} == {("precondition", "definite", "CHILD_A,CHILD_B")}
    assert all("between the decision (26 Nov 2018) and the change (28 Nov 2018)" in f.message for f in breaches)
    assert {f.status for f in breaches} == {"statutory"}


def test_tom_and_nikki_a_review_before_the_decision_does_not_count(tmp_path):
    """Move the July review to October 2018: still before the November decision, so it did
    not consider the removal, and every finding stays."""
    from caseline.guidance import load_library
    from caseline.rules.engine import compute_flags
    from caseline.store import list_people, load_facts

    build_sample_database(tmp_path / "tn.db")
    conn = open_database(tmp_path / "tn.db", read_only=True)
    facts = load_facts(conn, TOM_AND_NIKKI, {k for r in load_library() for k in r.params.get("required", [])}
                       | {"lac_start", "lac_end", "placement_start", "placement_end", "care_plan_change"})
    people = list_people(conn, TOM_AND_NIKKI)
    conn.close()
    moved = [f._replace(dates=DateRange.on(date(2018, 10, 4))) if f.ref == "T12" else f for f in facts]
    assert any(f.ref == "T12" for f in facts)
    children = [p.id for p in people if p.role == "child"]
    found = compute_flags(moved, load_library(), as_of=date(2019, 6, 6), children=children)
    # (The review chain now has a 9-month gap of its own; the preconditions are unchanged.)
    rules = sorted(f.rule for f in found if f.severity == "breach" and f.kind == "precondition"
                   and f.certainty == "definite")
    assert rules == ["placement_end_iro", "placement_end_notice", "placement_end_review"]


# --- Careless: Billy ---


def test_billy_raises_no_flag_the_summary_does_not_support(flags):
    """No referral is recorded (the summary gives none) and nothing makes Billy looked after, so
    neither referral deadlines nor looked-after visits are measured."""
    assert flags["careless-billy"] == []


def test_flags_are_deterministic(flags, tmp_path):
    build_sample_database(tmp_path / "again.db")
    conn = open_database(tmp_path / "again.db", read_only=True)
    again = case_flags(conn, LEICS)
    conn.close()
    assert [f.to_dict() for f in again] == [f.to_dict() for f in flags[LEICS]]
