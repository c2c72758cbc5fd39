"""Worker changes: every change of allocated worker, whether the family was told, and
stability (3 or more workers in 12 months, the Stability Index measure)."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Sequence
from datetime import date

from caseline.dates import add_duration, format_day
from caseline.guidance import Rule
from caseline.model import Flag
from caseline.rules.measure import (
    CaseFacts,
    EventLike,
    Finding,
    breach,
    coverage_flag,
    durations,
    event_span,
    flag_of,
    in_sort_order,
    make_flag,
    when,
)


class _Changes(Sequence):
    """(previous allocation, new allocation) for each change of allocated worker, held as
    the new allocation's place among them (4 bytes a change, not a pair of references)."""

    def __init__(self, allocations: Sequence[EventLike]) -> None:
        self.allocations = allocations
        self.at = array("i", (i for i in range(1, len(allocations))
                              if allocations[i].actor != allocations[i - 1].actor))

    def __len__(self) -> int:
        return len(self.at)

    def __getitem__(self, k: int) -> tuple[EventLike, EventLike]:
        i = self.at[k]
        return self.allocations[i - 1], self.allocations[i]

    def __iter__(self) -> Iterator[tuple[EventLike, EventLike]]:
        allocations = self.allocations
        return ((allocations[i - 1], allocations[i]) for i in self.at)


def _changes(case: CaseFacts, kinds: Sequence[str]) -> _Changes:
    allocations = case.of(kinds)
    return _Changes(allocations if isinstance(allocations, list) else list(allocations))


def worker_change_rule(rule: Rule, case: CaseFacts) -> Iterator[Flag]:
    """Flags in :attr:`~caseline.model.Flag.sort_key` order, made as they are read: a whole
    extract read as one case changes worker hundreds of thousands of times."""
    p = rule.params
    kinds = p.get("worker", ["worker_allocated"])
    if p.get("variant") == "stability":
        return iter(_stability(rule, case, kinds))
    return in_sort_order(_change_flags(rule, case, _changes(case, kinds)))


def _change_flags(rule: Rule, case: CaseFacts, changes: _Changes) -> Iterator[Flag]:
    """Each change's flags, in the changes' order: every one starts on the day of its change,
    so they come by first day. The change itself, then whether the family was told of it."""
    name = case.name
    told_of = _family_told(rule, case, changes)
    allocations = changes.allocations
    for k, i in enumerate(changes.at):
        previous, new = allocations[i - 1], allocations[i]
        dates = new.dates
        yield flag_of(rule, "worker_change", "info", True, dates.start, dates.end, None, (previous.id, new.id),
                      f"Allocated worker changed from {name(previous.actor)} to {name(new.actor)} ({when(dates)})",
                      str(new.id))
        if told_of is not None and (told := told_of(k, new)) is not None:
            yield told


def _family_told(rule: Rule, case: CaseFacts, changes: _Changes) -> Callable[[int, EventLike], Flag | None] | None:
    """The check of change *k* (to *new*): its flag, if the family was told late or there is
    no record it was told; ``None`` when the rule has no time limit or there are no changes."""
    (within,) = durations(rule.params, "within")
    if within is None or not changes:
        return None
    informed = case.of(rule.params.get("informed", ["family_informed"]))
    name, stop = case.name, case.as_of
    if not informed:  # nothing recorded of any telling: the records may be incomplete
        first = changes[0][1]
        missing = coverage_flag(rule, case, first, "the allocated worker changed") \
            if stop > add_duration(first.dates.end, within) else None
        return lambda k, new: missing if k == 0 else None
    by_actor = any(i.actor for i in informed)
    told_by = _first_after_index(informed, by_actor)
    limit = f"{rule.status_label}: within {within}{rule.figure_note}"  # the same for every flag
    allocations, at = changes.allocations, changes.at
    last = len(at) - 1

    def check(k: int, new: EventLike) -> Flag | None:
        told = told_by(new)
        # The next change's end bounds a telling of someone else.
        if told is not None and k < last and told.dates.start > allocations[at[k + 1]].dates.end \
                and not (by_actor and told.actor == new.actor):
            told = None  # told of someone else, after the next change
        dates = new.dates
        if told is not None:
            definite, possible = breach(new, told, within)
            if not possible:
                return None
            span = event_span(new, told, within)
            return flag_of(rule, "family_not_told", "attention", definite, dates.start, told.dates.end,
                           add_duration(dates.end, within), (new.id, told.id),
                           f"Family told of the new worker ({name(new.actor)}) {span.text()} after the change "
                           f"({when(dates)} to {when(told.dates)}); {limit}", f"{new.id}:{told.id}")
        if stop <= add_duration(dates.start, within):
            return None  # not yet due
        due_end = add_duration(dates.end, within)
        return flag_of(rule, "family_not_told", "attention", stop > due_end, dates.start, stop, due_end, (new.id,),
                       f"No record that the family was told of the new worker ({name(new.actor)}, {when(dates)}) "
                       f"by {format_day(stop)}; {limit}", f"{new.id}:none")

    return check


def _first_after_index(informed: list[EventLike], by_actor: bool):
    """A lookup: the first informed event that may follow a change, preferring one whose
    actor is the new worker. Bisection keeps it fast on long chronologies, and the tables
    are flat lists (a whole extract names hundreds of thousands of workers: a list each
    would cost more than the events)."""
    from bisect import bisect_left, bisect_right

    # In order of last day (then first, then id). They come in event order (first day, last
    # day, id): a stable sort by last day alone keeps ties in that order, with no key tuple
    # for each (a whole extract's were 30 MB), and none is needed while no last day falls back.
    def last_day(e: EventLike) -> date:
        return e.dates.end

    if any(later.dates.end < earlier.dates.end for earlier, later in zip(informed, informed[1:])):
        informed = sorted(informed, key=last_day)
    # An event naming a worker tells of that worker only; one naming nobody may tell of any.
    anyone = [e for e in informed if not e.actor]
    anyone_ends = [e.dates.end for e in anyone]
    # Each worker's events stand together, still in order of last day (the sort is stable).
    named = sorted((e for e in informed if e.actor), key=_actor_text) if by_actor else []
    named_actors = [_actor_text(e) for e in named]
    named_ends = [e.dates.end for e in named]

    def lookup(change: EventLike) -> EventLike | None:
        day = change.dates.start
        if change.actor and named:
            actor = _actor_text(change)
            low = bisect_left(named_actors, actor)
            if low < len(named_actors) and named_actors[low] == actor:
                top = bisect_right(named_actors, actor, low)
                i = bisect_left(named_ends, day, low, top)
                if i < top:
                    return named[i]
        i = bisect_left(anyone_ends, day)
        return anyone[i] if i < len(anyone) else None

    return lookup


def _actor_text(event: EventLike) -> str:
    return str(event.actor)


def _stability(rule: Rule, case: CaseFacts, kinds: Sequence[str]) -> list[Flag]:
    """Distinct allocated workers within any *window*, the worker in post as it opens included.

    Two sliding windows over the allocations (definite and possible readings of the dates)
    keep this linear however long the case is: each holds a count for each worker in it.
    """
    threshold = int(rule.params.get("threshold", 3))
    (window,) = durations(rule.params, "window")
    if window is None:
        return []
    allocations = case.of(kinds)
    flags: list[Flag] = []
    cluster: tuple[int, int, bool] | None = None  # (first index, last index, definite)
    # When each allocation leaves the window, on its latest and on its earliest reading.
    leaves_latest = [add_duration(a.dates.end, window) for a in allocations]
    leaves_earliest = [add_duration(a.dates.start, window) for a in allocations]
    possible = _SlidingWorkers(allocations, leaves_latest)
    definite = _SlidingWorkers(allocations, leaves_earliest)
    for i, latest in enumerate(allocations):
        # Possible: the earlier allocation's latest date may fall within the window.
        possible.advance(i, latest.dates.start)
        definite.advance(i, latest.dates.end)
        if possible.distinct() >= threshold:
            first_possible = max(0, possible.low - 1)  # the worker in post as it opened
            is_definite = definite.distinct() >= threshold
            if cluster is not None and first_possible <= cluster[1]:
                cluster = (cluster[0], i, cluster[2] or is_definite)
            else:
                if cluster is not None:
                    flags.append(_stability_flag(rule, case, allocations, cluster, threshold, window))
                cluster = (first_possible, i, is_definite)
    if cluster is not None:
        flags.append(_stability_flag(rule, case, allocations, cluster, threshold, window))
    return flags


class _SlidingWorkers:
    """Actors of allocations[low..high], plus the one in post before *low* (it still counts)."""

    __slots__ = ("allocations", "leaves", "low", "counts")

    def __init__(self, allocations: Sequence[EventLike], leaves: Sequence[date]) -> None:
        self.allocations = allocations
        self.leaves = leaves  # allocation k leaves the window on leaves[k]
        self.low = 0
        self.counts: dict[str, int] = {}

    def advance(self, high: int, day: date) -> None:
        """Take allocation *high* in and drop those that left the window by *day*."""
        allocations, counts, leaves = self.allocations, self.counts, self.leaves
        actor = allocations[high].actor
        counts[actor] = counts.get(actor, 0) + 1
        low = self.low
        while low < high and leaves[low] <= day:
            gone = allocations[low].actor
            left = counts[gone] - 1
            if left:
                counts[gone] = left
            else:
                del counts[gone]
            low += 1
        self.low = low

    def distinct(self) -> int:
        low, counts = self.low, self.counts
        before = self.allocations[low - 1].actor if low > 0 else None
        return len(counts) + (1 if before is not None and before not in counts else 0)


def _stability_flag(rule, case, allocations, cluster, threshold, window) -> Flag:
    first, last, definite = cluster
    chosen = allocations[first : last + 1]
    names = list(dict.fromkeys(case.name(allocation.actor) for allocation in chosen))
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    message = (
        f"{len(names)} allocated workers between {when(chosen[0].dates)} and {when(chosen[-1].dates)} "
        f"({shown}); {rule.status_label}: {threshold} or more within {window} marks instability"
    )
    return make_flag(rule, Finding(
        kind="worker_stability",
        severity="attention",
        definite=definite,
        start=chosen[0].dates.start,
        end=chosen[-1].dates.end,
        due=None,
        events=chosen,
        message=message,
        tag=f"{chosen[0].id}:{chosen[-1].id}",
    ))
