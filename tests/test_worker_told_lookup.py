"""Which record of telling the family a change of worker is read against: the first to end on
or after the change's first day (by last day, first day, id) that names the new worker, else
the first naming nobody. The look-up (bisection over each worker's run) is held to that
definition, searched for plainly, over any workers and any dates, ranges and partial ones
included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from caseline.rules.worker_change import _first_after_index
from engine_helpers import ev

DAYS = ["2021-03-01", "2021-03-02", "2021-03-05", "2021-03", "2021-04-10", "2021-04", "2021"]
ACTORS = ["", "", "W1", "W2", "W3"]


def _plainly(informed, change, by_actor):
    def order(e):
        return e.dates.end, e.dates.start, e.id

    after = sorted((e for e in informed if e.dates.end >= change.dates.start), key=order)
    if by_actor and change.actor:
        for e in after:
            if e.actor and str(e.actor) == str(change.actor):
                return e
    for e in after:
        if not e.actor:
            return e
    return None


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(DAYS), st.sampled_from(ACTORS)), max_size=12),
       st.lists(st.tuples(st.sampled_from(DAYS), st.sampled_from(ACTORS)), min_size=1, max_size=6))
def test_the_look_up_finds_what_a_plain_search_finds(told, changes):
    # The engine gives the records in event order (first day, last day, id).
    informed = sorted((ev("family_informed", day, actor=actor, id=100 + k) for k, (day, actor) in enumerate(told)),
                      key=lambda e: (e.dates.start, e.dates.end, e.id))
    by_actor = any(e.actor for e in informed)
    lookup = _first_after_index(informed, by_actor)
    for k, (day, actor) in enumerate(changes):
        change = ev("worker_allocated", day, actor=actor, id=10 + k)
        assert lookup(change) is _plainly(informed, change, by_actor), (day, actor)
