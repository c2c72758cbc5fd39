"""Scenarios for what issue 12 asked of the engine, worked by hand on the England and Wales
calendar, with the packaged library: unanswered deadlines, as-of, one child at a time,
reg 28 visits, preconditions, ICPC anchoring, status labels, possible breaches, met checks
and the new rules."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from caseline.guidance import load_library
from caseline.rules.engine import compute_flags

from engine_helpers import ev, raised

LIBRARY = {rule.id: rule for rule in load_library()}


def run(rule_ids, events, as_of=None, **kw):
    return compute_flags(events, [LIBRARY[r] for r in rule_ids], as_of=as_of, **kw)


def breaches(flags):
    return [f for f in flags if f.severity == "breach"]


# --- 1. Absence per rule and per trigger ---------------------------------------------------


def test_a_stage2_request_never_answered_is_a_definite_breach_on_its_own():
    # 3 Mar 2025: 25 working days end Mon 7 Apr, 65 end Fri 6 Jun 2025.
    alone = run(["complaint_stage2"], [ev("complaint_stage2", "2025-03-03")], as_of=date(2025, 9, 1))
    other = run(["complaint_stage2"], [ev("complaint_stage2", "2023-01-09"), ev("complaint_stage2_response", "2023-02-01"),
                                       ev("complaint_stage2", "2025-03-03")], as_of=date(2025, 9, 1))
    for flags in (alone, raised(other)):
        (flag,) = flags
        assert (flag.severity, flag.certainty, flag.due) == ("breach", "definite", date(2025, 6, 6))
        assert "25 working days: 7 Apr 2025; 65 working days: 6 Jun 2025" in flag.message
        assert "none recorded by 1 Sep 2025" in flag.message


def test_a_stage2_request_before_its_limits_is_pending_then_attention():
    request = [ev("complaint_stage2", "2025-03-03")]
    (pending,) = run(["complaint_stage2"], request, as_of=date(2025, 4, 7))
    assert (pending.kind, pending.severity, pending.due) == ("pending", "info", date(2025, 6, 6))
    (inner,) = run(["complaint_stage2"], request, as_of=date(2025, 4, 8))
    assert (inner.severity, inner.certainty, inner.due) == ("attention", "definite", date(2025, 4, 7))


def test_records_kinds_give_coverage_unless_the_case_declares_them_complete():
    events = [ev("cin_plan_start", "2021-01-04"), ev("note", "2021-06-01")]
    (coverage,) = run(["cin_visits"], events)
    assert coverage.kind == "coverage" and coverage.severity == "attention"
    complete = run(["cin_visits"], events, complete_for=["cin_visit"])
    (gap,) = raised(complete)
    # Measured from the plan's start: due six weeks on, 15 Feb 2021.
    assert (gap.kind, gap.severity, gap.certainty, gap.due) == ("gap", "breach", "definite", date(2021, 2, 15))


def test_something_recorded_as_not_having_happened_gives_a_definite_flag():
    events = [ev("lac_start", "2020-11-02"), ev("lac_review", "2020-11-25"), ev("not:lac_review", "2021-02-01", "2021-03-31")]
    (missed,) = raised(run(["lac_reviews"], events, as_of=date(2021, 4, 1)))
    assert (missed.severity, missed.certainty, missed.due) == ("breach", "definite", date(2021, 2, 25))
    assert "recorded as not held" in missed.message


def test_a_chronology_judged_after_it_ends_asks_about_records_not_breaches():
    events = [ev("cin_plan_start", "2021-01-04"), ev("cin_visit", "2021-02-01"), ev("cin_visit", "2021-03-01")]
    flags = run(["cin_visits"], events, as_of=date(2022, 1, 1), records_until=date(2021, 3, 10))
    assert breaches(flags) == []
    (question,) = raised(flags)
    assert question.kind == "coverage" and question.due == date(2021, 4, 12)
    assert "after the chronology ends" in question.message
    # A live case (records to as-of) is overdue.
    (gap,) = raised(run(["cin_visits"], events, as_of=date(2022, 1, 1)))
    assert gap.severity == "breach" and gap.certainty == "definite"


# --- 3. One child at a time ----------------------------------------------------------------


def siblings():
    events = [ev("cin_plan_start", "2021-01-04")]  # no subject: both children
    day = date(2021, 1, 4)
    for n in range(1, 6):  # A seen every five weeks
        events.append(ev("cin_visit", date.fromordinal(day.toordinal() + 35 * n).isoformat(), subject="A"))
    return events


def test_two_siblings_one_visited_and_one_not():
    flags = run(["cin_visits"], siblings(), as_of=date(2021, 5, 24), children=["A", "B"], people={"A": "Ann", "B": "Ben"})
    (gap,) = breaches(flags)
    assert gap.subject == "B" and gap.message.startswith("Ben: ")
    assert gap.due == date(2021, 2, 15) and gap.certainty == "definite"
    assert gap.key.endswith("@B")


def test_one_child_leaving_care_does_not_end_the_siblings_period():
    events = [ev("lac_start", "2020-01-06"), ev("lac_review", "2020-01-30"), ev("lac_review", "2020-04-23"),
              ev("lac_end", "2020-06-01", subject="A")]
    flags = run(["lac_reviews"], events, as_of=date(2020, 11, 1), children=["A", "B"])
    (missed,) = breaches(flags)
    assert missed.subject == "B" and missed.due == date(2020, 10, 23)


@settings(max_examples=40, deadline=None)
@given(st.dates(min_value=date(2021, 1, 5), max_value=date(2021, 12, 31)),
       st.sampled_from(["cin_visit", "lac_review", "cin_plan_end", "lac_end", "placement_end"]))
def test_an_event_for_one_child_never_changes_anothers_flags(day, kind):
    base = [ev("cin_plan_start", "2021-01-04", id=1), ev("lac_start", "2021-01-04", id=2),
            ev("placement_start", "2021-01-04", id=3), ev("cin_visit", "2021-03-01", subject="B", id=4),
            ev("lac_review", "2021-01-28", subject="B", id=5)]
    rules = ["cin_visits", "lac_reviews", "lac_visits", "placement_end_review"]

    def of_b(events):
        return sorted((f.rule, f.kind, f.severity, f.certainty, f.start, f.end, f.due)
                      for f in run(rules, events, as_of=date(2022, 1, 1), children=["A", "B"])
                      if "B" in f.subject.split(","))

    assert of_b(base) == of_b([*base, ev(kind, day.isoformat(), subject="A", id=99)])


# --- 2. As-of ------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["cin_visit", "complaint_stage1", "complaint_stage1_response",
                                           "lac_review", "worker_allocated"]),
                          st.dates(min_value=date(2020, 1, 1), max_value=date(2021, 6, 30))), max_size=12),
       st.dates(min_value=date(2020, 2, 1), max_value=date(2021, 12, 31)), st.integers(1, 400))
def test_moving_as_of_later_never_removes_a_definite_breach(extra, as_of, later_by):
    events = [ev("cin_plan_start", "2020-01-06", id=1), ev("lac_start", "2020-01-06", id=2),
              *[ev(k, d.isoformat(), id=10 + i) for i, (k, d) in enumerate(extra)]]
    rules = list(LIBRARY)
    later = date.fromordinal(as_of.toordinal() + later_by)

    def definite(day):
        # A breach is known by its rule and the day something was due: a review missed at one
        # as-of may be a review held late at a later one, still due that day.
        return {(f.rule, f.due, f.subject) for f in run(rules, events, as_of=day)
                if f.severity == "breach" and f.certainty == "definite"}

    before = definite(as_of)
    after = definite(later)
    assert before <= after


# --- 4. Looked-after visits (reg 28) -------------------------------------------------------


def placement_with_gaps(*attributes):
    events = [ev("lac_start", "2020-01-06"), ev("placement_start", "2020-01-06"), *attributes,
              ev("lac_visit", "2020-01-10")]
    day = date(2020, 1, 10)
    while day < date(2020, 12, 20):  # year one: every five weeks
        day = date.fromordinal(day.toordinal() + 35)
        events.append(ev("lac_visit", day.isoformat()))
    events += [ev("lac_visit", "2021-03-15"), ev("lac_visit", "2021-06-07")]  # year two: 12 weeks apart
    return events


def test_a_short_term_placement_in_year_two_still_needs_six_weekly_visits():
    flags = run(["lac_visits"], placement_with_gaps(ev("placement_short_term", "2020-01-06")), as_of=date(2021, 6, 7))
    gaps = breaches(flags)
    assert gaps and all(f.certainty == "definite" for f in gaps)
    assert {f.due for f in gaps} >= {date(2021, 4, 26)}  # 15 Mar + 6 weeks


def test_a_long_term_placement_in_year_two_may_go_three_months():
    flags = run(["lac_visits"], placement_with_gaps(ev("placement_long_term", "2020-06-01")), as_of=date(2021, 6, 7))
    assert [f for f in breaches(flags) if f.start >= date(2021, 3, 15)] == []


def test_an_unknown_intention_makes_a_year_two_gap_possible():
    flags = run(["lac_visits"], placement_with_gaps(), as_of=date(2021, 6, 7))
    late = [f for f in breaches(flags) if f.start == date(2021, 3, 15)]
    assert [(f.certainty, f.due) for f in late] == [("possible", date(2021, 4, 26))]
    assert "intended to last until the child is 18" in late[0].message


# --- 5. Preconditions ----------------------------------------------------------------------


def test_a_review_before_the_decision_does_not_count():
    events = [ev("lac_start", "2017-01-09"), ev("lac_review", "2018-10-04"), ev("care_plan_change", "2018-11-26"),
              ev("placement_end", "2018-11-28")]
    (flag,) = breaches(run(["placement_end_review"], events))
    assert flag.certainty == "definite" and "between the decision (26 Nov 2018)" in flag.message
    held = [*events, ev("lac_review", "2018-11-26")]
    assert [f.kind for f in run(["placement_end_review"], held)] == ["met"]


# --- 6. ICPC from the discussion that started the enquiry ----------------------------------


def test_icpc_counted_from_the_first_strategy_discussion():
    # Enquiry started at the 1 Mar 2023 discussion; a second discussion on 10 Mar; ICPC Fri 24 Mar:
    # 17 working days from the first (15 end Wed 22 Mar), 10 from the second.
    events = [ev("strategy_discussion", "2023-03-01"), ev("s47_enquiry", "2023-03-02"),
              ev("strategy_discussion", "2023-03-10"), ev("icpc", "2023-03-24")]
    (flag,) = run(["icpc_timescale"], events)
    assert (flag.severity, flag.certainty, flag.due) == ("breach", "definite", date(2023, 3, 22))


def test_a_missing_icpc_is_due_only_once_the_enquiry_substantiated_concerns():
    events = [ev("strategy_discussion", "2023-03-01"), ev("s47_enquiry", "2023-03-02")]
    (condition,) = run(["icpc_timescale"], events, as_of=date(2023, 6, 1))
    assert (condition.kind, condition.severity) == ("condition", "info")
    substantiated = [*events, ev("s47_substantiated", "2023-03-15")]
    (missed,) = run(["icpc_timescale"], substantiated, as_of=date(2023, 6, 1))
    assert (missed.severity, missed.certainty, missed.due) == ("breach", "definite", date(2023, 3, 22))


# --- 7. Status labels ----------------------------------------------------------------------


def test_status_labels_are_honest():
    assert LIBRARY["cin_visits"].status == "caseline_default"
    assert LIBRARY["cp_visits"].status == "caseline_default"
    assert LIBRARY["worker_change_family_told"].status == "ombudsman_expectation"
    assert LIBRARY["placement_end_notice"].status == "statutory"
    assert LIBRARY["worker_stability"].status == "national_measure"
    assert "Leicestershire" not in LIBRARY["cp_visits"].citation_text
    assert "Leicestershire" not in LIBRARY["cin_visits"].citation_text  # never quoted as another council's rule
    assert "28(3A)" not in LIBRARY["lac_visits"].citation_text


def test_a_councils_own_figure_is_council_policy(tmp_path):
    from caseline.store import library_for
    from caseline.store import open_database
    from caseline.store.writes import set_policy

    conn = open_database(tmp_path / "p.db", create=True)
    set_policy(conn, "cin_visits", "Kent County Council", "every", '"4 weeks"')
    conn.commit()
    assert library_for(conn, "Kent County Council")["cin_visits"].status == "council_policy"
    assert library_for(conn, "Leicestershire County Council")["cin_visits"].status == "caseline_default"
    conn.close()


# --- 8. Possible flags only when plausible -------------------------------------------------


def test_a_five_week_gap_read_from_wide_ranges_is_information_not_a_breach():
    # Visits some day in February and some day in March: 0-8 weeks apart, most likely about 4.
    events = [ev("cin_plan_start", "2021-01-25"), ev("cin_visit", "2021-02"), ev("cin_visit", "2021-03"),
              ev("cin_plan_end", "2021-04-10")]
    (flag,) = [f for f in run(["cin_visits"], events) if f.kind == "gap"]
    assert (flag.severity, flag.certainty) == ("info", "possible")
    assert "most likely" in flag.message
    assert "likeliest reading" in LIBRARY["cin_visits"].summary and "breaks the limit" in LIBRARY["cin_visits"].summary


# --- 9. Met checks -------------------------------------------------------------------------


def test_a_deadline_met_is_an_information_row():
    # Strategy discussion Mon 6 Mar 2023, ICPC Wed 22 Mar: 12 working days.
    (met,) = run(["icpc_timescale"], [ev("strategy_discussion", "2023-03-06"), ev("icpc", "2023-03-22")])
    assert (met.kind, met.severity) == ("met", "info")
    assert "12 working days" in met.message and "within 15 working days" in met.message


# --- 10. New rules -------------------------------------------------------------------------


def test_care_plan_within_ten_working_days_of_becoming_looked_after():
    # Looked after Mon 2 Oct 2023: 10 working days end Mon 16 Oct.
    start = ev("lac_start", "2023-10-02")
    assert breaches(run(["care_plan_timescale"], [start, ev("care_plan", "2023-10-16")])) == []
    (late,) = breaches(run(["care_plan_timescale"], [start, ev("care_plan", "2023-10-17")]))
    assert late.due == date(2023, 10, 16) and late.certainty == "definite"


def test_placement_notice_before_or_within_five_working_days():
    start = ev("placement_start", "2023-10-02")
    assert breaches(run(["placement_notification"], [start, ev("placement_notice", "2023-09-28")])) == []
    (late,) = breaches(run(["placement_notification"], [start, ev("placement_notice", "2023-10-10")]))
    assert late.due == date(2023, 10, 9)


def test_iro_appointed_within_five_working_days():
    start = ev("lac_start", "2023-10-02")
    (late,) = breaches(run(["iro_appointment"], [start, ev("iro_appointed", "2023-10-12")]))
    assert late.due == date(2023, 10, 9) and late.status == "statutory_guidance"


def test_panel_report_and_council_response():
    # Panel Mon 2 Oct 2023: report due Mon 9 Oct; report then, response due 15 working days on, Mon 30 Oct.
    events = [ev("complaint_panel", "2023-10-02"), ev("complaint_panel_report", "2023-10-09")]
    assert breaches(run(["complaint_panel_report", "complaint_stage3_response"], events, as_of=date(2023, 10, 30))) == []
    (missed,) = breaches(run(["complaint_stage3_response"], events, as_of=date(2023, 11, 20)))
    assert (missed.certainty, missed.due) == ("definite", date(2023, 10, 30))


def test_assessment_timescale_from_an_agreed_reassessment():
    # Reassessment agreed Mon 4 Sep 2023; 45 working days (nine weeks, no bank holiday) end Mon 6 Nov.
    agreed = ev("assessment_agreed", "2023-09-04")
    assert breaches(run(["assessment_timescale"], [agreed, ev("assessment", "2023-11-06")])) == []
    (late,) = breaches(run(["assessment_timescale"], [agreed, ev("assessment", "2023-11-07")]))
    assert late.due == date(2023, 11, 6) and "agreement to (re)assess" in late.message


def test_cp_review_conference_counted_from_the_plan_when_the_icpc_is_not_recorded():
    events = [ev("cp_plan_start", "2023-01-10"), ev("rcpc", "2023-05-02"), ev("core_group", "2023-01-20")]
    (late,) = breaches(run(["cp_review_conferences"], events, as_of=date(2023, 6, 1)))
    assert late.due == date(2023, 4, 10)


def test_late_recording():
    events = [ev("cin_visit", "2023-10-02", recorded="2023-10-20"), ev("cin_visit", "2023-11-01", recorded="2023-11-03")]
    (late,) = run(["late_recording"], events)
    assert (late.kind, late.severity, late.due) == ("late_record", "attention", date(2023, 10, 9))


def test_care_leaver_rules_by_age():
    # Born 1 Mar 2005; looked after from 2019 (13 weeks past 14); leaves care at 16y 8m.
    from caseline.dates import parse_range

    left = [ev("lac_start", "2019-05-01"), ev("lac_end", "2021-11-01"), ev("pathway_plan_review", "2022-03-01"),
            ev("pa_visit", "2021-11-20")]
    born = {"A": parse_range("2005-03-01")}
    flags = run(["pathway_plan_reviews", "pa_visits"], left, as_of=date(2023, 6, 1), children=["A"], born=born)
    (review,) = [f for f in breaches(flags) if f.rule == "pathway_plan_reviews"]
    assert review.due == date(2022, 9, 1) and review.certainty == "definite"
    (pa,) = [f for f in breaches(flags) if f.rule == "pa_visits"]
    assert pa.due == date(2022, 1, 20) and pa.end == date(2023, 3, 1)  # until the 18th birthday
    # Too young to be eligible when leaving at 15: no care-leaver duty.
    young = {"A": born["A"].shifted(366 * 2)}
    assert breaches(run(["pathway_plan_reviews"], left, as_of=date(2023, 1, 1), children=["A"], born=young)) == []
    # Date of birth unknown: an information row says what would make it due.
    unknown = run(["pathway_plan_reviews"], left, as_of=date(2023, 1, 1), children=["A"])
    assert [(f.kind, f.severity) for f in unknown] == [("condition", "info")]
    # An approximate year of birth that leaves eligibility open makes the breach possible.
    vague = {"A": parse_range("2005", "2006")}
    (maybe,) = breaches(run(["pathway_plan_reviews"], left, as_of=date(2023, 6, 1), children=["A"], born=vague))
    assert maybe.certainty == "possible"


# --- Properties over the whole library -----------------------------------------------------

from caseline.kinds import EVENT_KINDS  # noqa: E402

_KINDS = [k for k in EVENT_KINDS if k not in ("note", "other", "meeting", "court")]


@st.composite
def two_child_chronologies(draw):
    events = []
    for i in range(draw(st.integers(1, 20))):
        start = draw(st.dates(min_value=date(2019, 1, 1), max_value=date(2022, 12, 31)))
        width = draw(st.sampled_from([0, 0, 0, 9, 30]))
        events.append(ev(draw(st.sampled_from(_KINDS)), start.isoformat(),
                         date.fromordinal(start.toordinal() + width).isoformat(),
                         actor=draw(st.sampled_from("ABCD")), id=i + 1, subject=draw(st.sampled_from(["", "", "X", "Y"]))))
    return events


@settings(max_examples=50, deadline=None)
@given(two_child_chronologies(), st.data())
def test_a_definite_breach_holds_on_every_exact_reading(events, data):
    """Definite means every reading of the dates breaks the rule: pick one exact day for each
    event and the breach is still raised, for the same child."""
    library = list(LIBRARY.values())
    as_of = max(e.dates.end for e in events)

    def breached(flags, definite_only):
        return {(f.rule, f.kind, child) for f in flags for child in f.subject.split(",")
                if f.severity == "breach" and (f.certainty == "definite" or not definite_only)
                and f.kind in ("gap", "deadline", "review", "precondition")}

    definite = breached(compute_flags(events, library, as_of=as_of, children=["X", "Y"]), True)
    exact = [ev(e.kind, data.draw(st.dates(min_value=e.dates.start, max_value=e.dates.end)).isoformat(),
                actor=e.actor, id=e.id, subject=e.subject) for e in events]
    assert definite <= breached(compute_flags(exact, library, as_of=as_of, children=["X", "Y"]), False)


def test_a_plan_end_that_may_come_before_its_start_makes_what_follows_possible_not_definite():
    """A CIN plan agreed on 3 March 2019 and ended "some time in March" (2 March to 1 April):
    read as ending on 2 March the end closes nothing and the plan is open a year later with
    no visit (a breach); read as ending on 1 April the plan ran four weeks, inside the six.
    Whether the child went unvisited depends on the reading: possible, not definite."""
    events = [ev("cin_visit", "2019-01-01", id=1), ev("cin_plan_end", "2019-03-02", "2019-04-01", id=2),
              ev("cin_plan_start", "2019-03-03", id=3)]
    (gap,) = breaches(run(["cin_visits"], events, as_of=date(2020, 3, 5)))
    assert gap.kind == "gap" and gap.certainty == "possible"
    # Dated exactly, the end after the start closes the plan: nothing is due.
    exact = [events[0], ev("cin_plan_end", "2019-04-01", id=2), events[2]]
    assert breaches(run(["cin_visits"], exact, as_of=date(2020, 3, 5))) == []
    # And an end surely before the start leaves the plan open: the same gap, definite.
    before = [events[0], ev("cin_plan_end", "2019-03-02", id=2), events[2]]
    assert [f.certainty for f in breaches(run(["cin_visits"], before, as_of=date(2020, 3, 5)))] == ["definite"]


def test_core_group_and_review_conference_from_the_icpc_when_no_plan_start_is_recorded():
    # ICPC Mon 2 Oct 2023: first core group due Mon 16 Oct; first review conference by 2 Jan 2024.
    events = [ev("icpc", "2023-10-02"), ev("core_group", "2023-10-17"), ev("rcpc", "2024-01-03")]
    flags = breaches(run(["first_core_group", "cp_review_conferences"], events, as_of=date(2024, 1, 10)))
    assert sorted((f.rule, f.due) for f in flags) == [("cp_review_conferences", date(2024, 1, 2)),
                                                      ("first_core_group", date(2023, 10, 16))]


def test_late_recording_reads_a_date_time():
    (late,) = run(["late_recording"], [ev("lac_visit", "2023-10-02", recorded="2023-10-20T09:30:00")],
                  as_of=date(2023, 11, 1))
    assert late.due == date(2023, 10, 9)


def test_no_visit_recorded_as_not_happening_is_a_gap_not_a_records_question():
    events = [ev("cin_plan_start", "2021-09-01"), ev("not:cin_visit", "2021-09-01", "2021-12-01")]
    (gap,) = raised(run(["cin_visits"], events, as_of=date(2021, 12, 1)))
    assert (gap.kind, gap.severity, gap.certainty, gap.due) == ("gap", "breach", "definite", date(2021, 10, 13))
    reviews = [ev("lac_start", "2021-09-01"), ev("not:lac_review", "2021-09-01", "2021-12-01")]
    (missed,) = raised(run(["lac_reviews"], reviews, as_of=date(2021, 12, 1)))
    assert (missed.kind, missed.certainty, missed.due) == ("review", "definite", date(2021, 9, 29))


def test_a_visit_not_yet_due_at_as_of_is_pending_even_after_the_chronology_ends():
    events = [ev("cin_plan_start", "2021-05-03"), ev("cin_visit", "2021-05-24")]
    (pending,) = run(["cin_visits"], events, as_of=date(2021, 6, 1), records_until=date(2021, 5, 24))
    assert (pending.kind, pending.severity, pending.due) == ("pending", "info", date(2021, 7, 5))


def test_looked_after_visits_count_from_becoming_looked_after_when_no_placement_is_recorded():
    events = [ev("lac_start", "2023-10-02"), ev("lac_visit", "2023-10-12")]
    (late,) = breaches(run(["lac_visits"], events, as_of=date(2023, 10, 20)))
    assert (late.due, late.certainty) == (date(2023, 10, 9), "definite")
