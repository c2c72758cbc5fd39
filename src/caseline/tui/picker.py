"""The case picker: one row per case (a DataTable is fine: databases hold few cases)."""

from __future__ import annotations

from collections.abc import Sequence

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


class PickerScreen(Screen[None]):
    """Choose a case; the flag counts fill in as a background worker computes them."""

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

    def __init__(self, cases: Sequence[CaseInfo]) -> None:
        super().__init__()
        self.cases = list(cases)
        #: ``(breaches, attention)`` per case once computed (``None``: the engine failed). Checks
        #: met and information (a worker change, a pending deadline) are not counted as flags
        #: needing a look: the case screen lists them.
        self.flag_counts: dict[str, tuple[int, int] | None] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text(f"caseline — {len(self.cases)} cases in this database; enter opens one"), id="picker-title")
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="picker-table")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Counts before the long text, so they show on an 80-column terminal too.
        table.add_column(Text("Case"), key="id")
        table.add_column(Text("Events", justify="right"), key="events")
        table.add_column(Text("Breaches", justify="right"), key="breaches")
        table.add_column(Text("Attention", justify="right"), key="attention")
        table.add_column(Text("Title"), key="title")
        table.add_column(Text("Council"), key="council")
        for case in self.cases:
            table.add_row(
                Text(clean(case.id)),
                Text(f"{case.event_count:,}", justify="right"),
                Text("…", justify="right", style="dim"),
                Text("…", justify="right", style="dim"),
                Text(clean(case.title)),
                Text(clean(case.council)),
                key=case.id,
            )
        table.focus()
        self.count_flags()

    @work(thread=True, exclusive=True, group="picker-flags")
    def count_flags(self) -> None:
        """Compute each case's flags off the UI thread and fill in the counts (a long case's
        in a child process, as the case screen does: the engine never holds this one)."""
        from caseline.analysis_child import AnalysisStopped

        app, worker = self.app, get_current_worker()
        with app.worker_connection() as conn:
            # The shortest first: their counts come at once, not after a long case's.
            for case in sorted(self.cases, key=lambda c: c.event_count):
                try:
                    analysis = app.collect_analysis(case.id, conn, cancelled=lambda: worker.is_cancelled)
                    # Counted from the columns (no record made of a long case's flags).
                    found = FlagTable.from_flags(analysis.flags).where(not_kinds={"met"}).severity_counts()
                    counts: tuple[int, int] | None = (found["breach"], found["attention"])
                except AnalysisStopped:
                    return
                except Exception:  # the engine failing must not stop the picker
                    counts = None
                app.call_from_thread(self._set_count, case.id, counts)

    def _set_count(self, case_id: str, counts: tuple[int, int] | None) -> None:
        self.flag_counts[case_id] = counts
        table = self.query_one(DataTable)
        for column, index in (("breaches", 0), ("attention", 1)):
            if counts is None:
                cell = Text("?", justify="right", style="dim")
            else:
                cell = Text(f"{counts[index]:,}", justify="right", style="bold" if counts[index] else "dim")
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
        table = self.query_one(DataTable)
        table.move_cursor(row=max(0, table.row_count - 1))

    def action_open_case(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            self.app.open_case(str(key.value))
