"""The lanes: the whole case across time (workers, plans, complaints, visits, flags) as plain
data for the lanes strip, and the arithmetic that projects days onto columns.

:func:`build_lanes` takes the rows :func:`caseline.store.timeline.load_lane_rows` reads for
:data:`LANE_KINDS`; projections are O(width log n), so a million visit ticks cost nothing.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from caseline.flag_table import FlagTable
from caseline.model import Flag, Person

__all__ = [
    "Bar",
    "Lane",
    "Lanes",
    "LANE_KINDS",
    "BAR_KINDS",
    "VISIT_KINDS",
    "build_lanes",
    "ZOOM_LEVELS",
    "zoom_span",
    "column_of",
    "last_column_of",
    "date_of_column",
    "project_bars",
    "project_counts",
    "fit_lanes",
    "lane_label",
    "flag_spans",
    "axis_ticks",
]

VISIT_KINDS = ("cin_visit", "cp_visit", "lac_visit", "private_fostering_visit", "pa_visit")
STATUS_LANES: tuple[tuple[str, str, str], ...] = (
    ("CIN", "cin_plan_start", "cin_plan_end"),
    ("CP", "cp_plan_start", "cp_plan_end"),
    ("LAC", "lac_start", "lac_end"),
    ("PF", "private_fostering_start", "private_fostering_end"),
)
COMPLAINT_STAGES: tuple[tuple[str, str, str], ...] = (
    ("1", "complaint_stage1", "complaint_stage1_response"),
    ("2", "complaint_stage2", "complaint_stage2_response"),
    ("3", "complaint_stage3", "complaint_stage3_response"),
)


@dataclass(frozen=True, slots=True)
class Bar:
    """A span on a lane: ``start``/``end`` day ordinals (inclusive), a label, a colour slot."""

    start: int
    end: int
    label: str
    slot: int = 0
    event_id: int | None = None


@dataclass
class Lane:
    """One row of the lanes strip.

    Attributes:
        name: the label at the left ("Worker", "CIN", "Visits F"...).
        kind: ``bars``, ``ticks`` or ``marks``.
        bars: spans, for ``bars`` lanes.
        ticks: sorted day ordinals, for ``ticks`` lanes (may be long: projected by bisect).
        marks: ``(day, severity)`` pairs for ``marks`` lanes, sorted.
        spans: ``(first day, last day, severity)`` for ``marks`` lanes: gaps and missed
            deadlines drawn across the days they cover.
        child: the child a per-child lane is about (its name is in *name*).
        born: that child's date of birth, where known (the label shows the age).
    """

    name: str
    kind: str
    bars: list[Bar] = field(default_factory=list)
    ticks: array = field(default_factory=lambda: array("l"))
    marks: list[tuple[int, str]] = field(default_factory=list)
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    child: str = ""
    born: object = None


@dataclass
class Lanes:
    """Everything the lanes strip draws, and the case's span of days."""

    first: int
    last: int
    lanes: list[Lane]


#: Event kinds the lanes draw as bars (few events; visits come as day arrays).
BAR_KINDS = (
    ("worker_allocated",)
    + tuple(kind for _, start, end in STATUS_LANES for kind in (start, end))
    + tuple(kind for _, start, end in COMPLAINT_STAGES for kind in (start, end))
    + ("ombudsman_complaint",)
)

#: Every event kind the lanes draw.
LANE_KINDS = (
    ("worker_allocated",)
    + tuple(kind for _, start, end in STATUS_LANES for kind in (start, end))
    + tuple(kind for _, start, end in COMPLAINT_STAGES for kind in (start, end))
    + ("ombudsman_complaint",)
    + VISIT_KINDS
)


def _status_bars(rows: Sequence[tuple], start_kind: str, end_kind: str, last: int, label: str) -> list[Bar]:
    bars: list[Bar] = []
    opened: tuple | None = None
    for row in rows:
        if row[1] == start_kind and opened is None:
            opened = row
        elif row[1] == end_kind and opened is not None:
            bars.append(Bar(opened[4], max(opened[4], row[4]), label, 0, opened[0]))
            opened = None
    if opened is not None:
        bars.append(Bar(opened[4], max(opened[4], last), label, 0, opened[0]))
    return bars


def build_lanes(
    rows: Sequence[tuple],
    flags: Iterable[Flag],
    people: Mapping[str, Person] | None = None,
    first: int | None = None,
    last: int | None = None,
    max_lanes: int = 8,
    visits: Mapping[str, Sequence[int]] | None = None,
    marks: Iterable[tuple[int, str]] | None = None,
) -> Lanes:
    """Build the lanes from :func:`load_lane_rows` output and the flags.

    Args:
        rows: lane events in date order.
        flags: flags to mark.
        people: names for worker labels (by person id).
        first: the case's first day (ordinal); defaults to the first lane event.
        last: the case's last day; open plans and the last worker run until then.
        max_lanes: unused (kept for callers): :func:`fit_lanes` merges lanes to fit.
        visits: days with a visit per subject (:func:`load_lane_visits`); when given, visit
            ticks come from here rather than from *rows*.
        marks: the (day, severity) pairs to mark: where each flag sits in the timeline
            (:meth:`RowModel.flag_marks`, so a stability flag shows where it arose, and no
            record of each of *flags* is made); else each flag's first day.
    """
    people = people or {}
    table = FlagTable.from_flags(flags)  # (a long case's stay columns: no record is made)
    if first is None:  # (the callers with a long case's flags know it)
        days = [r[4] for r in rows] + list(table.days("starts")) + \
            [days_[0] for days_ in (visits or {}).values() if days_]
        first = min(days) if days else date.today().toordinal()
    last = last if last is not None else (max([r[5] for r in rows] + list(table.days("ends")) + [first]))

    lanes: list[Lane] = []
    workers = [r for r in rows if r[1] == "worker_allocated"]
    if workers:
        lane = Lane("Worker", "bars")
        slots: dict[str, int] = {}
        for i, row in enumerate(workers):
            end = workers[i + 1][4] - 1 if i + 1 < len(workers) else last
            who = row[3] or "?"
            slot = slots.setdefault(who, len(slots))
            name = people[who].name if who in people else who
            lane.bars.append(Bar(row[4], max(row[4], end), name, slot, row[0]))
        lanes.append(lane)

    subjects = sorted({r[2] for r in rows if r[2]} | {s for s in (visits or {}) if s})

    def visit_days(selected: Sequence[tuple], subject: str | None) -> array:
        if visits is None:
            return array("l", sorted(r[4] for r in selected if r[1] in VISIT_KINDS))
        if subject is None:  # every child
            chosen = [d for days in visits.values() for d in days]
        else:
            chosen = list(visits.get("", ())) + list(visits.get(subject, ()))
        return array("l", sorted(set(chosen)))

    def status_and_visits(selected: Sequence[tuple], suffix: str, child: str = "") -> list[Lane]:
        found: list[Lane] = []
        born = people[child].born if child in people else None
        for name, start_kind, end_kind in STATUS_LANES:
            bars = _status_bars(selected, start_kind, end_kind, last, name)
            if bars:
                found.append(Lane(f"{name}{suffix}", "bars", bars=bars, child=child, born=born))
        if child:  # complaints belong to the case, not to one child
            ticks = visit_days(selected, child)
            if ticks:
                found.append(Lane(f"Visits{suffix}", "ticks", ticks=ticks, child=child, born=born))
            return found
        complaint = Lane(f"Complaint{suffix}", "bars")
        for stage, start_kind, end_kind in COMPLAINT_STAGES:
            for bar in _status_bars(selected, start_kind, end_kind, last, f"stage {stage}"):
                complaint.bars.append(Bar(bar.start, bar.end, bar.label, int(stage), bar.event_id))
        if complaint.bars:
            complaint.bars.sort(key=lambda b: b.start)
            found.append(complaint)
        ticks = visit_days(selected, None)
        if ticks:
            found.append(Lane(f"Visits{suffix}", "ticks", ticks=ticks))
        return found

    if marks is None:
        marks = {(f.start.toordinal(), f.severity) for f in table}
    # A mark a day and severity: more on the same day draw nothing more (a long case's
    # tens of thousands of flags fall on a few thousand days, drawn at every paint).
    flag_lane = Lane("Flags", "marks", marks=sorted(set(marks)),
                     spans=flag_spans(table.where(kinds=SPAN_KINDS)))
    combined = status_and_visits(rows, "")
    if len(subjects) > 1:
        per_child: list[Lane] = []
        for subject in subjects:
            # Events with no subject concern every child.
            name = people[subject].name if subject in people else subject
            per_child.extend(status_and_visits([r for r in rows if r[2] in ("", subject)], f" {name}", subject))
        shared = [lane for lane in combined if lane.name == "Complaint"]
        combined = per_child + shared
    lanes.extend(combined)
    lanes.append(flag_lane)
    return Lanes(first, max(first, last), lanes)


#: Flag kinds drawn as spans in the Flags lane (see :func:`flag_spans`).
SPAN_KINDS = frozenset({"gap", "deadline", "review"})


def flag_spans(flags: Iterable[Flag]) -> list[tuple[int, int, str]]:
    """The days gaps and missed deadlines cover, to draw as spans: a gap from the last event
    to the next (or the as-of), a missed deadline from when it was due to when it was met."""
    spans = []
    for flag in flags:
        if flag.kind == "gap":
            spans.append((flag.start.toordinal(), max(flag.start, flag.end).toordinal(), flag.severity))
        elif flag.kind in ("deadline", "review") and flag.due is not None:
            spans.append((flag.due.toordinal(), max(flag.due, flag.end).toordinal(), flag.severity))
    return spans


def fit_lanes(lanes: Sequence[Lane], rows: int) -> list[Lane]:
    """At most *rows* lanes, every kind of lane still shown: the worker lane first, the flags
    lane last, and the plan lanes merged into one ``Plans`` lane (per child, then for every
    child) when they do not fit one row each."""
    lanes = list(lanes)
    if len(lanes) <= rows:
        return lanes
    rows = max(rows, 1)

    def merge(group: list[Lane], name: str, child: str = "", born=None) -> Lane:
        bars = sorted((bar for lane in group for bar in lane.bars), key=lambda b: b.start)
        return Lane(name, "bars", bars=bars, child=child, born=born)

    def plans_of(lanes_: list[Lane], per_child: bool) -> list[Lane]:
        out: list[Lane] = []
        i = 0
        while i < len(lanes_):
            lane = lanes_[i]
            if lane.kind == "bars" and lane.name.split(" ")[0] in {n for n, _, _ in STATUS_LANES}:
                key = lane.child if per_child else None
                group = [lane]
                while i + 1 < len(lanes_) and lanes_[i + 1].kind == "bars" and \
                        lanes_[i + 1].name.split(" ")[0] in {n for n, _, _ in STATUS_LANES} and \
                        (not per_child or lanes_[i + 1].child == key):
                    i += 1
                    group.append(lanes_[i])
                if len(group) > 1:
                    child = key or ""
                    label = "Plans" + (lane.name[len(lane.name.split(" ")[0]):] if per_child else "")
                    out.append(merge(group, label, child, lane.born if per_child else None))
                else:
                    out.append(lane)
            else:
                out.append(lane)
            i += 1
        return out

    fitted = plans_of(lanes, per_child=True)
    if len(fitted) > rows:
        # One child's lanes after another do not fit: one lane per kind for every child.
        merged: list[Lane] = []
        by_name: dict[str, Lane] = {}
        for lane in fitted:
            base = lane.name.split(" ")[0] if lane.child else lane.name
            if base in by_name and lane.kind == by_name[base].kind:
                target = by_name[base]
                target.bars = sorted(target.bars + lane.bars, key=lambda b: b.start)
                target.ticks = array("l", sorted(list(target.ticks) + list(lane.ticks)))
                continue
            copy = Lane(base, lane.kind, list(lane.bars), array("l", lane.ticks), list(lane.marks),
                        list(lane.spans))
            by_name[base] = copy
            merged.append(copy)
        fitted = plans_of(merged, per_child=False)
    if len(fitted) > rows:
        # Still too many: keep the worker and flag lanes and as many others as fit.
        flags = [lane for lane in fitted if lane.kind == "marks"]
        others = [lane for lane in fitted if lane.kind != "marks"]
        fitted = others[: max(0, rows - len(flags))] + flags
    return fitted


def lane_label(lane: Lane, day: int | None = None) -> str:
    """A lane's label: its name, and for a child's lane the child's age on *day* where known."""
    if lane.born is None or day is None:
        return lane.name
    from caseline.dates import DateRange
    from caseline.view.labels import age_text

    on = date.fromordinal(day)
    age = age_text(lane.born, DateRange(on, on))
    return f"{lane.name} {age}" if age else lane.name


def axis_ticks(start: int, end: int, width: int) -> list[tuple[int, str]]:
    """``(column, label)`` for the axis over days *start..end* in *width* columns.

    The step (1, 2, 3, 6 months, 1, 2, 5, 10 years) is the smallest whose labels all fit
    with a space between them, so no month is skipped at random: every tick is labelled.
    Month labels read ``Apr``, and carry the year (``Jan 22``) at January and the first one.
    """
    first = date.fromordinal(start)
    for step in (1, 2, 3, 6, 12, 24, 60, 120):
        month = date(first.year, first.month, 1)
        if step >= 12:
            month = date(first.year - first.year % (step // 12), 1, 1)
        else:
            while (month.month - 1) % step:
                month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        ticks: list[tuple[int, str]] = []
        first_label = True
        while month.toordinal() <= end:
            if month.toordinal() >= start:
                col = column_of(month.toordinal(), start, end, width)
                if step >= 12:
                    label = str(month.year)
                elif first_label or month.month == 1:
                    label = f"{MONTHS[month.month - 1]} {month.year % 100:02d}"
                else:
                    label = MONTHS[month.month - 1]
                first_label = False
                if col is not None:
                    ticks.append((col, label))
            total = month.month - 1 + step
            month = date(month.year + total // 12, total % 12 + 1, 1)
        fits = all(b[0] - a[0] >= len(a[1]) + 2 for a, b in zip(ticks, ticks[1:]))
        if ticks and ticks[-1][0] + len(ticks[-1][1]) + 1 > width:
            ticks = ticks[:-1]
        if fits:
            return ticks
    return []


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


ZOOM_LEVELS: tuple[tuple[str, int | None], ...] = (
    ("whole case", None),
    ("year", 366),
    ("quarter", 92),
    ("month", 31),
)


def zoom_span(level: int, first: int, last: int, cursor: int) -> tuple[int, int]:
    """The days the lanes show at zoom *level* (an index into :data:`ZOOM_LEVELS`).

    Whole case shows ``first..last``; other levels a window of that length around *cursor*,
    kept inside the case where the case is longer than the window.
    """
    _, length = ZOOM_LEVELS[max(0, min(level, len(ZOOM_LEVELS) - 1))]
    if length is None or last - first + 1 <= length:
        return first, max(last, first + 1)
    start = cursor - length // 2
    start = max(first, min(start, last - length + 1))
    return start, start + length - 1


def column_of(day: int, start: int, end: int, width: int) -> int | None:
    """The column (0..width-1) showing *day*, or ``None`` when outside ``start..end``."""
    if width <= 0 or day < start or day > end:
        return None
    span = end - start + 1
    return min(width - 1, (day - start) * width // span)


def last_column_of(day: int, start: int, end: int, width: int) -> int | None:
    """The last column showing *day* (zoomed in, a day spans several columns; a bar that
    ends on it fills them all rather than stopping at the day's first column)."""
    first = column_of(day, start, end, width)
    if first is None:
        return None
    after = column_of(day + 1, start, end, width) if day < end else None
    return max(first, after - 1) if after is not None else width - 1


def date_of_column(column: int, start: int, end: int, width: int) -> int:
    """The first day a column shows (the inverse of :func:`column_of`)."""
    span = end - start + 1
    column = max(0, min(column, width - 1))
    return start + -(-column * span // width)


def project_bars(bars: Sequence[Bar], start: int, end: int, width: int) -> list[int]:
    """For each column, the index of the bar covering it (the later bar wins), else ``-1``."""
    cells = [-1] * width
    for i, bar in enumerate(bars):
        if bar.end < start or bar.start > end:
            continue
        a = column_of(max(bar.start, start), start, end, width)
        b = last_column_of(min(bar.end, end), start, end, width)
        if a is None or b is None:
            continue
        for col in range(a, max(a, b) + 1):
            cells[col] = i
    return cells


def project_counts(days: Sequence[int], start: int, end: int, width: int) -> list[int]:
    """How many of the sorted *days* fall in each column (O(width log n), fine for 1M ticks)."""
    counts = []
    lo = bisect_left(days, start)
    for col in range(width):
        next_day = date_of_column(col + 1, start, end, width) if col + 1 < width else end + 1
        hi = bisect_left(days, next_day, lo)
        counts.append(hi - lo)
        lo = hi
    return counts
