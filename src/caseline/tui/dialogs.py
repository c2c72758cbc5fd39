"""Small dialogs: go to a date, filter rows, and the search bar.

Errors (a date that cannot be read) are shown in the dialog, never raised.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from caseline.dates import DateError, DateRange, parse_user_date
from caseline.model import SEVERITIES, EventFilter
from caseline.sanitize import clean


class GotoDateScreen(ModalScreen[DateRange | None]):
    """Ask for a date: ``2021-09``, ``15 Sep 2021``, ``Sep 2021``..."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="goto.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="goto-dialog", classes="dialog"):
            yield Label("Go to date", classes="dialog-title")
            yield Input(placeholder="2021-09-15, 2021-09, 15 Sep 2021, Sep 2021", id="goto-input")
            yield Static(Text("enter: go · escape: cancel"), id="goto-error", classes="dialog-hint")

    @on(Input.Submitted, "#goto-input")
    def submit(self, event: Input.Submitted) -> None:
        try:
            when = parse_user_date(event.value)
        except DateError as exc:
            error = self.query_one("#goto-error", Static)
            error.update(Text(clean(str(exc))))
            error.add_class("-error")
            return
        self.dismiss(when)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FilterScreen(ModalScreen[EventFilter | None]):
    """Choose an event kind, an actor and a flag severity to show (blank = all).

    Args:
        kinds: the case's event kinds.
        actors: ``(value, label)`` pairs for the case's actors.
        current: the filter in force, to preselect.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="filter.apply"),
        Binding("ctrl+r", "clear", "Clear filter", id="filter.clear"),
    ]

    def __init__(self, kinds: Sequence[str], actors: Sequence[tuple[str, str]], current: EventFilter) -> None:
        super().__init__()
        self.kinds = list(kinds)
        self.actors = list(actors)
        self.current = current

    def compose(self) -> ComposeResult:
        def first(values) -> object:
            return sorted(values)[0] if values else Select.NULL

        with Vertical(id="filter-dialog", classes="dialog"):
            yield Label("Filter rows", classes="dialog-title")
            yield Label("Event kind")
            yield Select(
                [(clean(k).replace("_", " "), k) for k in self.kinds],
                prompt="all kinds",
                value=first(self.current.kinds),
                id="filter-kind",
            )
            yield Label("Actor")
            yield Select([(clean(label), value) for value, label in self.actors], prompt="all actors",
                         value=first(self.current.actors), id="filter-actor")
            yield Label("Flag severity (keeps those flags and the events they rest on)")
            yield Select([(s, s) for s in SEVERITIES], prompt="all severities",
                         value=first(self.current.severities), id="filter-severity")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="filter-apply")
                yield Button("Clear", id="filter-clear")
                yield Button("Cancel", id="filter-cancel")

    def chosen(self) -> EventFilter:
        def picked(selector: str) -> frozenset[str]:
            value = self.query_one(selector, Select).value
            return frozenset() if value is Select.NULL or value is None else frozenset({str(value)})

        return EventFilter(picked("#filter-kind"), picked("#filter-actor"), picked("#filter-severity"))

    @on(Button.Pressed, "#filter-apply")
    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    @on(Button.Pressed, "#filter-clear")
    def action_clear(self) -> None:
        self.dismiss(EventFilter())

    @on(Button.Pressed, "#filter-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class SearchBar(Horizontal):
    """The search input, docked at the bottom while searching.

    Keys while it has focus: enter or down for the next match, shift+enter or up for the
    previous one, escape to close (the cursor stays where the search took it).
    """

    BINDINGS = [
        Binding("enter", "next_match", "Next match", priority=True, id="search.next"),
        Binding("shift+enter,up", "previous_match", "Previous match", priority=True, id="search.previous"),
        Binding("down", "next_match", "Next match", show=False, id="search.next-down"),
        Binding("escape", "close", "Close search", id="search.close"),
    ]

    class Changed(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    class Step(Message):
        def __init__(self, forward: bool) -> None:
            self.forward = forward
            super().__init__()

    class Closed(Message):
        pass

    def compose(self) -> ComposeResult:
        yield Label("Search", id="search-label")
        yield Input(placeholder="words in summary, kind, actor, date text, detail", id="search-input")
        yield Label("", id="search-count")

    @on(Input.Changed, "#search-input")
    def changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    def set_count(self, current: int | None, total: int, searching: bool = False) -> None:
        label = self.query_one("#search-count", Label)
        if searching:
            label.update(Text("searching…"))
        elif total == 0:
            label.update(Text("no matches"))
        else:
            label.update(Text(f"{current or 0}/{total} matches"))

    def action_next_match(self) -> None:
        self.post_message(self.Step(True))

    def action_previous_match(self) -> None:
        self.post_message(self.Step(False))

    def action_close(self) -> None:
        self.post_message(self.Closed())
