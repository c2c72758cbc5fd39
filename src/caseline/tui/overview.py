"""The case overview (``o``): what the case is, as of when, the flags grouped by rule with
counts by severity (the first 200 of a rule listed), and the notes by tag. Enter on a flag or a note jumps to it.

Everything shown comes from what the case screen already holds (its analysis and the
investigator's notes); nothing is computed here. Text is cleaned and built as ``Text``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from caseline.export.chronology import TAG_HEADINGS
from caseline.flag_table import FlagTable
from caseline.guidance import Rule
from caseline.model import SEVERITY_RANK, CaseInfo, Flag
from caseline.sanitize import clean
from caseline.view.labels import SYMBOLS, severity_symbol

__all__ = ["OverviewScreen", "overview_options"]

ILLUSTRATIVE_BANNER = "ILLUSTRATIVE — dates invented for teaching"
#: Flags listed under each rule: a whole extract's tens of thousands of worker changes would
#: make a list nobody reads (and a record of each); the count says how many there are.
FLAGS_A_RULE = 200


def overview_options(flags: Sequence[Flag], rules: Mapping[str, Rule], investigator) -> list[Option]:
    """The overview's lines: headings (disabled) and jumpable flags and notes; each rule lists
    its first :data:`FLAGS_A_RULE` flags (the timeline's ``n`` walks the rest)."""
    options: list[Option] = []
    table = FlagTable.from_flags(flags)
    rule_codes, rule_values = table.codes("rule")
    severity_codes, severities = table.codes("severity")
    by_rule: dict[str, list[int]] = {}
    for index, code in enumerate(rule_codes):
        by_rule.setdefault(rule_values[code], []).append(index)

    def worst(indexes: list[int]) -> int:
        return min(SEVERITY_RANK.get(severities[code], 9) for code in {severity_codes[i] for i in indexes})

    options.append(Option(Text(f"Flags by rule ({len(table):,})", "bold underline"), disabled=True))
    if not table:
        options.append(Option(Text("  No flags at this as-of date."), disabled=True))
    for rule_id, indexes in sorted(by_rule.items(), key=lambda item: (worst(item[1]), item[0])):
        rule = rules.get(rule_id)
        counts = {s: 0 for s in SYMBOLS} | table.select(indexes).severity_counts()
        heading = Text(clean(rule.title if rule else rule_id), "bold")
        if rule is not None:
            heading.append(f" · {clean(rule.status_label)}", "italic")
        heading.append("  " + "  ".join(f"{n:,}{SYMBOLS[s]}" for s, n in counts.items() if n))
        options.append(Option(heading, disabled=True))
        for flag in table.select(indexes[:FLAGS_A_RULE]):
            line = Text("  ")
            line.append(severity_symbol(flag.severity, flag.certainty))
            if flag.key in investigator.star_flags:
                line.append("★ ")
            if investigator.placed.for_flag(flag.key):
                line.append("✎ ")
            line.append(clean(flag.message))
            options.append(Option(line, id=f"flag:{flag.key}"))
        if len(indexes) > FLAGS_A_RULE:
            more = len(indexes) - FLAGS_A_RULE
            options.append(Option(Text(f"  … and {more:,} more (n on the timeline walks every flag)", "dim"),
                                  disabled=True))
    options.append(Option(Text(""), disabled=True))
    notes = investigator.placed
    groups = notes.by_tag()
    total = sum(len(g) for g in groups.values())
    options.append(Option(Text(f"Notes by tag ({total})", "bold underline"), disabled=True))
    if not total:
        options.append(Option(Text("  No notes yet: a adds one on the selected row, A on the case."), disabled=True))
    unplaced = {n.id for n in notes.unplaced}
    for tag, tag_notes in groups.items():
        options.append(Option(Text(f"{TAG_HEADINGS.get(tag, tag)} ({len(tag_notes)})", "bold"), disabled=True))
        for note in tag_notes:
            line = Text("  ")
            if note.event_id is not None:
                target, where = f"event:{note.event_id}", "event"
            elif note.flag_key and note.id not in unplaced:
                target, where = f"flag:{note.flag_key}", "flag"
            else:
                target, where = None, "flag no longer raised" if note.id in unplaced else "case"
            line.append(f"({where}) ", "dim")
            line.append(clean(note.text))
            line.append(f" — {clean(note.author)}", "dim italic")
            options.append(Option(line, id=f"note:{note.id}:{target}" if target else None, disabled=target is None))
    return options


class OverviewScreen(ModalScreen[tuple[str, str] | None]):
    """The case at a glance; dismissed with ``("flag", key)``, ``("event", id)`` or ``None``."""

    BINDINGS = [
        Binding("escape,o,q", "close", "Close", id="overview.close"),
        Binding("enter", "jump", "Go to it", show=True, priority=False, id="overview.jump"),
    ]

    DEFAULT_CSS = """
    OverviewScreen { align: center middle; }
    OverviewScreen #overview { width: 90%; height: 90%; background: $panel; border: round $primary; padding: 0 1; }
    OverviewScreen #overview-banner { background: $warning; color: $background; text-style: bold; padding: 0 1; }
    OverviewScreen #overview-head { height: auto; margin-bottom: 1; }
    OverviewScreen #overview-list { height: 1fr; border: none; }
    """

    def __init__(self, case: CaseInfo, flags: Sequence[Flag], rules: Mapping[str, Rule], investigator,
                 read_only: bool, as_of_text: str) -> None:
        super().__init__()
        self.case = case
        self.flags = FlagTable.from_flags(flags)
        self.rules = rules
        self.investigator = investigator
        self.read_only = read_only
        self.as_of_text = as_of_text  # the analysis's: the day the flags are judged at, and why

    def compose(self) -> ComposeResult:
        case = self.case
        with Vertical(id="overview"):
            title = Text(f"{clean(case.title)}", "bold")
            if case.council:
                title.append(f" · {clean(case.council)}")
            title.append(f"\n{clean(case.id)}", "dim")
            if case.summary:
                title.append("\n\n" + clean(case.summary))
            if case.source:
                title.append("\nSource: ", "bold")
                title.append(clean(case.source), "italic")
            title.append("\nAs of: ", "bold")
            # "as of 6 Sep 2022 (the case's as-of date)" or "as of: no events", after "As of: ".
            title.append(self.as_of_text.removeprefix("as of").lstrip(": ") or "flags still being computed")
            counts = {s: 0 for s in SYMBOLS} | self.flags.severity_counts()
            title.append("   Flags: ", "bold")
            title.append("  ".join(f"{n:,}{SYMBOLS[s]} {s}" for s, n in counts.items()))
            if self.read_only:
                title.append("\nRead-only review: notes and stars cannot be saved.", "italic")
            if case.illustrative:
                yield Static(Text(ILLUSTRATIVE_BANNER), id="overview-banner")
            yield Static(title, id="overview-head")
            yield OptionList(*overview_options(self.flags, self.rules, self.investigator), id="overview-list")
        yield Footer()

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        listing.focus()
        for index in range(listing.option_count):
            if not listing.get_option_at_index(index).disabled:
                listing.highlighted = index
                break

    @on(OptionList.OptionSelected)
    def selected(self, event: OptionList.OptionSelected) -> None:
        self._dismiss_for(event.option.id)

    def action_jump(self) -> None:
        listing = self.query_one(OptionList)
        if listing.highlighted is not None:
            self._dismiss_for(listing.get_option_at_index(listing.highlighted).id)

    def _dismiss_for(self, option_id: str | None) -> None:
        if not option_id:
            return
        if option_id.startswith("flag:"):
            self.dismiss(("flag", option_id[5:]))
        elif option_id.startswith("note:"):
            _, _, target = option_id.split(":", 2)
            kind, _, value = target.partition(":")
            self.dismiss((kind, value))

    def action_close(self) -> None:
        self.dismiss(None)
