"""Dialogs for notes: write or edit one (tag and text), pick one of a row's notes, filter by tag.

The dialogs only collect what the investigator typed; the case screen saves it
(:mod:`caseline.tui.investigator`). A save that failed reopens :class:`NoteDialog` with the
text as it was and the reason shown, so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from caseline.model import NOTE_TAGS, Note
from caseline.sanitize import clean

__all__ = ["NoteRequest", "NoteDialog", "NotePicker", "TagFilterScreen"]


@dataclass(frozen=True)
class NoteRequest:
    """What the dialog was closed with: a tag and text to save, or a deletion."""

    tag: str
    text: str
    delete: bool = False


class NoteDialog(ModalScreen[NoteRequest | None]):
    """Write a note (or edit one) on what *label* describes.

    Args:
        label: what the note is about (shown at the top).
        note: the note being edited (``None``: a new note).
        text: the text to start from.
        tag: the tag to start from.
        error: why the last save failed (shown in the dialog).
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="note.save"),
        Binding("escape", "cancel", "Cancel", id="note.cancel"),
    ]

    DEFAULT_CSS = """
    NoteDialog #note-dialog { width: 80; height: auto; max-height: 90%; }
    NoteDialog #note-text { height: 8; }
    NoteDialog #note-about { color: $text-muted; }
    NoteDialog #note-error { color: $error; }
    """

    def __init__(self, label: str, *, note: Note | None = None, text: str = "", tag: str = "finding",
                 error: str = "") -> None:
        super().__init__()
        self.label = label
        self.note = note
        self.start_text = text
        self.start_tag = tag if tag in NOTE_TAGS else "note"
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(id="note-dialog", classes="dialog"):
            yield Label("Edit note" if self.note is not None else "New note", classes="dialog-title")
            yield Static(Text(clean(self.label)), id="note-about")
            yield Label("Tag")
            yield Select([(t, t) for t in NOTE_TAGS], value=self.start_tag, allow_blank=False, id="note-tag")
            yield Label("Text")
            yield TextArea(self.start_text, id="note-text", soft_wrap=True, show_line_numbers=False)
            yield Static(Text(clean(self.error)), id="note-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="note-save")
                if self.note is not None:
                    yield Button("Delete", variant="error", id="note-delete")
                yield Button("Cancel", id="note-cancel")

    def on_mount(self) -> None:
        self.query_one("#note-text", TextArea).focus()

    def _request(self, delete: bool = False) -> NoteRequest | None:
        text = self.query_one("#note-text", TextArea).text.strip()
        tag = str(self.query_one("#note-tag", Select).value)
        if not text and not delete:
            self.query_one("#note-error", Static).update(Text("The note is empty; write something or press escape."))
            return None
        return NoteRequest(tag, text, delete)

    @on(Button.Pressed, "#note-save")
    def action_save(self) -> None:
        request = self._request()
        if request is not None:
            self.dismiss(request)

    @on(Button.Pressed, "#note-delete")
    def delete(self) -> None:
        request = self._request(delete=True)
        if request is not None:
            self.dismiss(request)

    @on(Button.Pressed, "#note-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class NotePicker(ModalScreen[Note | None]):
    """Choose one of several notes (a row's, to edit; the case's deleted ones, to restore)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="note-picker.cancel")]

    def __init__(self, notes: Sequence[Note], title: str = "Which note?") -> None:
        super().__init__()
        self.notes = list(notes)
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="note-picker", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(*[Option(Text(f"[{clean(n.tag)}] {clean(n.text)[:70]}"), id=str(n.id)) for n in self.notes],
                             id="note-picker-list")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(next(n for n in self.notes if str(n.id) == event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)


class TagFilterScreen(ModalScreen[str | None]):
    """Show only rows with notes (of one tag), or every row again."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="tag-filter.cancel")]

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        options = [Option("every row (no notes filter)", id="off"), Option("rows with any note", id="any")]
        options += [Option(f"rows with a note tagged {tag}", id=tag) for tag in NOTE_TAGS]
        with Vertical(id="tag-filter", classes="dialog"):
            yield Label("Filter by notes", classes="dialog-title")
            yield OptionList(*options, id="tag-filter-list")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
