"""The investigator's keys on the case screen: notes, stars, copy, overview and export.

:class:`InvestigatorActions` is mixed into :class:`~caseline.tui.case_screen.CaseScreen`; the
screen keeps only the bindings (:data:`INVESTIGATOR_BINDINGS`) and a few thin hooks (the
panel, the row marks, the lanes, the filters). What it promises:

* Notes and stars are saved at once, each in its own transaction, in a thread worker on a
  writing connection of its own; the UI never waits on a lock. A save that cannot get the
  lock says so in one sentence and reopens the dialog with the text as typed, for a retry.
* Edits and deletions keep history (:mod:`caseline.store.notes`); ``u`` restores the note
  deleted last.
* In a read-only review every action that would write says why it is disabled, and writes
  nothing.
* Notes on flags are matched by the flag's stable key (:func:`caseline.notes.place_notes`);
  notes on a flag that is no longer raised are listed in the overview, not lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from rich.text import Text
from textual.binding import Binding

from caseline.dates import format_range
from caseline.model import Flag, Note
from caseline.notes import PlacedNotes, default_author, place_notes, stamp
from caseline.sanitize import clean
from caseline.store.notes import list_notes, list_stars, starred_targets
from caseline.view.lanes import Lane, Lanes
from caseline.view.rows import Row

__all__ = ["INVESTIGATOR_BINDINGS", "InvestigatorActions", "Investigator", "READ_ONLY_REASON", "copy_text"]

INVESTIGATOR_BINDINGS = [
    Binding("a", "add_note", "Note", id="case.add-note"),
    Binding("A", "add_case_note", "Case note", key_display="A", show=False, id="case.add-case-note"),
    Binding("E", "edit_note", "Edit note", key_display="E", show=False, id="case.edit-note"),
    Binding("u", "restore_note", "Restore note", show=False, id="case.restore-note"),
    Binding("s", "toggle_star", "Star", id="case.star"),
    Binding("S", "starred_only", "Starred only", key_display="S", show=False, id="case.starred-only"),
    Binding("t", "filter_tag", "Notes filter", show=False, id="case.notes-filter"),
    Binding("o", "overview", "Overview", id="case.overview"),
    Binding("y", "copy_row", "Copy", id="case.copy"),
    Binding("x", "export", "Export", id="case.export"),
]

READ_ONLY_REASON = "this is a read-only review (opened with --read-only or as a plain import), so nothing can be saved"


def copy_text(row: Row, event, rule, people) -> str:
    """What ``y`` copies: a flag's sentence with its rule, status and citation; an event's
    date as the source wrote it, summary and source."""
    if row.flag is not None:
        flag = row.flag
        parts = [clean(flag.message)]
        if rule is not None:
            parts.append(f"Rule: {clean(rule.title)} ({clean(rule.status_label)})")
            if rule.citation_text:
                parts.append(f"Citation: {clean(rule.citation_text)}")
        parts.append(f"Severity: {flag.severity} ({flag.certainty})")
        return ". ".join(p.rstrip(".") for p in parts) + "."
    if event is None:
        return ""
    when = clean(event.date_text) or format_range(event.dates)
    text = f"{when}: {clean(event.summary)}"
    if event.source:
        text += f" ({clean(event.source)})"
    return text


class Investigator:
    """Notes and stars of one case as the case screen shows them.

    Args:
        screen: the case screen (its app holds the connection and the database path).
    """

    def __init__(self, screen) -> None:
        self.screen = screen
        self.case_id: str = screen.case_id
        self.notes: list[Note] = []
        self.placed = PlacedNotes()
        self.star_events: set[int] = set()
        self.star_flags: set[str] = set()
        self.starred_only = False
        self.tag_filter: str | None = None  # "" means any note
        self.last_deleted: Note | None = None
        self.reload()

    # Reading ---------------------------------------------------------------------------------

    def reload(self, flags: Sequence[Flag] | None = None) -> None:
        conn = self.screen.conn
        self.notes = list_notes(conn, self.case_id)
        self.star_events, self.star_flags = starred_targets(list_stars(conn, self.case_id))
        self.placed = place_notes(self.notes, self.screen.flags if flags is None else flags)

    def notes_for(self, row: Row) -> list[Note]:
        if row.flag is not None:
            return self.placed.for_flag(row.flag.key)
        return self.placed.for_event(row.event_id)

    def starred(self, row: Row) -> bool:
        if row.flag is not None:
            return row.flag.key in self.star_flags
        return row.event_id in self.star_events

    def row_marks(self, row: Row) -> str:
        """``★`` for a starred row, ``✎`` for a row with notes (shown before its text)."""
        mark = ("★" if self.starred(row) else "") + ("✎" if self.notes_for(row) else "")
        return mark + " " if mark else ""

    def panel_text(self, row: Row) -> Text:
        """The notes section of the guidance panel for *row*."""
        notes = self.notes_for(row)
        text = Text()
        if not notes and not self.starred(row):
            text.append("\n\nNo notes (a: add one)", "dim")
            return text
        text.append("\n\n")
        text.append(f"Notes ({len(notes)})" + (" · ★ starred" if self.starred(row) else ""), "bold underline")
        text.append(" — a: add, E: edit\n", "dim")
        for note in notes:
            text.append(f"[{clean(note.tag)}] ", "bold")
            text.append(clean(note.text, one_line=False))
            text.append(f"\n  — {clean(note.author)}, {clean(note.created)}" + (" (edited)" if note.updated else "") + "\n",
                        "dim italic")
        return text

    def lanes_with_notes(self, lanes: Lanes) -> Lanes:
        """*lanes* with a "Notes" lane marking the days that carry notes or stars."""
        days: list[int] = []
        anchors = self.screen.anchors
        flag_days = self.screen.flags.start_days_of_keys(set(self.placed.by_flag) | self.star_flags)
        for event_id in set(self.placed.by_event) | self.star_events:
            day = anchors.get(event_id) or self._event_day(event_id)
            if day is not None:
                days.append(day)
        for key in set(self.placed.by_flag) | self.star_flags:
            if key in flag_days:
                days.append(flag_days[key])
        if not days:
            return lanes
        from array import array

        kept = [lane for lane in lanes.lanes if lane.name != "Notes"]
        # Ticks (drawn like visits) at each day that carries a note or a star.
        return replace(lanes, lanes=[*kept, Lane("Notes", "ticks", ticks=array("l", sorted(days)))])

    def _event_day(self, event_id: int) -> int | None:
        from caseline.store.timeline import anchor_dates

        return anchor_dates(self.screen.conn, [event_id]).get(event_id)

    # Filters -------------------------------------------------------------------------------

    @property
    def filter_active(self) -> bool:
        return self.starred_only or self.tag_filter is not None

    def _notes_match(self, notes: list[Note]) -> bool:
        return any(not self.tag_filter or n.tag == self.tag_filter for n in notes)

    def keeps_flag(self, flag: Flag) -> bool:
        if self.starred_only and flag.key not in self.star_flags:
            return False
        if self.tag_filter is not None and not self._notes_match(self.placed.for_flag(flag.key)):
            return False
        return True

    def keep_event_ids(self, flags: Sequence[Flag]) -> set[int] | None:
        """The events the notes filters keep (``None``: no such filter)."""
        if not self.filter_active:
            return None
        kept_flags = [f for f in flags if self.keeps_flag(f)]
        around = {i for f in kept_flags for i in f.events}
        if self.starred_only:
            events = set(self.star_events)
            if self.tag_filter is not None:
                events = {e for e in events if self._notes_match(self.placed.for_event(e))}
        else:
            events = {e for e, notes in self.placed.by_event.items() if self._notes_match(notes)}
        return events | around

    def restrict(self, ids, starts, flags: Sequence[Flag]):
        """The ordered arrays less the events the notes filters drop."""
        keep = self.keep_event_ids(flags)
        if keep is None:
            return ids, starts
        from array import array

        new_ids, new_starts = array("q"), array("l")
        for event_id, start in zip(ids, starts):
            if event_id in keep:
                new_ids.append(event_id)
                new_starts.append(start)
        return new_ids, new_starts

    def describe_filter(self) -> str:
        parts = []
        if self.starred_only:
            parts.append("starred only")
        if self.tag_filter is not None:
            parts.append(f"notes: {self.tag_filter or 'any tag'}")
        return " · ".join(parts)

    # Writing -------------------------------------------------------------------------------

    def save(self, write: Callable, done: Callable[[object], None], failed: Callable[[str, bool], None]) -> None:
        """Run ``write(conn)`` on a writing connection in a thread worker; then ``done(result)``
        or ``failed(message, busy)`` on the UI thread."""
        app = self.screen.app

        def work() -> None:
            from caseline.store import BusyError, StoreError, open_database

            try:
                conn = open_database(app.db_path)
            except BusyError as exc:
                app.call_from_thread(failed, str(exc), True)
                return
            except StoreError as exc:
                app.call_from_thread(failed, str(exc), False)
                return
            try:
                result = write(conn)
            except BusyError as exc:
                app.call_from_thread(failed, str(exc), True)
                return
            except StoreError as exc:
                app.call_from_thread(failed, str(exc), False)
                return
            finally:
                conn.close()
            app.call_from_thread(done, result)

        self.screen.run_worker(work, thread=True, group="notes-write", exit_on_error=False)

    @staticmethod
    def author() -> str:
        return default_author()

    @staticmethod
    def now() -> str:
        return stamp()


class InvestigatorActions:
    """The actions behind :data:`INVESTIGATOR_BINDINGS` (mixed into the case screen)."""

    investigator: Investigator

    # Hooks the case screen calls ---------------------------------------------------------

    def investigator_changed(self) -> None:
        """Notes or stars changed: re-read them, redraw marks, panel, lanes and filters."""
        self.investigator.reload()
        if self.investigator.filter_active or self.event_filter.tags:
            self._reload_events()
        self.timeline.refresh_rows()
        self.lanes.set_lanes(self.investigator.lanes_with_notes(self.lanes.lanes))
        self._update_status()
        self._update_panel()

    def investigator_flags_ready(self, flags: Sequence[Flag]) -> None:
        """Flags arrived: place the notes on them; the first time, show the overview if asked."""
        self.investigator.reload(flags)
        if getattr(self.app, "overview_first", False) and not getattr(self, "_overview_shown", False):
            self._overview_shown = True
            self.call_after_refresh(self.action_overview)

    def _selected_row(self) -> Row | None:
        if not len(self.model):
            return None
        return self.model.row(self.timeline.cursor_row)

    def _writable(self, what: str) -> bool:
        if self.app.read_only:
            self.notify(f"{what} is disabled: {READ_ONLY_REASON}.", severity="warning", timeout=5)
            return False
        return True

    def _row_target(self, row: Row) -> tuple[int | None, str | None, str]:
        if row.flag is not None:
            return None, row.flag.key, f"Flag: {clean(row.flag.message)}"
        event = self.pages.event_at(row.position) if row.position is not None else None
        label = f"Event: {clean(event.date_text) or format_range(event.dates)} — {clean(event.summary)}" if event else "Event"
        return row.event_id, None, label

    # Notes ---------------------------------------------------------------------------------

    def action_add_note(self) -> None:
        row = self._selected_row()
        if row is None or not self._writable("Adding a note"):
            return
        event_id, flag_key, label = self._row_target(row)
        self._open_note_dialog(label, event_id=event_id, flag_key=flag_key)

    def action_add_case_note(self) -> None:
        if not self._writable("Adding a note"):
            return
        self._open_note_dialog(f"The case as a whole: {clean(self.case.title)}")

    def _open_note_dialog(self, label: str, *, event_id: int | None = None, flag_key: str | None = None,
                          note: Note | None = None, text: str = "", tag: str = "finding", error: str = "") -> None:
        from caseline.tui.notes import NoteDialog, NoteRequest

        def chosen(request: NoteRequest | None) -> None:
            self.timeline.focus()
            if request is None:
                return
            if request.delete and note is not None:
                self._delete(note)
            elif note is not None:
                self._save_edit(note, label, request)
            else:
                self._save_new(label, event_id, flag_key, request)

        self.app.push_screen(NoteDialog(label, note=note, text=text, tag=tag, error=error), chosen)

    def _save_new(self, label: str, event_id: int | None, flag_key: str | None, request) -> None:
        from caseline.store.notes import add_note

        inv = self.investigator
        author, created = inv.author(), inv.now()

        def write(conn):
            return add_note(conn, self.case_id, text=request.text, tag=request.tag, author=author, created=created,
                            event_id=event_id, flag_key=flag_key)

        def failed(message: str, busy: bool) -> None:
            # The text is not lost: the dialog opens again as it was, saying why.
            self._open_note_dialog(label, event_id=event_id, flag_key=flag_key, text=request.text, tag=request.tag,
                                   error=message + (" (press ctrl+s to try again)" if busy else ""))

        inv.save(write, lambda note: self._saved(f"Note saved ({note.tag})"), failed)

    def _save_edit(self, note: Note, label: str, request) -> None:
        from caseline.store.notes import edit_note

        inv = self.investigator
        author, when = inv.author(), inv.now()

        def failed(message: str, busy: bool) -> None:
            self._open_note_dialog(label, note=note, text=request.text, tag=request.tag,
                                   error=message + (" (press ctrl+s to try again)" if busy else ""))

        inv.save(lambda conn: edit_note(conn, note.id, author=author, when=when, text=request.text, tag=request.tag),
                 lambda _: self._saved("Note edited (the earlier version is kept)"), failed)

    def _delete(self, note: Note) -> None:
        from caseline.store.notes import delete_note

        inv = self.investigator
        author, when = inv.author(), inv.now()

        def done(deleted: Note) -> None:
            inv.last_deleted = deleted
            self._saved("Note deleted (u restores it)")

        inv.save(lambda conn: delete_note(conn, note.id, author=author, when=when), done,
                 lambda message, busy: self.notify(message, severity="error", timeout=8))

    def _saved(self, message: str) -> None:
        self.investigator_changed()
        self.notify(message, timeout=3)

    def action_edit_note(self) -> None:
        row = self._selected_row()
        if row is None or not self._writable("Editing a note"):
            return
        notes = self.investigator.notes_for(row)
        if not notes:
            self.notify("No note on this row (a adds one)", timeout=3)
            return
        _, _, label = self._row_target(row)
        if len(notes) == 1:
            self._open_note_dialog(label, note=notes[0], text=notes[0].text, tag=notes[0].tag)
            return
        from caseline.tui.notes import NotePicker

        def picked(note: Note | None) -> None:
            if note is not None:
                self._open_note_dialog(label, note=note, text=note.text, tag=note.tag)

        self.app.push_screen(NotePicker(notes), picked)

    def action_restore_note(self) -> None:
        """``u``: bring back a deleted note (the one deleted last, or one picked from all)."""
        if not self._writable("Restoring a note"):
            return
        inv = self.investigator
        deleted = sorted((n for n in list_notes(self.conn, self.case_id, include_deleted=True) if n.deleted),
                         key=lambda n: (n.deleted or "", n.id), reverse=True)
        if not deleted:
            self.notify("No deleted notes on this case", timeout=3)
            return
        if inv.last_deleted is not None and any(n.id == inv.last_deleted.id for n in deleted):
            self._restore(inv.last_deleted)
            return
        from caseline.tui.notes import NotePicker

        def picked(note: Note | None) -> None:
            self.timeline.focus()
            if note is not None:
                self._restore(note)

        self.app.push_screen(NotePicker(deleted, title="Restore which deleted note?"), picked)

    def _restore(self, note: Note) -> None:
        from caseline.store.notes import restore_note

        inv = self.investigator
        author, when = inv.author(), inv.now()

        def done(_) -> None:
            inv.last_deleted = None
            self._saved("Note restored")

        inv.save(lambda conn: restore_note(conn, note.id, author=author, when=when), done,
                 lambda message, busy: self.notify(message, severity="error", timeout=8))

    # Stars ---------------------------------------------------------------------------------

    def action_toggle_star(self) -> None:
        row = self._selected_row()
        if row is None or not self._writable("Starring"):
            return
        from caseline.store.notes import set_star

        inv = self.investigator
        event_id, flag_key, _ = self._row_target(row)
        on = not inv.starred(row)
        author, when = inv.author(), inv.now()
        inv.save(lambda conn: set_star(conn, self.case_id, starred=on, author=author, when=when,
                                       event_id=event_id, flag_key=flag_key),
                 lambda _: self._saved("★ Starred" if on else "Star removed"),
                 lambda message, busy: self.notify(message, severity="error", timeout=8))

    def action_starred_only(self) -> None:
        inv = self.investigator
        inv.starred_only = not inv.starred_only
        if inv.starred_only and not (inv.star_events or inv.star_flags):
            self.notify("Nothing is starred yet (s stars the selected row)", timeout=3)
        self._notes_filter_changed()

    def action_filter_tag(self) -> None:
        from caseline.tui.notes import TagFilterScreen

        def chosen(value: str | None) -> None:
            self.timeline.focus()
            if value is None:
                return
            self.investigator.tag_filter = None if value == "off" else ("" if value == "any" else value)
            self._notes_filter_changed()

        self.app.push_screen(TagFilterScreen(self.investigator.tag_filter), chosen)

    def _notes_filter_changed(self) -> None:
        self._reload_events()
        self._update_status()
        self._update_panel()
        self.timeline.focus()

    # Copy ----------------------------------------------------------------------------------

    def action_copy_row(self) -> None:
        row = self._selected_row()
        if row is None:
            return
        event = self.pages.event_at(row.position) if row.position is not None else None
        rule = self.rules.get(row.flag.rule) if row.flag is not None else None
        text = copy_text(row, event, rule, self.people)
        if not text:
            return
        self.app.copy_to_clipboard(text)
        self.notify("Copied to the clipboard (your terminal must allow OSC 52)", timeout=3)

    # Overview and export -------------------------------------------------------------------

    def action_overview(self) -> None:
        from caseline.tui.overview import OverviewScreen

        def chosen(target) -> None:
            self.timeline.focus()
            if target is None:
                return
            kind, value = target
            if kind == "flag":
                index = self.flags.index_of_key(value)
                flag = self.flags[index] if index is not None else None
                row = self.model.row_for_flag(flag) if flag is not None else None
                self._go(row, "That flag is not shown (clear the filters)")
            elif kind == "event":
                self._jump_to_event(int(value))

        # The as-of the flags were judged at (the status line's), not a scan for the last event.
        self.app.push_screen(OverviewScreen(self.case, self.flags, self.rules, self.investigator,
                                            self.app.read_only, self.as_of_text), chosen)

    def action_export(self) -> None:
        from caseline.tui.export_dialog import ExportDialog

        self.app.push_screen(ExportDialog(self.case_id, self.app.db_path), lambda _: self.timeline.focus())
