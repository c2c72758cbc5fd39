"""The timeline: a Line API ``ScrollView`` that renders only the rows on screen.

Like Toolong's log view: ``virtual_size`` is the number of rows, :meth:`render_line` maps a
screen line to a row, events are fetched a page at a time by id (:class:`EventPages`), and
rendered rows are kept in an LRU cache of ``Strip`` objects keyed on the row and its state.
There is never one widget per row, so a million events scroll like ten.

All text from the database goes through :func:`caseline.sanitize.clean` and into
``rich.text.Text`` as plain strings: it can never be read as markup or terminal control.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from caseline.sanitize import clean
from caseline.model import Flag, Person
from caseline.store import get_events
from caseline.view.columns import Columns, date_forms, due_forms, fit_date, layout_columns, span_forms
from caseline.view.labels import age_text, child_for_event, severity_symbol, worst_severity
from caseline.view.rows import EventPages, Row, RowModel

#: Rows measured for the column widths (the same for every long case, so a first screen of
#: ten million events reads no more than one of a thousand).
MEASURED_ROWS = 1000
#: Cells the summary moves for each press of right or left.
PAN_STEP = 20

FLAG_KIND_LABEL = {
    "gap": "gap",
    "deadline": "deadline",
    "review": "review not held",
    "worker_change": "worker change",
    "worker_stability": "worker stability",
    "family_not_told": "family not told",
    "precondition": "precondition",
    "coverage": "not recorded",
    "met": "met",
    "pending": "not yet due",
    "condition": "if condition",
    "late_record": "late record",
}


def flag_date_forms(flag: Flag, approximate: bool = True) -> list[str]:
    """The date column of a flag row, longest form first: when something was due, or the span
    it covers (a gap between two exact dates reads ``20 Sep-27 Nov 2021``, without ``~``)."""
    if flag.due is not None and flag.kind != "gap":
        return due_forms(flag.due)
    return span_forms(flag.start, flag.end, approximate)


def flag_date_text(row: Row) -> str:
    """The date column of a flag row at full length."""
    assert row.flag is not None
    return flag_date_forms(row.flag)[0]


def _fit(text: str, width: int) -> str:
    """Cut *text* to *width* cells with an ellipsis, then pad (the columns are fixed)."""
    if width <= 0:
        return ""
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.ljust(width)


def _panned(text: str, pan: int) -> str:
    """*text* with its first *pan* cells scrolled out of view (``…`` marks where it was cut)."""
    if pan <= 0:
        return text
    return "…" + text[pan:] if pan < len(text) else ""


class TimelineView(ScrollView, can_focus=True, inherit_bindings=False):
    """Every event of a case, and the flag rows merged among them, one line each."""

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="timeline.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="timeline.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="timeline.page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="timeline.page-down"),
        Binding("home", "first", "First row", show=False, id="timeline.first"),
        Binding("end", "last", "Last row", show=False, id="timeline.last"),
        Binding("right,l", "pan_right", "Read on (long rows)", show=False, id="timeline.pan-right"),
        Binding("left,h", "pan_left", "Back to the start of rows", show=False, id="timeline.pan-left"),
    ]

    COMPONENT_CLASSES = {
        "timeline--cursor",
        "timeline--date",
        "timeline--age",
        "timeline--kind",
        "timeline--actor",
        "timeline--worker",
        "timeline--breach",
        "timeline--attention",
        "timeline--info",
        "timeline--possible",
        "timeline--flag-row",
        "timeline--match",
        "timeline--missing",
    }

    DEFAULT_CSS = """
    TimelineView { background: $surface; }
    TimelineView > .timeline--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    TimelineView:focus > .timeline--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    TimelineView > .timeline--date { color: $text-muted; }
    TimelineView > .timeline--age { color: $text-muted; }
    TimelineView > .timeline--kind { color: $text-secondary; }
    TimelineView > .timeline--actor { color: $text-muted; }
    TimelineView > .timeline--worker { color: $text-accent; text-style: bold; }
    TimelineView > .timeline--breach { color: $text-error; text-style: bold; }
    TimelineView > .timeline--attention { color: $text-warning; text-style: bold; }
    TimelineView > .timeline--info { color: $text-primary; }
    TimelineView > .timeline--possible { text-style: italic; }
    TimelineView > .timeline--flag-row { background: $boost; }
    TimelineView > .timeline--match { text-style: underline; }
    TimelineView > .timeline--missing { color: $text-disabled; }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True, init=False)
    #: Cells of every summary scrolled out of view to the left (right/left keys).
    pan: reactive[int] = reactive(0, init=False)

    class WentToEnd(Message):
        """End was pressed (a screen still reading its index shows the real end at once)."""

    class CursorMoved(Message):
        """The selected row changed."""

        def __init__(self, row: int) -> None:
            self.row = row
            super().__init__()

    def __init__(
        self,
        model: RowModel,
        pages: EventPages,
        people: Mapping[str, Person],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.model = model
        self.pages = pages
        self.people = dict(people)
        self.children_by_id = {p.id: p for p in self.people.values() if p.role == "child"}
        self.match_rows: frozenset[int] = frozenset()
        self.has_age = any(p.born is not None for p in self.children_by_id.values())
        self._cache: LRUCache[tuple, Strip] = LRUCache(1024)
        self._measured: tuple[set[tuple[int, ...]], int, int] | None = None
        self._columns_for: tuple[int, Columns] | None = None
        self._approximate: dict[str, bool] = {}
        self.renders = 0  # rows rendered (not served from cache): for tests and benchmarks
        #: Marks shown before a row's text (notes and stars: tui/investigator.py).
        self.row_marks: Callable[[Row], str] | None = None

    # Model -----------------------------------------------------------------------------------

    def set_model(self, model: RowModel, pages: EventPages, keep_day: int | None = None) -> None:
        """Show a new row model (flags arrived, or a filter changed), keeping the place."""
        self.model = model
        self.pages = pages
        self._cache.clear()
        self._measured = None
        self._columns_for = None
        self.virtual_size = Size(self.size.width, len(model))
        if len(model) == 0:
            target = 0
        elif keep_day is not None:
            target = model.row_for_day(keep_day)
        else:
            target = min(self.cursor_row, len(model) - 1)
        self.cursor_row = target
        self.refresh()

    def refresh_rows(self) -> None:
        """Draw every row again (their marks changed)."""
        self._cache.clear()
        self.refresh()

    def set_matches(self, rows: frozenset[int]) -> None:
        self.match_rows = rows
        self._cache.clear()
        self.refresh()

    def on_mount(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.model))

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self.virtual_size = Size(event.size.width, len(self.model))

    def notify_style_update(self) -> None:
        # Theme changes restyle component classes: drop strips rendered with the old colours.
        self._cache.clear()
        super().notify_style_update()

    # Cursor ----------------------------------------------------------------------------------

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self.model) - 1)) if len(self.model) else 0

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.CursorMoved(new))

    def _scroll_to_cursor(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_page_up(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        self.cursor_row -= height
        self.scroll_to(y=max(0, self.scroll_y - height), animate=False, immediate=True)

    def action_page_down(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        self.cursor_row += height
        self.scroll_to(y=self.scroll_y + height, animate=False, immediate=True)

    def action_first(self) -> None:
        self.cursor_row = 0

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # right/left read long rows on screens that ask for it (the case screen); elsewhere
        # (the replay steps with them) the keys go on to the screen's own bindings.
        if action in ("pan_right", "pan_left") and not getattr(self.screen, "TIMELINE_PANS", False):
            return False
        return True

    def action_pan_right(self) -> None:
        self.pan += PAN_STEP

    def action_pan_left(self) -> None:
        self.pan = max(0, self.pan - PAN_STEP)

    def watch_pan(self) -> None:
        self._cache.clear()
        self.refresh()

    def action_last(self) -> None:
        self.cursor_row = len(self.model) - 1
        self.post_message(self.WentToEnd())

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = round(self.scroll_y) + offset.y
        if 0 <= row < len(self.model):
            self.cursor_row = row
        self.focus()

    # Rendering -------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = round(self.scroll_y) + y
        if row >= len(self.model) or width <= 0:
            return Strip.blank(width, self.rich_style)
        key = (row, width, row == self.cursor_row, row in self.match_rows, self.pan)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(row, width)
            self._cache[key] = strip
        return strip

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    # Columns ---------------------------------------------------------------------------------

    def _measure(self) -> tuple[set[tuple[int, ...]], int, int]:
        """Date form lengths, the longest kind and actor over the first rows and every flag row.

        Each distinct run of form lengths is kept once: the columns need only the widest at
        each level, and a long case's tens of thousands of flags share a few dozen."""
        if self._measured is None:
            model = self.model
            dates: set[tuple[int, ...]] = set()
            kind, actor = 4, 0
            for pos in range(min(model.event_count, MEASURED_ROWS)):
                event = self.pages.event_at(pos)
                if event is None:
                    continue
                dates.add(tuple(len(f) for f in date_forms(event.dates)))
                kind = max(kind, len(clean(event.kind)))
                actor = max(actor, len(self._actor_name(event.actor)))
            # Flag rows only: a mark on an event row (a worker change) shows the event's date
            # and kind, not its own. A record is made for each distinct span or due day (a
            # whole extract's 230,000 flag rows fall on a few thousand), and for each gap,
            # whose "~" depends on its events.
            table = model.flags
            kind_codes, kinds = table.codes("kind")
            starts, ends, dues = table.days("starts"), table.days("ends"), table.days("dues")
            seen: set[tuple[int, int, int]] = set()
            shown_kinds: set[int] = set()
            for index in model.flag_row_indexes():
                shown_kinds.add(kind_codes[index])
                if kinds[kind_codes[index]] != "gap":
                    when = (dues[index], 0, 0) if dues[index] else (0, starts[index], ends[index])
                    if when in seen:
                        continue
                    seen.add(when)
                flag = table[index]
                dates.add(tuple(len(f) for f in flag_date_forms(flag, self._is_approximate(flag))))
            for code in shown_kinds:
                kind = max(kind, len(FLAG_KIND_LABEL.get(kinds[code], kinds[code])))
            self._measured = (dates, kind, actor)
        return self._measured

    def columns(self, width: int) -> Columns:
        """The column widths at *width* (kept until the model or the width changes)."""
        if self._columns_for is None or self._columns_for[0] != width:
            dates, kind, actor = self._measure()
            self._columns_for = (width, layout_columns(width, dates, self.has_age, kind, actor))
        return self._columns_for[1]

    def _about(self, flag: Flag) -> str:
        """``Tom: `` before a flag about one child of several (the engine's ``subject``)."""
        about = [s for s in (getattr(flag, "subject", "") or "").split(",") if s]
        if not about or len(self.children_by_id) < 2:
            return ""
        names = ", ".join(self._actor_name(s) for s in about)
        # The engine's own sentences may already open with the child ("Child A: No care plan...").
        return "" if flag.message.startswith(names.split(",")[0]) else names + ": "

    def _actor_name(self, actor: str) -> str:
        return clean(self.people[actor].name if actor in self.people else actor)

    def _is_approximate(self, flag: Flag) -> bool:
        """Whether a gap runs between imprecise dates (then its span reads ``~``)."""
        if flag.kind != "gap" or not flag.events:
            return True
        if flag.key not in self._approximate:
            events = get_events(self.pages.conn, list(flag.events))
            self._approximate[flag.key] = any(e.dates.start != e.dates.end for e in events.values()) \
                if events else True
        return self._approximate[flag.key]

    def row_text(self, row_index: int, width: int) -> Text:
        """The plain-string Text for one row (public so tests can read rows directly)."""
        row = self.model.row(row_index)
        cols = self.columns(width)
        pan = self.pan
        text = Text(no_wrap=True, overflow="crop", end="")
        if row.flag is not None:
            flag = row.flag
            severity_style = self._style(f"timeline--{flag.severity}")
            if flag.certainty == "possible":
                severity_style += self._style("timeline--possible")
            text.append(severity_symbol(flag.severity, flag.certainty), severity_style)
            when = fit_date(flag_date_forms(flag, self._is_approximate(flag)), cols.date)
            text.append(_fit(when, cols.date) + " ", self._style("timeline--date"))
            if cols.age:
                text.append(" " * (cols.age + 1))
            if cols.kind:
                text.append(_fit(FLAG_KIND_LABEL.get(flag.kind, flag.kind), cols.kind) + " ", severity_style)
            if cols.actor:
                text.append(" " * (cols.actor + 1))
            if self.row_marks is not None:
                text.append(self.row_marks(row), self._style("timeline--kind"))
            text.append(_panned(self._about(flag) + clean(flag.message), pan), severity_style)
            # Only the background: the severity colours above must survive.
            text.stylize(Style(bgcolor=self.get_component_rich_style("timeline--flag-row").bgcolor))
            return text
        event = self.pages.event_at(row.position) if row.position is not None else None
        if event is None:
            text.append("  " + _fit("(missing)", width - 2), self._style("timeline--missing"))
            return text
        is_worker = event.kind == "worker_allocated"
        if row.marks:
            worst = next(f for f in row.marks if f.severity == worst_severity(row.marks))
            text.append("⇄ " if is_worker else severity_symbol(worst.severity, worst.certainty),
                        self._style(f"timeline--{worst.severity}") + self._style("timeline--worker"))
        elif is_worker:
            text.append("⇄ ", self._style("timeline--worker"))
        else:
            text.append("  ")
        text.append(_fit(fit_date(date_forms(event.dates), cols.date), cols.date) + " ", self._style("timeline--date"))
        if cols.age:
            child = child_for_event(event, self.children_by_id)
            age = age_text(child.born, event.dates) if child is not None and child.born is not None else ""
            text.append(_fit(age, cols.age) + " ", self._style("timeline--age"))
        kind_style = self._style("timeline--worker" if is_worker else "timeline--kind")
        if cols.kind:
            text.append(_fit(clean(event.kind).replace("_", " "), cols.kind) + " ", kind_style)
        if cols.actor:
            text.append(_fit(self._actor_name(event.actor), cols.actor) + " ", self._style("timeline--actor"))
        if self.row_marks is not None:
            text.append(self.row_marks(row), self._style("timeline--kind"))
        text.append(_panned(clean(event.summary), pan))
        return text

    def _render_row(self, row_index: int, width: int) -> Strip:
        self.renders += 1
        text = self.row_text(row_index, width)
        if row_index in self.match_rows:
            text.stylize(self._style("timeline--match"))
        base = self.rich_style
        if row_index == self.cursor_row:
            cursor = self.get_component_rich_style("timeline--cursor")
            # Like a DataTable cursor, over the row's own colours, except the severity symbol.
            text.stylize(cursor, 2)
            text.stylize(Style(bgcolor=cursor.bgcolor), 0, 2)
            base = base + cursor
        segments = list(text.render(self.app.console, end=""))
        return Strip(segments).apply_style(base).adjust_cell_length(width, base)

    def plain_line(self, row_index: int, width: int | None = None) -> str:
        """The row as plain text (tests and accessibility)."""
        return self.row_text(row_index, width or self.scrollable_content_region.width or 120).plain

