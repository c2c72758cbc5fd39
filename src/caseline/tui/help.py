"""The help screen, generated from the bindings so it can never drift from the keys."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def binding_rows(app, groups: Iterable[tuple[str, Iterable[Binding]]]) -> list[tuple[str, str, str, str]]:
    """``(group, keys, description, id)`` for every binding with a description."""
    rows = []
    for group, bindings in groups:
        for binding in bindings:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            keys = ", ".join(app.get_key_display(Binding(key.strip(), binding.action)) for key in binding.key.split(","))
            rows.append((group, binding.key_display or keys, binding.description, binding.id or ""))
    return rows


class HelpScreen(ModalScreen[None]):
    """Every key of the case screen, grouped, with its binding id."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close")]

    def __init__(self, groups: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        table = Table(title="caseline keys", expand=True, box=None, header_style="bold underline", pad_edge=False)
        table.add_column("Where")
        table.add_column("Keys", style="bold")
        table.add_column("What it does")
        table.add_column("Binding id", style="dim")
        last = None
        for group, keys, description, binding_id in binding_rows(self.app, self.groups):
            table.add_row(Text(group if group != last else ""), Text(keys), Text(description), Text(binding_id))
            last = group
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Static(table, id="help-table")
            yield Static(
                Text(
                    "Severity: ✖ breach  ▲ needs attention  ● information;  ? after the symbol: possible "
                    "(only some readings of imprecise dates).  ⇄ worker change.\n"
                    "A flag highlights what the records show against a rule; it is not a finding of fault.\n"
                    "escape, q or ? closes this help."
                ),
                id="help-legend",
            )

    async def action_dismiss(self, result=None) -> None:
        self.dismiss(None)
