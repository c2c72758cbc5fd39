"""The caseline Textual application.

The app owns the database connection (read-only when asked) and one injectable source,
``analysis_provider(conn, case_id, as_of) -> CaseAnalysis`` — :func:`caseline.analysis.analyse`
by default; tests and benchmarks pass their own. It runs in thread workers on a connection
of their own, so the UI never waits for it; the picker's counts and the case screen share
its (cached) result. The app never writes to the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.theme import Theme

from caseline.analysis import AnalysisProvider, CaseAnalysis
from caseline.store import list_cases, open_database, tabled_cases
from caseline.tui.commands import CaselineCommands

HIGH_CONTRAST = Theme(
    name="caseline-high-contrast",
    primary="#00FFFF",
    secondary="#FFFFFF",
    accent="#FFFF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#000000",
    boost="#333333",
    warning="#FFD700",
    error="#FF5555",
    success="#00FF00",
    dark=True,
    variables={"text-muted": "#E0E0E0", "footer-key-foreground": "#FFFF00"},
)


def default_analysis_provider(conn: sqlite3.Connection, case_id: str, as_of: date | None, *,
                              progress=None) -> CaseAnalysis:
    from caseline.analysis import analyse

    return analyse(conn, case_id, as_of, progress=progress)


def _takes_progress(provider) -> bool:
    """Whether an analysis provider accepts ``progress=`` (the engine's does; tests' may not)."""
    import inspect

    try:
        return "progress" in inspect.signature(provider).parameters
    except (TypeError, ValueError):
        return False


class CaselineApp(App[None]):
    """Explore a case chronology: picker, lanes, timeline, guidance.

    Args:
        db_path: the database file.
        case_id: open this case at once (else the picker, or the only case).
        read_only: open the database read-only.
        analysis_provider: where flags and rules come from (default: the rule engine).
        today: the date used where "now" matters (fixed in tests).
        high_contrast: start in the high-contrast theme.
        overview_first: open each case on its overview.
        replay: open *case_id* in replay (tui/replay_screen.py) rather than the case screen.
    """

    CSS_PATH = "caseline.tcss"
    TITLE = "caseline"
    COMMANDS = App.COMMANDS | {CaselineCommands}
    BINDINGS = [
        Binding("f1", "show_help", "Help", show=False, id="app.help"),
    ]

    def __init__(
        self,
        db_path: str | Path,
        case_id: str | None = None,
        read_only: bool = False,
        analysis_provider: AnalysisProvider | None = None,
        today: date | None = None,
        high_contrast: bool = False,
        overview_first: bool = False,
        replay: bool = False,
    ) -> None:
        super().__init__()
        self.overview_first = overview_first  # a case opens on its overview (o)
        self.initial_replay = replay
        self.db_path = Path(db_path)
        self.read_only = read_only
        self.initial_case = case_id
        self.analysis_provider = analysis_provider or default_analysis_provider
        self.today = today
        self.conn = open_database(self.db_path, read_only=read_only)
        self.register_theme(HIGH_CONTRAST)
        self._normal_theme = "textual-dark"
        self.high_contrast = high_contrast
        if high_contrast:
            self.theme = HIGH_CONTRAST.name

    # Data access for workers -----------------------------------------------------------------

    @contextmanager
    def worker_connection(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection for a thread worker, closed afterwards (the UI thread keeps
        ``self.conn``, which is lent instead when a second connection cannot be opened)."""
        try:
            conn = open_database(self.db_path, read_only=True)
        except Exception:
            yield self.conn
            return
        try:
            yield conn
        finally:
            conn.close()

    def analyse(self, case_id: str, as_of: date | None = None, conn: sqlite3.Connection | None = None,
                progress=None) -> CaseAnalysis:
        """The case's analysis (call from a worker thread), on *conn* or a connection of its own.
        *progress* ``(rules done, rules in all)`` is passed on where the provider takes it."""
        extra = {"progress": progress} if progress is not None and _takes_progress(self.analysis_provider) else {}
        if conn is not None:
            return self.analysis_provider(conn, case_id, as_of, **extra)
        with self.worker_connection() as own:
            return self.analysis_provider(own, case_id, as_of, **extra)

    def begin_analysis(self, case_id: str, conn: sqlite3.Connection):
        """Start a long case's analysis in a child process now, for :meth:`collect_analysis`;
        ``None`` when it is cheap, cached, or not the engine's. *conn* is the calling worker's
        connection."""
        from caseline import analysis
        from caseline.store import has_more_events_than

        import os

        # (The wait on the child's pipe uses select, which takes pipes only on POSIX systems.)
        if self.analysis_provider is not default_analysis_provider or os.name != "posix":
            return None
        key = analysis.cache_key(conn, case_id, None)
        if key is None or analysis.cached(key) is not None \
                or not has_more_events_than(conn, case_id, analysis.ANALYSE_APART_OVER):
            return None
        from caseline.analysis_child import ChildAnalysis

        child = ChildAnalysis(str(self.db_path), case_id)
        child.key = key  # the database as it stood when the child began
        return child

    def collect_analysis(self, case_id: str, conn: sqlite3.Connection, *, child=None, progress=None,
                         cancelled=None, anchors=None) -> CaseAnalysis:
        """The case's analysis (call from a worker): from *child*, or one :meth:`begin_analysis`
        begins now for a long case, into the shared cache; else (or when a child ends without
        an answer) worked out here, as :meth:`analyse`.

        Raises:
            caseline.analysis_child.AnalysisStopped: *cancelled* turned true first.
        """
        from caseline import analysis
        from caseline.analysis_child import ChildFailed

        if child is None:
            child = self.begin_analysis(case_id, conn)
        if child is not None:
            try:
                found = child.result(progress, cancelled=cancelled, anchors=anchors)
            except ChildFailed:
                pass  # it could not start (or was killed): the engine runs here instead
            else:
                analysis.remember(child.key, found)
                return found
        return self.analyse(case_id, conn=conn, progress=progress)

    # Screens ---------------------------------------------------------------------------------

    def on_mount(self) -> None:
        import sys

        from caseline.tui.picker import PickerScreen

        # Workers (index, flags, lanes, search) hold the GIL in long runs of Python and a key
        # waits for each hand-over: at 1 ms (5 ms by default) go to date while a million-event
        # index and the flags are read took 0.16 s against 0.27 s.
        sys.setswitchinterval(0.001)

        if self.initial_case is not None:
            if self.initial_replay:
                from caseline.tui.replay_screen import ReplayScreen

                self.push_screen(ReplayScreen(self.initial_case))
                return
            self.open_case(self.initial_case)
            return
        # Many cases (a council's extract): the list shows at once, its events counted in the
        # background (a scan of every event). One, or a file of events alone: counted here.
        tabled = tabled_cases(self.conn)
        if len(tabled) > 1:
            self.push_screen(PickerScreen(tabled, counted=False))
            return
        cases = list_cases(self.conn)
        if len(cases) == 1:
            self.open_case(cases[0].id)
        else:
            self.push_screen(PickerScreen(cases))

    def open_case(self, case_id: str) -> None:
        from caseline.tui.case_screen import CaseScreen

        self.push_screen(CaseScreen(case_id))

    def leave_case(self) -> bool:
        """Back to the picker when there is one (``True``); never quits (``q`` does)."""
        from caseline.tui.picker import PickerScreen

        if len(self.screen_stack) > 2 and isinstance(self.screen_stack[-2], PickerScreen):
            self.pop_screen()
            return True
        return False

    def has_unsaved(self) -> bool:
        """Whether quitting now would lose something (a hook: the explorer saves nothing)."""
        return False

    def action_request_quit(self) -> None:
        """``q``: quit, asking first only when something is unsaved."""
        if not self.has_unsaved():
            self.exit()
            return
        from caseline.tui.dialogs import ConfirmQuitScreen

        self.push_screen(ConfirmQuitScreen(), lambda quit_: self.exit() if quit_ else None)

    def action_show_help(self) -> None:
        from caseline.tui.case_screen import CaseScreen
        from caseline.tui.help import HelpScreen

        if isinstance(self.screen, CaseScreen):
            self.screen.action_show_help()
        else:
            self.push_screen(HelpScreen([("Keys", list(self.screen.BINDINGS)), ("App", list(self.BINDINGS))]))

    def action_toggle_high_contrast(self) -> None:
        self.high_contrast = not self.high_contrast
        self.theme = HIGH_CONTRAST.name if self.high_contrast else self._normal_theme

    def on_unmount(self) -> None:
        self.conn.close()
