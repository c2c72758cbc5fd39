"""The packaged guidance library on cases that are not among the seeds.

Scenarios of the kind published ombudsman decisions describe, worked by hand against the
England and Wales calendar (bank holidays included), so the rules are checked in general
rather than tuned to the sample cases.
"""

from __future__ import annotations

from datetime import date

from caseline.guidance import load_library
from caseline.rules.engine import compute_flags

from engine_helpers import ev

LIBRARY = {rule.id: rule for rule in load_library()}


def flags_of(rule_id: str, events, as_of: date | None = None, **kw):
    """The flags that ask for something (information rows left out)."""
    return [f for f in compute_flags(events, [LIBRARY[rule_id]], as_of=as_of, **kw) if f.severity != "info"]


def info_of(rule_id: str, events, as_of: date | None = None, **kw):
    return [f for f in compute_flags(events, [LIBRARY[rule_id]], as_of=as_of, **kw) if f.severity == "info"]


# Stage 2 requested Mon 6 Mar 2023. Counting working days past Good Friday (7 Apr), Easter
# Monday (10 Apr), 1 May, the coronation holiday (8 May) and 29 May: 25 working days end on
# Wed 12 Apr 2023 and 65 on Mon 12 Jun 2023.


def test_stage2_answered_between_25_and_65_working_days_needs_attention_only():
    flags = flags_of("complaint_stage2", [ev("complaint_stage2", "2023-03-06"),
                                          ev("complaint_stage2_response", "2023-06-02")])
    assert [(f.severity, f.certainty, f.due) for f in flags] == [("attention", "definite", date(2023, 4, 12))]


def test_stage2_answered_on_the_65th_working_day_is_not_a_breach():
    flags = flags_of("complaint_stage2", [ev("complaint_stage2", "2023-03-06"),
                                          ev("complaint_stage2_response", "2023-06-12")])
    assert {f.severity for f in flags} == {"attention"}


def test_stage2_answered_after_65_working_days_is_a_breach():
    flags = flags_of("complaint_stage2", [ev("complaint_stage2", "2023-03-06"),
                                          ev("complaint_stage2_response", "2023-06-13")])
    # A definite breach of the outer limit says all there is: no separate attention flag.
    assert [(f.severity, f.certainty, f.due) for f in flags] == [("breach", "definite", date(2023, 6, 12))]
    assert "66 working days" in flags[0].message


def test_stage2_unanswered_is_missed_only_once_as_of_passes_the_outer_limit():
    # A recorded request with no answer is itself the fault: no earlier answered complaint
    # is needed to show the chronology records responses.
    request = [ev("complaint_stage2", "2023-03-06")]
    assert flags_of("complaint_stage2", request, as_of=date(2023, 4, 12)) == []
    (pending,) = info_of("complaint_stage2", request, as_of=date(2023, 4, 12))
    assert pending.kind == "pending" and "not yet due as of 12 Apr 2023" in pending.message
    before = flags_of("complaint_stage2", request, as_of=date(2023, 6, 12))
    assert [(f.severity, f.due) for f in before] == [("attention", date(2023, 4, 12))]  # past 25, not 65
    after = flags_of("complaint_stage2", request, as_of=date(2023, 6, 13))
    assert [(f.severity, f.certainty, f.due) for f in after] == [("breach", "definite", date(2023, 6, 12))]
    assert "none recorded by 13 Jun 2023" in after[0].message


# Stage 3 panel requested Mon 3 Jul 2023: 30 working days end on Mon 14 Aug 2023 (no bank
# holiday falls between; the August one is on the 28th).


def test_stage3_panel_on_the_30th_working_day_is_in_time_and_the_31st_is_not():
    on_time = flags_of("complaint_stage3", [ev("complaint_stage3", "2023-07-03"),
                                            ev("complaint_stage3_response", "2023-08-14")])
    assert on_time == []
    panel = compute_flags([ev("complaint_stage3", "2023-07-03"), ev("complaint_panel", "2023-08-14")],
                          [LIBRARY["complaint_stage3"]])
    assert [(f.kind, f.severity) for f in panel] == [("met", "info")]
    late = flags_of("complaint_stage3", [ev("complaint_stage3", "2023-07-03"),
                                         ev("complaint_stage3_response", "2023-08-15")])
    assert [(f.severity, f.certainty) for f in late] == [("breach", "definite")]


def test_referral_decision_over_a_christmas_weekend():
    # Referral Fri 22 Dec 2023: 25 and 26 Dec are bank holidays, so one working day is Wed 27 Dec.
    referral = ev("referral", "2023-12-22")
    assert flags_of("referral_decision", [referral, ev("referral_decision", "2023-12-27")]) == []
    late = flags_of("referral_decision", [referral, ev("referral_decision", "2023-12-28")])
    assert [f.severity for f in late] == ["breach"]


def test_cp_visits_every_ten_working_days_across_easter():
    # A visit on Thu 6 Apr 2023: Good Friday and Easter Monday push the tenth working day
    # after it to Mon 24 Apr, so a visit that day is in time and one on Tue 25 Apr is late.
    plan = ev("cp_plan_start", "2023-03-01")
    visits = [ev("cp_visit", "2023-03-10"), ev("cp_visit", "2023-03-23"), ev("cp_visit", "2023-04-06")]
    in_time = flags_of("cp_visits", [plan, *visits, ev("cp_visit", "2023-04-24"), ev("cp_plan_end", "2023-04-28")])
    assert [f for f in in_time if f.kind == "gap"] == []
    late = flags_of("cp_visits", [plan, *visits, ev("cp_visit", "2023-04-25"), ev("cp_plan_end", "2023-04-28")])
    assert [(f.kind, f.severity, f.certainty) for f in late if f.kind == "gap"] == [("gap", "breach", "definite")]
