"""Which strategy discussion an initial child protection conference is counted from.

Working Together counts the 15 working days from the strategy discussion at which the s47
enquiries that led to the conference were started, not from the last discussion. So:

* an ICPC dated from a discussion (``relative_to``) is counted from that discussion;
* otherwise from the discussion that started the latest s47 enquiry before the conference (the
  latest discussion that can have come before that enquiry), or one the enquiry names;
* with no enquiry recorded, the discussions since the last conference could each have started
  it: the trigger spans them all (a breach is definite only counted from the last of them);
* a discussion whose enquiry has no conference is due only once the enquiry is recorded as
  substantiating concerns (``s47_substantiated``); otherwise an information row says so.
"""

from __future__ import annotations

from caseline.rules.measure import CaseFacts, EventLike

ENQUIRY_KINDS = ["s47_enquiry", "s47_substantiated"]


def _starter(enquiry: EventLike, discussions: list[EventLike]) -> EventLike | None:
    if enquiry.relative_to:
        for sd in discussions:
            if sd.ref == enquiry.relative_to:
                return sd
    found = None
    for sd in discussions:
        if sd.dates.start <= enquiry.dates.end:
            found = sd
        else:
            break
    return found


def enquiry_pairs(case: CaseFacts, discussions: list[EventLike], conferences: list[EventLike],
                  condition_kinds: list[str]) -> list[tuple[EventLike, EventLike | None, bool]]:
    """``(trigger, conference or None, condition recorded)`` for each conference and each
    discussion that started an enquiry no conference followed."""
    from caseline.rules.deadline import Anchor

    enquiries = case.of(ENQUIRY_KINDS)
    substantiated = case.of(condition_kinds or ["s47_substantiated"])
    pairs: list[tuple[EventLike, EventLike | None, bool]] = []
    consumed: set[int] = set()
    previous_end = None
    for icpc in conferences:
        candidates = [sd for sd in discussions if sd.dates.start <= icpc.dates.end
                      and (previous_end is None or sd.dates.start > previous_end) and sd.id not in consumed]
        if not candidates:
            continue
        anchor: EventLike | None = None
        if icpc.relative_to:
            anchor = next((sd for sd in candidates if sd.ref == icpc.relative_to), None)
        if anchor is None:
            leading = [e for e in enquiries if e.dates.start <= icpc.dates.end
                       and (previous_end is None or e.dates.end > previous_end)]
            if leading:
                anchor = _starter(leading[-1], candidates)
        if anchor is None:
            anchor = candidates[0] if len(candidates) == 1 else Anchor(candidates)
        pairs.append((anchor, icpc, True))
        first = anchor.sources[0] if isinstance(anchor, Anchor) else anchor
        consumed.update(sd.id for sd in candidates if sd.dates.start >= first.dates.start)
        previous_end = icpc.dates.end
    started: dict[int, list[EventLike]] = {}
    for enquiry in enquiries:
        sd = _starter(enquiry, discussions)
        if sd is not None:
            started.setdefault(sd.id, []).append(enquiry)
    met = {id(_starter(e, discussions)) for e in substantiated}
    for sd in discussions:
        if sd.id in consumed or sd.id not in started:
            continue
        if id(sd) in met:
            pairs.append((sd, None, True))
        else:
            pairs.append((Anchor([sd, *started[sd.id]], sd.dates), None, False))
    pairs.sort(key=lambda pair: (pair[0].dates.start, pair[0].id))
    return pairs
