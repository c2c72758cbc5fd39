"""The lanes strip: the whole case across time, drawn from :class:`caseline.view.lanes.Lanes`.

The arithmetic (which column shows which day, which bar covers it, how many visits fall in it)
lives in :mod:`caseline.view.lanes` and is tested there; this widget only paints cells. Worker
bars carry their label and a ``│`` at each change, visits are ``┃`` ticks, flags their severity
symbols: all of it readable without colour.
"""

from __future__ import annotations


from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from caseline.sanitize import clean
from caseline.view.labels import SYMBOLS
from caseline.view.lanes import (
    ZOOM_LEVELS,
    Lane,
    Lanes,
    axis_ticks,
    column_of,
    fit_lanes,
    lane_label,
    date_of_column,
    project_bars,
    project_counts,
    zoom_span,
)

LABEL_WIDTH = 11  # the narrowest label column; it widens to the longest label, up to MAX
MAX_LABEL_WIDTH = 18
WORKER_SLOTS = 6


class LanesView(Widget):
    """A few rows of bars, ticks and marks over the span the zoom level chooses."""

    COMPONENT_CLASSES = {
        "lanes--label",
        "lanes--axis",
        "lanes--cursor",
        "lanes--bar",
        "lanes--tick",
        "lanes--breach",
        "lanes--attention",
        "lanes--info",
        *(f"lanes--worker-{i}" for i in range(WORKER_SLOTS)),
    }

    DEFAULT_CSS = """
    LanesView { height: auto; padding: 0 1; background: $surface; }
    LanesView > .lanes--label { color: $text-muted; text-style: bold; }
    LanesView > .lanes--axis { color: $text-muted; }
    LanesView > .lanes--cursor { text-style: reverse bold; }
    LanesView > .lanes--bar { background: $secondary 45%; color: $text; }
    LanesView > .lanes--tick { color: $success; text-style: bold; }
    LanesView > .lanes--breach { color: $error; text-style: bold; }
    LanesView > .lanes--attention { color: $warning; text-style: bold; }
    LanesView > .lanes--info { color: $primary; }
    LanesView > .lanes--worker-0 { background: $primary 45%; color: $text; }
    LanesView > .lanes--worker-1 { background: $secondary 45%; color: $text; }
    LanesView > .lanes--worker-2 { background: $accent 45%; color: $text; }
    LanesView > .lanes--worker-3 { background: $success 45%; color: $text; }
    LanesView > .lanes--worker-4 { background: $warning 45%; color: $text; }
    LanesView > .lanes--worker-5 { background: $error 35%; color: $text; }
    """

    zoom: reactive[int] = reactive(0)
    cursor_day: reactive[int] = reactive(0)
    #: Lanes that fit under the axis; more are merged (:func:`fit_lanes`), never cut off.
    max_rows: reactive[int] = reactive(8, layout=True)

    class DayClicked(Message):
        """The user clicked a day on the lanes."""

        def __init__(self, day: int) -> None:
            self.day = day
            super().__init__()

    def __init__(self, lanes: Lanes, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lanes = lanes
        self._cells_cache: dict[tuple, list[tuple[str, Style]]] = {}
        self._fitted: tuple[tuple, list[Lane]] | None = None

    def set_lanes(self, lanes: Lanes) -> None:
        self.lanes = lanes
        self._fitted = None
        self._cells_cache.clear()
        self.refresh(layout=True)

    @property
    def span(self) -> tuple[int, int]:
        """The first and last day shown."""
        return zoom_span(self.zoom, self.lanes.first, self.lanes.last, self.cursor_day or self.lanes.first)

    @property
    def zoom_name(self) -> str:
        return ZOOM_LEVELS[self.zoom][0]

    def validate_zoom(self, value: int) -> int:
        return max(0, min(value, len(ZOOM_LEVELS) - 1))

    def watch_zoom(self) -> None:
        self.refresh()

    def watch_cursor_day(self) -> None:
        self.refresh()

    def watch_max_rows(self) -> None:
        self._cells_cache.clear()

    @property
    def shown_lanes(self) -> list[Lane]:
        """The lanes drawn: all of them, merged to fit :attr:`max_rows` (kept while the lanes
        and the height stay the same: the cell cache is keyed on these objects)."""
        key = (id(self.lanes), self.max_rows)
        if self._fitted is None or self._fitted[0] != key:
            self._fitted = (key, fit_lanes(self.lanes.lanes, self.max_rows))
        return self._fitted[1]

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.shown_lanes) + 1

    @property
    def label_width(self) -> int:
        longest = max((len(lane_label(lane, self.cursor_day or None)) for lane in self.shown_lanes), default=0)
        return max(LABEL_WIDTH, min(MAX_LABEL_WIDTH, longest + 1))

    def _plot_width(self) -> int:
        return max(1, self.content_region.width - self.label_width)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        label_width = self.label_width
        if offset is None or offset.x < label_width:
            return
        start, end = self.span
        self.post_message(self.DayClicked(date_of_column(offset.x - label_width, start, end, self._plot_width())))

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def render(self) -> Text:
        width = self._plot_width()
        start, end = self.span
        cursor_col = column_of(self.cursor_day, start, end, width)
        label_width = self.label_width
        lines = [self._axis(start, end, width, cursor_col, label_width)]
        for lane in self.shown_lanes:
            line = Text(no_wrap=True, overflow="crop")
            label = clean(lane_label(lane, self.cursor_day or None))
            line.append(label[: label_width - 1].ljust(label_width), self._style("lanes--label"))
            cells = self._lane_cells(lane, start, end, width)
            for col, (char, style) in enumerate(cells):
                if col == cursor_col:
                    style = style + self._style("lanes--cursor")
                    char = char if char != " " else "│"
                line.append(char, style)
            lines.append(line)
        return Text("\n", no_wrap=True).join(lines)

    def _axis(self, start: int, end: int, width: int, cursor_col: int | None, label_width: int) -> Text:
        cells = [" "] * width
        for col, label in axis_ticks(start, end, width):
            cells[col] = "╵"
            for i, ch in enumerate(label):
                if col + 1 + i < width:
                    cells[col + 1 + i] = ch
        if cursor_col is not None:
            cells[cursor_col] = "▼"
        header = f"{self.zoom_name}"[: label_width - 1].ljust(label_width)
        text = Text(header, style=self._style("lanes--label"), no_wrap=True, overflow="crop")
        text.append("".join(cells), self._style("lanes--axis"))
        return text

    def _lane_cells(self, lane, start: int, end: int, width: int) -> list[tuple[str, Style]]:
        # Moving the cursor repaints the lanes; projecting every bar and flag mark again each
        # time costs O(events) on long cases, so cells are kept per lane, span and width.
        key = (id(lane), start, end, width, self.app.theme)  # lanes live until set_lanes clears
        cache = self._cells_cache
        if key not in cache:
            if len(cache) > 64:
                cache.clear()
            cache[key] = self._project_lane(lane, start, end, width)
        return cache[key]

    def _project_lane(self, lane, start: int, end: int, width: int) -> list[tuple[str, Style]]:
        blank = (" ", Style())
        if lane.kind == "bars":
            owners = project_bars(lane.bars, start, end, width)
            cells: list[tuple[str, Style]] = []
            col = 0
            while col < width:
                index = owners[col]
                if index < 0:
                    cells.append(blank)
                    col += 1
                    continue
                bar = lane.bars[index]
                run_end = col
                while run_end + 1 < width and owners[run_end + 1] == index:
                    run_end += 1
                is_worker = lane.name == "Worker"
                style_name = f"lanes--worker-{bar.slot % WORKER_SLOTS}" if is_worker else "lanes--bar"
                # Full (not partial) style: the background has alpha and must be blended.
                style = self.get_component_rich_style(style_name)
                # A change of bar (a new worker) is marked so it shows without colour too.
                changed = col > 0 and owners[col - 1] >= 0 and owners[col - 1] != index
                run = run_end - col + 1
                if is_worker or lane.name.startswith("Plans"):
                    label = ("│" if changed else "") + clean(bar.label)
                    body = label[:run].ljust(run)
                else:
                    body = ("┃" if changed else "") + "━" * run
                    body = body[:run]
                cells.extend((ch, style) for ch in body)
                col = run_end + 1
            return cells
        if lane.kind == "ticks":
            counts = project_counts(lane.ticks, start, end, width)
            tick = self._style("lanes--tick")
            return [("┃" if n > 1 else "│", tick) if n else blank for n in counts]
        cells = [blank] * width
        rank = {"breach": 0, "attention": 1, "info": 2}
        best = [9] * width
        # Gaps and missed deadlines first, as spans (─ over the days they cover, in the
        # severity's colour); the marks' symbols go on top.
        for first, last, severity in lane.spans:
            if last < start or first > end:
                continue
            a = column_of(max(first, start), start, end, width)
            b = column_of(min(last, end), start, end, width)
            known = severity if severity in rank else "info"
            for col in range(a, b + 1):
                if rank.get(severity, 9) + 3 < best[col]:
                    best[col] = rank.get(severity, 9) + 3
                    cells[col] = ("━" if severity == "breach" else "─", self._style(f"lanes--{known}"))
            if b > a and rank.get(severity, 9) + 3 <= best[b]:
                cells[b] = ("┤", self._style(f"lanes--{known}"))
        for day, severity in lane.marks:
            col = column_of(day, start, end, width)
            if col is not None and rank.get(severity, 9) < best[col]:
                best[col] = rank.get(severity, 9)
                known = severity if severity in rank else "info"
                cells[col] = (SYMBOLS.get(severity, "•"), self._style(f"lanes--{known}"))
        return cells
