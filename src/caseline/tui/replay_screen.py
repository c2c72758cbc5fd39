"""Replay: the case screen driven by an as-of date, for a trainer and a room.

The timeline and lanes show only the events begun by the as-of date (a prefix of the ordered
index); the flags are the engine's at that date (``app.analyse(case, as_of)``), computed in a
thread worker and cached per date, and the neighbouring dates are computed ahead, so a step
paints the new events at once and its flags a moment later at worst. What is overdue now
comes from :func:`caseline.replay.overdue_now` over those flags: no rule is re-implemented here.

Pause points stop the replay (:class:`PauseScreen`): the question, an answer box, then the
point revealed. :class:`RevealScreen` shows the teaching notes and the room's answers, which
can be written to a file (0600).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.worker import get_current_worker
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, Static

from caseline.dates import DateRange, format_day
from caseline.model import Flag
from caseline.replay import (
    SPEEDS,
    Answers,
    Move,
    PausePoint,
    ReplayClock,
    answers_markdown,
    next_due,
    overdue_candidates,
    overdue_now,
    pause_points,
    teaching_sections,
    write_answers,
)
from caseline.sanitize import clean
from caseline.store import chronology_end, get_case, get_events, list_people
from caseline.store.refs import ref_start_days
from caseline.store.timeline import load_lane_rows, load_order
from caseline.tui.dialogs import GotoDateScreen
from caseline.tui.guidance_panel import GuidancePanel, event_text, flag_text
from caseline.tui.help import HelpScreen
from caseline.tui.lanes import LanesView
from caseline.tui.timeline_view import TimelineView
from caseline.view.lanes import LANE_KINDS, build_lanes
from caseline.view.rows import EventPages, RowModel

#: Flags computed per as-of date and kept for the session (a replay visits a few hundred).
FLAG_CACHE_SIZE = 512
#: While playing, one tick moves to the next event but never further than this many months,
#: so a long quiet stretch still shows flags falling due on the way.
PLAY_MAX_MONTHS = 1


class PauseScreen(ModalScreen[str | None]):
    """A pause point: the question, an answer box, then (enter) the point revealed.

    Dismissed with the answer typed (``""`` for none) once the reveal has been read, or
    ``None`` if the trainer backs out with escape before revealing.
    """

    DEFAULT_CSS = """
    PauseScreen #pause-dialog { width: 84; }
    PauseScreen #pause-question { margin-bottom: 1; }
    PauseScreen #pause-reveal { margin-top: 1; padding: 0 1; background: $boost; }
    """

    BINDINGS = [Binding("escape", "cancel", "Back", id="pause.cancel")]

    def __init__(self, pause: PausePoint, number: int, total: int, answer: str = "") -> None:
        super().__init__()
        self.pause = pause
        self.number = number
        self.total = total
        self.answer = answer
        self.revealed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="pause-dialog", classes="dialog"):
            yield Label(Text(f"Pause point {self.number} of {self.total} · as of {self.pause.where}"),
                        classes="dialog-title")
            yield Static(Text(clean(" ".join(self.pause.question.split()))), id="pause-question")
            yield Input(value=self.answer, placeholder="The room's answer (optional)", id="pause-answer")
            yield Static(Text(""), id="pause-reveal")
            yield Static(Text("enter: reveal · escape: back to the replay"), id="pause-hint", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#pause-reveal", Static).display = False
        self.query_one(Input).focus()

    @on(Input.Submitted, "#pause-answer")
    def submitted(self, event: Input.Submitted) -> None:
        self.answer = event.value
        if not self.revealed:
            self.show_reveal()
        else:
            self.dismiss(self.answer)

    def show_reveal(self) -> None:
        self.revealed = True
        text = Text()
        text.append("Revealed\n", "bold")
        text.append(clean(" ".join(self.pause.reveal.split())))
        if self.pause.source:
            text.append(f"\n\nSource: {clean(self.pause.source)}", "italic")
        reveal = self.query_one("#pause-reveal", Static)
        reveal.update(text)
        reveal.display = True
        self.query_one("#pause-hint", Static).update(Text("enter: continue the replay"))

    @property
    def reveal_text(self) -> str:
        content = self.query_one("#pause-reveal", Static).content
        return content.plain if isinstance(content, Text) else str(content)

    def action_cancel(self) -> None:
        self.dismiss(self.answer if self.revealed else None)


class RevealScreen(Screen[None]):
    """What the Ombudsman found, in the case's teaching notes, and the room's answers."""

    DEFAULT_CSS = """
    RevealScreen #reveal-title { height: 1; padding: 0 1; background: $primary 20%; text-style: bold; }
    RevealScreen #reveal-body { height: 1fr; padding: 1 2; }
    """

    BINDINGS = [
        Binding("x", "export", "Export answers", id="reveal.export"),
        Binding("q,escape,v", "back", "Back to the replay", id="reveal.back"),
    ]

    def __init__(self, case, pauses: list[PausePoint], answers: Answers) -> None:
        super().__init__()
        self.case = case
        self.pauses = pauses
        self.answers = answers

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Reveal · {clean(self.case.id)} — {clean(self.case.title)}"), id="reveal-title")
        with VerticalScroll(id="reveal-body"):
            yield Static(self.body(), id="reveal-text")
        yield Footer()

    def body(self) -> Text:
        text = Text()
        if self.case.illustrative:
            text.append(" Illustrative case: dates are invented for teaching \n\n", "bold reverse")
        if self.case.summary:
            text.append("The case\n", "bold underline")
            text.append(clean(" ".join(self.case.summary.split())) + "\n\n")
        if self.case.source:
            text.append("Source: ", "bold")
            text.append(clean(self.case.source) + "\n\n", "italic")
        sections = teaching_sections(self.case.teaching)
        if not sections:
            text.append("This case has no teaching notes.\n")
        for heading, body in sections:
            text.append(heading + "\n", "bold underline")
            text.append(clean(body) + "\n\n")
        if self.pauses:
            text.append("The room's answers\n", "bold underline")
            for number, pause in enumerate(self.pauses, 1):
                text.append(f"{number}. {pause.where}: ", "bold")
                text.append(clean(" ".join(pause.question.split())) + "\n")
                answer = self.answers.get(pause)
                text.append("   Answer: ", "italic")
                text.append((clean(answer) if answer else "(none given)") + "\n")
            text.append("\nx: write the answers to a file · escape: back to the replay", "dim")
        return text

    @property
    def plain(self) -> str:
        content = self.query_one("#reveal-text", Static).content
        return content.plain if isinstance(content, Text) else str(content)

    def action_export(self) -> None:
        export_answers(self.app, self.case, self.pauses, self.answers)

    def action_back(self) -> None:
        self.dismiss(None)


def export_answers(app, case, pauses: list[PausePoint], answers: Answers) -> None:
    """Write the session's answers beside the database, owner-only, and say where."""
    text = answers_markdown(case.title or case.id, pauses, answers)
    try:
        path = write_answers(Path.cwd(), case.id, text)
    except OSError as exc:
        app.notify(f"Could not write the answers: {exc.strerror or exc}", severity="error", timeout=6)
        return
    app.notify(f"Answers written to {path}", timeout=6)


class ReplayScreen(Screen[None]):
    """One case replayed: lanes, timeline and panel as known on the as-of date.

    Args:
        case_id: the case to replay.
    """

    BINDINGS = [
        Binding("right,space", "next_event", "Next event", key_display="→/space", id="replay.next"),
        Binding("left", "previous_event", "Prev event", key_display="←", id="replay.previous"),
        Binding("w", "week(1)", "+week", id="replay.week-forward"),
        Binding("W", "week(-1)", "-week", key_display="W", id="replay.week-back"),
        Binding("m", "month(1)", "+month", id="replay.month-forward"),
        Binding("M", "month(-1)", "-month", key_display="M", id="replay.month-back"),
        Binding("p", "play", "Play/pause", id="replay.play"),
        Binding("plus,equals_sign", "faster", "Faster", key_display="+", id="replay.faster"),
        Binding("minus", "slower", "Slower", key_display="-", id="replay.slower"),
        Binding("g", "goto_date", "Go to date", id="replay.goto-date"),
        Binding("a", "pause_again", "Pause point", id="replay.pause-again"),
        Binding("v", "reveal", "Reveal", id="replay.reveal"),
        Binding("c", "toggle_met", "Met checks", id="replay.met-checks"),
        Binding("x", "export", "Export answers", show=False, id="replay.export"),
        Binding("question_mark", "show_help", "Help", key_display="?", id="replay.help"),
        Binding("q,escape", "back", "Back", id="replay.back"),
    ]

    DEFAULT_CSS = """
    #replay-status { height: 1; padding: 0 1; background: $boost; text-wrap: nowrap; text-overflow: ellipsis; }
    #replay-illustrative { width: auto; background: $warning; color: $background; text-style: bold; }
    ReplayScreen.-narrow #guidance { width: 30; }
    ReplayScreen.-short #lanes { max-height: 6; }
    """

    def __init__(self, case_id: str) -> None:
        super().__init__()
        app = self.app
        self.conn = app.conn
        self.case_id = case_id
        self.case = get_case(self.conn, case_id, count_events=False)
        self.people = {person.id: person for person in list_people(self.conn, case_id)}
        self.ids, self.starts = load_order(self.conn, case_id)
        end = chronology_end(self.conn, case_id)
        if end is not None and self.case.as_of is not None and self.case.as_of > end:
            end = self.case.as_of  # the replay runs on to the case's own as-of (the decision)
        self.pauses = pause_points(self.case.teaching, ref_start_days(self.conn, case_id))
        self.clock = ReplayClock(self.starts, self.pauses, last=end)
        self.answers = Answers(case_id)
        self.lane_rows = load_lane_rows(self.conn, case_id, LANE_KINDS)
        self.first_day = self.clock.first.toordinal()
        self.flag_cache: dict[date, tuple[list[Flag], dict, dict]] = {}
        self.flags: list[Flag] = []
        self.flags_as_of: date | None = None
        self.flag_error: str | None = None
        self.rules: dict = {}
        self.show_met = False  # deadlines met are information rows, shown on request (c)
        self.playing = False
        self.speed = 1
        self._timer = None
        self._pause_open = False
        self._panel_pending = False
        self.model = RowModel(self.ids[:0], self.starts[:0])
        self.pages = EventPages(self.conn, self.ids)
        self.timeline = TimelineView(self.model, self.pages, self.people, id="timeline")
        self.lanes = LanesView(build_lanes([], [], self.people, self.first_day, self.first_day), id="lanes")
        self.panel = GuidancePanel(id="guidance")

    # Layout -------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="case-header"):
            title = f"Replay · {clean(self.case.id)} — {clean(self.case.title)}"
            yield Static(Text(title), id="case-title")
            if self.case.illustrative:
                yield Static(Text(" illustrative dates "), id="replay-illustrative")
        yield Static(Text(""), id="replay-status")
        yield self.lanes
        with Horizontal(id="case-body"):
            yield self.timeline
            yield self.panel
        yield Footer()

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < 110, "-narrow")
        self.set_class(self.app.size.height < 32, "-short")
        self.timeline.focus()
        self._show()

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < 110, "-narrow")
        self.set_class(event.size.height < 32, "-short")

    # Showing an as-of date ------------------------------------------------------------------

    def _show(self) -> None:
        """Paint what is known at the clock's date: events at once, flags when computed."""
        as_of = self.clock.as_of
        cached = self.flag_cache.get(as_of)
        if cached is not None:
            self.flags, anchors, self.rules = cached
            self.flags_as_of = as_of
            self.flag_error = None
        else:
            anchors = {}
            self.flags, self.flags_as_of = [], None
        self._paint(anchors)
        wanted = [day for day in self._neighbours(as_of) if day not in self.flag_cache]
        if cached is None:
            self.compute_flags(as_of, wanted)
        elif wanted:
            # Look ahead only once this step has painted: the worker holds the GIL for a while.
            self.call_after_refresh(self.compute_flags, None, wanted)

    def _paint(self, anchors: dict) -> None:
        visible = self.clock.visible
        ids, starts = self.ids[:visible], self.starts[:visible]
        shown = [f for f in self.flags if self.show_met or f.kind != "met"]
        self.model = RowModel(ids, starts, shown, anchors)
        self._anchors = anchors
        self.pages = EventPages(self.conn, ids)
        self.timeline.set_model(self.model, self.pages)
        if len(self.model):
            self.timeline.cursor_row = len(self.model) - 1  # the newest thing known
        last = self.clock.as_of.toordinal()
        rows = [row for row in self.lane_rows if row[4] <= last]
        marks = [f for f in self.flags if f.kind not in ("met", "pending", "condition")]
        self.lanes.set_lanes(build_lanes(rows, marks, self.people, self.first_day, max(last, self.first_day)))
        self.lanes.cursor_day = last
        self._update_status()
        self._schedule_panel()

    @work(thread=True, exclusive=True, group="replay-flags")
    def compute_flags(self, as_of: date | None, ahead: list[date]) -> None:
        """The engine's flags at *as_of* (if not cached), then at the dates the next keys are
        likeliest to ask for, so those steps find their flags ready."""
        app = self.app
        worker = get_current_worker()
        with app.worker_connection() as conn:
            if as_of is not None:
                app.call_from_thread(self._flags_ready, as_of, self._analyse(conn, as_of))
            for day in ahead:
                if worker.is_cancelled:
                    return  # a newer step has its own look-ahead
                app.call_from_thread(self._store, day, self._analyse(conn, day))

    def _analyse(self, conn, as_of: date):
        try:
            analysis = self.app.analyse(self.case_id, as_of, conn=conn)
        except Exception as exc:  # shown in the status line; the replay goes on without flags
            return exc
        return list(analysis.flags), dict(analysis.anchors), dict(analysis.rules)

    def _neighbours(self, as_of: date) -> list[date]:
        """The dates the next keys are likeliest to ask for: the next event, and the next
        tick of play (the previous date was usually just visited, so it is cached)."""
        found = [self._next_event_day(as_of), self._play_target(as_of)]
        return list(dict.fromkeys(day for day in found if day != as_of))

    def _next_event_day(self, as_of: date) -> date:
        probe = ReplayClock(self.starts, (), last=self.clock.last)
        probe.as_of = as_of
        return probe.next_event().as_of

    def _play_target(self, as_of: date) -> date:
        from caseline.dates import add_months

        return min(self._next_event_day(as_of), add_months(as_of, PLAY_MAX_MONTHS), self.clock.last)

    def _store(self, as_of: date, result) -> None:
        if isinstance(result, Exception):
            return
        if len(self.flag_cache) >= FLAG_CACHE_SIZE:
            self.flag_cache.pop(next(iter(self.flag_cache)))
        self.flag_cache[as_of] = result

    def _flags_ready(self, as_of: date, result) -> None:
        if isinstance(result, Exception):
            self.flag_error = f"{type(result).__name__}: {result}"
            self._update_status()
            return
        self._store(as_of, result)
        if as_of != self.clock.as_of:
            return  # the clock has moved on: this answer is for the cache only
        self.flags, anchors, self.rules = result
        self.flags_as_of = as_of
        self.flag_error = None
        self._paint(anchors)

    @property
    def flags_ready(self) -> bool:
        return self.flags_as_of == self.clock.as_of

    def overdue(self):
        """What is overdue at the as-of date, read from the engine's flags at that date."""
        if not self.flags_ready:
            return []
        labels = {rule_id: rule.label for rule_id, rule in self.rules.items()}
        return overdue_now(self.flags, self.clock.as_of, labels)

    def _update_status(self) -> None:
        clock = self.clock
        parts = [f"as of {format_day(clock.as_of)}", f"{clock.visible:,} of {len(self.ids):,} events"]
        if self.flag_error:
            parts.append("flags unavailable")
        elif not self.flags_ready:
            parts.append("⟳ flags…")
        else:
            overdue = self.overdue()
            parts.append("overdue now: " + "; ".join(o.text() for o in overdue) if overdue else "nothing overdue now")
            labels = {rule_id: rule.label for rule_id, rule in self.rules.items()}
            upcoming = next_due(self.flags, clock.as_of, labels)
            if upcoming:
                parts.append(f"next due: {upcoming}")
            shown = sum(1 for f in self.flags if self.show_met or f.kind != "met")
            parts.append(f"{shown:,} flags")
        waiting = [p for p in self.pauses if p.index not in clock.revealed]
        parts.append(f"pause points {len(self.pauses) - len(waiting)}/{len(self.pauses)}")
        parts.append(f"▶ playing ×{self.speed + 1} (p: pause)" if self.playing else f"paused (p: play ×{self.speed + 1})")
        if clock.at_end:
            parts.append("end of the case: v reveals what the Ombudsman found")
        if self.case.as_of is not None and clock.as_of == self.case.as_of:
            parts.insert(1, "the case's own as-of date")
        self.query_one("#replay-status", Static).update(Text(" · ".join(parts)))

    @property
    def status_text(self) -> str:
        content = self.query_one("#replay-status", Static).content
        return content.plain if isinstance(content, Text) else str(content)

    def _schedule_panel(self) -> None:
        """Update the panel once, after the moves and cursor messages of this step."""
        if not self._panel_pending:
            self._panel_pending = True
            self.call_later(self._flush_panel)

    def _flush_panel(self) -> None:
        self._panel_pending = False
        self._update_panel()

    def _update_panel(self) -> None:
        if not len(self.model):
            self.panel.show(Text("Nothing has happened yet at this date."))
            return
        row = self.model.row(self.timeline.cursor_row)
        if row.flag is not None:
            events = get_events(self.conn, row.flag.events)
            ordered = [events[i] for i in row.flag.events if i in events]
            self.panel.show(flag_text(row.flag, self.rules.get(row.flag.rule), ordered, self.people, None, self.panel.severity_styles()))
            return
        event = self.pages.event_at(row.position) if row.position is not None else None
        if event is None:
            self.panel.show(Text("(event not found)"))
            return
        if self.clock.as_of == self.clock.first:
            self.panel.show(self._introduction())
            return
        self.panel.show(event_text(event, self.model.flags_of_event(event.id), self.people,
                                   self.panel.severity_styles()))

    def _introduction(self) -> Text:
        """What the room sees before the first step: the case, its source, how to drive."""
        text = Text()
        text.append("About this case\n", "bold underline")
        if self.case.illustrative:
            text.append("Illustrative: dates are invented for teaching.\n", "bold")
        if self.case.summary:
            text.append(clean(" ".join(self.case.summary.split())) + "\n")
        if self.case.source:
            text.append("\nSource: ", "bold")
            text.append(clean(self.case.source) + "\n", "italic")
        text.append(f"\n{len(self.pauses)} pause points. → or space: next event; w/m: a week or a month; "
                    "p: play; v: the reveal.", "dim")
        return text

    @on(TimelineView.CursorMoved)
    def cursor_moved(self, message: TimelineView.CursorMoved) -> None:
        if len(self.model) and message.row < len(self.model):
            self.lanes.cursor_day = self.model.day_of_row(message.row)
        self._schedule_panel()

    # Moving the clock -----------------------------------------------------------------------

    def _moved(self, move: Move, was_at_end: bool = False) -> None:
        self._show()
        if move.pause is not None:
            self._stop_playing()
            self.open_pause(move.pause)
        elif move.at_end and (was_at_end or self.playing):
            self._stop_playing()
            self.action_reveal()

    def action_next_event(self) -> None:
        """To the next event, or first to the day something falls overdue on the way there."""
        was_at_end = self.clock.at_end
        if not was_at_end:
            stop = self._overdue_stop(self.clock.as_of, self._next_event_day(self.clock.as_of))
            if stop is not None:
                day, overdue = stop
                move = self.clock.jump(day)
                if move.pause is None:
                    self.notify(f"Stopped on {format_day(day)}: {clean(overdue.text())}", timeout=3)
                self._moved(move)
                return
        self._moved(self.clock.next_event(), was_at_end)

    #: At most this many candidate days are checked with the engine on one key press.
    MAX_OVERDUE_CHECKS = 4

    def _overdue_stop(self, after: date, target: date):
        """The first day before *target* on which the engine shows something overdue, if any."""
        for day in overdue_candidates(self._flags_at(target), after, target)[: self.MAX_OVERDUE_CHECKS]:
            labels = {rule_id: rule.label for rule_id, rule in self.flag_cache[target][2].items()}
            found = overdue_now(self._flags_at(day), day, labels)
            if found:
                return day, found[0]
        return None

    def _flags_at(self, as_of: date) -> list[Flag]:
        """The engine's flags at *as_of*: cached (usually computed ahead), else computed now."""
        cached = self.flag_cache.get(as_of)
        if cached is None:
            result = self._analyse(self.conn, as_of)
            if isinstance(result, Exception):
                return []
            self._store(as_of, result)
            cached = result
        return cached[0]

    def action_previous_event(self) -> None:
        self._moved(self.clock.previous_event())

    def action_week(self, direction: int) -> None:
        self._moved(self.clock.step_days(7 * direction))

    def action_month(self, direction: int) -> None:
        self._moved(self.clock.step_months(direction))

    def action_goto_date(self) -> None:
        self._stop_playing()
        self.app.push_screen(GotoDateScreen(), self._goto_chosen)

    def _goto_chosen(self, when: DateRange | None) -> None:
        if when is not None:
            self._moved(self.clock.jump(when.start))
        self.timeline.focus()

    # Playing --------------------------------------------------------------------------------

    def action_play(self) -> None:
        if self.playing:
            self._stop_playing()
        else:
            if self.clock.at_end:
                self.notify("At the end of the case: go back (←, W, M, g) to play again", timeout=3)
                return
            self.playing = True
            self._timer = self.set_interval(SPEEDS[self.speed], self._tick)
        self._update_status()

    def _tick(self) -> None:
        if self._pause_open:
            return
        self._moved(self.clock.jump(self._play_target(self.clock.as_of)))

    def _stop_playing(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.playing = False
        self._update_status()

    def _restart_timer(self) -> None:
        if self.playing:
            if self._timer is not None:
                self._timer.stop()
            self._timer = self.set_interval(SPEEDS[self.speed], self._tick)
        self._update_status()

    def action_faster(self) -> None:
        self.speed = min(self.speed + 1, len(SPEEDS) - 1)
        self._restart_timer()

    def action_slower(self) -> None:
        self.speed = max(self.speed - 1, 0)
        self._restart_timer()

    # Pause points and the reveal ------------------------------------------------------------

    def open_pause(self, pause: PausePoint) -> None:
        number = self.pauses.index(pause) + 1
        self._pause_open = True
        self.app.push_screen(PauseScreen(pause, number, len(self.pauses), self.answers.get(pause)),
                             lambda answer: self._pause_closed(pause, answer))

    def _pause_closed(self, pause: PausePoint, answer: str | None) -> None:
        self._pause_open = False
        if answer is not None:
            self.answers.record(pause, answer)
            self.clock.reveal(pause)
        self._update_status()
        self.timeline.focus()

    def action_toggle_met(self) -> None:
        """Show or hide the checks met (the engine's information rows for deadlines kept)."""
        self.show_met = not self.show_met
        self._paint(getattr(self, "_anchors", {}))

    def action_pause_again(self) -> None:
        """Open the pause point at the as-of date again (one left with escape)."""
        pause = self.clock.pause_here()
        if pause is None:
            self.notify("No pause point waiting at this date", timeout=2)
            return
        self.open_pause(pause)

    def action_reveal(self) -> None:
        self._stop_playing()
        self.app.push_screen(RevealScreen(self.case, self.pauses, self.answers))

    def action_export(self) -> None:
        export_answers(self.app, self.case, self.pauses, self.answers)

    def action_show_help(self) -> None:
        self.app.push_screen(HelpScreen([
            ("Replay", list(self.BINDINGS)),
            ("Timeline", list(TimelineView.BINDINGS)),
            ("Reveal", list(RevealScreen.BINDINGS)),
        ]))

    def palette_bindings(self) -> list[Binding]:
        """The replay's keys, for the command palette (ctrl+p)."""
        return [b for b in self.BINDINGS if isinstance(b, Binding) and b.action != "back"]

    def action_back(self) -> None:
        self._stop_playing()
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()
