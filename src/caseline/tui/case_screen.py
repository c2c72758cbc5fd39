"""The case screen: lanes on top, the timeline, the guidance panel, and the keys that drive them.

Events paint at once from the ordered id/date arrays; flags come from a thread worker and are
merged in when ready (the status line says "computing flags…" until then). Searches run in a
thread worker too, on their own read-only connection.
"""

from __future__ import annotations

import sqlite3
import threading
from array import array
from collections.abc import Mapping, Sequence
from bisect import bisect_left, bisect_right
from datetime import date
from functools import partial

from rich.text import Text
from textual import on, work
from textual.worker import get_current_worker
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Static

from dataclasses import replace as dataclass_replace

from caseline.analysis import collector_paused
from caseline.analysis_child import AnalysisStopped
from caseline.dates import DateRange, format_range
from caseline.flag_table import FlagTable
from caseline.guidance import Rule
from caseline.model import EventFilter, Flag
from caseline.sanitize import clean
from caseline.store import chronology_end, distinct_values, get_case, get_events, list_people
from caseline.store.timeline import (load_index, load_lane_bars, load_lane_visits, search_matches, search_positions,
                                     search_rowids)
from caseline.view.labels import SYMBOLS
from caseline.view.lanes import BAR_KINDS, VISIT_KINDS, build_lanes
from caseline.view.rows import EventPages, IdPositions, IndexDays, RowModel, id_positions
from caseline.tui.commands import CaselineCommands
from caseline.tui.dialogs import ChildScreen, FilterScreen, GotoDateScreen, SearchBar
from caseline.tui.footer import FittedFooter
from caseline.tui.guidance_panel import GuidancePanel, event_text, flag_text
from caseline.tui.help import HelpScreen
from caseline.tui.investigator import INVESTIGATOR_BINDINGS, Investigator, InvestigatorActions
from caseline.tui.lanes import LanesView
from caseline.tui.timeline_view import TimelineView

#: Above this many matches rows are not underlined (the set would cost memory, not time).
MAX_HIGHLIGHTED_MATCHES = 100_000
#: Below this many events, search runs on every keystroke; above it, after a short pause.
SEARCH_AS_YOU_TYPE_LIMIT = 50_000
SEARCH_DEBOUNCE_SECONDS = 0.35
#: Cases longer than this read the filter's choices in a worker (a scan of every event).
FILTER_CHOICES_APART_OVER = 200_000
#: Actors the filter offers: a whole extract names hundreds of thousands (a list nobody reads).
FILTER_ACTORS_MAX = 500
#: SQLite steps between checks that a search has been replaced (a few milliseconds' work).
SEARCH_CANCEL_STEPS = 2_000_000
#: Matches a search places in the timeline; beyond it the count reads "50,000+".
MAX_SEARCH_MATCHES = 50_000


FIRST_SCREEN_ROWS = 2000
#: Events of a flag listed in the panel (the rest are counted).
PANEL_EVENTS = 40
#: Going to a date while the index is read shows this many events before it, and a first
#: screen's worth from it on (an event that began earlier still is found once every event
#: is read: the date is answered again then).
WINDOW_ROWS_BEFORE = 500


class CaseScreen(InvestigatorActions, Screen[None]):
    """One case: lanes, timeline and guidance.

    Args:
        case_id: the case to show.
    """

    COMMANDS = {CaselineCommands}

    BINDINGS = [
        Binding("n", "next_flag", "Next flag", id="case.next-flag"),
        Binding("N", "previous_flag", "Prev flag", key_display="N", show=False, id="case.previous-flag"),
        Binding("b", "toggle_breaches", "Breaches", id="case.breaches-only"),
        Binding("m", "toggle_met", "Met checks", id="case.met-checks"),
        Binding("enter", "follow", "Follow", id="case.follow"),
        Binding("e", "cycle_events", "Flag events", id="case.cycle-events"),
        Binding("slash", "search", "Search", key_display="/", id="case.search"),
        Binding("f", "filter", "Filter", id="case.filter"),
        Binding("c", "choose_child", "Child", id="case.child"),
        Binding("F", "clear_filter", "Clear filter", key_display="F", id="case.clear-filter"),
        Binding("g", "goto_date", "Go to date", id="case.goto-date"),
        Binding("z", "zoom_in", "Zoom+", id="case.zoom-in"),
        Binding("Z", "zoom_out", "Zoom-", key_display="Z", show=False, id="case.zoom-out"),
        Binding("p", "focus_panel", "Panel", id="case.panel"),
        Binding("P", "toggle_panel", "Hide/show panel", key_display="P", show=False, id="case.toggle-panel"),
        *INVESTIGATOR_BINDINGS,
        Binding("r", "replay", "Replay", show=False, id="case.replay"),  # footer full: help and palette list it
        Binding("question_mark", "show_help", "Help", key_display="?", id="case.help"),
        Binding("escape", "back", "Back", id="case.back"),
        Binding("q", "app.request_quit", "Quit", id="case.quit"),
    ]
    #: right/left in the timeline read long rows on (:class:`TimelineView`).
    TIMELINE_PANS = True
    #: What the footer keeps when it cannot show every key (most important first).
    FOOTER_PRIORITY = (
        "case.help", "case.next-flag", "case.search", "case.filter", "case.goto-date", "case.quit",
        "case.child", "case.add-note", "case.panel", "case.overview", "case.replay", "case.export", "case.previous-flag",
        "case.star", "case.clear-filter", "case.back", "case.follow", "case.met-checks", "case.breaches-only",
        "case.copy", "case.zoom-in", "case.zoom-out", "case.cycle-events",
    )

    def __init__(self, case_id: str) -> None:
        super().__init__()
        app = self.app
        self.conn = app.conn
        self.case_id = case_id
        self.case = get_case(self.conn, case_id, count_events=False)  # counted from the index
        self.people = {person.id: person for person in list_people(self.conn, case_id)}
        self.flags = FlagTable()  # columns: a long case's flags are never all records at once
        self.flags_ready = False
        self.flags_progress: tuple[int, int] | None = None  # (rules done, rules in all) while computing
        self._flags_started = False
        self._child_analysis = None  # a long case's analysis under way apart (analysis_child)
        self.flag_error: str | None = None
        self.rules: dict[str, Rule] = {}
        self.anchors: Mapping[int, int] = {}  # start days of events flags rest on (IndexDays)
        self.event_filter = EventFilter()
        self.breaches_only = False
        self.show_met = False  # deadlines met are information rows, shown on request (m)
        self.as_of_text = ""
        self.following: tuple[Flag, int] | None = None
        self._filter_choices: tuple[list[str], list[str], bool] | None = None  # read once
        self.filtering = False  # a long case's filtered index is being read
        self.search_text = ""
        self.matches: list[int] = []
        self.search_more = False
        self._search_timer = None
        # A long case paints from its first rows at once; the full ordered index (8 bytes an
        # event, ~0.7 s at a million) is read in a worker and swapped in when ready.
        self.ids, self.starts, self.reach = load_index(self.conn, case_id, limit=FIRST_SCREEN_ROWS)
        self.index_complete = len(self.ids) < FIRST_SCREEN_ROWS
        self.positions: IdPositions | None = id_positions(self.ids) if self.index_complete else None
        # The whole case's index once read: clearing a filter goes back to it rather than
        # reading it again (and the flags' anchors look days up in it meanwhile).
        self._whole_index = (self.ids, self.starts, self.reach) if self.index_complete else None
        self._pending_goto: DateRange | None = None
        self.windowed = False  # showing a window of events (End, go to date) while reading
        self.all_event_count = len(self.ids)  # a lower bound until the full index is read
        self.model = RowModel(self.ids, self.starts, reach=self.reach)
        self.pages = EventPages(self.conn, self.ids)
        # Lanes need a scan of their own: they start empty and fill in with the flags, so the
        # timeline paints as soon as the ordered index is read.
        self.lanes_read = False
        today = app.today or date.today()
        self.first_day = self.starts[0] if len(self.starts) else today.toordinal()
        self.last_day = max(self.first_day, self.starts[-1] if len(self.starts) else today.toordinal())
        lanes = build_lanes([], [], self.people, self.first_day, self.last_day)
        self.timeline = TimelineView(self.model, self.pages, self.people, id="timeline")
        self.lanes = LanesView(lanes, id="lanes")
        self.panel = GuidancePanel(id="guidance")
        self.investigator = Investigator(self)  # notes and stars (tui/investigator.py)
        self.timeline.row_marks = self.investigator.row_marks

    # Layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="case-header"):
            title = f"{clean(self.case.id)} — {clean(self.case.title)}"
            if self.case.council:
                title += f" · {clean(self.case.council)}"
            yield Static(Text(title), id="case-title")
            yield Static(Text(""), id="case-status")
        yield self.lanes
        with Horizontal(id="case-body"):
            yield self.timeline
            yield self.panel
        yield SearchBar(id="search-bar")
        yield FittedFooter()

    def on_mount(self) -> None:
        self.query_one(SearchBar).display = False
        self._layout_for(self.app.size.width, self.app.size.height)
        self.timeline.focus()
        self.lanes.cursor_day = self.model.day_of_row(0) if len(self.model) else self.first_day
        self._update_status()
        self._update_panel()
        # Workers hold the GIL for long stretches of Python; starting them after the first
        # paint keeps that paint as quick on a million events as on ten.
        self.call_after_refresh(self._start_workers)

    def _start_workers(self) -> None:
        # A long case reads its index first and then the lanes (run together, their scans'
        # peaks add up: 10M events, ~490 MB against ~380 MB one after the other); its flags
        # are worked out meanwhile in a child process, on the other core.
        if not self.index_complete:
            self.load_full_index()
        else:
            self._start_flags()

    def _start_flags(self) -> None:
        if not self._flags_started:
            self._flags_started = True
            self.load_flags()

    def _model_in_worker(self, ids, starts, reach, flags: FlagTable, anchors: Mapping[int, int]) -> RowModel | None:
        """Merge *flags* into a model off the UI thread (seconds on a long case), or ``None``
        when a filter is on: the UI thread then rebuilds it from what the filter keeps."""
        if self.event_filter.active or self.investigator.filter_active:
            return None
        return self._new_model(ids, starts, reach, flags.where(not_kinds=() if self.show_met else {"met"}), anchors)

    def _new_model(self, ids, starts, reach, flags: Sequence[Flag], anchors: Mapping[int, int]) -> RowModel:
        """The rows for these events and flags under the filter in force."""
        rule = self.rules.get("worker_stability")
        threshold = int(rule.params.get("threshold", 3)) if rule is not None else 3
        chosen = self.event_filter
        return RowModel(ids, starts, flags, anchors, reach, stability_threshold=threshold,
                        require_shown_event=chosen.events_active,
                        keep_eventless=not (chosen.kinds or chosen.actors), positions=self.positions)

    @work(thread=True, exclusive=True, group="index")
    def load_full_index(self) -> None:
        """Read the whole ordered index of a long case off the UI thread."""
        app = self.app
        with app.worker_connection() as conn:
            # Begun here, not on the UI thread: counting and starting it take a few tens of
            # milliseconds, which keys pressed as the first screen paints would wait for.
            self._child_analysis = app.begin_analysis(self.case_id, conn)
            ids, starts, reach = load_index(conn, self.case_id)
        # Search answers and flags find their rows by id in one look-up (used while these
        # ids are the ones shown; a model of other ids ignores it).
        self.positions = id_positions(ids)
        flags, anchors = self.flags, self.anchors
        with collector_paused():  # see load_flags
            model = self._model_in_worker(ids, starts, reach, flags, anchors)
        app.call_from_thread(self._index_ready, ids, starts, reach, (model, flags))

    def _index_ready(self, ids, starts, reach, prepared: tuple[RowModel | None, FlagTable]) -> None:
        self.index_complete = True
        self._whole_index = (ids, starts, reach)
        self.windowed = False
        self.all_event_count = len(ids)
        if not (self.event_filter.active or self.investigator.filter_active):  # a filter read its own index
            at_end = len(self.model) > 0 and self.timeline.cursor_row == len(self.model) - 1
            self.ids, self.starts, self.reach = ids, starts, reach
            model, flags = prepared
            self._rebuild_model(model if flags is self.flags else None)
            if at_end:  # the user pressed End on the partial index: the end is further on now
                self.timeline.cursor_row = len(self.model) - 1
        # What the user asked for while the index was partial is answered against the whole.
        if self._pending_goto is not None:
            self._goto_chosen(self._pending_goto)
        if self.search_text.strip():
            self._start_search(self.search_text)
        self._update_status()
        self._start_flags()

    def on_unmount(self) -> None:
        if self._child_analysis is not None:  # left before its flags were collected
            self._child_analysis.stop()
            self._child_analysis = None
        # The screen and its widgets hold cycles: let the collector see them again (and the
        # frozen flags) now that the case is left, or a closed case's index would stay.
        import gc

        gc.unfreeze()

    def on_resize(self, event) -> None:
        self._layout_for(event.size.width, event.size.height)

    def _layout_for(self, width: int, height: int) -> None:
        """Narrow the panel on small terminals and give the timeline the height: fewer lane
        rows (lanes merge rather than drop), and a compact footer."""
        narrow = self.has_class("-narrow")
        self.set_class(width < 110, "-narrow")
        if narrow != self.has_class("-narrow") and self.is_mounted:
            self._update_status()  # the as-of is shortened on a narrow terminal
        self.set_class(height < 32, "-short")
        self.lanes.max_rows = 5 if height < 32 else (6 if height < 42 else 8)
        for footer in self.query(FittedFooter):
            footer.compact = width < 120

    # Flags -----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="flags")
    def load_flags(self) -> None:
        """Compute flags, lanes and the merged model (and load the guidance) off the UI thread."""
        app = self.app
        with app.worker_connection() as conn:
            # A long case's child began with its index; else it begins now (if the case is
            # long and its analysis not cached), to run while the lanes are read.
            child, self._child_analysis = self._child_analysis, None
            if child is None:
                child = app.begin_analysis(self.case_id, conn)
            with collector_paused():
                lane_rows = load_lane_bars(conn, self.case_id, BAR_KINDS)
                visits = load_lane_visits(conn, self.case_id, VISIT_KINDS)
                last_day = self._chronology_end_day(conn)
                lanes = build_lanes(lane_rows, [], self.people, self.first_day, last_day, visits=visits)
            app.call_from_thread(self._lanes_ready, lane_rows, visits, last_day, lanes)
            progress = partial(app.call_from_thread, self._flags_progress)
            worker = get_current_worker()
            try:
                analysis = app.collect_analysis(self.case_id, conn, child=child, progress=progress,
                                                cancelled=lambda: worker.is_cancelled,
                                                anchors=self._index_days())
            except AnalysisStopped:
                return  # the case was left
            except Exception as exc:  # shown, not raised: the timeline stays usable without flags
                app.call_from_thread(self._flags_failed, f"{type(exc).__name__}: {exc}")
                return
        # The flags and anchors are only read: shared with the cached analysis, not copied
        # (a whole extract's run to a million events).
        flags, rules = FlagTable.from_flags(analysis.flags), dict(analysis.rules)
        index_days = self._index_days()  # (one look-up in the index, when it is whole)
        anchors = index_days if index_days is not None else analysis.anchors
        self.as_of_text = analysis.as_of_text
        ids, starts, reach = self.ids, self.starts, self.reach
        self.rules = rules  # read by the model's placement (stability threshold)
        # A merge of ~70,000 flags makes hundreds of thousands of tuples, none in a cycle:
        # the collector's passes over what is already held would be two thirds of its time.
        with collector_paused():
            model = self._model_in_worker(ids, starts, reach, flags, anchors)
            # Checks met are information kept off the lanes (the timeline shows them on request).
            lanes = build_lanes(lane_rows, flags.where(not_kinds={"met"}), self.people, self.first_day,
                                last_day, visits=visits, marks=self._lane_marks(model))
        app.call_from_thread(self._flags_ready, flags, rules, anchors, lanes, (model, ids))

    def _chronology_end_day(self, conn: sqlite3.Connection) -> int:
        """The lanes' last day: the furthest any event reaches. The whole index, unfiltered,
        knows it already (the last of its running reach); else SQLite scans for it."""
        reach = self.reach
        if self.index_complete and reach is not None and len(reach) \
                and not (self.event_filter.active or self.investigator.filter_active):
            return max(self.first_day, int(reach[-1]))
        end = chronology_end(conn, self.case_id)
        return max(self.first_day, end.toordinal()) if end is not None else self.last_day

    def _index_days(self) -> IndexDays | None:
        """Start days of events, looked up in the index in memory when it is the whole case's
        (``None``: the analysis reads those its flags rest on)."""
        positions, ids, starts = self.positions, self.ids, self.starts
        if positions is None or positions.ids is not ids:
            return None
        return IndexDays(positions, starts)

    @staticmethod
    def _lane_marks(model: RowModel | None) -> set[tuple[int, str]] | None:
        """The Flags lane's marks: each flag shown but checks met (information kept off the
        lanes), where the timeline places it."""
        return model.flag_marks(skip_kinds={"met"}) if model is not None else None

    def _flags_progress(self, done: int, total: int) -> None:
        self.flags_progress = (done, total)
        if not self.flags_ready:
            self._update_status()

    def _lanes_ready(self, lane_rows: list[tuple], visits, last_day: int, lanes) -> None:
        self.lanes_read = True  # the rows themselves are not kept: a filter reads its own
        self.last_day = last_day
        if self.event_filter.active:
            self._rebuild_lanes()
        else:
            self.lanes.set_lanes(self.investigator.lanes_with_notes(lanes))

    def _rebuild_lanes(self) -> None:
        """Lanes of what the filter keeps: its events' lanes and the flags shown (read in a
        worker: the visits of a long case take a scan)."""
        if not self.flags_ready and not self.lanes_read:
            return  # the flags worker draws them when it is done
        flags = self.model.flags.where(not_kinds={"met"}) if self.flags_ready else FlagTable()
        self.refilter_lanes(self.event_filter, self._flag_event_ids_if_asked(),
                            flags, self._lane_marks(self.model))

    @work(thread=True, exclusive=True, group="lanes")
    def refilter_lanes(self, chosen: EventFilter, flag_event_ids, flags: FlagTable, marks) -> None:
        with self.app.worker_connection() as conn:
            rows = load_lane_bars(conn, self.case_id, BAR_KINDS, chosen, flag_event_ids)
            visits = load_lane_visits(conn, self.case_id, VISIT_KINDS, chosen, flag_event_ids)
        lanes = build_lanes(rows, flags, self.people, self.first_day, self.last_day, visits=visits, marks=marks)
        self.app.call_from_thread(self._filtered_lanes_ready, chosen, lanes)

    def _filtered_lanes_ready(self, chosen: EventFilter, lanes) -> None:
        if chosen == self.event_filter:
            self.lanes.set_lanes(self.investigator.lanes_with_notes(lanes))

    def _flags_ready(self, flags: FlagTable, rules: dict[str, Rule], anchors: Mapping[int, int], lanes,
                     prepared: tuple[RowModel | None, object]) -> None:
        self.flags, self.rules, self.anchors = flags, rules, anchors
        self.flags_ready = True
        self.investigator_flags_ready(flags)
        self.lanes.set_lanes(self.investigator.lanes_with_notes(lanes))
        if self.event_filter.active or self.investigator.filter_active:
            self._reload_events()
            self._rebuild_lanes()
        else:
            model, ids = prepared
            at_end = len(self.model) > 0 and self.timeline.cursor_row == len(self.model) - 1
            self._rebuild_model(model if ids is self.ids else None)
            if at_end:  # End was pressed: flag rows after the last event are the end now
                self.timeline.cursor_row = len(self.model) - 1
        if self.search_text.strip() and self.index_complete:
            self._start_search(self.search_text)  # matches are rows: place them in the new rows
        self._update_status()
        # Hundreds of thousands of flags (and the rows made of them) live as long as the
        # screen: kept out of the cyclic collector's full passes (0.3 s each at 1M events,
        # taken in the middle of a keypress). They hold no cycles: still freed when let go.
        import gc

        gc.freeze()

    def _flags_failed(self, message: str) -> None:
        self.flags_ready = True
        self.flag_error = message
        self._update_status()

    def _shown_flags(self) -> FlagTable:
        """The flags the filters keep, as a view of the table (its columns chosen by kind,
        severity and rule; a record is made of each only for the child, tag and notes tests)."""
        chosen, investigator = self.event_filter, self.investigator
        tagged = self.tagged_flag_keys(chosen.tags) if chosen.tags else None

        def keeps(flag: Flag) -> bool:
            return chosen.keeps_flag(flag) and (tagged is None or flag.key in tagged) and investigator.keeps_flag(flag)

        return self.flags.where(not_kinds=() if self.show_met else {"met"}, severities=chosen.severities or None,
                                rules=chosen.rules or None,
                                test=keeps if chosen.subjects or tagged is not None or investigator.filter_active else None)

    def tagged_flag_keys(self, tags: frozenset[str]) -> set[str]:
        """Keys of the flags carrying a note with one of *tags* (the filter dialog's tags)."""
        return {key for key, notes in self.investigator.placed.by_flag.items() if any(n.tag in tags for n in notes)}

    def tagged_event_ids(self, tags: frozenset[str]) -> set[int]:
        """Ids of the events carrying a note with one of *tags*."""
        return {event_id for event_id, notes in self.investigator.placed.by_event.items()
                if any(n.tag in tags for n in notes)}

    def note_tags(self) -> list[str]:
        """The tags of the notes on this case's events and flags, offered by the filter."""
        placed = self.investigator.placed
        return sorted({n.tag for group in (*placed.by_event.values(), *placed.by_flag.values()) for n in group})

    def _flag_event_ids_if_asked(self) -> set[int] | None:
        """The events the kept flags rest on, when the filter's flag side chooses events (a
        million ids at ten million events: not made for a kind or a child)."""
        return self._flag_event_ids() if self.event_filter.flags_active else None

    def _flag_event_ids(self) -> set[int]:
        ids = self._shown_flags().event_ids()
        if self.event_filter.tags:
            ids |= self.tagged_event_ids(self.event_filter.tags)
        return ids

    def _rebuild_model(self, prepared: RowModel | None = None) -> None:
        """Merge the flags in again, keeping the selected event (or day) under the cursor.

        *prepared* is a model a worker already built from the current ids and flags.
        """
        current = self.model.row(self.timeline.cursor_row) if len(self.model) else None
        self.model = prepared if prepared is not None else self._new_model(
            self.ids, self.starts, self.reach, self._shown_flags(), self.anchors)
        self.pages = EventPages(self.conn, self.ids) if self.pages.ids is not self.ids else self.pages
        keep_day = current.day if current is not None else None
        self.timeline.set_model(self.model, self.pages, keep_day=keep_day)
        if current is not None and current.event_id is not None:
            row = self.model.row_for_event(current.event_id, current.day)
            if row is not None:
                self.timeline.cursor_row = row
        self.matches = []
        self.timeline.set_matches(frozenset())

    def _reload_events(self) -> None:
        """The index (and rows) of what the filters keep: the whole index already in memory
        when nothing is filtered; a long case's filtered index read in a worker (seconds at
        ten million events), the rows shown meanwhile until it is in; a short case's now."""
        filtered = self.event_filter.active or self.investigator.filter_active
        if self._whole_index is not None and not filtered:
            self.ids, self.starts, self.reach = self._whole_index
        elif self.all_event_count > FILTER_CHOICES_APART_OVER:
            self.filtering = True
            self.read_filtered_index(self.event_filter, self._flag_event_ids_if_asked(),
                                     self.investigator.keep_event_ids(self.flags), self._filter_state())
            return
        else:
            self.ids, self.starts, self.reach = load_index(self.conn, self.case_id, self.event_filter,
                                                           self._flag_event_ids_if_asked(),
                                                           only_ids=self.investigator.keep_event_ids(self.flags))
        self.filtering = False
        self.pages = EventPages(self.conn, self.ids)
        self._rebuild_model()

    def _filter_state(self) -> tuple:
        """What the filters are now (a filtered index read for another is not shown)."""
        investigator = self.investigator
        return self.event_filter, investigator.starred_only, investigator.tag_filter, self.show_met

    @work(thread=True, exclusive=True, group="filtered-index")
    def read_filtered_index(self, chosen: EventFilter, flag_event_ids, only_ids, state: tuple) -> None:
        with self.app.worker_connection() as conn:
            ids, starts, reach = load_index(conn, self.case_id, chosen, flag_event_ids, only_ids=only_ids)
        with collector_paused():
            model = self._new_model(ids, starts, reach, self._shown_flags(), self.anchors)
        self.app.call_from_thread(self._filtered_index_ready, state, ids, starts, reach, model)

    def _filtered_index_ready(self, state: tuple, ids, starts, reach, model: RowModel) -> None:
        if state != self._filter_state():
            return  # the filter changed again meanwhile: a newer read is under way
        self.filtering = False
        self.ids, self.starts, self.reach = ids, starts, reach
        self.pages = EventPages(self.conn, self.ids)
        self._rebuild_model(model)
        self._rebuild_lanes()
        self._update_status()
        self._update_panel()

    # Status and panel ------------------------------------------------------------------------

    def _update_status(self) -> None:
        parts = []
        shown = self.model.event_count
        if not self.index_complete:
            where = "events near there" if self.windowed else f"first {shown:,} events"
            parts.append(f"{where} · ⟳ reading the rest…")
        elif shown != self.all_event_count:
            parts.append(f"{shown:,} of {self.all_event_count:,} events")
        else:
            parts.append(f"{shown:,} events")
        if self.filtering:
            parts.append("⟳ filtering…")
        if self.flag_error:
            parts.append("flags unavailable")
        elif not self.flags_ready:
            if self.flags_progress is not None:
                done, total = self.flags_progress
                parts.append(f"⟳ computing flags… {done}/{total} rules")
            else:
                parts.append("⟳ computing flags…")
        else:
            filtered = self.event_filter.active or self.investigator.filter_active
            shown = self.model.flags if filtered else self.flags
            counts = {severity: 0 for severity in SYMBOLS} | shown.severity_counts()
            # Narrow: only the severities present (room for the filter and the title).
            narrow = self.has_class("-narrow")
            summary = " ".join(f"{counts[s]:,}{SYMBOLS[s]}" for s in SYMBOLS if counts[s] or not narrow)
            total = f"{len(shown):,} of {len(self.flags):,}" if len(shown) != len(self.flags) else f"{len(self.flags):,}"
            parts.append(f"{total} flags {summary}".rstrip())
        # What hides rows comes first, so a narrow terminal still shows it; the as-of after.
        if self.event_filter.active:
            names = {pid: person.name for pid, person in self.people.items()}
            parts.append("filter: " + self.event_filter.describe(names) + " (F clears)")
        if self.investigator.filter_active:
            parts.append(self.investigator.describe_filter())
        if self.breaches_only:
            parts.append("n/N: breaches only")
        self.set_class(self.event_filter.active or self.investigator.filter_active or self.breaches_only, "-filtered")
        if self.app.read_only:
            parts.append("read-only")
        if self.flags_ready and not self.flag_error:
            if self.as_of_text:
                # Narrow: "as of 6 Sep 2022", without where that day comes from (the overview,
                # exports and a wide terminal say it), so the case's title keeps its room.
                parts.append(self.as_of_text.split(" (")[0] if self.has_class("-narrow") else self.as_of_text)
            met = self.flags.count_of("kind", "met")
            if met:
                parts.append(f"{met:,} met {'shown' if self.show_met else 'hidden'} (m)")
        self.query_one("#case-status", Static).update(Text(" · ".join(parts)))

    @property
    def status_text(self) -> str:
        content = self.query_one("#case-status", Static).content
        return content.plain if isinstance(content, Text) else str(content)

    def _update_panel(self) -> None:
        if not len(self.model):
            self.panel.show(Text("No rows to show." + (" Clear the filter (f) to see more." if self.event_filter.active else "")))
            return
        row = self.model.row(self.timeline.cursor_row)
        if row.flag is not None:
            # A stability flag on a long case may rest on thousands of allocations: the panel
            # lists the first ones and says how many more.
            shown_ids = row.flag.events[:PANEL_EVENTS]
            events = get_events(self.conn, shown_ids)
            ordered = [events[i] for i in shown_ids if i in events]
            following = self.following[1] if self.following and self.following[0].key == row.flag.key else None
            text = flag_text(row.flag, self.rules.get(row.flag.rule), ordered, self.people, following,
                             self.panel.severity_styles())
            text.append_text(self.investigator.panel_text(row))
            self.panel.show(text)
            return
        event = self.pages.event_at(row.position) if row.position is not None else None
        if event is None:
            self.panel.show(Text("(event not found)"))
            return
        text = Text()
        if self.following is not None:
            flag, index = self.following
            if flag.events and flag.events[index % len(flag.events)] == event.id:
                text.append(f"Event {index + 1} of {len(flag.events)} behind the flag (e: next)\n\n", "italic dim")
        text.append_text(event_text(event, self.model.flags_of_event(event.id), self.people,
                                    self.panel.severity_styles()))
        text.append_text(self.investigator.panel_text(row))
        self.panel.show(text)

    @on(TimelineView.CursorMoved)
    def cursor_moved(self, message: TimelineView.CursorMoved) -> None:
        if len(self.model):
            self.lanes.cursor_day = self.model.day_of_row(message.row)
        self._update_panel()

    @on(LanesView.DayClicked)
    def lanes_clicked(self, message: LanesView.DayClicked) -> None:
        self.timeline.cursor_row = self.model.row_for_day(message.day)
        self.timeline.focus()

    # Actions ---------------------------------------------------------------------------------

    def _go(self, row: int | None, missing: str) -> None:
        if row is None:
            self.notify(missing, timeout=3)
        else:
            self.timeline.cursor_row = row

    def action_next_flag(self) -> None:
        if not self.flags_ready:
            self.notify("Flags are still being computed", timeout=2)
            return
        self._go(self.model.next_flag_row(self.timeline.cursor_row, self.breaches_only), "No later flag")

    def action_previous_flag(self) -> None:
        if not self.flags_ready:
            self.notify("Flags are still being computed", timeout=2)
            return
        self._go(self.model.previous_flag_row(self.timeline.cursor_row, self.breaches_only), "No earlier flag")

    def action_toggle_breaches(self) -> None:
        self.breaches_only = not self.breaches_only
        self._update_status()

    def action_toggle_met(self) -> None:
        """Show or hide the checks met (information rows: compliance as well as failure)."""
        self.show_met = not self.show_met
        if self.flags_ready:
            self._rebuild_model()
        self._update_status()

    def _jump_to_event(self, event_id: int) -> None:
        row = self.model.row_for_event(event_id, self.anchors.get(event_id))
        self._go(row, "That event is not shown (clear the filter with f)")

    def action_follow(self) -> None:
        """Enter: from a flag row to its first event; from an event to the first flag on it."""
        if not len(self.model):
            return
        row = self.model.row(self.timeline.cursor_row)
        if row.flag is not None:
            if not row.flag.events:
                self.notify("This flag rests on no single event", timeout=3)
                return
            self.following = (row.flag, 0)
            self._jump_to_event(row.flag.events[0])
            self._update_panel()
            return
        flags = self.model.flags_of_event(row.event_id) if row.event_id is not None else []
        if flags:
            self.following = None
            self._go(self.model.row_for_flag(flags[0]), "That flag is not shown")
        else:
            self.notify("No flag rests on this event", timeout=2)

    def action_cycle_events(self) -> None:
        """``e``: step through the events the current (or followed) flag rests on."""
        if not len(self.model):
            return
        row = self.model.row(self.timeline.cursor_row)
        if row.flag is not None:
            self.action_follow()
            return
        if self.following is None:
            self.notify("Select a flag row first (n), then e steps through its events", timeout=3)
            return
        flag, index = self.following
        index = (index + 1) % len(flag.events)
        self.following = (flag, index)
        self._jump_to_event(flag.events[index])
        self._update_panel()

    def action_zoom_in(self) -> None:
        self.lanes.zoom += 1

    def action_zoom_out(self) -> None:
        self.lanes.zoom -= 1

    def action_toggle_panel(self) -> None:
        self.panel.display = not self.panel.display
        if not self.panel.display:
            self.timeline.focus()

    def action_focus_panel(self) -> None:
        """``p``: into the guidance panel (arrows then scroll it) and back to the timeline."""
        if not self.panel.display:
            self.panel.display = True
        if self.panel.has_focus:
            self.timeline.focus()
        else:
            self.panel.focus()

    def action_show_help(self) -> None:
        self.app.push_screen(HelpScreen(self.help_groups()))

    def action_replay(self) -> None:
        """``r``: replay this case as it unfolded (tui/replay_screen.py)."""
        from caseline.tui.replay_screen import ReplayScreen

        if not len(self.ids) and not self.all_event_count:
            self.notify("This case has no events to replay", timeout=3)
            return
        self.app.push_screen(ReplayScreen(self.case_id))

    def help_groups(self):
        return [
            ("Case", list(self.BINDINGS)),
            ("Timeline", list(TimelineView.BINDINGS)),
            ("Guidance panel", list(GuidancePanel.BINDINGS)),
            ("Search bar", list(SearchBar.BINDINGS)),
            ("App", [Binding("tab", "focus_next", "Next pane (timeline, panel)", id="app.focus-next"),
                     Binding("ctrl+p", "command_palette", "Commands", id="app.palette"), *self.app.BINDINGS]),
        ]

    def palette_bindings(self) -> list[Binding]:
        return [b for b in self.BINDINGS if isinstance(b, Binding) and b.action not in ("back",)]

    def action_back(self) -> None:
        """Escape steps back one thing at a time, and never quits: out of the panel, then
        the filter, then to the case list when there is one."""
        if self.panel.has_focus:
            self.timeline.focus()
        elif self.event_filter.active:
            self.action_clear_filter()
            self.notify("Filter cleared", timeout=2)
        elif not self.app.leave_case():
            self.notify("This is the first screen: q quits", timeout=3)

    # Go to date ------------------------------------------------------------------------------

    def action_goto_date(self) -> None:
        self.app.push_screen(GotoDateScreen(), self._goto_chosen)

    def _show_window(self, day: date | None) -> None:
        """While the whole index is still read: show the events around *day* (``None``: the
        last ones) at once; the full index, when it comes, keeps the cursor on the same event."""
        args = (self.conn, self.case_id, self.event_filter, self._flag_event_ids())
        if day is None:
            ids, starts, reach = load_index(*args, limit=FIRST_SCREEN_ROWS, last=True)
        else:
            iso = day.isoformat()
            # A few rows before the day (events that began earlier may still run then)...
            ids, starts, reach = load_index(*args, limit=WINDOW_ROWS_BEFORE, last=True, before_day=iso)
            # ...and the rows from it on.
            more_ids, more_starts, more_reach = load_index(*args, limit=FIRST_SCREEN_ROWS, from_day=iso)
            furthest = reach[-1] if len(reach) else 0
            ids.extend(more_ids)
            starts.extend(more_starts)
            reach.extend(array("i", (max(r, furthest) for r in more_reach)))
        self.ids, self.starts, self.reach = ids, starts, reach
        self.windowed = True
        self._rebuild_model()
        self._update_status()

    @on(TimelineView.WentToEnd)
    def went_to_end(self) -> None:
        if not self.index_complete and not self.event_filter.active:
            self._show_window(None)
            self.timeline.cursor_row = len(self.model) - 1

    def _goto_chosen(self, when: DateRange | None) -> None:
        self._pending_goto = None
        if when is not None and not self.index_complete:
            self._pending_goto = when  # answered again in _index_ready, against every event
            if not self.event_filter.active:
                self._show_window(when.start)
                self.timeline.cursor_row = self.model.row_for_day(when.start.toordinal())
            self.timeline.focus()
            return
        if when is not None and len(self.model):
            self.timeline.cursor_row = self.model.row_for_day(when.start.toordinal())
        self.timeline.focus()

    # Filter ----------------------------------------------------------------------------------

    def action_filter(self) -> None:
        """The filter dialog. Its kinds and actors take a scan of the case: a long case's
        (ten seconds at ten million events) is read in a worker, once, and the dialog opens
        when it is done; a short case's at once."""
        if self._filter_choices is None and (self.all_event_count > FILTER_CHOICES_APART_OVER
                                             or not self.index_complete):
            self.notify("Reading the case's kinds and actors for the filter…", timeout=3)
            self.read_filter_choices()
            return
        self._open_filter(self._filter_choices or self._read_filter_choices(self.conn))

    @work(thread=True, exclusive=True, group="filter-choices")
    def read_filter_choices(self) -> None:
        with self.app.worker_connection() as conn:
            choices = self._read_filter_choices(conn)
        self.app.call_from_thread(self._open_filter, choices)

    def _read_filter_choices(self, conn: sqlite3.Connection) -> tuple[list[str], list[str], bool]:
        """The case's kinds; the first :data:`FILTER_ACTORS_MAX` actors its chronology names,
        and whether there are more (a whole extract names hundreds of thousands)."""
        actors = distinct_values(conn, self.case_id, "actor", limit=FILTER_ACTORS_MAX + 1)
        return distinct_values(conn, self.case_id, "kind"), actors[:FILTER_ACTORS_MAX], len(actors) > FILTER_ACTORS_MAX

    def _open_filter(self, choices: tuple[list[str], list[str], bool]) -> None:
        if not self.is_current:
            return  # the case was left (or a dialog is open) while the choices were read
        self._filter_choices = choices
        kinds, found, more = choices
        if more:
            self.notify(f"The filter offers the first {FILTER_ACTORS_MAX:,} actors of many", timeout=4)
        actors = [(actor, self.people[actor].name if actor in self.people else actor) for actor in found]
        rules = sorted(self.flags.distinct("rule"))
        rule_labels = [(rule, clean(self.rules[rule].title) if rule in self.rules else rule) for rule in rules]
        self.app.push_screen(FilterScreen(kinds, actors, self.event_filter, children=self.case_children(),
                                          rules=rule_labels, tags=self.note_tags()), self.apply_filter)

    def apply_filter(self, chosen: EventFilter | None) -> None:
        """Show only what *chosen* keeps (``None``: the dialog was cancelled)."""
        if chosen is None:
            self.timeline.focus()
            return
        self.event_filter = chosen
        self._reload_events()
        self._rebuild_lanes()
        self._update_status()
        self._update_panel()
        self.timeline.focus()

    def action_clear_filter(self) -> None:
        if self.event_filter.active:
            self.apply_filter(EventFilter())

    def case_children(self) -> list[tuple[str, str]]:
        """``(id, label)`` for the case's children, with a birth date where known."""
        found = []
        for person in self.people.values():
            if person.role == "child":
                label = clean(person.name)
                if person.born is not None:
                    label += f" (born {format_range(person.born)})"
                found.append((person.id, label))
        return found

    def action_choose_child(self) -> None:
        children = self.case_children()
        if not children:
            self.notify("No child is recorded in this case's people", timeout=3)
            return
        current = next(iter(self.event_filter.subjects), None) if len(self.event_filter.subjects) == 1 else None
        self.app.push_screen(ChildScreen(children, current), self._child_chosen)

    def _child_chosen(self, child: str | None) -> None:
        """One child (or, for ``""``, every child) in the timeline and the lanes."""
        if child is None:
            self.timeline.focus()
            return
        subjects = frozenset({child}) if child else frozenset()
        self.apply_filter(dataclass_replace(self.event_filter, subjects=subjects))

    # Search ----------------------------------------------------------------------------------

    def action_search(self) -> None:
        bar = self.query_one(SearchBar)
        bar.display = True
        bar.query_one("#search-input").focus()

    @on(SearchBar.Changed)
    def search_changed(self, message: SearchBar.Changed) -> None:
        self.search_text = message.text
        self._start_search(message.text)

    def _start_search(self, text: str) -> None:
        bar = self.query_one(SearchBar)
        if not text.strip():
            self.matches = []
            self.timeline.set_matches(frozenset())
            bar.query_one("#search-count").update("")
            return
        bar.set_count(None, 0, searching=True)
        if not self.index_complete:
            return  # searched again, against every event, once the index is read
        if self._search_timer is not None:
            self._search_timer.stop()
        start = partial(self.run_search, text, self.model, self.event_filter, self._flag_event_ids())
        if self.model.event_count < SEARCH_AS_YOU_TYPE_LIMIT:
            start()
        else:
            # Big cases: wait for a pause in the typing rather than scan once per keystroke.
            self._search_timer = self.set_timer(SEARCH_DEBOUNCE_SECONDS, start)

    @work(thread=True, exclusive=True, group="search")
    def run_search(self, text: str, model: RowModel, event_filter: EventFilter, flag_event_ids: set[int]) -> None:
        worker = get_current_worker()
        # The flags' messages are searched beside SQLite's search (each mostly outside
        # Python's lock: SQLite's reading, and the opening of the compressed messages).
        flag_rows: list[int] = []
        flag_search = threading.Thread(target=lambda: flag_rows.extend(model.rows_of_flags_matching(text)),
                                       name="caseline-flag-search", daemon=True)
        flag_search.start()
        with self.app.worker_connection() as conn:
            if conn is not self.app.conn:
                # A newer search cancels this worker; this stops SQLite mid-scan too. Asked
                # rarely: each call takes the GIL back from the UI thread (at every 100,000
                # steps, a common word's search at ten million took twice as long).
                conn.set_progress_handler(lambda: 1 if worker.is_cancelled else 0, SEARCH_CANCEL_STEPS)
            try:
                # Words through the FTS5 index (reads only the matches); LIKE on a database
                # without the index, or for text with no word in it. With no filter and each
                # event found by id, the index's ids alone serve: no look-up of each match.
                rowids = search_rowids(conn, text) if model.has_positions and not event_filter.active else None
                found = None if rowids is not None else search_matches(
                    conn, self.case_id, text, event_filter, flag_event_ids, limit=MAX_SEARCH_MATCHES)
                if rowids is not None:
                    event_rows, more = model.rows_of_ids(rowids, MAX_SEARCH_MATCHES)
                elif found is None:
                    positions = search_positions(conn, self.case_id, text, event_filter, flag_event_ids,
                                                 should_stop=lambda: worker.is_cancelled)
                    event_rows, more = [model.row_of_position(p) for p in positions], False
                else:
                    ids, starts, more = found
                    event_rows = model.rows_of_events(ids, starts)
            except sqlite3.OperationalError:
                return  # interrupted by the progress handler: a newer search is running
        if worker.is_cancelled:
            return
        flag_search.join()
        rows = sorted(event_rows + flag_rows)
        self.search_more = more
        self.app.call_from_thread(self._search_done, text, model, rows)

    def _search_done(self, text: str, model: RowModel, rows: list[int]) -> None:
        if text != self.search_text or model is not self.model:
            return  # a newer search or a new model: this answer is stale
        self.matches = rows
        self.timeline.set_matches(frozenset(rows) if len(rows) <= MAX_HIGHLIGHTED_MATCHES else frozenset())
        if rows:
            cursor = self.timeline.cursor_row
            k = bisect_left(rows, cursor)
            self.timeline.cursor_row = rows[k] if k < len(rows) else rows[0]
        self._show_match_count()

    def _show_match_count(self) -> None:
        cursor = self.timeline.cursor_row
        k = bisect_left(self.matches, cursor)
        current = k + 1 if k < len(self.matches) and self.matches[k] == cursor else None
        self.query_one(SearchBar).set_count(current, len(self.matches), more=self.search_more)

    @on(SearchBar.Step)
    def search_step(self, message: SearchBar.Step) -> None:
        if not self.matches:
            return
        cursor = self.timeline.cursor_row
        if message.forward:
            k = bisect_right(self.matches, cursor)
            target = self.matches[k] if k < len(self.matches) else self.matches[0]
        else:
            k = bisect_left(self.matches, cursor)
            target = self.matches[k - 1] if k > 0 else self.matches[-1]
        self.timeline.cursor_row = target
        self._show_match_count()

    @on(SearchBar.Closed)
    def search_closed(self) -> None:
        bar = self.query_one(SearchBar)
        bar.display = False
        self.timeline.set_matches(frozenset())
        self.timeline.focus()
