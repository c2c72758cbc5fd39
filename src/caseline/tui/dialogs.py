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
from textual.widgets import Button, Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

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


#: The filter's groups: (EventFilter field, heading).
FILTER_GROUPS = (
    ("kinds", "kind"),
    ("actors", "actor"),
    ("subjects", "child"),
    ("severities", "severity"),
    ("rules", "rule"),
    ("tags", "note tag"),
)


class FilterScreen(ModalScreen[EventFilter | None]):
    """Tick any number of kinds, actors, children, severities, rules and note tags.

    Within a group any ticked value matches; groups combine (kind *and* child...). Nothing
    ticked in a group means all. One list, so it fits an 80x24 terminal and scrolls.

    Args:
        kinds: the case's event kinds.
        actors: ``(value, label)`` pairs for the case's actors.
        current: the filter in force, to preselect.
        children: ``(id, label)`` for the case's children.
        rules: ``(rule id, title)`` for the rules that raised a flag.
        tags: note tags in use (from the notes, when there are any).
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
        Binding("enter,ctrl+s", "apply", "Apply", priority=True, id="filter.apply"),
        Binding("x,ctrl+r", "clear", "Clear filter", id="filter.clear"),
        Binding("j", "down", "Down", show=False, id="filter.down"),
        Binding("k", "up", "Up", show=False, id="filter.up"),
    ]

    def __init__(self, kinds: Sequence[str], actors: Sequence[tuple[str, str]], current: EventFilter,
                 children: Sequence[tuple[str, str]] = (), rules: Sequence[tuple[str, str]] = (),
                 tags: Sequence[str] = ()) -> None:
        super().__init__()
        self.current = current
        self.groups: dict[str, list[tuple[str, str]]] = {
            "kinds": [(k, clean(k).replace("_", " ")) for k in kinds],
            "actors": [(value, clean(label)) for value, label in actors],
            "subjects": [(value, clean(label)) for value, label in children],
            "severities": [(s, s) for s in SEVERITIES],
            "rules": [(value, clean(label)) for value, label in rules],
            "tags": [(t, clean(t)) for t in tags],
        }

    def compose(self) -> ComposeResult:
        options = []
        for field_name, heading in FILTER_GROUPS:
            chosen = getattr(self.current, field_name)
            for value, label in self.groups[field_name]:
                options.append(Selection(Text(f"{heading}: {label}"), (field_name, value), value in chosen))
        with Vertical(id="filter-dialog", classes="dialog"):
            yield Label("Filter rows", classes="dialog-title")
            yield SelectionList(*options, id="filter-list")
            yield Static(Text("space: tick · enter: apply · x: clear · escape: cancel"), classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="filter-apply")
                yield Button("Clear", id="filter-clear")
                yield Button("Cancel", id="filter-cancel")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def tick(self, field_name: str, value: str, on: bool = True) -> None:
        """Tick (or untick) one value (tests, and the palette)."""
        selections = self.query_one(SelectionList)
        (selections.select if on else selections.deselect)((field_name, value))

    def chosen(self) -> EventFilter:
        picked: dict[str, set[str]] = {name: set() for name, _ in FILTER_GROUPS}
        for field_name, value in self.query_one(SelectionList).selected:
            picked[field_name].add(value)
        return EventFilter(**{name: frozenset(values) for name, values in picked.items()})

    def action_down(self) -> None:
        self.query_one(SelectionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(SelectionList).action_cursor_up()

    @on(Button.Pressed, "#filter-apply")
    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    @on(Button.Pressed, "#filter-clear")
    def action_clear(self) -> None:
        self.dismiss(EventFilter())

    @on(Button.Pressed, "#filter-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ChildScreen(ModalScreen[str | None]):
    """Choose one child to follow (``""``: every child); escape keeps things as they are."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="child.cancel"),
        Binding("j", "down", "Down", show=False, id="child.down"),
        Binding("k", "up", "Up", show=False, id="child.up"),
    ]

    def __init__(self, children: Sequence[tuple[str, str]], current: str | None) -> None:
        super().__init__()
        self.children_ = list(children)
        self.current = current

    def compose(self) -> ComposeResult:
        options = [Option(Text("Every child"), id="")]
        options += [Option(Text(label), id=child) for child, label in self.children_]
        with Vertical(id="child-dialog", classes="dialog"):
            yield Label("Follow one child", classes="dialog-title")
            yield OptionList(*options, id="child-list")
            yield Static(Text("enter: choose · escape: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [""] + [child for child, _ in self.children_]
        options.highlighted = ids.index(self.current) if self.current in ids else 0
        options.focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id or "")

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmQuitScreen(ModalScreen[bool]):
    """Asked before quitting only when something is unsaved."""

    BINDINGS = [
        Binding("y", "answer(True)", "Quit", id="quit.yes"),
        Binding("n,escape", "answer(False)", "Stay", id="quit.no"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-dialog", classes="dialog"):
            yield Label("Quit with unsaved changes?", classes="dialog-title")
            yield Static(Text("y: quit · n or escape: stay"), classes="dialog-hint")

    def action_answer(self, quit_: bool) -> None:
        self.dismiss(quit_)


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
        yield Input(placeholder="words (or their starts) in summary, kind, actor, date text, detail",
                    id="search-input")
        yield Label("", id="search-count")

    @on(Input.Changed, "#search-input")
    def changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    def set_count(self, current: int | None, total: int, searching: bool = False, more: bool = False) -> None:
        label = self.query_one("#search-count", Label)
        if searching:
            label.update(Text("searching…"))
        elif total == 0:
            label.update(Text("no matches"))
        else:
            label.update(Text(f"{current or 0}/{total:,}{'+' if more else ''} matches"))

    def action_next_match(self) -> None:
        self.post_message(self.Step(True))

    def action_previous_match(self) -> None:
        self.post_message(self.Step(False))

    def action_close(self) -> None:
        self.post_message(self.Closed())
