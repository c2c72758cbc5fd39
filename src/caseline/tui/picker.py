"""The case picker: one row per case, its flag counts filled in by a background worker.

A council's extract holds thousands of cases: the DataTable draws only the rows in view, the
rows are added a thousand between paints (the first few hundred before the first, so the
list shows and takes keys at once), and the counts are worked out for the rows in view first
(:class:`CountingOrder`), and only while the picker is on screen, so an open case has the
cores to itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.worker import get_current_worker
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from caseline.sanitize import clean
from caseline.flag_table import FlagTable
from caseline.model import CaseInfo


class _Cell(Text):
    """A cell's text, never measured by the table (its column's width is given): measuring
    60,000 cells took 2.3 s of a 10,000-case picker's start, on the interface's thread."""

    __slots__ = ()
    __rich_measure__ = None  # Textual's measure() then takes the column's width as it is


class CountingOrder:
    """Which row's flags to count next: a row in view first (the shortest case among them, so
    one long case does not hold up the rest), then the first row below the view that is not
    counted, then from the top. Each row is given once.

    The next row not counted at or after each position is found by a pointer chase with
    path halving, so ten thousand rows cost next to nothing however the view moves."""

    def __init__(self, sizes: Sequence[int]) -> None:
        self._sizes = list(sizes)
        #: Position -> a position at or before the next row not counted (len: none left).
        self._onward = list(range(len(self._sizes) + 1))
        self._lock = threading.Lock()  # an old worker may put back while a new one takes

    def _next_from(self, position: int) -> int:
        onward = self._onward
        while onward[position] != position:
            onward[position] = onward[onward[position]]
            position = onward[position]
        return position

    def take(self, first: int, last: int) -> int | None:
        """The next row to count with rows *first*..*last* in view (``None``: all are counted),
        marked counted."""
        with self._lock:
            return self._take(first, last)

    def _take(self, first: int, last: int) -> int | None:
        count = len(self._sizes)
        first, last = max(0, first), min(last, count - 1)
        in_view, row = [], self._next_from(first) if first < count else count
        while row <= last:
            in_view.append(row)
            row = self._next_from(row + 1)
        if in_view:
            row = min(in_view, key=self._sizes.__getitem__)
        elif row == count:
            row = self._next_from(0)
            if row == count:
                return None
        self._onward[row] = row + 1
        return row

    def resize(self, sizes: Sequence[int]) -> None:
        """The rows' sizes, now known (as many as there are rows)."""
        with self._lock:
            self._sizes[:] = sizes

    def extend(self, sizes: Sequence[int]) -> None:
        """Rows added after the last, of these sizes."""
        with self._lock:
            count = len(self._sizes)
            self._sizes.extend(sizes)
            # The old end (a "none left" for every pointer that reached it) is a row now.
            self._onward[count:] = range(count, len(self._sizes) + 1)

    def put_back(self, row: int) -> None:
        """*row* was taken but not counted (its count was stopped): it is to be given again."""
        with self._lock:
            # A pointer from before *row* past it would skip it: it points at *row* instead
            # (the rows between were counted). A scan of the rows before it, but a stop is rare.
            onward = self._onward
            for position in range(row):
                if onward[position] > row:
                    onward[position] = row
            onward[row] = row


def _add_row(table: DataTable, key: str, cells: tuple[str, str | None, str, str]) -> None:
    """A case's row from its cleaned id, event count (``None``: not counted yet), title and
    council; its flag counts wait."""
    case_id, events, title, council = cells
    waiting = _Cell("…", justify="right", style="dim")
    table.add_row(_Cell(case_id), waiting if events is None else _Cell(events, justify="right"), waiting, waiting,
                  _Cell(title), _Cell(council), key=key)


def _texts_of(case: CaseInfo) -> tuple[str, str, str]:
    """A case's id, title and council as its row shows them (cleaned of control sequences)."""
    return clean(case.id), clean(case.title), clean(case.council)


class PickerScreen(Screen[None]):
    """Choose a case; the flag counts fill in as a background worker computes them."""

    #: Rows added before the first paint (more than a tall terminal shows), then between paints:
    #: adding a row and measuring it for the table cost ~0.1 ms, and a 10,000-case list added
    #: at once kept the picker off the screen for 1.2 s of the 2.4 it took to show.
    FIRST_ROWS = 300
    ROWS_A_STEP = 1000
    #: Seconds of flag counts shown at once. Each showing redraws the table (50-140 ms at 160
    #: columns, the interface's thread holding Python's lock): a 10,000-case list shown a case
    #: at a time was counted at 40 cases a second (1,642 in 40 s), every 0.1 s 5,000 took 71 s,
    #: every 0.5 s 24 s.
    COUNTS_EVERY = 0.5

    BINDINGS = [
        # Priority: the table's own enter/home/end (select, scroll sideways) would shadow these
        # and hide "enter Open case" from the footer.
        Binding("enter", "open_case", "Open case", priority=True, id="picker.open"),
        Binding("home", "first_case", "First case", show=False, priority=True, id="picker.first"),
        Binding("end", "last_case", "Last case", show=False, priority=True, id="picker.last"),
        Binding("j", "down", "Down", show=False, id="picker.down"),
        Binding("k", "up", "Up", show=False, id="picker.up"),
        Binding("q", "app.request_quit", "Quit", id="picker.quit"),
        Binding("escape", "top_hint", "Back", show=False, id="picker.escape"),
        Binding("question_mark", "app.show_help", "Help", key_display="?", id="picker.help"),
    ]

    def __init__(self, cases: Sequence[CaseInfo], *, counted: bool = True) -> None:
        """*counted* false: the cases' ``event_count`` are not known yet, and cases only the
        events name are not among them; both are found in the background."""
        super().__init__()
        self.cases = list(cases)
        self._events_counted = counted
        #: ``(breaches, attention)`` per case once computed (``None``: the engine failed). Checks
        #: met and information (a worker change, a pending deadline) are not counted as flags
        #: needing a look: the case screen lists them.
        self.flag_counts: dict[str, tuple[int, int] | None] = {}
        self._counting_order = CountingOrder([case.event_count for case in self.cases])
        #: The cleaned id, title and council of each case (by row), and how many rows the
        #: table has so far (they are added in order, a step between paints).
        self._texts: list[tuple[str, str, str]] = []
        self._rows_added = 0
        #: The first and last rows in view, kept by the interface's thread as the table
        #: scrolls or changes size, read by the counting worker without asking it.
        self._view = (0, 1)

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="picker-title")
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="picker-table")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        counted = self._events_counted
        self._texts = [_texts_of(case) for case in self.cases]
        # Counts before the long text, so they show on an 80-column terminal too. Each column
        # is as wide as its widest cell, worked out here: the table then measures no cell.
        labels = ("Case", "Events", "Breaches", "Attention", "Title", "Council")
        widths = [max([cell_len(labels[0]), *(cell_len(texts[0]) for texts in self._texts)]),
                  max([cell_len(labels[1]), *(len(f"{case.event_count:,}") for case in self.cases)]) if counted
                  else cell_len(labels[1])]
        if not counted:  # as wide as the largest count could be
            from caseline.store import most_events_a_case_can_have

            widths[1] = max(widths[1], len(f"{most_events_a_case_can_have(self.app.conn):,}"))
        widths += [cell_len(labels[2]), cell_len(labels[3])]
        widths += [max([cell_len(label), *(cell_len(texts[k]) for texts in self._texts)])
                   for k, label in zip((1, 2), labels[4:])]
        for label, key, width, justify in zip(labels, ("id", "events", "breaches", "attention", "title", "council"),
                                              widths, ("left", "right", "right", "right", "left", "left")):
            table.add_column(Text(label, justify=justify), key=key, width=width)
        self._add_rows(self.FIRST_ROWS)
        self.watch(table, "scroll_y", self._keep_view, init=False)
        self.call_after_refresh(self._keep_view)
        table.focus()
        if counted:
            self.count_flags()
        else:  # then the flags: at once, the two took turns for Python's lock (1 s became 5)
            self.count_events()

    def _add_rows(self, count: int) -> None:
        """Add the next *count* cases' rows (as the cases stand now: their events and flags
        may have been counted before their rows were added), and the next step after the
        next paint while any are left."""
        table = self.query_one(DataTable)
        first, last = self._rows_added, min(len(self.cases), self._rows_added + count)
        counted, flag_counts = self._events_counted, self.flag_counts
        for row in range(first, last):
            case = self.cases[row]
            case_id, title, council = self._texts[row]
            _add_row(table, case.id, (case_id, f"{case.event_count:,}" if counted else None, title, council))
            if case.id in flag_counts:
                self._show_count(table, case.id, flag_counts[case.id])
        self._rows_added = last
        if last < len(self.cases):
            self.call_after_refresh(self._add_rows, self.ROWS_A_STEP)

    def _add_every_row(self) -> None:
        """The rest of the rows now (a key that needs them all, such as end)."""
        if self._rows_added < len(self.cases):
            self._add_rows(len(self.cases))

    @work(thread=True, group="picker-events")
    def count_events(self) -> None:
        """Each case's events counted off the interface's thread (a scan of every event, seconds
        on a whole extract), with the cases only the events name."""
        from caseline.store import list_cases

        with self.app.worker_connection() as conn:
            cases = list_cases(conn)
        self.app.call_from_thread(self._set_event_counts, cases)

    def _set_event_counts(self, cases: list[CaseInfo]) -> None:
        table = self.query_one(DataTable)
        counted = {case.id: case for case in cases}
        rows = {case.id: row for row, case in enumerate(self.cases)}
        for case_id, row in rows.items():
            case = self.cases[row] = counted.get(case_id) or replace(self.cases[row], event_count=0)
            if row < self._rows_added:  # the rest show theirs as they are added
                table.update_cell(case_id, "events", _Cell(f"{case.event_count:,}", justify="right"))
        self._counting_order.resize([case.event_count for case in self.cases])
        self._events_counted = True
        # Cases only the events name (an import that made none): at the end.
        extra = [case for case in cases if case.id not in rows]
        if extra:
            every_row_added = self._rows_added == len(self.cases)
            self.cases.extend(extra)
            self._texts.extend(_texts_of(case) for case in extra)
            self._counting_order.extend([case.event_count for case in extra])
            self.query_one("#picker-title", Static).update(self._title())
            if every_row_added:  # else the steps under way reach them
                self._add_rows(len(extra))
        if self.is_current:
            self._count_the_rest()

    def _title(self) -> Text:
        return Text(f"caseline — {len(self.cases)} cases in this database; enter opens one")

    def on_screen_suspend(self) -> None:
        # A case opened over the picker: its counting stops (after the case in hand) and
        # starts again where it was when the picker is back.
        self.workers.cancel_group(self, "picker-flags")

    def on_screen_resume(self) -> None:
        self._count_the_rest()

    def _count_the_rest(self) -> None:
        """Count the flags of the cases not counted yet, unless that is under way (or the
        events are still being counted: that comes first)."""
        if self._events_counted and len(self.flag_counts) < len(self.cases) and not any(
                worker.group == "picker-flags" and not worker.is_finished for worker in self.workers):
            self.count_flags()

    def _keep_view(self) -> None:
        """Note the first and last rows the table shows (the cursor's row is among them)."""
        table = self.query_one(DataTable)
        first = round(table.scroll_y)
        self._view = (first, first + max(1, table.scrollable_content_region.height))

    def on_resize(self) -> None:
        self.call_after_refresh(self._keep_view)

    @work(thread=True, exclusive=True, group="picker-flags")
    def count_flags(self) -> None:
        """Compute each case's flags off the UI thread and fill in the counts (a long case's
        in a child process, as the case screen does: the engine never holds this one), the
        rows in view first, the view looked at again before each case so the counts follow
        it; the counts are shown every :attr:`COUNTS_EVERY` seconds, and when it stops."""
        from caseline.analysis_child import AnalysisStopped

        app, worker = self.app, get_current_worker()
        found_counts: dict[str, tuple[int, int] | None] = {}
        shown_at = time.monotonic()
        try:
            with app.worker_connection() as conn:
                while not worker.is_cancelled:
                    row = self._counting_order.take(*self._view)
                    if row is None:
                        return
                    case = self.cases[row]
                    try:
                        analysis = app.collect_analysis(case.id, conn, cancelled=lambda: worker.is_cancelled)
                        # Counted from the columns (no record made of a long case's flags).
                        found = FlagTable.from_flags(analysis.flags).where(not_kinds={"met"}).severity_counts()
                        found_counts[case.id] = (found["breach"], found["attention"])
                    except AnalysisStopped:
                        self._counting_order.put_back(row)
                        return
                    except Exception:  # the engine failing must not stop the picker
                        found_counts[case.id] = None
                    if time.monotonic() - shown_at >= self.COUNTS_EVERY:
                        app.call_from_thread(self._set_counts, found_counts)
                        found_counts, shown_at = {}, time.monotonic()
        except RuntimeError:  # the app is closing: nothing to show them on
            return
        finally:
            if found_counts:
                try:
                    app.call_from_thread(self._set_counts, found_counts)
                except RuntimeError:
                    pass

    def _set_counts(self, counts: dict[str, tuple[int, int] | None]) -> None:
        for case_id, found in counts.items():
            self._set_count(case_id, found)

    def _set_count(self, case_id: str, counts: tuple[int, int] | None) -> None:
        self.flag_counts[case_id] = counts
        table = self.query_one(DataTable)
        if case_id in table.rows:  # else its row shows them when it is added
            self._show_count(table, case_id, counts)

    @staticmethod
    def _show_count(table: DataTable, case_id: str, counts: tuple[int, int] | None) -> None:
        for column, index in (("breaches", 0), ("attention", 1)):
            if counts is None:
                cell = _Cell("?", justify="right", style="dim")
            else:
                cell = _Cell(f"{counts[index]:,}", justify="right", style="bold" if counts[index] else "dim")
            table.update_cell(case_id, column, cell)

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_case(str(event.row_key.value))

    def action_top_hint(self) -> None:
        """Escape on the first screen steps back to nowhere: say how to quit instead."""
        self.notify("This is the first screen: q quits", timeout=3)

    def action_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_first_case(self) -> None:
        self.query_one(DataTable).move_cursor(row=0)

    def action_last_case(self) -> None:
        self._add_every_row()
        table = self.query_one(DataTable)
        table.move_cursor(row=max(0, table.row_count - 1))

    def action_open_case(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            self.app.open_case(str(key.value))
