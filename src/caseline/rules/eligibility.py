"""Who is a care leaver: care-leaver duties start on leaving care only for an eligible child.

An *eligible* child has been looked after for at least 13 weeks since the age of 14 and is
16 or 17 (Children Act 1989 Sch 2 para 19B; Care Planning Regulations 2010 reg 40). On
leaving care at 16 or 17 they are a *relevant* child until 18, then a *former relevant* child
(pathway plan reviews until 21, or 25 in education or training).

* ``care_leaver``: from leaving care while eligible until the 21st birthday.
* ``relevant_child``: from leaving care while eligible until the 18th birthday (the council
  provides the accommodation, so the personal adviser visits it, reg 8(2) Care Leavers
  (England) Regulations 2010).

The date of birth is ``people.born`` (a range when approximate). Unknown: no duty is measured
and an information row says what would make it due. Eligible on some readings only: the
periods count, but their breaches are *possible*.
"""

from __future__ import annotations

from datetime import date, timedelta

from caseline.dates import add_months
from caseline.guidance import Rule
from caseline.model import Flag
from caseline.rules.measure import CaseFacts, Marker, Period, info_flag, open_periods, when

THIRTEEN_WEEKS = timedelta(weeks=13)


def _birthday(born: date, years: int) -> date:
    return add_months(born, 12 * years)


def _eligible_on(born: date, looked_after_from: date, left: date) -> bool:
    """Eligible on one reading: 16 or over when leaving, 13 weeks looked after since 14."""
    if left < _birthday(born, 16) or left >= _birthday(born, 18):
        return False
    since = max(looked_after_from, _birthday(born, 14))
    return left - since >= THIRTEEN_WEEKS


def eligible_periods(rule: Rule, case: CaseFacts, periods: list[Period], kind: str):
    """(periods that count, ids of those only possibly counting, information rows)."""
    lac = open_periods(case, ["lac_start"], ["lac_end"], restart=False)
    kept: list[Period] = []
    uncertain: set[int] = set()
    notes: list[Flag] = []
    until_years = 18 if kind == "relevant_child" else 21
    for period in periods:
        left = period.opened
        episode = next((p for p in lac if p.closed is left), None)
        looked_after_from = episode.opened.dates.start if episode is not None else left.dates.start
        born = case.born
        if born is None:
            who = case.name(case.child) if case.child else "the child"
            notes.append(info_flag(
                rule, "condition", left.dates.start, left.dates.end, None, [left],
                f"{rule.title} would apply from leaving care ({when(left.dates)}) if {who} was an eligible "
                f"child (looked after 13 weeks or more since 14, and 16 or 17 on leaving); record the date "
                f"of birth (people.born) to check; {rule.status_label}", f"{left.id}:eligibility"))
            continue
        # Oldest and youngest readings of the date of birth, earliest and latest of leaving.
        readings = {_eligible_on(b, looked_after_from, d)
                    for b in (born.start, born.end) for d in (left.dates.start, left.dates.end)}
        if True not in readings:
            continue
        end = _birthday(born.end, until_years)
        closed = period.closed
        if closed is None or closed.dates.start > end:
            closed = Marker(end, "birthday")
        if end <= left.dates.start:
            continue
        counted = Period(left, closed if end < case.as_of or period.closed is not None else None)
        kept.append(counted)
        if readings != {True}:
            uncertain.add(id(counted))
    return kept, uncertain, notes
